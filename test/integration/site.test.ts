// A Base44 app's built site on the same origin as the API, and the calls every page load fires and forgets.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, TestServer, databases, startTestServer } from '../support/server.js';

const SITE_APP = path.join(REPO_ROOT, 'test/fixtures/site-app');
const BUNDLE = '/assets/index-Bx7Kq2Zp.js';

describe.each(databases())('on %s, the app’s site', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(kind, SITE_APP);
  });
  afterAll(() => server?.close());

  it('serves index.html at the root and for every page path, never cached', async () => {
    for (const page of ['/', '/boards/42', '/settings?tab=1']) {
      const response = await server.fetch(page);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(await response.text()).toContain('<div id="root">');
    }
  });

  it('serves hashed assets for a year, compressed', async () => {
    const response = await server.fetch(BUNDLE, { headers: { 'accept-encoding': 'br, gzip' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/javascript/);
    expect(response.headers.get('cache-control')).toContain('immutable');
    expect(response.headers.get('cache-control')).toContain('max-age=31536000');
    expect(response.headers.get('content-encoding')).toBe('br');
    expect(await response.text()).toContain('value199');
    const plain = await server.fetch('/robots.txt');
    expect(plain.headers.get('cache-control')).toBe('public, max-age=0');
  });

  it('answers 404 for missing files and keeps API misses as coded JSON errors', async () => {
    expect((await server.fetch('/assets/missing-Abcdefgh.js')).status).toBe(404);
    const api = await server.fetch(`/api/apps/${server.appId}/nothing-here`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ code: 'not_found' });
  });

  it('never serves files outside the site folder', async () => {
    for (const attempt of ['/../base44/config.jsonc', '/%2e%2e/base44/config.jsonc', '/..%2fbase44%2fconfig.jsonc', '/%00index.html', '/a\\..\\..\\x']) {
      const response = await server.fetch(attempt);
      expect(await response.text()).not.toContain('Site Test"');
    }
  });

  it('lets an app served from another origin (a Vite dev server) use every method of the API', async () => {
    const preflight = await server.fetch(`/api/apps/${server.appId}/entities/User/me`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'authorization,content-type,x-app-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
  });

  it('keeps the API working beside it', async () => {
    const { token } = await server.signUp(`site.${kind}@example.com`);
    await expect(server.client(token).auth.me()).resolves.toMatchObject({ email: `site.${kind}@example.com` });
  });
});

describe.each(databases())('on %s, page views and analytics', (kind) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer(kind, SITE_APP);
  });
  afterAll(() => server?.close());

  it('answer success, and admins read them back as app logs', async () => {
    const admin = await server.signUp(`admin.${kind}@example.com`, { role: 'admin' });
    const user = await server.signUp(`user.${kind}@example.com`);
    await expect(server.client(user.token).appLogs.logUserInApp('boards')).resolves.toBeUndefined();
    await expect(server.client().appLogs.logUserInApp('home')).resolves.toBeUndefined();
    const batch = await server.fetch(`/api/apps/${server.appId}/analytics/track/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: [{ event_name: 'clicked', properties: { button: 'save' }, timestamp: new Date().toISOString() }, 'junk', {}] }),
    });
    expect(batch.status).toBe(200);
    expect(await batch.json()).toEqual({ success: true, recorded: 1 });

    const logs = (await server.client(admin.token).appLogs.fetchLogs({ limit: 10 })) as unknown as { kind: string; name: string; user_id: string | null }[];
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'page_view', name: 'boards', user_id: user.user.id }),
        expect.objectContaining({ kind: 'page_view', name: 'home', user_id: null }),
        expect.objectContaining({ kind: 'event', name: 'clicked' }),
      ]),
    );
    const stats = (await server.client(admin.token).appLogs.getStats()) as unknown as { rows: { name: string; count: number }[] };
    expect(stats.rows).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'boards', count: 1 })]));
    const refused = await server.client(user.token).appLogs.fetchLogs().catch((error) => error);
    expect(refused.status).toBe(403);
  });

  it('still answer success with a stale token', async () => {
    await expect(server.client('stale.token.here').appLogs.logUserInApp('home')).resolves.toBeUndefined();
  });
});
