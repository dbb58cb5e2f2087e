import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, openTestDatabase } from '../../test/support/server.js';
import { HttpError } from '../errors.js';
import type { Database } from '../store/index.js';
import { RateLimiter } from './rate-limit.js';

async function refusal(attempt: Promise<void>): Promise<HttpError> {
  return attempt.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: HttpError) => error,
  );
}

describe.each(databases())('on %s, attempt limits', (kind) => {
  const limit = { attempts: 3, windowSeconds: 60 };
  let db: Database;
  let close: () => Promise<void>;
  let limiter: RateLimiter;
  let keys = 0;
  const freshKey = () => `ip:${kind}:${++keys}`;

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase(kind));
    limiter = new RateLimiter(db);
  });
  afterAll(() => close?.());

  it('allow the limit, then answer 429 with Retry-After', async () => {
    const key = freshKey();
    for (let i = 0; i < 3; i++) await limiter.hit(key, limit);
    const error = await refusal(limiter.hit(key, limit));
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', message: 'Too many attempts, try again later' });
    expect(Number(error.headers?.['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(error.headers?.['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('count each key apart, and together across limiters sharing the database (nodes)', async () => {
    const key = freshKey();
    const otherNode = new RateLimiter(db);
    await Promise.all([limiter.hit(key, limit), otherNode.hit(key, limit), limiter.hit(key, limit)]);
    await expect(limiter.hit(freshKey(), limit)).resolves.toBeUndefined();
    expect((await refusal(otherNode.hit(key, limit))).status).toBe(429);
  });

  it('start afresh when the window ends or the key is reset, and prune ended windows', async () => {
    const key = freshKey();
    const short = { attempts: 1, windowSeconds: 1 };
    await limiter.hit(key, short);
    expect((await refusal(limiter.hit(key, short))).status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await expect(limiter.hit(key, short)).resolves.toBeUndefined();
    await limiter.reset(key);
    await expect(limiter.hit(key, short)).resolves.toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await limiter.prune();
    const [{ left }] = await db.query<{ left: number }>('SELECT count(*)::int AS left FROM homebase.attempt_windows WHERE ends_date <= now()');
    expect(left).toBe(0);
  });

  it('store no email or address, only hashes', async () => {
    await limiter.hit('login:email:app:someone@example.com', limit);
    const rows = await db.query<{ key: Uint8Array }>('SELECT key FROM homebase.attempt_windows');
    expect(rows.every((row) => row.key.length === 32)).toBe(true);
    expect(JSON.stringify(rows)).not.toContain('someone');
  });
});
