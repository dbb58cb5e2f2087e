// Custom integrations, installable packages and connectors through the real SDK, against a local API that records
// what Homebase sends: subscription gating, credentials (sealed, never shown, never traced), errors and the trace.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/functions.js';
import { integrationsCommand } from '../../src/cli/integrations.js';
import { expectCoded, failure, type Rec } from '../support/sdk.js';
import { databases, startTestServer, type TestServer } from '../support/server.js';
import { PNG_BYTES, startUpstreamApi, type UpstreamApi } from '../support/upstream-api.js';

const API_KEY = 'repo-api-key-7f3a9c1e55';
const SLACK_TOKEN = 'xoxb-slack-token-0123456789';
const TIMEOUT_MS = 800;

function openApiFor(url: string) {
  return {
    openapi: '3.0.3',
    info: { title: 'Repos', version: '1' },
    servers: [{ url }],
    components: { parameters: { Owner: { name: 'owner', in: 'path', required: true, schema: { type: 'string' } } } },
    paths: {
      '/repos/{owner}/{repo}': {
        parameters: [{ $ref: '#/components/parameters/Owner' }, { name: 'repo', in: 'path', required: true }],
        get: { operationId: 'getRepo', parameters: [{ name: 'per_page', in: 'query' }] },
      },
      '/repos/{owner}/{repo}/issues': { post: { operationId: 'createIssue', requestBody: { content: { 'application/json': {} } } } },
      '/status/{code}': { get: { operationId: 'status' } },
      '/slow': { get: { operationId: 'slow' } },
      '/binary': { get: { operationId: 'binary' } },
    },
  };
}

