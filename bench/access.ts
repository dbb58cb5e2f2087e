// Access-rules benchmark: a page of an entity with owner-only rules (`read: {created_by: "{{user.email}}"}`) against
// the same page of a rule-less entity with the equivalent explicit filter, over many users' rows.
// `npm run bench [-- --quick] [-- --db pglite|postgres]` runs it after bench/entities.ts; alone: `node --import tsx bench/access.ts`.
// Everything it starts or creates is removed on exit, even on failure.
// Note: the benchmark client, the server and the database all share this machine's cores.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { AccessUser } from '../src/access/index.js';
import { callerView } from '../src/http/access-views.js';
import { readEntities } from '../src/project/load.js';
import { Database, EntityRepository, RECORD_COLUMNS, Row } from '../src/store/index.js';
import { AppRuntime } from '../src/tenancy/index.js';
import {
  LoadResult,
  LoadSpec,
  MeasuredLoad,
  ServerInfo,
  autocannonOnce,
  runBench,
  postgresVersion,
  POSTGRES_URL,
  cleanupOnSignals,
  fmtInt,
  fmtMs,
  fmtRatio,
  loadAverage,
  onCleanup,
  serverProblems,
  sleep,
  startHomebase,
  summarizeRuns,
  table,
  withPostgres,
  benchArgs,
  DbKind,
  scratchDatabase,
} from './support.js';

// ---------------------------------------------------------------------------------------------------------------
// Settings


const { quick: QUICK, databases: DATABASES } = benchArgs();
const PROTOCOL = QUICK ? { connections: 32, warmup: 1, runs: 1, duration: 3 } : { connections: 32, warmup: 3, runs: 3, duration: 10 };
/** Users and rows per user. PGlite is single-threaded WASM inside the server process, so it gets a smaller data set. */
const SIZES: Record<DbKind, { users: number; perUser: number }> = QUICK
  ? { pglite: { users: 50, perUser: 40 }, postgres: { users: 50, perUser: 40 } }
  : { pglite: { users: 200, perUser: 100 }, postgres: { users: 1_000, perUser: 100 } };
const PASSWORD = 'bench-password-1';
/** Requests in flight while creating and signing in users (argon2 is deliberately slow) and while seeding. */
const AUTH_CONCURRENCY = 8;
const SEED_CONCURRENCY = 4;
const PAGE = 20;
const SORT = '-created_date';
/** Rules should cost about nothing beyond the equivalent filter: (b)/(a) in req/s at least this. */
const RATIO_TARGET = 0.9;

const FIELDS = {
  title: { type: 'string', description: 'Note title' },
  status: { type: 'string', enum: ['open', 'closed'], default: 'open' },
  n: { type: 'integer', description: 'Position among its owner’s notes' },
};
const ENTITIES = {
  'open-note.jsonc': { name: 'OpenNote', type: 'object', properties: FIELDS, required: ['title'] },
  'own-note.jsonc': {
    name: 'OwnNote',
    type: 'object',
    properties: FIELDS,
    required: ['title'],
    rls: {
      create: true,
      read: { created_by: '{{user.email}}' },
      update: { created_by: '{{user.email}}' },
      delete: { created_by: '{{user.email}}' },
    },
  },
};

type WorkloadKey = 'filter' | 'rules' | 'all' | 'countFilter' | 'countRules';
const WORKLOADS: { key: WorkloadKey; label: string }[] = [
  { key: 'filter', label: `(a) OpenNote page, q={created_by: <own email>}` },
  { key: 'rules', label: '(b) OwnNote page, rule filters' },
  { key: 'all', label: '(c) OpenNote page, no filter' },
  { key: 'countFilter', label: '(d) OpenNote count, q={created_by}' },
  { key: 'countRules', label: '(d) OwnNote count, rule filters' },
];
/** Compared pairs run interleaved (a b, b a, a b ...) so drift on a shared machine hits both alike. */
const GROUPS: WorkloadKey[][] = [['filter', 'rules'], ['all'], ['countFilter', 'countRules']];

cleanupOnSignals();

// ---------------------------------------------------------------------------------------------------------------
// HTTP helpers

