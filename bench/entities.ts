// Entities API benchmark: Homebase over HTTP (autocannon) against a bare Fastify ceiling and the raw database driver.
// `npm run bench [-- --quick] [-- --db pglite|postgres]`. Everything it starts or creates is removed on exit, even on failure.
// Note: the benchmark client, the server and the database all share this machine's cores.

import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { readEntities } from '../src/project/load.js';
import { SqlParams, compileFilter, compileSort, entityFields, orderBy } from '../src/query/index.js';
import { compileValidator, fieldKind, indexedFields } from '../src/schema/index.js';
import { Database, RECORD_COLUMNS, ensureAppSchema, ensureEntityTable, openPglite } from '../src/store/index.js';
import {
  LoadSpec,
  MeasuredLoad,
  ROOT,
  ServerInfo,
  runBench,
  postgresVersion,
  POSTGRES_URL,
  cleanupOnSignals,
  fmtInt,
  fmtMs,
  fmtRatio,
  loadAverage,
  measureHttp as measureLoad,
  onCleanup,
  percentile,
  serverProblems,
  startChild,
  startHomebase,
  table,
  waitForLine,
  withPostgres,
  benchArgs,
  DbKind,
  scratchDatabase,
} from './support.js';

// ---------------------------------------------------------------------------------------------------------------
// Settings

const EXAMPLE = path.join(ROOT, 'examples', 'karara');

const { quick: QUICK, databases: DATABASES } = benchArgs();
const CONFIG = QUICK
  ? { warmup: 1, runs: 1, duration: 3, seed: 2_000, rawWarmup: 1, rawDuration: 3 }
  : { warmup: 3, runs: 3, duration: 10, seed: 10_000, rawWarmup: 2, rawDuration: 10 };
const CONNECTIONS = 32;
const BATCH = 500;
// The server's PostgreSQL pool size (config databaseConnections default); the raw driver gets the same.
const PG_POOL = 8;

/** Parse Server 9 on PostgreSQL, same kind of machine (req/s). Targets: ≥ 3× each, on PostgreSQL. */
const PARSE_REFERENCE: Record<string, number> = { get: 2_900, filter: 1_700, count: 1_400, create: 1_900, update: 2_100 };
const TARGET_FACTOR = 3;
const GET_VS_RAW_TARGET = 0.5;

const FILTER = { status: 'todo', priority: { $gte: 3 } };
const COUNT_FILTER = { status: 'todo' };
/** Print order; they run in RUN_ORDER so the rows `create` adds cannot touch the read workloads. */
const WORKLOADS = ['get', 'filter', 'create', 'update', 'count'] as const;
const RUN_ORDER = ['get', 'filter', 'count', 'update', 'create'] as const;
type Workload = (typeof WORKLOADS)[number];
const CREATED_BOARD = 'bench-create';

// ---------------------------------------------------------------------------------------------------------------
// Cleanup: every resource registers an undo step; they run last-in first-out on exit, error or signal.

