import { describe, expect, it, vi } from 'vitest';
import { HttpError } from '../errors.js';
import { TokenService } from './tokens.js';

const APP_A = 'a'.repeat(24);
const APP_B = 'b'.repeat(24);
const tokens = new TokenService(new Uint8Array(32).fill(7));
const SESSION = 'c'.repeat(32);
const alice = { id: '1'.repeat(24), email: 'alice@example.com', role: 'user' };

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    return error as HttpError;
  }
  throw new Error('expected a rejection');
}

describe('access tokens', () => {
  it('carry the user of the app that signed them', async () => {
    const token = await tokens.signUser(APP_A, alice, SESSION, 60);
    expect(await tokens.verify(APP_A, token)).toEqual({ kind: 'user', userId: alice.id, email: alice.email, role: 'user', sessionId: SESSION });
  });

  it('give the service role when signed as service tokens', async () => {
    expect(await tokens.verify(APP_A, await tokens.signService(APP_A, 60))).toEqual({ kind: 'service' });
  });

  it('are worthless on another app', async () => {
    const error = await rejection(tokens.verify(APP_B, await tokens.signUser(APP_A, alice, SESSION, 60)));
    expect(error.status).toBe(401);
    expect(error.code).toBe('unauthorized');
  });

  it('are refused when tampered with', async () => {
    const token = await tokens.signUser(APP_A, alice, SESSION, 60);
    const [header, payload, signature] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'admin' })).toString('base64url');
    expect((await rejection(tokens.verify(APP_A, `${header}.${forged}.${signature}`))).status).toBe(401);
  });

  it('are refused when signed with another secret or algorithm "none"', async () => {
    const other = new TokenService(new Uint8Array(32).fill(9));
    expect((await rejection(tokens.verify(APP_A, await other.signService(APP_A, 60)))).status).toBe(401);
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ typ: 'service', aud: APP_A, iss: 'homebase' })).toString('base64url')}.`;
    expect((await rejection(tokens.verify(APP_A, unsigned))).status).toBe(401);
  });

  it('expire', async () => {
    const token = await tokens.signUser(APP_A, alice, SESSION, 1);
    await tokens.verify(APP_A, token);
    // The verification cache must not outlive the token itself.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5_000);
    try {
      expect((await rejection(tokens.verify(APP_A, token))).message).toBe('Token expired');
    } finally {
      vi.useRealTimers();
    }
  });

  it('refuse garbage', async () => {
    for (const garbage of ['', 'abc', 'a.b.c', 'null']) {
      expect((await rejection(tokens.verify(APP_A, garbage))).status).toBe(401);
    }
  });
});