interface BenchUser {
  email: string;
  token: string;
  record: AccessUser;
}

async function call(url: string, init: { method?: string; token?: string; body?: unknown }): Promise<unknown> {
  const headers: Record<string, string> = {};
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`${init.method ?? 'GET'} ${new URL(url).pathname} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as unknown;
}

/** Runs work(0..count-1) with at most `concurrency` in flight; fails on the first error. */
async function pool<T>(count: number, concurrency: number, work: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await work(i);
      }
    }),
  );
  return results;
}

const emailOf = (i: number) => `bench-user-${String(i + 1).padStart(4, '0')}@example.com`;

function notesOf(user: number, perUser: number): Record<string, unknown>[] {
  return Array.from({ length: perUser }, (_, j) => ({
    title: `Note ${j + 1} of user ${user + 1}`,
    status: j % 3 === 0 ? 'closed' : 'open',
    n: j,
  }));
}

async function projectDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'homebase-access-bench-'));
  onCleanup(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  await mkdir(path.join(dir, 'base44', 'entities'), { recursive: true });
  await writeFile(path.join(dir, 'base44', 'config.jsonc'), `${JSON.stringify({ name: 'Access bench' }, null, 2)}\n`);
  for (const [file, definition] of Object.entries(ENTITIES)) {
    await writeFile(path.join(dir, 'base44', 'entities', file), `${JSON.stringify(definition, null, 2)}\n`);
  }
  return dir;
}

// ---------------------------------------------------------------------------------------------------------------
// Setup through the API: users, sign-ins, seeded notes

async function createUsers(info: ServerInfo, count: number): Promise<BenchUser[]> {
  const api = `${info.url}/api/apps/${info.appId}`;
  let t0 = performance.now();
  await pool(count, AUTH_CONCURRENCY, (i) =>
    call(`${api}/users`, { method: 'POST', token: info.serviceToken, body: { email: emailOf(i), password: PASSWORD, role: 'user' } }),
  );
  const created = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const users = await pool(count, AUTH_CONCURRENCY, async (i) => {
    const answer = (await call(`${api}/auth/login`, { method: 'POST', body: { email: emailOf(i), password: PASSWORD } })) as {
      access_token?: string;
      user?: AccessUser;
    };
    if (typeof answer.access_token !== 'string' || answer.user?.email !== emailOf(i)) {
      throw new Error(`login of ${emailOf(i)} answered ${JSON.stringify(answer).slice(0, 200)}`);
    }
    return { email: emailOf(i), token: answer.access_token, record: answer.user };
  });
  const signedIn = (performance.now() - t0) / 1000;
  console.log(
    `  users: ${fmtInt(count)} created in ${created.toFixed(1)} s (${fmtInt(count / created)}/s), signed in in ${signedIn.toFixed(1)} s ` +
      `(${fmtInt(count / signedIn)}/s); ${AUTH_CONCURRENCY} requests in flight, argon2id on both`,
  );
  return users;
}

/** Seeds `entity` with perUser notes for every user, each batch posted by its owner. Returns seconds taken. */
async function seed(info: ServerInfo, entity: string, users: BenchUser[], perUser: number): Promise<number> {
  const url = `${info.url}/api/apps/${info.appId}/entities/${entity}/bulk`;
  const t0 = performance.now();
  await pool(users.length, SEED_CONCURRENCY, async (i) => {
    const created = await call(url, { method: 'POST', token: users[i].token, body: notesOf(i, perUser) });
    if (!Array.isArray(created) || created.length !== perUser || created.some((r: { created_by?: unknown }) => r.created_by !== users[i].email)) {
      throw new Error(`bulkCreate of ${entity} as ${users[i].email} returned an unexpected answer`);
    }
  });
  return (performance.now() - t0) / 1000;
}

/** One request per workload by hand, checking what comes back, before any load is applied. */
async function verify(info: ServerInfo, users: BenchUser[], perUser: number): Promise<void> {
  const base = `${info.url}/api/apps/${info.appId}/entities`;
  const [me, other] = [users[0], users[users.length - 1]];
  const q = (filter: object) => `q=${encodeURIComponent(JSON.stringify(filter))}`;
  const page = async (url: string) => (await call(url, { token: me.token })) as { created_by: string; title: string }[];
  const mine = (rows: { created_by: string }[], n: number, label: string) => {
    if (rows.length !== n || rows.some((r) => r.created_by !== me.email)) {
      throw new Error(`${label}: expected ${n} of ${me.email}'s rows, got ${rows.length} (${[...new Set(rows.map((r) => r.created_by))].join(', ')})`);
    }
  };
  mine(await page(`${base}/OpenNote?${q({ created_by: me.email })}&sort=${SORT}&limit=${PAGE}`), PAGE, '(a)');
  mine(await page(`${base}/OwnNote?sort=${SORT}&limit=${PAGE}`), PAGE, '(b)');
  const all = await page(`${base}/OpenNote?sort=${SORT}&limit=${PAGE}`);
  if (all.length !== PAGE) throw new Error(`(c): expected ${PAGE} rows, got ${all.length}`);
  // Same data in both tables: the owner's whole set of titles matches.
  const titles = async (url: string) => (await page(url)).map((r) => r.title).sort().join('\n');
  if ((await titles(`${base}/OpenNote?${q({ created_by: me.email })}&limit=${perUser + 1}`)) !== (await titles(`${base}/OwnNote?limit=${perUser + 1}`))) {
    throw new Error(`${me.email}'s notes differ between OpenNote and OwnNote`);
  }
  // The rule hides other owners' rows even when asked for them.
  const stolen = await page(`${base}/OwnNote?${q({ created_by: other.email })}&limit=${PAGE}`);
  if (stolen.length !== 0) throw new Error(`rules leak: ${me.email} read ${stolen.length} of ${other.email}'s OwnNote rows`);
  const count = async (url: string) => ((await call(url, { token: me.token })) as { count: number }).count;
  const counts = [await count(`${base}/OpenNote/count?${q({ created_by: me.email })}`), await count(`${base}/OwnNote/count`)];
  if (counts.some((c) => c !== perUser)) throw new Error(`(d): counts ${counts.join(' / ')}, expected ${perUser}`);
  const total = await count(`${base}/OpenNote/count`);
  console.log(
    `  checked: (a) and (b) answer ${PAGE} of the caller's own rows, the same ${perUser} notes per owner in both tables; ` +
      `(b) answers 0 rows for another owner's email; counts ${counts.join(' = ')} (OpenNote total ${fmtInt(total)})`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Load

function workloadSpec(key: WorkloadKey, info: ServerInfo, users: BenchUser[]): LoadSpec {
  const base = `${info.url}/api/apps/${info.appId}/entities`;
  const prefix = new URL(base).pathname;
  const q = (user: BenchUser) => `q=${encodeURIComponent(JSON.stringify({ created_by: user.email }))}`;
  const pathOf: (user: BenchUser) => string = {
    filter: (u: BenchUser) => `${prefix}/OpenNote?${q(u)}&sort=${SORT}&limit=${PAGE}`,
    rules: () => `${prefix}/OwnNote?sort=${SORT}&limit=${PAGE}`,
    all: () => `${prefix}/OpenNote?sort=${SORT}&limit=${PAGE}`,
    countFilter: (u: BenchUser) => `${prefix}/OpenNote/count?${q(u)}`,
    countRules: () => `${prefix}/OwnNote/count`,
  }[key];
  // Paths and headers are built once per user; each request picks a random user.
  const requests = users.map((user) => ({ path: pathOf(user), authorization: `Bearer ${user.token}` }));
  return {
    url: `${base}/OpenNote`,
    setupRequest: (r) => {
      const chosen = requests[Math.floor(Math.random() * requests.length)];
      return { ...r, method: 'GET', path: chosen.path, headers: { ...r.headers, authorization: chosen.authorization } };
    },
  };
}

/** Warm-up of each, then PROTOCOL.runs rounds running each once (order alternating); median run per workload. */
async function measureGroup(specs: LoadSpec[]): Promise<MeasuredLoad[]> {
  const warmups: LoadResult[][] = [];
  for (const spec of specs) warmups.push([await autocannonOnce(spec, PROTOCOL.warmup, PROTOCOL.connections)]);
  const runs: LoadResult[][] = specs.map(() => []);
  for (let round = 0; round < PROTOCOL.runs; round++) {
    const order = specs.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) runs[i].push(await autocannonOnce(specs[i], PROTOCOL.duration, PROTOCOL.connections));
  }
  return specs.map((_, i) => summarizeRuns(warmups[i], runs[i]));
}

