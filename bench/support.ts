// Shared by the benchmarks (bench/entities.ts, bench/access.ts): cleanup on exit and signals, child processes,
// the Homebase dev server as a child, HTTP load through autocannon, PostgreSQL helpers and formatting.

import { ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import postgres from 'postgres';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------------------------
// Cleanup: every resource registers an undo step; they run last-in first-out on exit, error or signal.

const cleanups: { label: string; run: () => Promise<void> }[] = [];
export function onCleanup(label: string, run: () => Promise<void>): () => Promise<void> {
  const entry = { label, run };
  cleanups.push(entry);
  return async () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
    await run();
  };
}
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop()!;
    try {
      await entry.run();
    } catch (error) {
      console.error(`cleanup "${entry.label}" failed: ${(error as Error).message}`);
    }
  }
}

/** Runs a benchmark to the end: a failure sets exit code 1, and everything it started is cleaned up either way. */
export async function runBench(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    console.error(`bench failed: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  } finally {
    await cleanupAll();
  }
}
/** On SIGINT, SIGTERM or SIGHUP: runs every cleanup step, then exits with code 130. */
export function cleanupOnSignals(): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');
export const fmtMs = (n: number) => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
export const fmtRatio = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '' : `${n.toFixed(2)}×`);

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const loadAverage = () => os.loadavg().map((n) => n.toFixed(2)).join(' / ') + ' (1/5/15 min)';

export function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
}

export function table(rows: string[][], align: ('l' | 'r')[]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r) => '  ' + r.map((cell, c) => (align[c] === 'l' ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd())
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

export interface Child {
  process: ChildProcess;
  stdout: string[];
  stderr: string[];
  stop: () => Promise<void>;
}

/** Spawns a node child, collects its output by lines and registers a SIGTERM-then-SIGKILL stop. */
export function startChild(label: string, argv: string[], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const collect = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      into.push(...lines);
      if (into.length > 20_000) into.splice(0, into.length - 20_000);
    };
  };
  child.stdout!.on('data', collect(stdout));
  child.stderr!.on('data', collect(stderr));
  const stop = onCleanup(`stop ${label}`, async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const clean = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!clean) {
      console.log(`  ! ${label} did not exit within 10 s of SIGTERM; killed`);
      child.kill('SIGKILL');
      await exited;
    } else if (child.exitCode !== 0 && child.signalCode === null) {
      console.log(`  ! ${label} exited with code ${child.exitCode} after SIGTERM`);
    }
  });
  return { process: child, stdout, stderr, stop };
}

/** Waits until one of the child's stdout lines matches, or fails when it exits or time runs out. */
export async function waitForLine(child: Child, pattern: RegExp, label: string, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const line of child.stdout) {
      const match = line.match(pattern);
      if (match) return match;
    }
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${label} exited (${child.process.exitCode ?? child.process.signalCode}) before it was ready:\n` +
        [...child.stderr, ...child.stdout].slice(-20).join('\n'));
    }
    await sleep(50);
  }
  throw new Error(`${label} was not ready within ${timeoutMs / 1000} s:\n${[...child.stderr, ...child.stdout].slice(-20).join('\n')}`);
}

// ---------------------------------------------------------------------------------------------------------------
// The Homebase dev server as a child process

export interface ServerInfo {
  url: string;
  appId: string;
  serviceToken: string;
}

/** Starts `homebase dev <projectDir>` on a free loopback port; its app id and service token come from dev.json. */
export async function startHomebase(projectDir: string, databaseUrl: string, env: NodeJS.ProcessEnv = {}): Promise<{ child: Child; info: ServerInfo }> {
  // The backend alone (the project's frontend dev server is no part of what is measured), and sign-ins of many
  // benchmark users from one address are not rate-limited.
  const args = ['dev', projectDir, '--port', '0', '--host', '127.0.0.1', '--database-url', databaseUrl, '--no-site-command'];
  const child = startChild('homebase', [path.join(ROOT, 'bin', 'homebase'), ...args], {
    LOG_LEVEL: 'warn',
    AUTH_LIMIT_PER_IP: '1000000/60',
    AUTH_LIMIT_PER_EMAIL: '1000000/60',
    ...env,
  });
  await waitForLine(child, /URL:\s+(http:\/\/\S+)/, 'homebase');
  const info = JSON.parse(await readFile(path.join(projectDir, '.homebase', 'dev.json'), 'utf8')) as ServerInfo;
  if (!isLoopback(info.url)) throw new Error(`server is not on loopback: ${info.url}`);
  return { child, info };
}

