// Automations survive a server killed with SIGKILL (with its Deno processes, as a machine crash would): a change
// committed but never queued, runs queued behind a delivery, deliveries and a schedule tick cut off midway, and a tick
// that fell due while the server was down all run after the restart, with one function call per attempt the run
// records. Both databases; the PGlite run restarts on the same data folder. One scenario per database, since every
// start of a server costs seconds.

import { ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClient } from '@base44/sdk';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AUTOMATIONS_APP, eventually } from '../support/automations.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import type { Rec } from '../support/sdk.js';
import { createTestDatabase, databases, REPO_ROOT } from '../support/server.js';

const SCRIPT = path.join(REPO_ROOT, 'test/support/dev-process.ts');
const LEASE_SECONDS = 1;
const started = new Set<ChildProcess>();

interface Node {
  child: ChildProcess;
  url: string;
  appId: string;
  serviceToken: string;
  service: ReturnType<typeof createClient>['asServiceRole'];
}

/** Starts a server in its own process group, so that a SIGKILL to the group takes its Deno processes too. */
async function startNode(projectDir: string, databaseUrl: string | undefined, { automations = {}, watch = false } = {}): Promise<Node> {
  const config = {
    projectDir,
    databaseUrl,
    port: 0,
    watch,
    logLevel: 'silent',
    functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE, timeoutMs: 30_000 },
    automations: { pollSeconds: 0.2, leaseSeconds: LEASE_SECONDS, retryBaseSeconds: 0.1, retryMaxSeconds: 0.2, ...automations },
  };
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
    cwd: REPO_ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let output = '';
  const ready = await new Promise<{ url: string; appId: string; serviceToken: string }>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = /^READY (.*)$/m.exec(output);
      if (line) resolve(JSON.parse(line[1]));
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
  const client = createClient({ serverUrl: ready.url, appId: ready.appId, serviceToken: ready.serviceToken, analytics: { enabled: false } } as Parameters<
    typeof createClient
  >[0]);
  return { child, ...ready, service: client.asServiceRole };
}

async function kill(child: ChildProcess): Promise<void> {
  started.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(-child.pid!, 'SIGKILL');
  await exited;
}