// ---------------------------------------------------------------------------------------------------------------
// The statements the server issues for (a) and (b), captured from its own repository and access code

interface Statement {
  text: string;
  params: unknown[];
}

/** Builds the app as the server does, on a database that records statements instead of running them. */
async function serverStatements(project: string, appId: string, user: BenchUser): Promise<Record<'rulePage' | 'filterPage' | 'ruleCount', Statement>> {
  const captured: Statement[] = [];
  const recorder: Database = {
    kind: 'postgres',
    query: async <T extends Row>(text: string, params: unknown[] = []) => {
      captured.push({ text, params });
      return [] as T[];
    },
    transaction: (work) => work(recorder),
    followOutbox: async () => async () => {},
    close: async () => {},
  };
  const app = await AppRuntime.open(recorder, appId, { name: 'Access bench' });
  await app.setEntities((await readEntities(path.join(project, 'base44', 'entities'))).entities);
  const repository = new EntityRepository(recorder);
  const last = async (run: () => Promise<unknown>): Promise<Statement> => {
    captured.length = 0;
    try {
      await run();
    } catch {
      // The recorder answers no rows, which `count` does not expect; the statement is captured by then.
    }
    if (captured.length === 0) throw new Error('no statement captured');
    return captured[captured.length - 1];
  };
  const own = app.entity('OwnNote');
  const view = callerView(own, app.access('OwnNote'), user.record, 'read');
  const open = app.entity('OpenNote');
  return {
    rulePage: await last(() => repository.list(own, { sort: SORT, limit: PAGE, skip: 0 }, view)),
    filterPage: await last(() => repository.list(open, { query: { created_by: user.email }, sort: SORT, limit: PAGE, skip: 0 })),
    ruleCount: await last(() => repository.count(own, undefined, view)),
  };
}

