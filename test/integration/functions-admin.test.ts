// Managing backend functions on both databases: deployments in the official CLI's shapes (deploy, unchanged, list,
// delete), history, rollback and states; secrets (masked, live without a redeploy, .env defaults); invocation logs;
// the dev watcher's redeploys; and the `homebase secrets` / `homebase functions` commands.

import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from '@base44/sdk';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CliContext, functionsCommand, secretsCommand } from '../../src/cli/functions.js';
import { main } from '../../src/cli/main.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import { databases, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FUNCTIONS_APP = path.join(REPO_ROOT, 'test/fixtures/functions-app');

type Json = Record<string, unknown>;

const version = (text: string) => ({
  entry: 'entry.ts',
  files: [
    { path: 'entry.ts', content: `import { answer } from '../../shared/answer.ts';\nDeno.serve(() => Response.json({ version: answer(${JSON.stringify(text)}) }));\n` },
    { path: '../../shared/answer.ts', content: 'export const answer = (text: string) => text;\n' },
  ],
  automations: [{ type: 'entity', name: 'on order', entity_name: 'Note', event_types: ['create'], is_active: true }],
});

describe.each(databases())('on %s, managing backend functions', (kind) => {
  let server: TestServer;
  let userToken: string;
  const appPath = (p: string) => `/api/apps/${server.appId}/${p}`;
  const operator = async (method: string, p: string, body?: unknown) => {
    const response = await server.fetch(appPath(p), {
      method,
      headers: { authorization: `Bearer ${server.serviceToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json & Json[] };
  };
  const call = async (name: string, init: RequestInit = { method: 'POST' }) => {
    const response = await server.fetch(appPath(`functions/${name}`), init);
    return { status: response.status, body: (await response.json()) as Json, invocationId: response.headers.get('x-homebase-invocation-id') };
  };
  const history = async (name: string) => (await operator('GET', `backend-functions/${encodeURIComponent(name)}/deployments`)).body.deployments as Json[];

  beforeAll(async () => {
    await warmDenoCache();
    server = await startTestServer(kind, FUNCTIONS_APP, { config: { functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE } } });
    userToken = (await server.signUp('logs@example.com')).token;
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('deploys in the CLI shape, answers "unchanged" for the same code, and lists functions with their code', async () => {
    expect(await operator('PUT', 'backend-functions/greet', version('one'))).toEqual({ status: 200, body: { status: 'deployed' } });
    expect(await operator('PUT', 'backend-functions/greet', version('one'))).toEqual({ status: 200, body: { status: 'unchanged' } });
    const { body } = await operator('GET', 'backend-functions');
    const greet = (body.functions as Json[]).find((f) => f.name === 'greet');
    expect(greet).toMatchObject({ entry: 'entry.ts', deployment_id: expect.stringMatching(/^[a-f0-9]{24}$/), automations: version('one').automations });
    expect(greet!.files).toEqual(expect.arrayContaining(version('one').files));
    expect((body.functions as Json[]).map((f) => f.name)).toEqual(expect.arrayContaining(['echo', 'orders/process', 'legacy-hello']));
    expect((await call('greet')).body).toEqual({ version: 'one' });
  });

  it('makes a new deployment live at once, keeps the old one, and rolls back to it', async () => {
    await operator('PUT', 'backend-functions/greet', version('two'));
    expect((await call('greet')).body).toEqual({ version: 'two' });
    const [latest, first] = await history('greet');
    expect(latest).toMatchObject({ live: true, state: 'release', source: 'api' });
    expect(first).toMatchObject({ live: false, state: 'release' });

    const activated = await operator('POST', `backend-functions/greet/deployments/${first.id}/activate`);
    expect(activated.body).toMatchObject({ status: 'activated', deployment_id: first.id });
    expect((await call('greet')).body).toEqual({ version: 'one' });
    expect(await history('greet')).toMatchObject([
      { id: latest.id, live: false, state: 'reverted' },
      { id: first.id, live: true, state: 'release' },
    ]);
  });

  it('runs the deployment Base44-Functions-Version names (a draft), and the live one for any other version', async () => {
    // After the rollback above, the newest deployment ("two") is no longer live.
    const [newest] = await history('greet');
    const live = (await call('greet')).body;
    const client = (functionsVersion: string) =>
      createClient({ serverUrl: server.url, appId: server.appId, token: userToken, functionsVersion, analytics: { enabled: false } } as Parameters<typeof createClient>[0]);
    const [{ data: draft }, { data: other }, { data: unknown }] = await Promise.all([
      client(newest.id as string).functions.invoke('greet', {}),
      client((await history('echo'))[0].id as string).functions.invoke('greet', {}),
      client('preview-1234').functions.invoke('greet', {}),
    ]);
    expect(draft).toEqual({ version: 'two' });
    expect(live).toEqual({ version: 'one' });
    expect([other, unknown]).toEqual([live, live]);
    expect((await history('greet')).find((d) => d.live)?.id).not.toBe(newest.id);
  });

  it('keeps functions off the database server and cloud metadata, while they still reach this server', async () => {
    const probe = `Deno.serve(async (req) => {
  const { targets } = await req.json();
  const outcomes = [];
  for (const [hostname, port] of targets) {
    try { (await Deno.connect({ hostname, port })).close(); outcomes.push('connected'); }
    catch (error) { outcomes.push(error.name); }
  }
  return Response.json(outcomes);
});
`;
    expect((await operator('PUT', 'backend-functions/probe', { entry: 'entry.ts', files: [{ path: 'entry.ts', content: probe }] })).status).toBe(200);
    const api = new URL(server.url);
    const targets: [string, number][] = [['169.254.169.254', 80], [api.hostname, Number(api.port)]];
    if (kind === 'postgres') {
      const database = new URL(server.databaseUrl);
      targets.push([database.hostname, Number(database.port || 5432)], ['0.0.0.0', Number(database.port || 5432)], ['127.0.0.2', Number(database.port || 5432)]);
    }
    const { body } = await call('probe', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ targets }) });
    expect(body).toEqual(['NotCapable', 'connected', ...(kind === 'postgres' ? ['NotCapable', 'NotCapable', 'NotCapable'] : [])]);
  });

  it('tracks a state per deployment (seed 003) and refuses unknown states', async () => {
    const [latest] = await history('greet');
    expect((await operator('PATCH', `backend-functions/greet/deployments/${latest.id}`, { state: 'under_user_test' })).status).toBe(200);
    expect((await history('greet'))[0]).toMatchObject({ state: 'under_user_test' });
    expect((await operator('PATCH', `backend-functions/greet/deployments/${latest.id}`, { state: 'shipped' })).status).toBe(400);
    expect((await history('echo'))[0]).toMatchObject({ state: 'under_dev', source: 'project', live: true });
  });

  it('accepts nested names the way the CLI encodes them, and refuses code that escapes or lacks its entry', async () => {
    expect((await operator('PUT', `backend-functions/${encodeURIComponent('orders/ship')}`, version('ship'))).body).toEqual({ status: 'deployed' });
    expect((await call('orders/ship/label')).body).toEqual({ version: 'ship' });
    const bad = [
      { entry: 'main.ts', files: [{ path: 'entry.ts', content: '' }] },
      { entry: 'entry.ts', files: [{ path: '/etc/entry.ts', content: '' }] },
      { entry: 'entry.ts', files: [{ path: `${'../'.repeat(20)}x.ts`, content: '' }, { path: 'entry.ts', content: '' }] },
      { files: [{ path: 'entry.ts', content: '' }] },
    ];
    for (const body of bad) expect((await operator('PUT', 'backend-functions/broken', body)).body).toMatchObject({ code: 'bad_request' });
    expect((await operator('PUT', 'backend-functions/has.dot', version('x'))).status).toBe(400);
  });

  it('deletes a function: it is gone from the list and no longer answers', async () => {
    expect((await operator('DELETE', 'backend-functions/greet')).status).toBe(200);
    expect((await call('greet')).status).toBe(404);
    expect(((await operator('GET', 'backend-functions')).body.functions as Json[]).map((f) => f.name)).not.toContain('greet');
    expect((await operator('DELETE', 'backend-functions/greet')).status).toBe(404);
  });

  it('serves secrets to functions without a redeploy, lists them masked, and falls back to base44/.env defaults', async () => {
    const deployment = (await history('secret'))[0].id;
    expect((await call('secret')).body).toEqual({ env: 'from-env-file', runtime: 'from-env-file', fromEnvFile: 'local-value' });
    expect(await operator('POST', 'secrets', { API_KEY: 'set-by-api', OTHER: 's3cr3t' })).toEqual({ status: 200, body: { success: true } });
    expect((await call('secret')).body).toMatchObject({ env: 'set-by-api', runtime: 'set-by-api' });
    expect((await history('secret'))[0].id).toBe(deployment);

    const listed = (await operator('GET', 'secrets')).body;
    expect(listed).toEqual({ API_KEY: '********', FROM_ENV_FILE: '********', OTHER: '********' });
    expect(JSON.stringify(listed)).not.toMatch(/s3cr3t|set-by-api/);

    expect((await operator('DELETE', 'secrets?secret_name=API_KEY')).body).toEqual({ success: true });
    expect((await call('secret')).body).toMatchObject({ env: 'from-env-file' });
    expect((await operator('DELETE', 'secrets?secret_name=FROM_ENV_FILE')).body).toMatchObject({ code: 'not_found', message: expect.stringContaining('.env') });
    for (const body of [{ 'BAD-NAME': 'x' }, { BASE44_APP_ID: 'x' }, { GOOD: 42 }, {}]) {
      expect((await operator('POST', 'secrets', body)).body).toMatchObject({ code: 'bad_request' });
    }
  });

  it('keeps every invocation with its caller, duration and status, and the lines its code printed', async () => {
    const echoed = await call('echo', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${userToken}` }, body: '{}' });
    const failed = await call('fail');
    const logs = (await operator('GET', `functions-mgmt/echo/logs?invocation_id=${echoed.invocationId}`)).body;
    expect(logs).toEqual([
      { time: expect.any(String), level: 'info', message: 'echo called with application/json', invocation_id: echoed.invocationId, seq: expect.any(Number) },
    ]);
    const errors = (await operator('GET', 'functions-mgmt/fail/logs?level=error')).body;
    expect(errors.map((l) => [l.message, l.invocation_id])).toContainEqual(['about to fail', failed.invocationId]);

    const { invocations } = (await operator('GET', `functions-mgmt/echo/invocations?id=${echoed.invocationId}`)).body;
    expect(invocations).toEqual([
      {
        id: echoed.invocationId,
        deployment_id: (await history('echo'))[0].id,
        started_date: expect.any(String),
        duration_ms: expect.any(Number),
        status: 200,
        outcome: 'ok',
        caller: { kind: 'user', id: expect.any(String), email: 'logs@example.com' },
      },
    ]);
    const failedRecord = (await operator('GET', `functions-mgmt/fail/invocations?id=${failed.invocationId}`)).body.invocations as Json[];
    expect(failedRecord[0]).toMatchObject({ status: 500, outcome: 'error', caller: { kind: 'anonymous' } });
    expect((await operator('GET', 'functions-mgmt/echo/logs?level=loud')).status).toBe(400);
  });

  it('tails new log lines live as server-sent events, as the official CLI reads them', async () => {
    const stream = await server.fetch(appPath('functions-mgmt/logs/stream?function=echo,fail&env=prod'), {
      headers: { authorization: `Bearer ${server.serviceToken}` },
    });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    let text = '';
    const readUntil = async (done: () => boolean) => {
      while (!done()) text += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(() => text.includes(': tailing'));
    await call('echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await call('fail');
    await call('whoami');
    await readUntil(() => text.includes('about to fail'));
    await reader.cancel();
    const events = text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)) as Json);
    expect(events).toContainEqual({ time: expect.any(String), level: 'info', function: 'echo', message: 'echo called with application/json' });
    expect(events).toContainEqual(expect.objectContaining({ level: 'error', function: 'fail', message: 'about to fail' }));
    expect(events.every((event) => event.function === 'echo' || event.function === 'fail')).toBe(true);

    expect((await operator('GET', 'functions-mgmt/logs/stream?function=../etc')).status).toBe(400);
    const asUser = await server.fetch(appPath('functions-mgmt/logs/stream'), { headers: { authorization: `Bearer ${userToken}` } });
    expect(asUser.status).toBe(403);
  });

  it('redeploys what changes in the project folder and removes functions whose folder is gone (dev)', async () => {
    const functionsDir = path.join(server.projectDir, 'base44/functions');
    await writeFile(path.join(functionsDir, 'legacy/index.ts'), "export default () => Response.json({ hello: 'edited' });\n");
    await rm(path.join(functionsDir, 'stream'), { recursive: true });
    await server.reloadFunctions();
    expect((await call('legacy-hello')).body).toEqual({ hello: 'edited' });
    expect((await history('legacy-hello')).map((d) => d.state)).toEqual(['under_dev', 'under_dev']);
    expect((await call('stream', { method: 'GET' })).status).toBe(404);
    // A function deployed through the API is not the folder's to remove.
    expect((await call('orders/ship')).status).toBe(200);
  });

  it('drives it all from the command line: secrets set, list and delete, functions logs and --follow', async () => {
    let output = '';
    const ctx: CliContext = {
      server: async () => ({ url: server.url, appId: server.appId, serviceToken: server.serviceToken }),
      usage: (message) => new Error(message),
      write: (text) => void (output += text),
    };
    await secretsCommand(['set', 'CLI_ONE=1', 'CLI_TWO=a=b'], ctx);
    expect((await call('sandbox')).body.env).toEqual(expect.arrayContaining(['CLI_ONE', 'CLI_TWO']));
    output = '';
    await secretsCommand(['list'], ctx);
    expect(output.trim().split('\n')).toEqual(expect.arrayContaining(['CLI_ONE', 'CLI_TWO']));
    expect(output).not.toContain('a=b');
    await secretsCommand(['delete', 'CLI_TWO'], ctx);
    await expect(secretsCommand(['delete', 'CLI_TWO'], ctx)).rejects.toThrow(/not found/);
    await expect(secretsCommand(['set', 'NOVALUE'], ctx)).rejects.toThrow(/NAME=VALUE/);

    output = '';
    const first = await call('echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await functionsCommand(['logs', 'echo'], ctx);
    expect(output).toContain(`${first.invocationId} echo called with application/json`);

    output = '';
    const stop = new AbortController();
    const following = functionsCommand(['logs', 'echo', '--follow', '--limit', '1'], ctx, stop.signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const later = await call('echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await expect.poll(() => output, { timeout: 5000 }).toContain(`${later.invocationId} echo called`);
    stop.abort();
    await following;

    // The real command line finds the server through <project>/.homebase/dev.json.
    const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await main(['secrets', 'list', '--dir', server.projectDir]);
      await main(['functions', 'list', '--dir', server.projectDir]);
      const text = printed.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(text).toContain('CLI_ONE\n');
      expect(text).toMatch(/^orders\/process {2}[a-f0-9]{24}$/m);
    } finally {
      printed.mockRestore();
    }
  });
});