describe.each(databases())('on %s, automations after a crash', (kind) => {
  const cleanup: (() => Promise<void>)[] = [];
  const api = async (target: Node, method: string, apiPath: string, body?: unknown) => {
    const response = await fetch(`${target.url}/api/apps/${target.appId}/${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${target.serviceToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as Rec;
  };
  const runs = async (target: Node, name: string) => (await api(target, 'GET', `automations/${encodeURIComponent(name)}/runs`)).runs as Rec[];
  const calls = async (target: Node, filter: Rec) => (await target.service.entities.Call.filter(filter, 'created_date')) as Rec[];
  const attempts = async (target: Node, run: Rec) => ((await api(target, 'GET', `automation-runs/${run.id}`)).attempts as Rec[]).map((a) => a.status);
  /** Adds an automation to a function.jsonc of the project (the watching server redeploys it). */
  const declare = async (projectDir: string, functionName: string, automation: Rec) => {
    const file = path.join(projectDir, 'base44/functions', functionName, 'function.jsonc');
    const config = JSON.parse((await readFile(file, 'utf8')).replace(/^\/\/.*$/gm, '')) as { automations: Rec[] };
    config.automations.push(automation);
    await writeFile(file, JSON.stringify(config));
  };

  beforeAll(async () => {
    await warmDenoCache();
  });

  afterEach(async () => {
    await Promise.all([...started].map(kill));
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('every change, delivery and tick cut off by SIGKILL runs after the restart, once per recorded attempt', { timeout: 300_000 }, async () => {
    const projectDir = await mkdtemp(path.join(tmpdir(), 'homebase-crash-'));
    cleanup.push(() => rm(projectDir, { recursive: true, force: true }));
    await cp(AUTOMATIONS_APP, projectDir, { recursive: true });
    let databaseUrl: string | undefined;
    if (kind === 'postgres') {
      const database = await createTestDatabase();
      cleanup.push(database.drop);
      databaseUrl = database.url;
    }

    // 1. A change commits on a node whose automations are off, so nothing has queued it when the node dies.
    let node = await startNode(projectDir, databaseUrl, { automations: { enabled: false } });
    const order = (await node.service.entities.Order.create({ title: 'Committed, then crash' })) as Rec;
    await kill(node.child);

    // 2. Next life: the change is delivered. Then a record's create hangs in delivery with its update queued behind
    // it, a schedule tick hangs in delivery, and another tick is due just after the kill.
    node = await startNode(projectDir, databaseUrl, { watch: true });
    const second = node;
    const slow = (await node.service.entities.Slow.create({ label: 'hangs' })) as Rec;
    await node.service.entities.Slow.update(slow.id as string, { label: 'queued behind' });
    const tick = new Date(Date.now() + 4000).toISOString();
    await declare(projectDir, 'hang', { name: 'Tick', type: 'scheduled', schedule_mode: 'one-time', one_time_date: tick, function_args: { key: 'tick' } });
    const later = new Date(Date.now() + 9000).toISOString();
    await declare(projectDir, 'record', { name: 'Later', type: 'scheduled', schedule_mode: 'one-time', one_time_date: later, function_args: { key: 'later' } });
    await eventually(
      async () => ({
        order: await calls(second, { fn: 'record', entity_id: order.id }),
        slow: await calls(second, { fn: 'hang', entity_id: slow.id }),
        tick: await calls(second, { fn: 'hang', entity_id: 'tick' }),
        queued: await runs(second, 'Slow changes'),
        later: ((await api(second, 'GET', 'automations')).automations as Rec[]).find((a) => a.name === 'Later'),
      }),
      (seen) => seen.order.length === 1 && seen.slow.length === 1 && seen.tick.length === 1 && seen.queued.length === 2 && !!seen.later?.next_run_date,
    );
    expect(Date.now()).toBeLessThan(Date.parse(later));
    await kill(node.child);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(later) - Date.now() + 200)));

    // 3. Last life: everything finishes; a run cut off midway shows a lost attempt and one more call.
    node = await startNode(projectDir, databaseUrl);
    const third = node;
    const finished = async (name: string, count: number) =>
      eventually(
        () => runs(third, name),
        (list) => list.length === count && list.every((r) => r.status === 'succeeded'),
      );
    const [orderRun] = await finished('Order changes', 1);
    expect(await attempts(node, orderRun)).toEqual(['succeeded']);
    expect(await calls(node, { fn: 'record', entity_id: order.id })).toHaveLength(1);

    const [updateRun, createRun] = await finished('Slow changes', 2);
    expect(await attempts(node, createRun)).toEqual(['lost', 'succeeded']);
    expect(await attempts(node, updateRun)).toEqual(['succeeded']);
    const slowCalls = await calls(node, { fn: 'hang', entity_id: slow.id });
    expect(slowCalls.map((c) => (c.body as { event: Rec }).event.type)).toEqual(['create', 'create', 'update']);

    const [tickRun] = await finished('Tick', 1);
    expect(tickRun.tick).toBe(tick.replace('Z', '000Z'));
    expect(await attempts(node, tickRun)).toEqual(['lost', 'succeeded']);
    expect(await calls(node, { fn: 'hang', entity_id: 'tick' })).toHaveLength(2);

    const [laterRun] = await finished('Later', 1);
    expect(laterRun).toMatchObject({ trigger: 'schedule', tick: later.replace('Z', '000Z'), missed_since: null });
    expect(await attempts(node, laterRun)).toEqual(['succeeded']);
    expect(await calls(node, { fn: 'record', 'body.key': 'later' })).toHaveLength(1);
  });
});