const literal = (value: unknown) => (typeof value === 'number' ? String(value) : `'${String(value).replace(/'/g, "''")}'`);

/** EXPLAIN ANALYZE of each statement, with the server's session settings: once as sent, once as a prepared statement after 5 runs. */
async function explain(url: string, statements: Record<string, Statement>): Promise<string[]> {
  const notes: string[] = [];
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { TimeZone: 'UTC', random_page_cost: 1.1 } });
  const end = onCleanup('close EXPLAIN connection', () => sql.end({ timeout: 5 }));
  try {
    for (const [name, statement] of Object.entries(statements)) {
      console.log(`\n  ${name}: ${statement.text.replace(RECORD_COLUMNS, '<columns>')}  params ${JSON.stringify(statement.params)}`);
      const custom = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.params as postgres.ParameterOrJSON<never>[]);
      // The server's statements are prepared; after five runs PostgreSQL may switch to a generic plan.
      await sql.unsafe(`PREPARE bench_${name} AS ${statement.text}`);
      const execute = `EXECUTE bench_${name}(${statement.params.map(literal).join(', ')})`;
      for (let i = 0; i < 5; i++) await sql.unsafe(execute);
      const prepared = await sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS) ${execute}`);
      await sql.unsafe(`DEALLOCATE bench_${name}`);
      for (const [label, rows] of [['as sent', custom], ['prepared, 6th run', prepared]] as const) {
        const lines = rows.map((r) => (r as Record<string, string>)['QUERY PLAN']);
        const shown = lines.filter((l) => !/^\s*(Buffers|Planning:|Planning Time)/.test(l)).slice(0, 7);
        const time = lines.find((l) => l.startsWith('Execution Time')) ?? '';
        console.log(`    ${label}:`);
        for (const line of shown) console.log(`      ${line}`);
        if (!shown.includes(time)) console.log(`      ${time}`);
        if (lines.some((l) => /Seq Scan/.test(l))) {
          const note = `${name} (${label}) plan has a sequential scan`;
          notes.push(note);
          console.log(`    ! ${note}`);
        }
      }
    }
  } finally {
    await end();
  }
  return notes;
}

/** Index and sequential scans per table of the app's schema so far (PostgreSQL's cumulative statistics). */
async function tableScans(url: string, appId: string): Promise<Record<string, { idx: number; seq: number }>> {
  const rows = await withPostgres(url, (sql) =>
    sql.unsafe('SELECT relname, idx_scan, seq_scan FROM pg_stat_user_tables WHERE schemaname = $1', [`app_${appId}`]),
  );
  return Object.fromEntries(rows.map((r) => [r.relname as string, { idx: Number(r.idx_scan ?? 0), seq: Number(r.seq_scan ?? 0) }]));
}

// ---------------------------------------------------------------------------------------------------------------
// One database

interface DbReport {
  kind: DbKind;
  label: string;
  users: number;
  perUser: number;
  skipped?: string;
  failed?: string;
  seed?: { open: number; own: number };
  /** Table scans per request during (a) and (b), from pg_stat_user_tables (PostgreSQL only). */
  scans?: string;
  results: Partial<Record<WorkloadKey, MeasuredLoad>>;
  notes: string[];
}

async function benchHomebase(report: DbReport, databaseUrl: string): Promise<{ project: string; appId: string; user: BenchUser } | undefined> {
  const project = await projectDir();
  const { child, info } = await startHomebase(project, databaseUrl);
  console.log(`  server: ${info.url} (app ${info.appId}, pid ${child.process.pid})`);
  try {
    let mark = { stdout: child.stdout.length, stderr: child.stderr.length };
    const logged = (phase: string) => {
      const lines = serverProblems(child, mark);
      mark = { stdout: child.stdout.length, stderr: child.stderr.length };
      if (lines.length === 0) return;
      console.log(`  ! server logged during ${phase}:`);
      for (const line of lines.slice(0, 8)) console.log(`      ${line}`);
      report.notes.push(`server log during ${phase}: ${lines.slice(0, 3).join(' | ')}`);
    };
    const users = await createUsers(info, report.users);
    logged('user setup');
    const rows = report.users * report.perUser;
    const open = await seed(info, 'OpenNote', users, report.perUser);
    const own = await seed(info, 'OwnNote', users, report.perUser);
    report.seed = { open, own };
    console.log(
      `  seeded ${fmtInt(rows)} rows per entity (${report.perUser} per user, bulkCreate as each owner, ${SEED_CONCURRENCY} in flight): ` +
        `OpenNote ${fmtInt(rows / open)} rows/s, OwnNote ${fmtInt(rows / own)} rows/s`,
    );
    logged('seeding');
    if (report.kind === 'postgres') {
      // Fresh statistics, as a production database would have: the planner picks its plans on real numbers.
      await withPostgres(databaseUrl, (sql) => sql.unsafe(`ANALYZE "app_${info.appId}"."OpenNote", "app_${info.appId}"."OwnNote"`));
      console.log('  ANALYZE both tables');
    } else {
      // The embedded database refreshes its statistics every 10 s after writes (it has no autovacuum).
      console.log("  waiting 11 s for PGlite's periodic ANALYZE");
      await sleep(11_000);
    }
    await verify(info, users, report.perUser);
    logged('checks');
    for (const group of GROUPS) {
      const t0 = Date.now();
      const counting = report.kind === 'postgres' && group.includes('rules');
      const before = counting ? await tableScans(databaseUrl, info.appId) : undefined;
      const results = await measureGroup(group.map((key) => workloadSpec(key, info, users)));
      group.forEach((key, i) => {
        const r = results[i];
        report.results[key] = r;
        const label = WORKLOADS.find((w) => w.key === key)!.label;
        console.log(`  ${label.padEnd(40)} ${fmtInt(r.rps).padStart(6)} req/s (runs: ${r.runs.map(fmtInt).join(', ')}) p50 ${fmtMs(r.p50)} ms p99 ${fmtMs(r.p99)} ms`);
        const p = r.problems;
        if (p.non2xx > 0 || p.errors > 0 || p.timeouts > 0) {
          const codes = Object.entries(p.statuses).filter(([c]) => !c.startsWith('2')).map(([c, n]) => `${c}×${n}`).join(', ');
          const warning = `WARNING ${label}: ${p.non2xx} non-2xx (${codes || 'codes n/a'}), ${p.errors} connection errors, ${p.timeouts} timeouts over warm-up and runs`;
          console.log(`  ! ${warning}`);
          report.notes.push(warning);
        }
      });
      console.log(`    [${((Date.now() - t0) / 1000).toFixed(0)} s]`);
      logged(group.join(' + '));
      if (before) {
        // Backends flush their statistics when idle, at the latest 10 s later.
        await sleep(11_000);
        const after = await tableScans(databaseUrl, info.appId);
        const delta = (table: string, kind: 'idx' | 'seq') => (after[table]?.[kind] ?? 0) - (before[table]?.[kind] ?? 0);
        const per = (table: string, kind: 'idx' | 'seq', key: WorkloadKey) => (delta(table, kind) / report.results[key]!.sentTotal).toFixed(2);
        report.scans =
          `per (a) request: OpenNote ${per('OpenNote', 'idx', 'filter')} index / ${per('OpenNote', 'seq', 'filter')} seq scans; ` +
          `per (b) request: OwnNote ${per('OwnNote', 'idx', 'rules')} index / ${per('OwnNote', 'seq', 'rules')} seq scans, ` +
          `User ${per('User', 'idx', 'rules')} index scans (reads of the caller's user record)`;
        console.log(`  table scans (pg_stat_user_tables) ${report.scans}`);
      }
    }
    return { project, appId: info.appId, user: users[0] };
  } finally {
    await child.stop();
    console.log(`  server stopped (SIGTERM, exit ${child.process.exitCode ?? child.process.signalCode})`);
  }
}

