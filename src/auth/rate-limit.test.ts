import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { RateLimiter } from './rate-limit.js';

function limiterAt(start = 0) {
  let now = start;
  return { limiter: new RateLimiter(() => now), advance: (ms: number) => (now += ms) };
}

function refusal(action: () => void): HttpError {
  try {
    action();
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('expected a refusal');
}

describe('attempt limits', () => {
  const limit = { attempts: 3, windowSeconds: 60 };

  it('allow the limit, then answer 429 with Retry-After', () => {
    const { limiter, advance } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.hit('ip:1', limit);
    advance(15_000);
    const error = refusal(() => limiter.hit('ip:1', limit));
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limited');
    expect(error.headers).toEqual({ 'retry-after': '45' });
  });

  it('count each key apart', () => {
    const { limiter } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.hit('ip:1', limit);
    expect(() => limiter.hit('ip:2', limit)).not.toThrow();
  });

  it('start afresh when the window ends or the key is reset', () => {
    const { limiter, advance } = limiterAt();
    for (let i = 0; i < 3; i++) limiter.hit('a', limit);
    advance(60_000);
    expect(() => limiter.hit('a', limit)).not.toThrow();
    for (let i = 0; i < 2; i++) limiter.hit('a', limit);
    limiter.reset('a');
    expect(() => limiter.hit('a', limit)).not.toThrow();
  });
});
