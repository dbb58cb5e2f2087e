// Automations benchmark: how long an entity change takes from its commit (the record's created_date, set in the
// writing transaction) to the start of the function its automation calls (Date.now() in Deno, same machine clock),
// one write at a time (p50/p99); then the time to deliver the automations of 1,000 creates made at once.
// `npm run bench [-- --quick] [-- --db pglite|postgres]`; alone: `node --import tsx bench/automations.ts`.
// Default automation settings (8 deliveries at once per node). Writer, server, Deno and database share this machine.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cacheModules } from '../src/functions/index.js';
import {
  ROOT,
  ServerInfo,
  cleanupOnSignals,
  fmtInt,
  fmtMs,
  loadAverage,
  onCleanup,
  percentile,
  postgresVersion,
  runBench,
  serverProblems,
  sleep,
  startHomebase,
  table,
  benchArgs,
  DbKind,
  scratchDatabase,
} from './support.js';

const { quick: QUICK, databases: DATABASES } = benchArgs();
const SEQUENTIAL = QUICK ? 50 : 200;
const BURST = 1000;
const BURST_BATCH = 100;
const SDK = 'npm:@base44/sdk@0.8';
const DENO_DIR = path.join(ROOT, 'node_modules/.cache/homebase-deno');
const CA_CERT_FILE = process.env.DENO_CERT ?? process.env.NODE_EXTRA_CA_CERTS;
const DELIVERY_TIMEOUT_MS = 120_000;

// The function notes when it started, and for which record, in its log; it does nothing else.
const HIT = `Deno.serve(async (req) => {
  const started = Date.now();
  const { event } = await req.json();
  console.log(JSON.stringify({ id: event.entity_id, started }));
  return Response.json({ ok: true });
});
`;

async function benchProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-automations-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'base44/entities'), { recursive: true });
  await mkdir(path.join(dir, 'base44/functions/hit'), { recursive: true });
  await writeFile(path.join(dir, 'base44/config.jsonc'), JSON.stringify({ name: 'Automations bench' }));
  await writeFile(path.join(dir, 'base44/entities/item.jsonc'), JSON.stringify({ name: 'Item', type: 'object', properties: { n: { type: 'number' } } }));
  await writeFile(path.join(dir, 'base44/functions/hit/entry.ts'), HIT);
  await writeFile(
    path.join(dir, 'base44/functions/hit/function.jsonc'),
    JSON.stringify({ name: 'hit', entry: 'entry.ts', automations: [{ name: 'On item', type: 'entity', entity_name: 'Item', event_types: ['create'] }] }),
  );
  return dir;
}

class Api {
  private seq = 0;

  constructor(private readonly info: ServerInfo) {}