function newReport(kind: DbKind, label: string): DbReport {
  return { kind, label, ...SIZES[kind], results: {}, notes: [] };
}

async function benchPglite(): Promise<DbReport> {
  const report = newReport('pglite', 'PGlite (in-memory, in the server process)');
  try {
    await benchHomebase(report, 'memory://');
  } catch (error) {
    report.failed = (error as Error).message;
    console.log(`  ! Homebase on PGlite failed: ${report.failed}`);
  }
  report.notes.push('no EXPLAIN: the in-memory database lives inside the server process');
  return report;
}

async function benchPostgres(): Promise<DbReport> {
  const report = newReport('postgres', `PostgreSQL (${new URL(POSTGRES_URL).host})`);
  const server = await postgresVersion();
  if ('skipped' in server) {
    report.skipped = server.skipped;
    return report;
  }
  const { version } = server;
  report.label = `PostgreSQL ${version} (${new URL(POSTGRES_URL).host}; server pool 8 connections)`;
  const { name, url, drop } = await scratchDatabase('homebase_access');
  try {
    console.log(`  database: ${name}`);
    let served: Awaited<ReturnType<typeof benchHomebase>> = undefined;
    try {
      served = await benchHomebase(report, url);
    } catch (error) {
      report.failed = (error as Error).message;
      console.log(`  ! Homebase on PostgreSQL failed: ${report.failed}`);
    }
    if (served) {
      console.log(`\n  EXPLAIN ANALYZE of the server's statements for ${served.user.email} (first plan lines):`);
      try {
        report.notes.push(...(await explain(url, await serverStatements(served.project, served.appId, served.user))));
      } catch (error) {
        report.notes.push(`EXPLAIN failed: ${(error as Error).message}`);
        console.log(`  ! EXPLAIN failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await drop();
  }
  return report;
}

// ---------------------------------------------------------------------------------------------------------------
// Report

function printReport(report: DbReport): void {
  console.log(`\n${report.label}`);
  if (report.skipped) {
    console.log(`  SKIPPED: ${report.skipped}`);
    return;
  }
  const rows = report.users * report.perUser;
  console.log(`  ${fmtInt(rows)} rows per entity, ${report.perUser} per user over ${fmtInt(report.users)} users; each request as a random user`);
  if (report.failed) console.log(`  FAILED: ${report.failed}`);
  if (report.seed) {
    console.log(`  seeding: OpenNote ${fmtInt(rows / report.seed.open)} rows/s, OwnNote (create rule checked) ${fmtInt(rows / report.seed.own)} rows/s`);
  }
  const lines: string[][] = [['workload', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx']];
  for (const { key, label } of WORKLOADS) {
    const r = report.results[key];
    lines.push(r ? [label, fmtInt(r.rps), fmtMs(r.p50), fmtMs(r.p99), String(r.problems.non2xx)] : [label, '-', '', '', '']);
  }
  console.log(table(lines, ['l', 'r', 'r', 'r', 'r']));
  const ratio = (num: WorkloadKey, den: WorkloadKey, label: string, judged: boolean) => {
    const a = report.results[num];
    const b = report.results[den];
    if (!a || !b) return;
    const value = a.rps / b.rps;
    const clean = a.problems.non2xx + b.problems.non2xx + a.problems.errors + b.problems.errors === 0;
    const verdict = judged ? `; target ≈ 1 (≥ ${RATIO_TARGET.toFixed(2)}): ${value >= RATIO_TARGET && clean ? 'PASS' : 'MISS'}` : '';
    // The pair ran interleaved, so each round's ratio compares runs made under the same machine conditions.
    const rounds = a.runs.length > 1 ? ` (per round: ${a.runs.map((rps, i) => (rps / b.runs[i]).toFixed(2)).join(', ')})` : '';
    console.log(`  ${label.padEnd(44)} ${fmtRatio(value)} req/s${rounds}, p50 ${fmtMs(a.p50)} vs ${fmtMs(b.p50)} ms${verdict}`);
  };
  ratio('rules', 'filter', 'page with rules / page with filter (b)/(a):', true);
  ratio('countRules', 'countFilter', 'count with rules / count with filter (d):', false);
  if (report.scans) console.log(`  table scans ${report.scans}`);
  for (const note of report.notes) console.log(`  ! ${note}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<void> {
  const started = Date.now();
  const cpus = os.cpus();
  console.log(`Homebase access-rules benchmark${QUICK ? ' (--quick: smoke test, numbers not meaningful)' : ''}`);
  console.log(
    `  machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${os.platform()}`,
  );
  console.log(`  NOTE: load generator (autocannon, this process), server (child process) and database share these ${cpus.length} cores.`);
  console.log(`  load average at start: ${loadAverage()} (anything else running on the machine skews the numbers)`);
  console.log(
    `  protocol: ${PROTOCOL.connections} connections; per workload ${PROTOCOL.warmup} s warm-up then ${PROTOCOL.runs} run(s) of ${PROTOCOL.duration} s ` +
      `(compared workloads interleaved), median run reported`,
  );
  console.log(`  entities: OpenNote (no rules) and OwnNote (read/update/delete: {created_by: "{{user.email}}"}), fields title, status, n`);
  console.log(`  pages: sort ${SORT}, limit ${PAGE}; each request signed in as a random user`);

  const reports: DbReport[] = [];
  for (const kind of DATABASES) {
    console.log(`\n== ${kind}: ${fmtInt(SIZES[kind].users * SIZES[kind].perUser)} rows per entity over ${fmtInt(SIZES[kind].users)} users`);
    const report = kind === 'pglite' ? await benchPglite() : await benchPostgres();
    reports.push(report);
    if (report.skipped) console.log(`  skipped: ${report.skipped}`);
  }

  console.log('\n============================= Access rules: results =============================');
  console.log(`${cpus.length} cores shared by load generator, server and database; ${PROTOCOL.connections} connections; median of ${PROTOCOL.runs} × ${PROTOCOL.duration} s.`);
  for (const report of reports) printReport(report);
  if (QUICK) console.log('\n(--quick run: short runs and a smaller data set; use the full run for real numbers)');
  console.log(`\nTotal time ${((Date.now() - started) / 1000).toFixed(0)} s; load average at end: ${loadAverage()}`);
}

await runBench(main);
