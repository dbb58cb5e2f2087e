// Realtime benchmark: 1,000 socket.io clients subscribed to one entity (the SDK's protocol), a writer creating records
// at a steady 200/s; event-to-delivery latency (the writer's send time, carried in the record, to receipt) and
// delivered/expected counts. On PostgreSQL also split over two nodes, with every write made on the first.
// `npm run bench [-- --quick] [-- --db pglite|postgres]`; alone: `node --import tsx bench/realtime.ts`.
// Note: the writer, the 1,000 clients (in worker threads, `--client-threads`, 2), the server(s) and the database all
// share this machine's cores.

import http from 'node:http';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ClientThreads, now } from './realtime-clients.js';
import {
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
  scratchDatabase,
} from './support.js';

const { quick: QUICK, databases: DATABASES, flags } = benchArgs({ sockets: '1000', rate: '200', 'client-threads': '2' });
const CLIENT_THREADS = Number(flags['client-threads']);
const SOCKETS = Number(flags.sockets);
const WRITES_PER_SECOND = Number(flags.rate);
const SECONDS = QUICK ? 5 : 10;
const TARGET_P99_MS = 50;
const DRAIN_MS = 10_000;
const ENTITY = { name: 'Tick', type: 'object', properties: { seq: { type: 'number' }, sent_at: { type: 'number' }, phase: { type: 'string' } } };

cleanupOnSignals();

async function benchProject(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-realtime-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'base44', 'entities'), { recursive: true });
  await writeFile(path.join(dir, 'base44', 'config.jsonc'), JSON.stringify({ name: 'Realtime bench' }));
  await writeFile(path.join(dir, 'base44', 'entities', 'tick.jsonc'), JSON.stringify(ENTITY));
  return dir;
}

/** A second node of the same app: a copy of the project with its app id and signing secret. */
async function secondNodeProject(first: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-realtime-b-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await cp(first, dir, { recursive: true, filter: (source) => !source.endsWith('dev.json') });
  return dir;
}

interface Scenario {
  label: string;
  /** Where each client connects, round-robin. */
  urls: string[];
  writer: ServerInfo;
  /** The server processes, for their CPU time. */
  pids: number[];
}

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
async function cpuSeconds(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

interface Outcome {
  label: string;
  sockets: number;
  writes: number;
  failedWrites: number;
  expected: number;
  delivered: number;
  duplicates: number;
  p50: number;
  p99: number;
  max: number;
  writeP99: number;
  /** CPU seconds per 1,000 deliveries: the servers', and this process's (writer and clients). */
  serverCpu: number;
  clientCpu: number;
}

// A bounded keep-alive pool: when the machine falls behind, writes queue here instead of opening ever more connections
// until connecting itself times out (which fetch did, failing writes the server never saw).
const writerAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });

