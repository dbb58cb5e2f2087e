// A private app's boot check, tokens bound to their app, and the limits on guessing and spamming.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TestServer, databases, startTestServer } from '../support/server.js';
import { SmtpTestServer, startSmtpServer } from '../support/smtp.js';

const PRIVATE_APP = path.join(REPO_ROOT, 'test/fixtures/private-app');
const AUTH_APP = path.join(REPO_ROOT, 'test/fixtures/auth-app');

describe.each(databases())('a private app on %s', (kind) => {
  let server: TestServer;
  let other: TestServer;
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    server = await startTestServer(kind, PRIVATE_APP, {
      smtpUrl: smtp.url,
      config: { authLimits: { perIp: { attempts: 10, windowSeconds: 60 }, perEmail: { attempts: 3, windowSeconds: 600 } } },
    });
    other = await startTestServer(kind, AUTH_APP);
  });

  afterAll(async () => {
    await Promise.all([server?.close(), other?.close()]);
    await smtp?.close();
  });

  const publicSettings = (token?: string) =>
    server.fetch(`/api/apps/public/prod/public-settings/by-id/${server.appId}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('tells anonymous callers to sign in (403 auth_required)', async () => {
    for (const token of [undefined, 'garbage']) {
      const response = await publicSettings(token);
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({ code: 'forbidden', extra_data: { reason: 'auth_required' } });
    }
  });

  it('lets its users in and tells disabled ones they are not registered', async () => {
    const admin = await server.signUp('boss@example.com', { role: 'admin' });
    const member = await server.signUp('member@example.com');
    const allowed = await publicSettings(member.token);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toMatchObject({ id: server.appId, public_settings: 'private_with_login', auth_config: { signup: 'invite_only' } });
    await server.client(admin.token).entities.User.update(member.user.id as string, { disabled: true });
    const refused = await publicSettings(member.token);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ extra_data: { reason: 'user_not_registered' } });
  });

  it('is invite-only: sign-up is refused', async () => {
    const error = await server.client().auth.register({ email: 'stranger@example.com', password: 'long enough password' }).catch((e) => e);
    expect(error.status).toBe(403);
  });

  it('does not accept another app’s tokens, nor its own on another app', async () => {
    const user = await other.signUp('elsewhere@example.com');
    expect((await publicSettings(user.token)).status).toBe(403);
    const local = await server.signUp('local@example.com');
    const error = await other.client(local.token).auth.me().catch((e) => e);
    expect(error.status).toBe(401);
  });

  it('limits wrong passwords per email with 429 and Retry-After', async () => {
    const email = 'target@example.com';
    await server.signUp(email);
    const attempt = () =>
      server.fetch(`/api/apps/${server.appId}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'wrong password' }),
      });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await attempt()).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
    const limited = await attempt();
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ code: 'rate_limited' });
  });

  it('limits password-reset requests per client address', async () => {
    const statuses = [];
    for (let i = 0; i < 12; i++) {
      const response = await server.fetch(`/api/apps/${server.appId}/auth/reset-password-request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `spam${i}@example.com` }),
      });
      statuses.push(response.status);
    }
    expect(statuses.slice(0, 10).every((status) => status === 200)).toBe(true);
    expect(statuses.slice(10)).toEqual([429, 429]);
    // Without a trusted proxy in front, a client cannot pass for another by naming one.
    const forged = await server.fetch(`/api/apps/${server.appId}/auth/reset-password-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.9' },
      body: JSON.stringify({ email: 'forged@example.com' }),
    });
    expect(forged.status).toBe(429);
  });

  it('behind a trusted proxy (TRUST_PROXY), counts each forwarded client apart, on every node', async () => {
    const limits = { perIp: { attempts: 2, windowSeconds: 60 }, perEmail: { attempts: 100, windowSeconds: 60 } };
    const proxied = await startTestServer(kind, AUTH_APP, { config: { trustProxy: '127.0.0.1', authLimits: limits } });
    try {
      const request = (client: string) =>
        proxied.fetch(`/api/apps/${proxied.appId}/auth/reset-password-request`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': client },
          body: JSON.stringify({ email: 'someone@example.com' }),
        });
      const statuses = [];
      for (const client of ['198.51.100.1', '198.51.100.1', '198.51.100.1', '198.51.100.2']) statuses.push((await request(client)).status);
      expect(statuses).toEqual([200, 200, 429, 200]);
    } finally {
      await proxied.close();
    }
  });
});
