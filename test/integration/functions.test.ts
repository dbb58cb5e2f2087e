// Backend functions on real Deno, called through the real SDK: bodies and responses pass through untouched, the
// caller's identity and the service role work inside through npm:@base44/sdk, the sandbox holds, timeouts replace
// the process. The runtime does not depend on the database, so this file runs on PGlite only (deployments, secrets
// and logs run on both in functions-admin.test.ts).

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/auth/index.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import { REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FUNCTIONS_APP = path.join(REPO_ROOT, 'test/fixtures/functions-app');
const TIMEOUT_MS = 2500;

type Json = Record<string, unknown>;
interface AxiosLike {
  status: number;
  data: Json;
  headers: Record<string, string>;
}
interface AxiosFailure {
  response: AxiosLike;
}

async function rejection(promise: Promise<unknown>): Promise<AxiosLike> {
  const outcome = await promise.then(
    () => undefined,
    (error: AxiosFailure) => error,
  );
  if (!outcome) throw new Error('expected the call to fail');
  return outcome.response;
}

describe('backend functions on Deno', () => {
  let server: TestServer;
  let alice: { token: string; email: string };
  const invoke = (name: string, data?: unknown, token?: string) =>
    server.client(token).functions.invoke(name, data as Json) as unknown as Promise<AxiosLike>;
  const operator = () => ({ authorization: `Bearer ${server.serviceToken}` });

  beforeAll(async () => {
    await warmDenoCache();
    server = await startTestServer('pglite', FUNCTIONS_APP, {
      config: { functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE, timeoutMs: TIMEOUT_MS } },
    });
    const { token } = await server.signUp('alice@example.com');
    alice = { token, email: 'alice@example.com' };
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('passes a JSON body in and the response (status, headers, body) back unchanged', async () => {
    const response = await invoke('echo', { hello: 'world', n: [1, 2] });
    expect(response.status).toBe(200);
    expect(response.headers['x-echo']).toBe('yes');
    expect(response.headers['x-homebase-invocation-id']).toMatch(/^[a-f0-9]{24}$/);
    expect(response.data).toMatchObject({
      method: 'POST',
      body: { hello: 'world', n: [1, 2] },
      appId: server.appId,
      apiUrl: server.url,
      hasServiceToken: true,
      envAppId: server.appId,
    });
    expect(response.data.url).toBe(`${server.url}/api/apps/${server.appId}/functions/echo`);
  });

  it('passes a multipart body through for the function to parse', async () => {
    const file = new File(['hello file'], 'notes.txt', { type: 'text/plain' });
    const response = await invoke('echo', { title: 'report', file });
    expect(response.data.body).toEqual({ title: 'report', file: { name: 'notes.txt', size: 10 } });
  });

  it('strips Base44 headers a caller forges and never returns the service token to the caller', async () => {
    const response = await server.fetch(`/api/apps/${server.appId}/functions/echo`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'base44-state': 'forged',
        'base44-app-id': 'ffffffffffffffffffffffff',
        'base44-service-authorization': 'Bearer forged',
        authorization: 'Bearer',
      },
      body: '{}',
    });
    const body = (await response.json()) as Json;
    expect(body).toMatchObject({ forged: null, appId: server.appId, authorization: null, hasServiceToken: true });
    expect([...response.headers.keys()].filter((h) => h.startsWith('base44-'))).toEqual([]);
  });

  it('runs auth.me() inside the function as the caller, and refuses it for anonymous callers', async () => {
    expect((await invoke('whoami', {}, alice.token)).data).toEqual({ email: alice.email, role: 'user' });
    const anonymous = await rejection(invoke('whoami', {}));
    expect(anonymous.status).toBe(401);
  });

  it('writes with the service role inside the function, and the user then reads what their own rules allow', async () => {
    const { data } = await invoke('notes', { text: 'written by the service role' }, alice.token);
    expect(data).toMatchObject({ note: { text: 'written by the service role', owner: alice.email }, visibleToCaller: 1 });
    await expect(server.client(alice.token).entities.Note.create({ text: 'direct' })).rejects.toMatchObject({ status: 403 });
    const mine = (await server.client(alice.token).entities.Note.list()) as Json[];
    expect(mine.map((n) => n.text)).toEqual(['written by the service role']);
    const { token: bob } = await server.signUp('bob@example.com');
    expect(await server.client(bob).entities.Note.list()).toEqual([]);
  });

  it("returns a function's own 500 with its body as a plain HTTP error, and an uncaught throw as a coded 500", async () => {
    const own = await rejection(invoke('fail', {}));
    expect(own.status).toBe(500);
    expect(own.data).toEqual({ error: 'boom', detail: 'the function failed on purpose' });
    const thrown = await server.fetch('/api/functions/fail?throw', { method: 'POST' });
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toMatchObject({ code: 'function_error', invocation_id: thrown.headers.get('x-homebase-invocation-id') });
  });

  it('answers a call that runs too long with a coded 504, replaces the process, and serves the next call', async () => {
    const before = (await invoke('loop', {})).data.pid;
    const started = Date.now();
    const timedOut = await rejection(invoke('loop', { spin: true }));
    expect(timedOut.status).toBe(504);
    expect(timedOut.data).toMatchObject({ code: 'function_timeout' });
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000);
    const after = (await invoke('loop', {})).data.pid;
    expect(after).not.toBe(before);
  });

  it('answers 502 when the process dies mid-call, and starts a new one for the next call', async () => {
    const before = (await invoke('loop', {})).data.pid;
    const died = await rejection(invoke('loop', { exit: true }));
    expect(died.status).toBe(502);
    expect(died.data).toMatchObject({ code: 'function_unavailable' });
    expect((await invoke('loop', {})).data.pid).not.toBe(before);
  });

  it('keeps a function in its sandbox: no reading outside its files, no writing outside its temp dir, no programs', async () => {
    const { data } = await invoke('sandbox', {});
    expect(data).toMatchObject({
      readPasswd: 'NotCapable',
      writeOutside: 'NotCapable',
      writeHome: 'NotCapable',
      run: 'NotCapable',
      writeTemp: 'allowed',
      readOwnCode: 'allowed',
    });
    // The environment holds the app's secrets and Base44's variables, not the server's own.
    const env = data.env as string[];
    expect(env).toEqual(expect.arrayContaining(['BASE44_APP_ID', 'API_KEY', 'FROM_ENV_FILE']));
    expect(env.filter((name) => !/^(BASE44_|DENO_)|^(HOME|TMPDIR|NO_COLOR|PATH|API_KEY|FROM_ENV_FILE)$/.test(name))).toEqual([]);
  });

  it('serves 50 concurrent calls, each getting its own answer', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => invoke('echo', { i })));
    expect(responses.map((r) => (r.data.body as Json).i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('reaches nested functions and their sub-paths with functions.fetch, any method, no app id needed', async () => {
    const client = server.client(alice.token);
    const get = await client.functions.fetch('/orders/process/items/42?expand=1', { method: 'GET' });
    expect(await get.json()).toEqual({ fn: 'orders/process', method: 'GET', path: '/api/functions/orders/process/items/42', query: '?expand=1' });
    const del = await client.functions.fetch('/orders/process', { method: 'DELETE' });
    expect(await del.json()).toMatchObject({ method: 'DELETE', path: '/api/functions/orders/process' });
    expect(await (await server.fetch('/api/functions/legacy-hello', { method: 'PUT' })).json()).toEqual({ hello: 'legacy', method: 'PUT' });
  });

  it('answers an unknown function (or one in a hidden folder) with a coded 404', async () => {
    for (const name of ['nope', 'ignored', '.hidden/ignored']) {
      const response = await server.fetch(`/api/apps/${server.appId}/functions/${name}`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'not_found' });
    }
  });

  it('streams a response: the first chunk arrives before the function has finished', async () => {
    const response = await server.fetch('/api/functions/stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    const first = await reader.read();
    const firstAt = Date.now();
    expect(decoder.decode(first.value)).toBe('first\n');
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += decoder.decode(chunk.value);
    expect(rest).toBe('second\n');
    expect(Date.now() - firstAt).toBeGreaterThan(1000);
  });

  it('keeps the management API to the service role: a user token is 403, no token 401', async () => {
    const paths = [`/api/apps/${server.appId}/backend-functions`, `/api/apps/${server.appId}/secrets`, `/api/apps/${server.appId}/functions-mgmt/echo/logs`];
    for (const p of paths) {
      expect((await server.fetch(p, { headers: { authorization: `Bearer ${alice.token}` } })).status).toBe(403);
      expect((await server.fetch(p)).status).toBe(401);
      expect((await server.fetch(p, { headers: operator() })).status).toBe(200);
    }
  });

  it("refuses another app's service token, even one signed by the same server", async () => {
    const secret = Buffer.from((await readFile(path.join(server.projectDir, '.homebase', 'secret.key'), 'utf8')).trim(), 'base64');
    const otherApp = await new TokenService(secret).signService('0123456789abcdef01234567', 600);
    const response = await server.fetch(`/api/apps/${server.appId}/backend-functions`, { headers: { authorization: `Bearer ${otherApp}` } });
    expect(response.status).toBe(401);
    await expect(server.client(otherApp).entities.Note.list()).rejects.toMatchObject({ status: 401 });
  });
});