/** Creates one record; answers the HTTP status. */
function createTick(writer: ServerInfo, body: Record<string, unknown>): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${writer.url}/api/apps/${writer.appId}/entities/Tick`,
      { method: 'POST', agent: writerAgent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

async function run(scenario: Scenario): Promise<Outcome> {
  const clients = new ClientThreads(scenario.writer.appId, CLIENT_THREADS);
  const disconnect = onCleanup('disconnect clients', () => clients.close());
  try {
    const connectStart = Date.now();
    await clients.connect(scenario.urls, SOCKETS);
    console.log(`  ${scenario.label}: ${fmtInt(clients.count)} clients connected in ${((Date.now() - connectStart) / 1000).toFixed(1)} s`);
    await clients.ready(async (seq) => {
      await createTick(scenario.writer, { seq, sent_at: now(), phase: 'probe' });
    }, sleep);

    const writes = WRITES_PER_SECOND * SECONDS;
    await clients.reset(writes);
    const serverCpuBefore = (await Promise.all(scenario.pids.map(cpuSeconds))).reduce((a, b) => a + b, 0);
    const clientCpuBefore = process.cpuUsage();
    const interval = 1000 / WRITES_PER_SECOND;
    const writeTimes = new Float64Array(writes);
    let failedWrites = 0;
    const failures = new Map<string, number>();
    const failed = (reason: string) => {
      failedWrites++;
      failures.set(reason, (failures.get(reason) ?? 0) + 1);
    };
    const pending: Promise<void>[] = [];
    const start = now();
    for (let seq = 0; seq < writes; seq++) {
      const due = start + seq * interval;
      const wait = due - now();
      if (wait > 1) await sleep(wait);
      const sentAt = now();
      pending.push(
        createTick(scenario.writer, { seq, sent_at: sentAt, phase: 'measure' }).then(
          (status) => {
            writeTimes[seq] = now() - sentAt;
            if (status !== 201) failed(`HTTP ${status}`);
          },
          (error: Error) => failed(error.message),
        ),
      );
    }
    await Promise.all(pending);
    if (failures.size > 0) console.log(`  ! failed writes: ${[...failures].map(([reason, n]) => `${n}× ${reason}`).join(', ')}`);
    const expected = (writes - failedWrites) * clients.count;
    const drainUntil = Date.now() + DRAIN_MS;
    while ((await clients.tally()).delivered < expected && Date.now() < drainUntil) await sleep(20);
    const { latencies: measured, tally } = await clients.collect();
    if (tally.disconnects > 0) console.log(`  ! the server dropped ${tally.disconnects} clients during the run`);

    const serverCpu = (await Promise.all(scenario.pids.map(cpuSeconds))).reduce((a, b) => a + b, 0) - serverCpuBefore;
    const clientUsage = process.cpuUsage(clientCpuBefore);
    const perThousand = 1000 / Math.max(1, tally.delivered);
    const latencies = measured.sort();
    const writeLatencies = writeTimes.sort();
    return {
      label: scenario.label,
      sockets: clients.count,
      writes,
      failedWrites,
      expected,
      delivered: tally.delivered,
      duplicates: tally.duplicates,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies[latencies.length - 1] ?? NaN,
      writeP99: percentile(writeLatencies, 99),
      serverCpu: serverCpu * perThousand,
      clientCpu: ((clientUsage.user + clientUsage.system) / 1e6) * perThousand,
    };
  } finally {
    await disconnect();
  }
}

async function startNode(projectDir: string, databaseUrl: string, label: string) {
  const { child, info } = await startHomebase(projectDir, databaseUrl);
  console.log(`  ${label}: ${info.url} (app ${info.appId}, pid ${child.process.pid})`);
  return { child, info };
}

async function benchPglite(): Promise<Outcome[]> {
  const project = await benchProject();
  const node = await startNode(project, 'memory://', 'server on PGlite (in memory)');
  try {
    return [await run({ label: 'PGlite, one node', urls: [node.info.url], writer: node.info, pids: [node.child.process.pid!] })];
  } finally {
    reportProblems(node.child);
    await node.child.stop();
  }
}

async function benchPostgres(): Promise<Outcome[] | string> {
  const server = await postgresVersion();
  if ('skipped' in server) return server.skipped;
  const { url, drop } = await scratchDatabase('homebase_bench_rt');
  try {
    const project = await benchProject();
    const first = await startNode(project, url, `node A on PostgreSQL ${server.version}`);
    try {
      const outcomes = [
        await run({ label: 'PostgreSQL, one node', urls: [first.info.url], writer: first.info, pids: [first.child.process.pid!] }),
      ];
      const second = await startNode(await secondNodeProject(project), url, 'node B, same database and app');
      try {
        outcomes.push(
          await run({
            label: 'PostgreSQL, two nodes',
            urls: [first.info.url, second.info.url],
            writer: first.info,
            pids: [first.child.process.pid!, second.child.process.pid!],
          }),
        );
      } finally {
        reportProblems(second.child);
        await second.child.stop();
      }
      return outcomes;
    } finally {
      reportProblems(first.child);
      await first.child.stop();
    }
  } finally {
    await drop();
  }
}

function reportProblems(child: Parameters<typeof serverProblems>[0]): void {
  const problems = serverProblems(child, { stdout: 0, stderr: 0 });
  for (const line of problems.slice(0, 8)) console.log(`  ! server logged: ${line}`);
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `Realtime: ${fmtInt(SOCKETS)} subscribed clients, ${WRITES_PER_SECOND} writes/s for ${SECONDS} s` +
      `${QUICK ? ' (--quick)' : ''}; load average ${loadAverage()}`,
  );
  const outcomes: Outcome[] = [];
  const skipped: string[] = [];
  for (const kind of DATABASES) {
    console.log(`\n${kind === 'pglite' ? 'PGlite' : 'PostgreSQL'}`);
    const result = kind === 'pglite' ? await benchPglite() : await benchPostgres();
    if (typeof result === 'string') skipped.push(`PostgreSQL skipped: ${result}`);
    else outcomes.push(...result);
  }

  console.log('\n================================ Realtime results ================================');
  console.log(`2 cores shared by the writer, ${fmtInt(SOCKETS)} clients, the server(s) and the database; latency = write sent → event received.\n`);
  const rows = [
    ['scenario', 'delivered / expected', 'lost', 'dup', 'p50 ms', 'p99 ms', 'max ms', 'write p99 ms', 'CPU ms/1k srv|cli', `p99 < ${TARGET_P99_MS} ms, 0 lost`],
  ];
  for (const o of outcomes) {
    const lost = o.expected - o.delivered;
    rows.push([
      o.label,
      `${fmtInt(o.delivered)} / ${fmtInt(o.expected)}`,
      fmtInt(lost),
      fmtInt(o.duplicates),
      fmtMs(o.p50),
      fmtMs(o.p99),
      fmtMs(o.max),
      fmtMs(o.writeP99),
      `${fmtMs(o.serverCpu * 1000)} | ${fmtMs(o.clientCpu * 1000)}`,
      o.p99 < TARGET_P99_MS && lost === 0 && o.duplicates === 0 && o.failedWrites === 0 ? 'PASS' : 'MISS',
    ]);
    if (o.failedWrites > 0) console.log(`  ! ${o.label}: ${o.failedWrites} of ${o.writes} writes failed`);
  }
  console.log(table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']));
  for (const line of skipped) console.log(`  ${line}`);
  console.log(`\nTotal time ${((Date.now() - started) / 1000).toFixed(0)} s; load average at end: ${loadAverage()}`);
}

await runBench(main);
