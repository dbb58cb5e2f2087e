// Automations from function.jsonc on real Deno functions, on both databases: entity changes from every write path
// reach the function with Base44's payload, in order per record; failures retry then die without holding others up;
// schedules tick; operators list, pause, resume, run now and read runs through the API and `homebase automations`.

import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { automationsCommand } from '../../src/cli/automations.js';
import type { CliContext } from '../../src/cli/functions.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import { AUTOMATIONS_APP, eventually } from '../support/automations.js';
import type { Rec } from '../support/sdk.js';
import { databases, startTestServer, TestServer } from '../support/server.js';

const CONFIG = {
  functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE, timeoutMs: 10_000 },
  automations: { pollSeconds: 0.2, retryBaseSeconds: 0.1, retryMaxSeconds: 0.3, maxAttempts: 3, minIntervalSeconds: 120, leaseSeconds: 5 },
};

describe.each(databases())('on %s, automations', (kind) => {
  let server: TestServer;
  const calls = async (filter: Rec) => (await server.service.entities.Call.filter(filter, 'created_date', 1000)) as Rec[];
  const api = async (method: string, apiPath: string) => {
    const response = await server.fetch(`/api/apps/${server.appId}/${apiPath}`, { method, headers: { authorization: `Bearer ${server.serviceToken}` } });
    return { status: response.status, body: (await response.json()) as Rec };
  };
  const runs = async (name: string, query = '') => (await api('GET', `automations/${encodeURIComponent(name)}/runs${query}`)).body.runs as Rec[];

  beforeAll(async () => {
    await warmDenoCache();
    server = await startTestServer(kind, AUTOMATIONS_APP, { config: CONFIG });
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it("delivers an Order's create, update and delete with Base44's payload, as the service role and no user", async () => {
    const order = (await server.service.entities.Order.create({ title: 'Lamp' })) as Rec;
    const updated = (await server.service.entities.Order.update(order.id as string, { status: 'paid' })) as Rec;
    await server.service.entities.Order.delete(order.id as string);
    const received = await eventually(
      () => calls({ fn: 'record', entity_id: order.id }),
      (list) => list.length === 3,
    );
    expect(received.map((c) => c.body)).toEqual([
      { source: 'trigger', event: { type: 'create', entity_name: 'Order', entity_id: order.id }, data: order, old_data: null, payload_too_large: false },
      { source: 'trigger', event: { type: 'update', entity_name: 'Order', entity_id: order.id }, data: updated, old_data: order, payload_too_large: false },
      { source: 'trigger', event: { type: 'delete', entity_name: 'Order', entity_id: order.id }, data: updated, old_data: null, payload_too_large: false },
    ]);
    expect(received[0].identity).toEqual({ authorization: null, hasServiceToken: true, appId: server.appId, me: 'rejected 401' });
  });

  it('fires for every write path: bulk writes, updateMany, upsert, import, deleteMany and writes made by functions', async () => {
    const tag = `bulk-${kind}`;
    const created = (await server.service.entities.Order.bulkCreate([{ title: tag }, { title: tag }])) as Rec[];
    await server.service.entities.Order.bulkUpdate(created.map((r) => ({ id: r.id as string, notes: 'bulk' })));
    await server.service.entities.Order.updateMany({ title: tag }, { $set: { status: 'shipped' } });
    await server.service.entities.Order.upsert([{ title: `${tag}-upsert` }], { key: 'title' });
    const file = new File([JSON.stringify([{ title: `${tag}-import` }])], 'orders.json', { type: 'application/json' });
    await server.service.entities.Order.importEntities(file);
    await server.service.entities.Order.deleteMany({ title: tag });
    const invoked = (await server.client().functions.invoke('record', { spawn: `${tag}-function` })) as unknown as { status: number };
    expect(invoked.status).toBe(200);

    const events = await eventually(
      () => calls({ fn: 'record', 'body.source': 'trigger', 'body.data.title': { $regex: `^${tag}` } }),
      (list) => list.length === 11,
    );
    const seen = events.map((c) => {
      const body = c.body as { event: Rec; data: Rec };
      return `${body.event.type} ${body.data.title}`;
    });
    expect(seen.sort()).toEqual(
      [
        `create ${tag}`,
        `create ${tag}`,
        `update ${tag}`,
        `update ${tag}`,
        `update ${tag}`,
        `update ${tag}`,
        `create ${tag}-upsert`,
        `create ${tag}-import`,
        `delete ${tag}`,
        `delete ${tag}`,
        `create ${tag}-function`,
      ].sort(),
    );
  });

  it('leaves the record out of the payload above 200 KB, saying payload_too_large', async () => {
    const order = (await server.service.entities.Order.create({ title: 'Big', notes: 'x'.repeat(210 * 1024) })) as Rec;
    const [call] = await eventually(
      () => calls({ fn: 'record', entity_id: order.id }),
      (list) => list.length === 1,
    );
    expect(call.body).toEqual({ source: 'trigger', event: { type: 'create', entity_name: 'Order', entity_id: order.id }, data: null, old_data: null, payload_too_large: true });
  });

  it("delivers one record's changes in commit order, one at a time", async () => {
    const step = (await server.service.entities.Step.create({ n: 0 })) as Rec;
    for (let n = 1; n <= 5; n++) await server.service.entities.Step.update(step.id as string, { n });
    const received = await eventually(
      () => calls({ fn: 'sequence', entity_id: step.id }),
      (list) => list.length === 6,
    );
    expect(received.map((c) => c.n)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('retries failures with backoff until they succeed, or marks the run dead; other automations are not held up', async () => {
    const alarm = (await server.service.entities.Alarm.create({ label: 'smoke' })) as Rec;
    const order = (await server.service.entities.Order.create({ title: 'Meanwhile' })) as Rec;
    await eventually(
      () => calls({ fn: 'record', entity_id: order.id }),
      (list) => list.length === 1,
    );

    const [flaky] = await eventually(
      () => runs('Flaky alarm'),
      (list) => list[0]?.status === 'succeeded',
    );
    expect(flaky).toMatchObject({ trigger: 'entity', attempt: 3, error: null, http_status: 200, event: { type: 'create', entity_name: 'Alarm', entity_id: alarm.id } });
    const detail = (await api('GET', `automation-runs/${flaky.id}`)).body;
    expect((detail.attempts as Rec[]).map((a) => [a.attempt, a.status, a.http_status])).toEqual([
      [1, 'failed', 503],
      [2, 'failed', 503],
      [3, 'succeeded', 200],
    ]);
    expect((detail.attempts as Rec[])[0].error).toBe('HTTP 503: {"error":"not yet (call 1)"}');
    const lines = (await api('GET', `functions-mgmt/flaky/logs?invocation_id=${flaky.invocation_id}`)).body as unknown as Rec[];
    expect(lines.map((l) => l.message)).toContain('flaky: call 3');

    const [dead] = await eventually(
      () => runs('Failing alarm'),
      (list) => list[0]?.status === 'dead',
    );
    expect(dead).toMatchObject({ attempt: 3, http_status: 500, error: 'HTTP 500: {"error":"fail always fails"}' });
    expect(await calls({ fn: 'fail', entity_id: alarm.id })).toHaveLength(3);
    const invocations = (await api('GET', `functions-mgmt/fail/invocations?id=${dead.invocation_id}`)).body.invocations as Rec[];
    expect(invocations[0]).toMatchObject({ status: 500, outcome: 'error', caller: { kind: 'automation', name: 'Failing alarm' } });
  });

  it('lists every automation with its state and next run; broken ones say why and never run', async () => {
    const { status, body } = await api('GET', 'automations');
    expect(status).toBe(200);
    const list = body.automations as Rec[];
    const named = (name: string, fn?: string) => list.find((a) => a.name === name && (!fn || a.function_name === fn))!;
    expect(named('Order changes')).toMatchObject({
      function_name: 'record',
      type: 'entity',
      is_active: true,
      entity_name: 'Order',
      event_types: ['create', 'update', 'delete'],
      function_args: { source: 'trigger' },
    });
    expect((named('Order changes').last_run as Rec).status).toBe('succeeded');
    const every5 = named('Every 5 minutes');
    expect(every5).toMatchObject({ type: 'scheduled', is_active: true, schedule: { mode: 'cron', expression: '*/5 * * * *', ends: { type: 'never' } } });
    expect(new Date(every5.next_run_date as string).getUTCMinutes() % 5).toBe(0);
    expect(named('Too often')).toMatchObject({ function_name: 'broken', is_active: false, problem: 'every 1 minutes is more often than the minimum interval of 2 minutes' });
    expect(named('Paused by default')).toMatchObject({ is_active: false, declared_active: false, last_run: null, open_runs: 0 });
    expect(named('Nightly', 'nightly-a').schedule).toEqual({ mode: 'simple', unit: 'days', interval: 1, startMinute: 180, ends: { type: 'never' } });
    expect(named('Nightly', 'nightly-b').next_run_date).toMatch(/T03:00:00\.000Z$/);
    expect(await calls({ fn: 'broken' })).toEqual([]);
  });

  it("a paused automation's changes wait, in order, and are delivered when it resumes", async () => {
    expect((await api('POST', 'automations/Order%20changes/pause')).body).toEqual({ name: 'Order changes', function_name: 'record', is_active: false });
    const during = (await server.service.entities.Order.create({ title: 'While paused' })) as Rec;
    await server.service.entities.Order.update(during.id as string, { status: 'paid' });
    const step = (await server.service.entities.Step.create({ n: 10 })) as Rec;
    await eventually(
      () => calls({ fn: 'sequence', entity_id: step.id }),
      (list) => list.length === 1,
    );
    // The other automation's later change went through; these two are held.
    const held = (await runs('Order changes', '?limit=2')).filter((r) => (r.event as Rec).entity_id === during.id);
    expect(held.map((r) => [r.status, r.attempt, (r.event as Rec).type])).toEqual([
      ['queued', 0, 'update'],
      ['queued', 0, 'create'],
    ]);
    expect(await calls({ fn: 'record', entity_id: during.id })).toEqual([]);

    expect((await api('POST', 'automations/Order%20changes/resume')).body).toMatchObject({ is_active: true });
    const delivered = await eventually(
      () => calls({ fn: 'record', entity_id: during.id }),
      (list) => list.length === 2,
    );
    expect(delivered.map((c) => (c.body as { event: Rec }).event.type)).toEqual(['create', 'update']);
  });

  it('runs a schedule now with its function_args; a name two functions use needs the function', async () => {
    const { body } = await api('POST', 'automations/Every%205%20minutes/run');
    expect(body.run).toMatchObject({ trigger: 'manual', automation: 'Every 5 minutes', function_name: 'record', tick: null });
    const [run] = await eventually(
      () => runs('Every 5 minutes', '?trigger=manual'),
      (list) => list[0]?.status === 'succeeded',
    );
    expect(run.id).toBe((body.run as Rec).id);
    // The schedule itself may also have ticked meanwhile (every 5 minutes): its calls look the same.
    expect((await calls({ fn: 'record', 'body.kind': 'cron' })).map((c) => c.body)).toContainEqual({ kind: 'cron' });

    const ambiguous = await api('POST', 'automations/Nightly/run');
    expect(ambiguous.status).toBe(409);
    expect(ambiguous.body.message).toBe('2 functions declare an automation named Nightly (nightly-a, nightly-b): name the function too');
    expect((await api('POST', 'automations/Nightly/run?function=nightly-b')).status).toBe(200);
    const [nightly] = await eventually(
      () => calls({ fn: 'nightly-b' }),
      (list) => list.length === 1,
    );
    expect(nightly.body).toEqual({ from: 'b' });

    expect((await api('POST', 'automations/Order%20changes/run')).status).toBe(400);
    expect((await api('POST', 'automations/Too%20often/run')).body.message).toMatch(/^Automation Too often of broken cannot run: every 1 minutes/);
    expect((await api('GET', 'automations/Nope/runs')).status).toBe(404);
    const { token } = await server.signUp(`user-${kind}@example.com`);
    const asUser = await server.fetch(`/api/apps/${server.appId}/automations`, { headers: { authorization: `Bearer ${token}` } });
    expect(asUser.status).toBe(403);
  });

  it('fires a one-time schedule at its date, and the function it runs can write records that fire automations', async () => {
    const config = path.join(server.projectDir, 'base44/functions/record/function.jsonc');
    const declared = JSON.parse((await readFile(config, 'utf8')).replace(/^\/\/.*$/gm, '')) as { automations: Rec[] };
    const at = new Date(Date.now() + 1500).toISOString();
    declared.automations.push({
      name: 'Once',
      type: 'scheduled',
      schedule_mode: 'one-time',
      one_time_date: at,
      function_args: { kind: 'once', spawn: `Scheduled order ${kind}` },
    });
    await writeFile(config, JSON.stringify(declared));
    await server.reloadFunctions();

    const [run] = await eventually(
      () => runs('Once'),
      (list) => list[0]?.status === 'succeeded',
    );
    expect(run).toMatchObject({ trigger: 'schedule', tick: at.replace('Z', '000Z'), missed_since: null, attempt: 1 });
    const spawned = await eventually(
      () => calls({ fn: 'record', 'body.data.title': `Scheduled order ${kind}` }),
      (list) => list.length === 1,
    );
    expect((spawned[0].body as Rec & { event: Rec }).event.type).toBe('create');
    expect((await api('GET', 'automations')).body.automations).toContainEqual(expect.objectContaining({ name: 'Once', next_run_date: null }));
  });

  it.runIf(kind === 'postgres')('two nodes on one database share the work and deliver each change once', async () => {
    const other = await startTestServer(kind, AUTOMATIONS_APP, { joining: server, config: CONFIG });
    try {
      const nodes = [server, other];
      await Promise.all(Array.from({ length: 20 }, (_, i) => nodes[i % 2].service.entities.Order.create({ title: `two-nodes-${i}` })));
      const received = await eventually(
        () => calls({ fn: 'record', 'body.source': 'trigger', 'body.data.title': { $regex: '^two-nodes-' } }),
        (list) => list.length >= 20,
      );
      expect(received).toHaveLength(20);
      expect(new Set(received.map((c) => c.entity_id)).size).toBe(20);
    } finally {
      await other.close();
    }
  });

  it('homebase automations list, runs --logs, pause, resume and run', async () => {
    let output = '';
    const ctx: CliContext = {
      server: async () => ({ url: server.url, appId: server.appId, serviceToken: server.serviceToken }),
      usage: (message) => new Error(message),
      write: (text) => {
        output += text;
      },
    };
    const cli = async (...args: string[]) => {
      output = '';
      await automationsCommand(args, ctx);
      return output;
    };
    const listed = await cli('list');
    expect(listed).toContain('Order changes  (record, entity, active)  on Order create/update/delete');
    expect(listed).toContain('Every 5 minutes  (record, scheduled, active)  cron "*/5 * * * *" UTC; next ');
    expect(listed).toContain('Nightly  (nightly-a, scheduled, active)  every 1 days at 03:00 UTC; next ');
    expect(listed).toContain('Too often  (broken, scheduled, broken)  cannot run: every 1 minutes');
    expect(await cli('pause', 'Nightly', '--function', 'nightly-a')).toBe('Nightly (nightly-a) is paused\n');
    expect(await cli('resume', 'Nightly', '--function', 'nightly-a')).toBe('Nightly (nightly-a) is active\n');
    expect(await cli('run', 'Every 5 minutes')).toMatch(/^Queued run [a-f0-9]{24} of Every 5 minutes/);
    await eventually(
      () => runs('Every 5 minutes', '?status=queued'),
      (list) => list.length === 0,
    );
    await eventually(
      () => runs('Every 5 minutes', '?status=running'),
      (list) => list.length === 0,
    );
    const history = await cli('runs', 'Every 5 minutes', '--logs', '--limit', '1');
    expect(history).toMatch(/^[a-f0-9]{24} {2}succeeded attempt 1 {2}started \S+ \d+ ms {2}(run now|tick \S+)\n/);
    expect(history).toContain('info    record: scheduled');
    await expect(cli('run', 'Nightly')).rejects.toThrow('name the function too');
  });
});