cleanupOnSignals();

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** Deterministic PRNG, so both databases (and the raw PGlite copy) hold the same records. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES = ['todo', 'in_progress', 'done'];
const LABELS = ['bug', 'feature', 'ui', 'backend', 'urgent', 'docs', 'design', 'ops'];
function seedRecords(count: number): Record<string, unknown>[] {
  const rand = mulberry32(44);
  return Array.from({ length: count }, (_, i) => ({
    title: `Seeded task ${i + 1}: ${LABELS[Math.floor(rand() * LABELS.length)]} work item`,
    status: STATUSES[Math.floor(rand() * STATUSES.length)],
    priority: 1 + Math.floor(rand() * 5),
    labels: LABELS.filter(() => rand() < 0.25),
    board_id: `board-${Math.floor(rand() * 20)}`,
    position: i,
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP load (autocannon)

/** Warm-up, then CONFIG.runs runs; the median run (by req/s) is the result. */
const measureHttp = (spec: LoadSpec): Promise<MeasuredLoad> =>
  measureLoad(spec, { connections: CONNECTIONS, warmup: CONFIG.warmup, runs: CONFIG.runs, duration: CONFIG.duration });

// ---------------------------------------------------------------------------------------------------------------
// Raw driver load: 32 queries in flight for a fixed time, latency per query.

interface RawResult {
  rps: number;
  p50: number;
  p99: number;
  queries: number;
}

async function rawLoad(query: () => Promise<unknown>, seconds: number): Promise<RawResult> {
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  let failure: unknown;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (failure === undefined && performance.now() < end) {
        const t0 = performance.now();
        try {
          await query();
        } catch (error) {
          failure = error;
          return;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  if (failure !== undefined) throw failure;
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { rps: latencies.length / elapsed, p50: percentile(sorted, 50), p99: percentile(sorted, 99), queries: latencies.length };
}

async function measureRaw(query: () => Promise<unknown>): Promise<RawResult> {
  await rawLoad(query, CONFIG.rawWarmup);
  return rawLoad(query, CONFIG.rawDuration);
}

// ---------------------------------------------------------------------------------------------------------------
// The statements the server issues, compiled by the server's own query compiler from the Task definition.

interface Statements {
  point: (ref: string) => string;
  filter: (ref: string) => { text: string; params: unknown[] };
}

const COLUMNS = RECORD_COLUMNS;

async function taskDefinition() {
  const { entities } = await readEntities(path.join(EXAMPLE, 'base44', 'entities'));
  const task = entities.find((e) => e.name === 'Task');
  if (!task) throw new Error('examples/karara has no Task entity');
  return task;
}

async function compileStatements(): Promise<Statements> {
  const task = await taskDefinition();
  const fields = entityFields((p) => fieldKind(task, p), new Set(indexedFields(task)));
  return {
    point: (ref) => `SELECT ${COLUMNS} FROM ${ref} WHERE id = $1`,
    filter: (ref) => {
      // As EntityRepository.list: filter, then sort, then LIMIT/OFFSET as parameters.
      const params = new SqlParams();
      const where = compileFilter(FILTER, fields, params);
      const sort = compileSort('-created_date', fields);
      const text = `SELECT ${COLUMNS} FROM ${ref} WHERE ${where} ORDER BY ${orderBy(sort)} LIMIT ${params.add(20)} OFFSET ${params.add(0)}`;
      return { text, params: params.values };
    },
  };
}

const tableRefOf = (appId: string) => `"app_${appId}"."Task"`;

// ---------------------------------------------------------------------------------------------------------------
// Homebase under load

interface DbReport {
  kind: DbKind;
  label: string;
  skipped?: string;
  failed?: string;
  seed?: { records: number; seconds: number };
  http: Partial<Record<Workload, MeasuredLoad | { failed: string }>>;
  raw?: { point?: RawResult; filter?: RawResult; failed?: string };
  notes: string[];
}

/** Copies examples/karara to a fresh temp dir (without its local data or app id, so each run is a new app). */
async function projectCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await cp(EXAMPLE, dir, {
    recursive: true,
    filter: (source) => {
      const rel = path.relative(EXAMPLE, source);
      return !(rel === '.homebase' || rel.startsWith(`.homebase${path.sep}`) || rel === path.join('base44', '.app.jsonc'));
    },
  });
  return dir;
}

async function seedHttp(info: ServerInfo, records: Record<string, unknown>[]): Promise<{ ids: string[]; seconds: number }> {
  const ids: string[] = [];
  const url = `${info.url}/api/apps/${info.appId}/entities/Task/bulk`;
  const start = performance.now();
  for (let i = 0; i < records.length; i += BATCH) {
    const batch = records.slice(i, i + BATCH);
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${info.serviceToken}` },
      body: JSON.stringify(batch),
    });
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`bulkCreate batch ${i / BATCH + 1} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    const created = JSON.parse(text) as { id?: string }[];
    if (!Array.isArray(created) || created.length !== batch.length || created.some((r) => typeof r.id !== 'string')) {
      throw new Error(`bulkCreate batch ${i / BATCH + 1} returned ${Array.isArray(created) ? created.length : typeof created} records, not ${batch.length}`);
    }
    ids.push(...created.map((r) => r.id!));
  }
  return { ids, seconds: (performance.now() - start) / 1000 };
}

function workloadSpec(workload: Workload, info: ServerInfo, ids: string[]): LoadSpec {
  const base = `${info.url}/api/apps/${info.appId}/entities/Task`;
  const auth = { authorization: `Bearer ${info.serviceToken}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const prefix = new URL(base).pathname;
  const randomId = () => ids[Math.floor(Math.random() * ids.length)];
  switch (workload) {
    case 'get':
      return { url: base, headers: auth, setupRequest: (r) => ({ ...r, method: 'GET', path: `${prefix}/${randomId()}` }) };
    case 'filter':
      return { url: `${base}?q=${encodeURIComponent(JSON.stringify(FILTER))}&sort=-created_date&limit=20`, headers: auth };
    case 'count':
      return { url: `${base}/count?q=${encodeURIComponent(JSON.stringify(COUNT_FILTER))}`, headers: auth };
    case 'create': {
      let n = 0;
      return {
        url: base,
        method: 'POST',
        headers: json,
        setupRequest: (r) => ({
          ...r,
          method: 'POST',
          path: prefix,
          body: JSON.stringify({ title: `Created task ${++n}`, status: 'todo', priority: 1 + (n % 5), labels: ['bench'], board_id: CREATED_BOARD }),
        }),
      };
    }
    case 'update':
      return {
        url: base,
        method: 'PUT',
        headers: json,
        setupRequest: (r) => ({
          ...r,
          method: 'PUT',
          path: `${prefix}/${randomId()}`,
          body: JSON.stringify({ priority: 1 + Math.floor(Math.random() * 5) }),
        }),
      };
  }
}

/** Checks one request per workload by hand, so a broken endpoint shows its answer rather than only a count. */
async function probe(workload: Workload, spec: LoadSpec): Promise<string | undefined> {
  let url = spec.url;
  let method = spec.method ?? 'GET';
  let body = spec.body;
  if (spec.setupRequest) {
    const r = spec.setupRequest({});
    if (r.path) url = new URL(r.path, spec.url).toString();
    method = (r.method as typeof method) ?? method;
    body = typeof r.body === 'string' ? r.body : body;
  }
  const response = await fetch(url, { method, headers: spec.headers, body });
  const text = await response.text();
  if (response.status >= 200 && response.status < 300) return undefined;
  return `${workload}: ${method} ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 300)}`;
}

async function benchHomebase(report: DbReport, databaseUrl: string, records: Record<string, unknown>[]): Promise<{ appId: string; ids: string[] } | undefined> {
  const projectDir = await projectCopy();
  const { child, info } = await startHomebase(projectDir, databaseUrl);
  console.log(`  server: ${info.url} (app ${info.appId}, pid ${child.process.pid})`);
  try {
    let mark = { stdout: child.stdout.length, stderr: child.stderr.length };
    const seeded = await seedHttp(info, records);
    report.seed = { records: records.length, seconds: seeded.seconds };
    console.log(`  seeded ${fmtInt(records.length)} records in ${records.length / BATCH} bulk calls: ${fmtInt(records.length / seeded.seconds)} records/s`);
    if (report.kind === 'postgres') {
      // Fresh statistics, as a production database would have: the planner picks its plans on real numbers.
      await withPostgres(databaseUrl, (sql) => sql.unsafe(`ANALYZE ${tableRefOf(info.appId)}`));
    }
    for (const workload of RUN_ORDER) {
      const spec = workloadSpec(workload, info, seeded.ids);
      const probeError = await probe(workload, spec);
      if (probeError) console.log(`  ! probe ${probeError}`);
      const t0 = Date.now();
      try {
        const result = await measureHttp(spec);
        report.http[workload] = result;
        const p = result.problems;
        console.log(
          `  ${workload.padEnd(7)} ${fmtInt(result.rps).padStart(7)} req/s (runs: ${result.runs.map(fmtInt).join(', ')}) ` +
            `p50 ${fmtMs(result.p50)} ms p99 ${fmtMs(result.p99)} ms [${((Date.now() - t0) / 1000).toFixed(0)} s]`,
        );
        if (p.non2xx > 0 || p.errors > 0 || p.timeouts > 0) {
          const codes = Object.entries(p.statuses).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${c}×${n}`).join(', ');
          const warning = `WARNING ${workload}: ${p.non2xx} non-2xx (${codes || 'codes n/a'}), ${p.errors} connection errors, ${p.timeouts} timeouts over warm-up and runs`;
          console.log(`  ! ${warning}`);
          report.notes.push(warning);
        }
      } catch (error) {
        report.http[workload] = { failed: (error as Error).message };
        console.log(`  ! ${workload} failed: ${(error as Error).message}`);
      }
      const logged = serverProblems(child, mark);
      if (logged.length > 0) {
        console.log(`  ! server logged during ${workload}:`);
        for (const line of logged.slice(0, 8)) console.log(`      ${line}`);
        report.notes.push(`server log during ${workload}: ${logged.slice(0, 3).join(' | ')}`);
      }
      mark = { stdout: child.stdout.length, stderr: child.stderr.length };
    }
    return { appId: info.appId, ids: seeded.ids };
  } finally {
    await child.stop();
    console.log(`  server stopped (SIGTERM, exit ${child.process.exitCode ?? child.process.signalCode})`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

async function benchPglite(statements: Statements): Promise<DbReport> {
  const report: DbReport = { kind: 'pglite', label: 'PGlite (in-memory; in the server process / in the bench process for the raw driver)', http: {}, notes: [] };
  const records = seedRecords(CONFIG.seed);
  try {
    await benchHomebase(report, 'memory://', records);
  } catch (error) {
    report.failed = (error as Error).message;
    console.log(`  ! Homebase on PGlite failed: ${report.failed}`);
  }
  console.log('  raw driver: @electric-sql/pglite in memory, in the bench process');
  report.raw = {};
  let pg: Database | undefined;
  const close = onCleanup('close raw PGlite', async () => {
    await pg?.close();
  });
  try {
    // The store's own adapter and table definition, so the ceiling reads the same table and indexes.
    pg = await openPglite(undefined);
    const appId = '0123456789abcdef01234567';
    const ref = tableRefOf(appId);
    await ensureAppSchema(pg, appId);
    await ensureEntityTable(pg, appId, 'Task', indexedFields(await taskDefinition()));
    // The stored data is what the server's validator makes of the records (defaults filled in).
    const validator = compileValidator(await taskDefinition());
    const ids: string[] = [];
    const start = performance.now();
    for (let i = 0; i < records.length; i += BATCH) {
      const rows = records.slice(i, i + BATCH).map((record, j) => {
        const id = `6650f1c2a1b2c3d4${(i + j).toString(16).padStart(8, '0')}`;
        ids.push(id);
        return { id, data: validator.create(record) };
      });
      await pg.query(
        `INSERT INTO ${ref} (id, data) SELECT id, data FROM jsonb_to_recordset($1::text::jsonb) AS input(id text, data jsonb)`,
        [JSON.stringify(rows)],
      );
    }
    console.log(`  raw seed: ${fmtInt(records.length)} rows via SQL in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    const point = statements.point(ref);
    const filter = statements.filter(ref);
    const db = pg;
    report.raw.point = await measureRaw(() => db.query(point, [ids[Math.floor(Math.random() * ids.length)]]));
    console.log(`  raw point select ${fmtInt(report.raw.point.rps)} q/s p50 ${fmtMs(report.raw.point.p50)} ms p99 ${fmtMs(report.raw.point.p99)} ms`);
    report.raw.filter = await measureRaw(() => db.query(filter.text, filter.params));
    console.log(`  raw filter       ${fmtInt(report.raw.filter.rps)} q/s p50 ${fmtMs(report.raw.filter.p50)} ms p99 ${fmtMs(report.raw.filter.p99)} ms`);
  } catch (error) {
    report.raw.failed = (error as Error).message;
    console.log(`  ! raw PGlite failed: ${report.raw.failed}`);
  } finally {
    await close();
  }
  return report;
}

async function benchPostgres(statements: Statements): Promise<DbReport> {
  const report: DbReport = { kind: 'postgres', label: `PostgreSQL (${new URL(POSTGRES_URL).host}; server pool ${PG_POOL} connections)`, http: {}, notes: [] };
  const server = await postgresVersion();
  if ('skipped' in server) {
    report.skipped = server.skipped;
    return report;
  }
  const { version } = server;
  report.label = `PostgreSQL ${version} (${new URL(POSTGRES_URL).host}; server and raw driver pool ${PG_POOL} connections)`;
  const { name, url, drop } = await scratchDatabase('homebase_bench');
  try {
    console.log(`  database: ${name}`);
    let seeded: { appId: string; ids: string[] } | undefined;
    try {
      seeded = await benchHomebase(report, url, seedRecords(CONFIG.seed));
    } catch (error) {
      report.failed = (error as Error).message;
      console.log(`  ! Homebase on PostgreSQL failed: ${report.failed}`);
    }
    report.raw = {};
    if (!seeded) {
      report.raw.failed = 'not measured: the server did not seed the database';
      return report;
    }
    console.log(`  raw driver: postgres (porsager) ${PG_POOL} connections, prepared statements, same database`);
    const sql = postgres(url, { max: PG_POOL, prepare: true, onnotice: () => {}, connection: { TimeZone: 'UTC' } });
    const end = onCleanup('close raw postgres pool', () => sql.end({ timeout: 5 }));
    try {
      const ref = tableRefOf(seeded.appId);
      // Back to the seeded data set: drop the rows the create workload added, then refresh statistics.
      const removed = await sql.unsafe(`DELETE FROM ${ref} WHERE data @> $1::text::jsonb`, [JSON.stringify({ board_id: CREATED_BOARD })]);
      await sql.unsafe(`VACUUM ANALYZE ${ref}`);
      console.log(`  removed ${fmtInt(removed.count)} rows added by the create workload; VACUUM ANALYZE`);
      const ids = seeded.ids;
      const point = statements.point(ref);
      const filter = statements.filter(ref);
      const params = filter.params as postgres.ParameterOrJSON<never>[];
      report.raw.point = await measureRaw(() => sql.unsafe(point, [ids[Math.floor(Math.random() * ids.length)]], { prepare: true }));
      console.log(`  raw point select ${fmtInt(report.raw.point.rps)} q/s p50 ${fmtMs(report.raw.point.p50)} ms p99 ${fmtMs(report.raw.point.p99)} ms`);
      report.raw.filter = await measureRaw(() => sql.unsafe(filter.text, params, { prepare: true }));
      console.log(`  raw filter       ${fmtInt(report.raw.filter.rps)} q/s p50 ${fmtMs(report.raw.filter.p50)} ms p99 ${fmtMs(report.raw.filter.p99)} ms`);
    } catch (error) {
      report.raw.failed = (error as Error).message;
      console.log(`  ! raw PostgreSQL failed: ${report.raw.failed}`);
    } finally {
      await end();
    }
  } finally {
    await drop();
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

const isMeasured = (r: MeasuredLoad | { failed: string } | undefined): r is MeasuredLoad => !!r && !('failed' in r);

function printReport(report: DbReport, bare: MeasuredLoad | undefined): void {
  console.log(`\n${report.label}`);
  if (report.skipped) {
    console.log(`  SKIPPED: ${report.skipped}`);
    return;
  }
  if (report.failed) console.log(`  FAILED: ${report.failed}`);
  if (report.seed) {
    console.log(`  seeding: ${fmtInt(report.seed.records)} records by bulkCreate (${BATCH}/call): ${fmtInt(report.seed.records / report.seed.seconds)} records/s`);
  }
  const rows: string[][] = [['workload', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'vs bare', 'vs raw driver']];
  for (const workload of WORKLOADS) {
    const r = report.http[workload];
    if (!r) {
      rows.push([workload, '-', '', '', '', '', '']);
      continue;
    }
    if (!isMeasured(r)) {
      rows.push([workload, 'FAILED', '', '', '', '', r.failed.slice(0, 60)]);
      continue;
    }
    const raw = workload === 'get' ? report.raw?.point : workload === 'filter' ? report.raw?.filter : undefined;
    rows.push([
      workload,
      fmtInt(r.rps),
      fmtMs(r.p50),
      fmtMs(r.p99),
      String(r.non2xx),
      fmtRatio(bare ? r.rps / bare.rps : undefined),
      raw ? `${fmtRatio(r.rps / raw.rps)} of ${workload === 'get' ? 'point select' : 'filter'}` : '',
    ]);
  }
  if (report.raw?.point) rows.push(['raw point select', fmtInt(report.raw.point.rps), fmtMs(report.raw.point.p50), fmtMs(report.raw.point.p99), '', fmtRatio(bare ? report.raw.point.rps / bare.rps : undefined), '(driver, no HTTP)']);
  if (report.raw?.filter) rows.push(['raw filter', fmtInt(report.raw.filter.rps), fmtMs(report.raw.filter.p50), fmtMs(report.raw.filter.p99), '', fmtRatio(bare ? report.raw.filter.rps / bare.rps : undefined), '(driver, no HTTP)']);
  console.log(table(rows, ['l', 'r', 'r', 'r', 'r', 'r', 'l']));
  if (report.raw?.failed) console.log(`  raw driver: ${report.raw.failed}`);
  for (const note of report.notes) console.log(`  ! ${note}`);
}

function printTargets(reports: DbReport[]): void {
  console.log('\nReference: Parse Server 9 on PostgreSQL, same kind of machine. Targets (PostgreSQL): ≥ 3× Parse per workload; get ≥ 50 % of raw point select.');
  const pg = reports.find((r) => r.kind === 'postgres');
  const pglite = reports.find((r) => r.kind === 'pglite');
  if (!pg || pg.skipped) {
    console.log(`  PostgreSQL not measured${pg?.skipped ? ` (${pg.skipped})` : ' (--db pglite)'}: targets not evaluated`);
  }
  const rows: string[][] = [['workload', 'Parse req/s', 'target', 'Homebase PG', 'x Parse', 'result', 'PGlite (info)']];
  let pass = 0;
  let total = 0;
  const order: Workload[] = ['get', 'filter', 'count', 'create', 'update'];
  for (const workload of order) {
    const ref = PARSE_REFERENCE[workload];
    const r = pg && !pg.skipped ? pg.http[workload] : undefined;
    const lite = pglite?.http[workload];
    const measured = isMeasured(r) ? r.rps : undefined;
    let result = 'n/a';
    if (pg && !pg.skipped) {
      total++;
      const ok = measured !== undefined && measured >= TARGET_FACTOR * ref && r !== undefined && isMeasured(r) && r.problems.non2xx === 0;
      if (ok) pass++;
      result = ok ? 'PASS' : 'MISS';
    }
    rows.push([
      workload,
      fmtInt(ref),
      `≥ ${fmtInt(TARGET_FACTOR * ref)}`,
      measured !== undefined ? fmtInt(measured) : '-',
      measured !== undefined ? fmtRatio(measured / ref) : '',
      result,
      isMeasured(lite) ? `${fmtInt(lite.rps)} (${fmtRatio(lite.rps / ref)})` : '-',
    ]);
  }
  const get = pg?.http.get;
  const point = pg?.raw?.point;
  let getRaw = 'n/a';
  if (pg && !pg.skipped) {
    total++;
    const ok = isMeasured(get) && !!point && get.rps >= GET_VS_RAW_TARGET * point.rps;
    if (ok) pass++;
    getRaw = ok ? 'PASS' : 'MISS';
  }
  rows.push([
    'get / raw point',
    point ? fmtInt(point.rps) : '-',
    `≥ ${fmtInt(GET_VS_RAW_TARGET * (point?.rps ?? NaN))}`.replace('NaN', '50 %'),
    isMeasured(get) ? fmtInt(get.rps) : '-',
    isMeasured(get) && point ? `${((100 * get.rps) / point.rps).toFixed(0)} %` : '',
    getRaw,
    '',
  ]);
  console.log(table(rows, ['l', 'r', 'r', 'r', 'r', 'l', 'r']));
  if (pg && !pg.skipped) console.log(`  ${pass}/${total} targets met`);
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function benchBare(): Promise<MeasuredLoad> {
  const child = startChild('bare fastify', ['--import', 'tsx', path.join(ROOT, 'bench', 'bare-server.ts')]);
  try {
    const [, port] = await waitForLine(child, /^PORT (\d+)$/, 'bare fastify', 30_000);
    const result = await measureHttp({ url: `http://127.0.0.1:${port}/record` });
    console.log(`  bare    ${fmtInt(result.rps).padStart(7)} req/s (runs: ${result.runs.map(fmtInt).join(', ')}) p50 ${fmtMs(result.p50)} ms p99 ${fmtMs(result.p99)} ms`);
    if (result.problems.non2xx > 0 || result.problems.errors > 0) console.log(`  ! bare: ${result.problems.non2xx} non-2xx, ${result.problems.errors} errors`);
    return result;
  } finally {
    await child.stop();
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  console.log(`Homebase entities benchmark${QUICK ? ' (--quick: smoke test, numbers not meaningful)' : ''}`);
  console.log(
    `  machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()}`,
  );
  console.log(`  NOTE: load generator (autocannon, this process), server (child process) and database share these ${cpus.length} cores.`);
  console.log(`  load average at start: ${loadAverage()} (anything else running on the machine skews the numbers)`);
  console.log(
    `  protocol: ${CONNECTIONS} connections; per workload ${CONFIG.warmup} s warm-up then ${CONFIG.runs} run(s) of ${CONFIG.duration} s, median run reported; ` +
      `${fmtInt(CONFIG.seed)} seeded Tasks; raw driver ${CONNECTIONS} queries in flight, ${CONFIG.rawWarmup} s warm-up + ${CONFIG.rawDuration} s`,
  );
  console.log(`  workloads: get (random seeded id), filter ${JSON.stringify(FILTER)} sort -created_date limit 20, create, update (PUT {priority}), count ${JSON.stringify(COUNT_FILTER)}; run order ${RUN_ORDER.join(', ')}`);

  const statements = await compileStatements();
  const sample = statements.filter('"app_<id>"."Task"');
  console.log(`  filter SQL: ${sample.text.replace(COLUMNS, '<columns>')}  params ${JSON.stringify(sample.params)}`);

  console.log('\nBare Fastify (child process, one route, fixed ~1 KB JSON)');
  let bare: MeasuredLoad | undefined;
  try {
    bare = await benchBare();
  } catch (error) {
    console.log(`  ! bare Fastify failed: ${(error as Error).message}`);
  }

  const reports: DbReport[] = [];
  for (const kind of DATABASES) {
    console.log(`\n== ${kind}`);
    reports.push(kind === 'pglite' ? await benchPglite(statements) : await benchPostgres(statements));
    if (reports[reports.length - 1].skipped) console.log(`  skipped: ${reports[reports.length - 1].skipped}`);
  }

  console.log('\n================================ Results ================================');
  console.log(`${cpus.length} cores shared by load generator, server and database; ${CONNECTIONS} connections; median of ${CONFIG.runs} × ${CONFIG.duration} s.`);
  if (bare) console.log(`\nBare Fastify ceiling: ${fmtInt(bare.rps)} req/s, p50 ${fmtMs(bare.p50)} ms, p99 ${fmtMs(bare.p99)} ms`);
  for (const report of reports) printReport(report, bare);
  printTargets(reports);
  if (QUICK) console.log('\n(--quick run: short runs and a smaller data set; use the full run for real numbers)');
  console.log(`\nTotal time ${((Date.now() - started) / 1000).toFixed(0)} s; load average at end: ${loadAverage()}`);
}

await runBench(main);