  async call<T>(method: string, apiPath: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.info.url}/api/apps/${this.info.appId}/${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${this.info.serviceToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  }

  /** Function starts logged since the last call, by record id. */
  async starts(): Promise<Map<string, number>> {
    const found = new Map<string, number>();
    for (;;) {
      const lines = await this.call<{ message: string; seq: number }[]>('GET', `functions-mgmt/hit/logs?order=asc&limit=1000&after=${this.seq}`);
      for (const line of lines) {
        this.seq = line.seq;
        if (!line.message.startsWith('{')) continue;
        const { id, started } = JSON.parse(line.message) as { id: string; started: number };
        found.set(id, started);
      }
      if (lines.length < 1000) return found;
    }
  }

  async openRuns(): Promise<number> {
    const { automations } = await this.call<{ automations: { name: string; open_runs: number }[] }>('GET', 'automations');
    return automations.find((a) => a.name === 'On item')!.open_runs;
  }
}

// Records come back with created_date in UTC without a zone (Base44's form), to the microsecond.
const committedAt = (record: { created_date: string }) => Date.parse(`${record.created_date.slice(0, 23)}Z`) + Number(`0.${record.created_date.slice(23, 26) || '0'}`);

interface Outcome {
  label: string;
  p50: number;
  p99: number;
  max: number;
  burstMs: number;
  burstLastStartMs: number;
  delivered: number;
}

async function run(label: string, info: ServerInfo): Promise<Outcome> {
  const api = new Api(info);
  // Warm-up: the function's process starts on the first delivery.
  await api.call('POST', 'entities/Item', { n: -1 });
  while ((await api.starts()).size === 0) await sleep(100);

  const commits = new Map<string, number>();
  for (let n = 0; n < SEQUENTIAL; n++) {
    const record = await api.call<{ id: string; created_date: string }>('POST', 'entities/Item', { n });
    commits.set(record.id, committedAt(record));
    await sleep(20);
  }
  const starts = new Map<string, number>();
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (starts.size < SEQUENTIAL && Date.now() < deadline) {
    for (const [id, started] of await api.starts()) if (commits.has(id)) starts.set(id, started);
    if (starts.size < SEQUENTIAL) await sleep(200);
  }
  const latencies = Float64Array.from([...starts].map(([id, started]) => started - commits.get(id)!)).sort();

  const burstStarted = Date.now();
  const created: string[] = [];
  await Promise.all(
    Array.from({ length: BURST / BURST_BATCH }, async (_, batch) => {
      const records = await api.call<{ id: string }[]>('POST', 'entities/Item/bulk', Array.from({ length: BURST_BATCH }, (_, i) => ({ n: batch * BURST_BATCH + i })));
      created.push(...records.map((r) => r.id));
    }),
  );
  const wanted = new Set(created);
  const burstStarts = new Map<string, number>();
  let burstMs = 0;
  while (Date.now() - burstStarted < DELIVERY_TIMEOUT_MS) {
    for (const [id, started] of await api.starts()) if (wanted.has(id)) burstStarts.set(id, started);
    if (burstStarts.size === BURST && (await api.openRuns()) === 0) {
      burstMs = Date.now() - burstStarted;
      break;
    }
    await sleep(50);
  }
  const delivered = burstStarts.size;
  const lastStart = Math.max(...burstStarts.values());
  return {
    label,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1],
    burstMs,
    burstLastStartMs: lastStart - burstStarted,
    delivered,
  };
}

async function onDatabase(kind: DbKind): Promise<Outcome | string> {
  let databaseUrl = 'memory://';
  if (kind === 'postgres') {
    const server = await postgresVersion();
    if ('skipped' in server) return server.skipped;
    databaseUrl = (await scratchDatabase('homebase_bench_auto')).url;
  }
  const { child, info } = await startHomebase(await benchProject(), databaseUrl, { HOMEBASE_DENO_DIR: DENO_DIR });
  try {
    return await run(kind === 'pglite' ? 'PGlite (in memory)' : 'PostgreSQL', info);
  } finally {
    for (const line of serverProblems(child, { stdout: 0, stderr: 0 }).slice(0, 8)) console.log(`  ! server logged: ${line}`);
    await child.stop();
  }
}

async function main(): Promise<void> {
  cleanupOnSignals();
  console.log(`# Automations benchmark${QUICK ? ' (quick)' : ''}\nload average before: ${loadAverage()}`);
  const cached = await cacheModules(DENO_DIR, [SDK], CA_CERT_FILE);
  if (!cached.ok) throw new Error(`could not cache ${SDK}:\n${cached.output}`);
  const outcomes: Outcome[] = [];
  for (const kind of DATABASES) {
    const outcome = await onDatabase(kind);
    if (typeof outcome === 'string') console.log(`\n${kind}: skipped (${outcome})`);
    else outcomes.push(outcome);
  }
  console.log(`\n## Commit to function start, ${SEQUENTIAL} creates one at a time (ms)\n`);
  console.log(
    table(
      [['database', 'p50', 'p99', 'max'], ...outcomes.map((o) => [o.label, fmtMs(o.p50), fmtMs(o.p99), fmtMs(o.max)])],
      ['l', 'r', 'r', 'r'],
    ),
  );
  console.log(`\n## ${fmtInt(BURST)} creates at once (${BURST / BURST_BATCH} bulk requests of ${BURST_BATCH}): time until every run succeeded\n`);
  console.log(
    table(
      [
        ['database', 'all runs done ms', 'last function start ms', 'deliveries/s', 'delivered'],
        ...outcomes.map((o) => [o.label, fmtInt(o.burstMs), fmtInt(o.burstLastStartMs), fmtInt((BURST / o.burstMs) * 1000), `${o.delivered}/${BURST}`]),
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  console.log(`\nload average after: ${loadAverage()}`);
  if (outcomes.some((o) => o.delivered !== BURST)) process.exitCode = 1;
}

void runBench(main);