async function closedPortUrl(): Promise<string> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe.each(databases())('connectors and custom integrations on %s', (kind) => {
  let server: TestServer;
  let upstream: UpstreamApi;
  let userToken: string;
  let app: ReturnType<TestServer['client']>;

  const manage = (method: string, path: string, body?: unknown, token = server.serviceToken) =>
    server.fetch(`/api/apps/${server.appId}/integrations${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const setUp = async (slug: string, spec: Rec) => {
    const response = await manage('PUT', `/${slug}`, spec);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Rec;
  };
  const traceOf = async (slug: string) => {
    const response = await manage('GET', `/calls?slug=${slug}&limit=100`);
    expect(response.status).toBe(200);
    return (await response.json()) as Rec[];
  };

  beforeAll(async () => {
    upstream = await startUpstreamApi();
    server = await startTestServer(kind, undefined, { config: { integrations: { timeoutMs: TIMEOUT_MS } } });
    userToken = (await server.signUp('ada@example.com')).token;
    app = server.client(userToken);
    await setUp('repos', { kind: 'custom', openapi: openApiFor(upstream.url), credentials: { headers: { 'X-Api-Key': API_KEY } } });
    await setUp('Repos', { kind: 'custom', openapi: openApiFor(upstream.url), credentials: { access_token: API_KEY } });
    await setUp('slack', {
      kind: 'connector',
      base_url: `${upstream.url}/slack-api`,
      credentials: { access_token: SLACK_TOKEN },
      connection_config: { team: 'T123' },
    });
  });

  afterAll(async () => {
    await server?.close();
    await upstream?.close();
  });

  describe('the management API', () => {
    it('is for the service role only: users get 403, anonymous callers 401', async () => {
      const spec = { kind: 'custom', openapi: openApiFor(upstream.url) };
      expect((await manage('PUT', '/sneaky', spec, userToken)).status).toBe(403);
      expect((await manage('GET', '', undefined, userToken)).status).toBe(403);
      expect((await manage('GET', '/calls', undefined, userToken)).status).toBe(403);
      expect((await server.fetch(`/api/apps/${server.appId}/integrations`)).status).toBe(401);
    });

    it('lists integrations with credentials masked, and never returns a credential', async () => {
      const response = await manage('GET', '');
      const text = await response.text();
      expect(text).not.toContain(API_KEY);
      expect(text).not.toContain(SLACK_TOKEN);
      const list = JSON.parse(text) as Rec[];
      expect(list.map((i) => i.slug)).toEqual(['Repos', 'repos', 'slack']);
      expect(list.find((i) => i.slug === 'repos')).toMatchObject({
        kind: 'custom',
        base_url: upstream.url,
        credentials: { headers: { 'X-Api-Key': '********' } },
        operations: expect.arrayContaining(['get:/repos/{owner}/{repo}', 'post:/repos/{owner}/{repo}/issues']),
      });
      expect(list.find((i) => i.slug === 'slack')).toMatchObject({ kind: 'connector', credentials: { access_token: '********' }, connection_config: { team: 'T123' } });
      const one = await manage('GET', '/repos');
      const oneText = await one.text();
      expect(oneText).not.toContain(API_KEY);
      expect(JSON.parse(oneText)).toMatchObject({ slug: 'repos', openapi: { openapi: '3.0.3' } });
    });

    it.skipIf(kind !== 'postgres')('keeps credentials sealed in the database', async () => {
      const sql = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
      try {
        const rows = await sql`SELECT slug, sealed_credentials FROM homebase.app_integrations ORDER BY slug`;
        expect(rows.map((row) => row.slug)).toEqual(['Repos', 'repos', 'slack']);
        const stored = JSON.stringify(rows);
        expect(stored).not.toContain(API_KEY);
        expect(stored).not.toContain(SLACK_TOKEN);
        expect(rows.every((row) => String(row.sealed_credentials).startsWith('v1:'))).toBe(true);
      } finally {
        await sql.end();
      }
    });

    it('refuses an incomplete or malformed integration with a coded 400', async () => {
      for (const spec of [
        { kind: 'custom', base_url: upstream.url },
        { kind: 'custom', openapi: { swagger: '2.0', paths: {} }, base_url: upstream.url },
        { kind: 'connector' },
        { kind: 'custom', openapi: openApiFor(upstream.url), credentials: { headers: { 'Bad Header': 'x' } } },
        { kind: 'webhook' },
      ]) {
        const response = await manage('PUT', '/broken', spec);
        expect(response.status).toBe(400);
        expect(await response.json()).toMatchObject({ code: 'bad_request' });
      }
      expect((await manage('PUT', '/calls', { kind: 'connector', credentials: { access_token: 'x' } })).status).toBe(400);
    });

    it('deletes an integration, after which the app is no longer subscribed to it', async () => {
      await setUp('temporary', { kind: 'connector', credentials: { access_token: 'tmp-token-123' } });
      expect((await server.service.connectors.getConnection('temporary')).accessToken).toBe('tmp-token-123');
      expect((await manage('DELETE', '/temporary')).status).toBe(200);
      expect((await manage('DELETE', '/temporary')).status).toBe(404);
      expectCoded(await failure(server.service.connectors.getConnection('temporary')), [403], ['not_subscribed']);
    });
  });

  describe('the homebase integrations command', () => {
    it('sets an integration from a spec file (its OpenAPI document beside it), lists, traces and deletes it', async () => {
      let output = '';
      const ctx: CliContext = {
        server: async () => ({ url: server.url, appId: server.appId, serviceToken: server.serviceToken }),
        usage: (message) => new Error(message),
        write: (text) => void (output += text),
      };
      const dir = await mkdtemp(path.join(tmpdir(), 'homebase-integrations-'));
      await writeFile(path.join(dir, 'repos.openapi.json'), JSON.stringify(openApiFor(upstream.url)));
      const spec = { kind: 'custom', openapi: 'repos.openapi.json', credentials: { headers: { 'X-Api-Key': 'cli-key-123456' } } };
      await writeFile(path.join(dir, 'spec.json'), JSON.stringify(spec));
      await integrationsCommand(['set', 'from-cli', '--file', path.join(dir, 'spec.json')], ctx);
      expect(output).toBe('Set from-cli (custom, 5 operations)\n');
      output = '';
      await integrationsCommand(['list'], ctx);
      expect(output).toContain(`from-cli  custom  ${upstream.url}  5 operations`);
      expect(output).not.toContain('cli-key-123456');
      await app.integrations.custom.call('from-cli', 'get:/status/{code}', { pathParams: { code: '200' } });
      expect(upstream.last().headers['x-api-key']).toBe('cli-key-123456');
      output = '';
      await integrationsCommand(['calls', 'from-cli'], ctx);
      expect(output).toMatch(/from-cli {2}get:\/status\/\{code\} {2}success 200 {2}\d+ ms\n$/);
      await integrationsCommand(['delete', 'from-cli'], ctx);
      await expect(integrationsCommand(['delete', 'from-cli'], ctx)).rejects.toThrow(/No integration from-cli/);
      await expect(integrationsCommand(['set', 'from-cli'], ctx)).rejects.toThrow(/homebase integrations set/);
      await rm(dir, { recursive: true, force: true });
    });
  });

  describe('custom integrations', () => {
    it('fills path and query parameters and sends the stored credential headers', async () => {
      const answer = await app.integrations.custom.call('repos', 'get:/repos/{owner}/{repo}', {
        pathParams: { owner: 'octo cat', repo: 'hello/world' },
        queryParams: { per_page: 5, label: ['bug', 'ui'] },
      });
      expect(answer).toMatchObject({ success: true, status_code: 200 });
      const request = upstream.last();
      expect(request.method).toBe('GET');
      expect(request.path).toBe('/repos/octo%20cat/hello%2Fworld');
      expect(request.query).toEqual({ per_page: '5', label: ['bug', 'ui'] });
      expect(request.headers['x-api-key']).toBe(API_KEY);
      expect((answer.data as Rec).path).toBe('/repos/octo%20cat/hello%2Fworld');
    });

    it('sends the payload as the JSON body', async () => {
      const answer = await app.integrations.custom.call('repos', 'post:/repos/{owner}/{repo}/issues', {
        pathParams: { owner: 'octo', repo: 'hello' },
        payload: { title: 'Bug', labels: ['ui'] },
      });
      expect(answer).toMatchObject({ success: true, status_code: 201 });
      expect(upstream.last()).toMatchObject({ method: 'POST', path: '/repos/octo/hello/issues', body: { title: 'Bug', labels: ['ui'] } });
      expect(upstream.last().headers['content-type']).toBe('application/json');
    });

    it('answers an upstream error status as success: false, not as an error', async () => {
      const answer = await server.service.integrations.custom.call('repos', 'get:/status/{code}', { pathParams: { code: '404' } });
      expect(answer).toEqual({ success: false, status_code: 404, data: { message: 'answered 404' } });
    });

    it('returns a binary answer base64-encoded', async () => {
      const answer = await app.integrations.custom.call('repos', 'get:/binary');
      expect(answer.success).toBe(true);
      expect(Buffer.from(answer.data as string, 'base64')).toEqual(PNG_BYTES);
    });

    it('answers not_subscribed (403) for an integration the app does not have', async () => {
      const error = await failure(app.integrations.custom.call('github', 'get:/repos/{owner}/{repo}', { pathParams: { owner: 'a', repo: 'b' } }));
      expectCoded(error, [403], ['not_subscribed']);
    });

    it('answers 404 for an operation the document does not describe', async () => {
      expectCoded(await failure(app.integrations.custom.call('repos', 'delete:/repos/{owner}/{repo}')), [404], ['not_found']);
      expectCoded(await failure(app.integrations.custom.call('repos', 'get:/users')), [404], ['not_found']);
    });

    it('answers 400 for a missing path parameter or a malformed operation, without calling the API', async () => {
      const before = upstream.requests.length;
      const missing = await failure(app.integrations.custom.call('repos', 'get:/repos/{owner}/{repo}', { pathParams: { owner: 'octo' } }));
      expectCoded(missing, [400], ['bad_request']);
      expect(missing.message).toContain('repo');
      expectCoded(await failure(app.integrations.custom.call('repos', 'fetch-everything')), [400], ['bad_request']);
      const dots = app.integrations.custom.call('repos', 'get:/repos/{owner}/{repo}', { pathParams: { owner: '..', repo: 'x' } });
      expectCoded(await failure(dots), [400], ['bad_request']);
      expect(upstream.requests.length).toBe(before);
    });

    it('answers 504 when the API does not answer in time, and 502 when it cannot be reached', async () => {
      expectCoded(await failure(app.integrations.custom.call('repos', 'get:/slow')), [504], ['gateway_timeout']);
      await setUp('offline', { kind: 'custom', openapi: openApiFor(await closedPortUrl()) });
      expectCoded(await failure(app.integrations.custom.call('offline', 'get:/slow')), [502], ['upstream_failed']);
    });

    it('is refused to anonymous callers', async () => {
      expectCoded(await failure(server.client().integrations.custom.call('repos', 'get:/slow')), [401], ['unauthorized']);
    });
  });

  describe('installable integration packages', () => {
    it('calls the operation with that operationId and answers the API\'s JSON as it is', async () => {
      const repo = await app.integrations.Repos.getRepo({ owner: 'octo', repo: 'hello', per_page: 3 });
      expect(repo).toMatchObject({ method: 'GET', path: '/repos/octo/hello', query: { per_page: '3' } });
      expect(upstream.last().headers.authorization).toBe(`Bearer ${API_KEY}`);
      const issue = await app.integrations.Repos.createIssue({ owner: 'octo', repo: 'hello', title: 'Bug' });
      expect(issue).toMatchObject({ method: 'POST', path: '/repos/octo/hello/issues', body: { title: 'Bug' } });
    });

    it('turns an API error into a coded 502, and an unknown package into not_subscribed', async () => {
      const error = await failure(app.integrations.Repos.status({ code: '500' }));
      expectCoded(error, [502], ['upstream_failed']);
      expect(error.message).toContain('answered 500');
      expectCoded(await failure(app.integrations.Stripe.createCharge({ amount: 5 })), [403], ['not_subscribed']);
      expectCoded(await failure(app.integrations.Repos.deleteRepo({})), [404], ['not_found']);
    });
  });

  describe('connectors', () => {
    it('hand the service role the provisioned token and connection settings', async () => {
      expect(await server.service.connectors.getConnection('slack')).toEqual({ accessToken: SLACK_TOKEN, connectionConfig: { team: 'T123' } });
      expect(await server.service.connectors.getAccessToken('slack')).toBe(SLACK_TOKEN);
      expect((await server.service.connectors.getWorkspaceConnection('slack')).accessToken).toBe(SLACK_TOKEN);
    });

    it('answer not_subscribed for a connector the app does not have, also for a custom integration of that name', async () => {
      expectCoded(await failure(server.service.connectors.getConnection('googlecalendar')), [403], ['not_subscribed']);
      expectCoded(await failure(server.service.connectors.getConnection('repos')), [403], ['not_subscribed']);
    });

    it('never hand a token to a user or an anonymous caller', async () => {
      const asUser = await server.fetch(`/api/apps/${server.appId}/external-auth/tokens/slack`, { headers: { authorization: `Bearer ${userToken}` } });
      expect(asUser.status).toBe(403);
      expect(await asUser.text()).not.toContain(SLACK_TOKEN);
      expect((await server.fetch(`/api/apps/${server.appId}/external-auth/tokens/slack`)).status).toBe(401);
    });

    it('proxy callApi with the token attached, reporting upstream errors in the answer', async () => {
      const answer = await server.service.connectors.callApi('slack', {
        method: 'POST',
        path: '/chat.postMessage',
        query: { dry_run: true },
        headers: { 'X-Trace': 'abc', Authorization: 'Bearer forged' },
        body: { channel: 'C1', text: 'Shipped' },
      });
      expect(answer).toMatchObject({ success: true, phase: 'responded', status: 201, dataBase64: null, creditsCharged: 0 });
      expect(answer.headers).toEqual({ 'x-ratelimit-remaining': '41' });
      const request = upstream.last();
      expect(request).toMatchObject({ method: 'POST', path: '/slack-api/chat.postMessage', query: { dry_run: 'true' }, body: { channel: 'C1', text: 'Shipped' } });
      expect(request.headers.authorization).toBe(`Bearer ${SLACK_TOKEN}`);
      expect(request.headers['x-trace']).toBe('abc');

      const failed = await server.service.connectors.callApi('slack', { path: '/status/429' });
      expect(failed).toMatchObject({ success: false, phase: 'responded', status: 429, data: { message: 'answered 429' } });
      const late = await server.service.connectors.callApi('slack', { path: '/slow' });
      expect(late).toMatchObject({ success: false, phase: 'timed_out', status: null });
      expectCoded(await failure(server.service.connectors.callApi('slack', { path: 'https://evil.example/x' })), [400], ['bad_request']);
      expectCoded(await failure(server.service.connectors.callApi('zoom', { path: '/x' })), [403], ['not_subscribed']);
    });

    it('answer a coded error for app-user connectors, which Homebase does not run', async () => {
      expectCoded(await failure(server.service.connectors.getCurrentAppUserConnection('conn_1')), [403], ['not_subscribed']);
      expectCoded(await failure(app.connectors.connectAppUser('conn_1')), [403], ['not_subscribed']);
    });
  });

  describe('the call trace', () => {
    it('keeps each call\'s input and output, newest first, without any credential', async () => {
      const calls = await traceOf('repos');
      const text = JSON.stringify(calls);
      expect(text).not.toContain(API_KEY);
      expect(text).toContain('[redacted]');
      const post = calls.find((c) => c.operation === 'post:/repos/{owner}/{repo}/issues')!;
      expect(post).toMatchObject({
        kind: 'custom',
        caller: { kind: 'user', email: 'ada@example.com' },
        input: { payload: { title: 'Bug', labels: ['ui'] }, path_params: { owner: 'octo', repo: 'hello' } },
        output: { success: true, status_code: 201 },
        status_code: 201,
        outcome: 'success',
        duration_ms: expect.any(Number),
      });
      expect(calls.find((c) => c.outcome === 'upstream_error')).toMatchObject({ status_code: 404, caller: { kind: 'service' } });
      expect(calls.find((c) => c.outcome === 'gateway_timeout')).toBeDefined();
      const times = calls.map((c) => c.created_date as string);
      expect([...times].sort().reverse()).toEqual(times);
    });

    it('records refused and connector calls too, never with the token', async () => {
      expect((await traceOf('github'))[0]).toMatchObject({ outcome: 'not_subscribed', kind: 'custom' });
      const slack = await traceOf('slack');
      expect(JSON.stringify(slack)).not.toContain(SLACK_TOKEN);
      expect(slack.find((c) => c.operation === 'get_connection')).toMatchObject({ output: { integration_type: 'slack' } });
      const proxied = slack.find((c) => c.operation === 'call_api POST /slack-api/chat.postMessage')!;
      expect(proxied).toMatchObject({ input: { headers: { Authorization: '********', 'X-Trace': 'abc' } }, status_code: 201 });
      expect(slack.find((c) => c.outcome === 'timed_out')).toBeDefined();
      expect((await traceOf('Repos')).find((c) => c.kind === 'installable' && c.operation === 'getRepo')).toBeDefined();
    });
  });
});