/** Warnings and errors the server logged (pino JSON lines on stdout, level ≥ 40) since `from`. */
export function serverProblems(child: Child, from: { stdout: number; stderr: number }): string[] {
  const found = new Map<string, number>();
  for (const line of child.stdout.slice(from.stdout)) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; type?: string } };
      if ((entry.level ?? 0) < 40) continue;
      const key = `${entry.level! >= 50 ? 'error' : 'warn'}: ${entry.msg ?? ''}${entry.err?.message ? ` — ${entry.err.type ?? 'Error'}: ${entry.err.message}` : ''}`;
      found.set(key, (found.get(key) ?? 0) + 1);
    } catch {
      /* not a log line */
    }
  }
  for (const line of child.stderr.slice(from.stderr)) if (line.trim()) found.set(`stderr: ${line.trim()}`, (found.get(`stderr: ${line.trim()}`) ?? 0) + 1);
  return [...found].map(([k, n]) => `${n}× ${k.slice(0, 300)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP load (autocannon)

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statuses: Record<string, number>;
  /** Requests sent (answered or not). */
  sent: number;
}

export interface LoadSpec {
  url: string;
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (request: autocannon.Request) => autocannon.Request;
}

/** How load is applied: connections, warm-up seconds, then `runs` runs of `duration` seconds. */
export interface LoadProtocol {
  connections: number;
  warmup: number;
  runs: number;
  duration: number;
}

export async function autocannonOnce(spec: LoadSpec, seconds: number, connections: number): Promise<LoadResult> {
  const result = await autocannon({
    url: spec.url,
    connections,
    pipelining: 1,
    duration: seconds,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    requests: spec.setupRequest ? [{ setupRequest: spec.setupRequest }] : undefined,
  });
  const statuses: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stat.count ?? 0;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statuses,
    sent: result.requests.sent,
  };
}

export interface MeasuredLoad extends LoadResult {
  runs: number[];
  /** Requests sent over the warm-up and every run. */
  sentTotal: number;
  /** non-2xx, errors and timeouts over the warm-up and every run. */
  problems: { non2xx: number; errors: number; timeouts: number; statuses: Record<string, number> };
}

/** The median run (by req/s) as the result, with the problems of every run (warm-up included) summed. */
export function summarizeRuns(warmup: LoadResult[], runs: LoadResult[]): MeasuredLoad {
  const all = [...warmup, ...runs];
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const median = sorted[Math.floor(sorted.length / 2)];
  const statuses: Record<string, number> = {};
  for (const r of all) for (const [code, n] of Object.entries(r.statuses)) statuses[code] = (statuses[code] ?? 0) + n;
  return {
    ...median,
    runs: runs.map((r) => r.rps),
    sentTotal: all.reduce((s, r) => s + r.sent, 0),
    problems: {
      non2xx: all.reduce((s, r) => s + r.non2xx, 0),
      errors: all.reduce((s, r) => s + r.errors, 0),
      timeouts: all.reduce((s, r) => s + r.timeouts, 0),
      statuses,
    },
  };
}

/** Warm-up, then `protocol.runs` runs; the median run (by req/s) is the result. */
export async function measureHttp(spec: LoadSpec, protocol: LoadProtocol): Promise<MeasuredLoad> {
  const warmup = [await autocannonOnce(spec, protocol.warmup, protocol.connections)];
  const runs: LoadResult[] = [];
  for (let i = 0; i < protocol.runs; i++) runs.push(await autocannonOnce(spec, protocol.duration, protocol.connections));
  return summarizeRuns(warmup, runs);
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL

/** One short-lived connection for setup work (CREATE/DROP DATABASE, ANALYZE, EXPLAIN). */
export async function withPostgres<T>(url: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {}, idle_timeout: 1 });
  try {
    return await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export const POSTGRES_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The PostgreSQL server's version, or why the PostgreSQL part of a benchmark is skipped. */
export async function postgresVersion(): Promise<{ version: string } | { skipped: string }> {
  if (!isLoopback(POSTGRES_URL)) return { skipped: `${new URL(POSTGRES_URL).host} is not a loopback address` };
  try {
    return {
      version: await withPostgres(POSTGRES_URL, async (sql) => (await sql.unsafe('SHOW server_version'))[0].server_version as string),
    };
  } catch (error) {
    return { skipped: `cannot connect to ${POSTGRES_URL}: ${(error as Error).message}` };
  }
}

/** A fresh database on the benchmark's PostgreSQL server, dropped on exit (or earlier, through `drop`). */
export async function scratchDatabase(prefix: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  await withPostgres(POSTGRES_URL, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const drop = onCleanup(`drop database ${name}`, async () => {
    await withPostgres(POSTGRES_URL, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    console.log(`  dropped database ${name}`);
  });
  return { name, url: withDatabase(POSTGRES_URL, name), drop };
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

export type DbKind = 'pglite' | 'postgres';

/** The flags every benchmark takes (`--quick`, `--db pglite|postgres`) and its own string flags with their defaults. */
export function benchArgs<Own extends string>(own: Record<Own, string> = {} as Record<Own, string>): {
  quick: boolean;
  databases: DbKind[];
  flags: Record<Own, string>;
} {
  const ownOptions = Object.fromEntries(Object.entries<string>(own).map(([name, value]) => [name, { type: 'string' as const, default: value }]));
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, db: { type: 'string' }, ...ownOptions },
    allowPositionals: false,
  });
  const db = values.db as string | undefined;
  if (db !== undefined && db !== 'pglite' && db !== 'postgres') {
    console.error(`--db must be pglite or postgres, not ${db}`);
    process.exit(2);
  }
  return { quick: values.quick === true, databases: db ? [db] : ['pglite', 'postgres'], flags: values as Record<Own, string> };
}
