// Uploads benchmark: several (`--at-once N`, 8) 50 MB `Core.UploadFile` calls at once, as the SDK sends them (multipart), to the local
// store; the server's peak resident memory above its idle level against the bytes in flight, and the throughput.
// Uploads are spooled to disk on the way in, so memory should stay well under the bytes in flight. Then how long the
// server stops answering (the slowest /health while it runs) during ExtractDataFromUploadedFile of a large spreadsheet.
// `npm run bench` runs it last; alone: `node --import tsx bench/files.ts [--quick]`. Client and server share this machine.

import { readFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import ExcelJS from 'exceljs';
import path from 'node:path';
import {
  benchArgs,
  cleanupOnSignals,
  fmtInt,
  fmtRatio,
  loadAverage,
  onCleanup,
  postgresVersion,
  runBench,
  scratchDatabase,
  ServerInfo,
  serverProblems,
  sleep,
  startHomebase,
  table,
} from './support.js';

const { quick: QUICK, flags } = benchArgs({ 'at-once': '8' });
const FILE_BYTES = 50 * 1024 * 1024;
const AT_ONCE = QUICK ? 2 : Number(flags['at-once']);
const ROUNDS = QUICK ? 1 : 3;
/** Peak memory above idle, as a share of the bytes in flight: under this, uploads are not held in memory. */
const MEMORY_TARGET = 0.5;
const EXTRACT_ROWS = 5_000;
/** The longest stall of the server during an extraction, as a share of the extraction: parsing happens elsewhere. */
const STALL_TARGET = 0.25;
const ORDER_LINES = {
  type: 'object',
  properties: {
    items: {
      type: 'array',
      items: { type: 'object', properties: { product: { type: 'string' }, quantity: { type: 'number' }, unit_price: { type: 'number' } } },
    },
  },
};

async function residentBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Samples the process's resident memory until `work` ends; resolves with the work's result and the peak. */
async function withPeakMemory<T>(pid: number, work: Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, await residentBytes(pid));
      await sleep(20);
    }
  })();
  try {
    return { result: await work, peak };
  } finally {
    running = false;
    await sampling;
  }
}

/** An XLSX of `rows` order lines, uploaded; its URL. */
async function uploadSpreadsheet(info: ServerInfo, rows: number): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Orders');
  sheet.addRow(['product', 'quantity', 'unit_price']);
  for (let i = 0; i < rows; i++) sheet.addRow([`Product ${i}`, (i % 7) + 1, ((i * 37) % 1000) / 10]);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await workbook.xlsx.writeBuffer())]), 'orders.xlsx');
  const response = await fetch(`${info.url}/api/apps/${info.appId}/integration-endpoints/Core/UploadFile`, {
    method: 'POST',
    headers: { authorization: `Bearer ${info.serviceToken}` },
    body: form,
  });
  return ((await response.json()) as { file_url: string }).file_url;
}

/** The slowest of /health requests sent one after another while `work` runs (the server's longest stall). */
async function slowestHealthDuring(info: ServerInfo, work: Promise<unknown>): Promise<{ slowest: number; answered: number }> {
  let running = true;
  let slowest = 0;
  let answered = 0;
  const probing = (async () => {
    while (running) {
      const started = performance.now();
      await (await fetch(`${info.url}/health`)).text();
      slowest = Math.max(slowest, performance.now() - started);
      answered++;
      await sleep(10);
    }
  })();
  try {
    await work;
  } finally {
    running = false;
    await probing;
  }
  return { slowest, answered };
}

async function measureExtraction(info: ServerInfo): Promise<void> {
  const rows = QUICK ? 2_000 : EXTRACT_ROWS;
  const fileUrl = await uploadSpreadsheet(info, rows);
  const extract = async () => {
    const started = performance.now();
    const response = await fetch(`${info.url}/api/apps/${info.appId}/integration-endpoints/Core/ExtractDataFromUploadedFile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.serviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ file_url: fileUrl, json_schema: ORDER_LINES }),
    });
    const body = (await response.json()) as { status?: string; output?: { items?: unknown[] } };
    if (body.status !== 'success') throw new Error(`ExtractDataFromUploadedFile answered ${response.status}: ${JSON.stringify(body).slice(0, 300)}`);
    return { ms: performance.now() - started, items: body.output?.items?.length ?? 0 };
  };
  await extract();
  const timing = extract();
  const { slowest, answered } = await slowestHealthDuring(info, timing);
  const { ms, items } = await timing;
  console.log(`\nExtractDataFromUploadedFile of a ${fmtInt(rows)}-row XLSX: ${fmtInt(ms)} ms, ${fmtInt(items)} rows out`);
  console.log(`  slowest /health meanwhile: ${fmtInt(slowest)} ms over ${answered} requests (${fmtRatio(slowest / ms)} of the extraction; target < ${fmtRatio(STALL_TARGET)}): ${slowest / ms < STALL_TARGET ? 'met' : 'MISS'}`);
}

async function main(): Promise<void> {
  cleanupOnSignals();
  console.log(`# Uploads benchmark${QUICK ? ' (quick)' : ''}: ${AT_ONCE} × 50 MB at once, ${ROUNDS} round(s)\nload average before: ${loadAverage()}`);
  const projectDir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-files-'));
  onCleanup('remove the project', () => rm(projectDir, { recursive: true, force: true }));
  await mkdir(path.join(projectDir, 'base44'), { recursive: true });
  await writeFile(path.join(projectDir, 'base44/config.jsonc'), '{"name": "Uploads benchmark"}');
  // On PostgreSQL when there is one: PGlite's WASM memory, touched a page at a time, would blur the server's RSS.
  const server = await postgresVersion();
  const databaseUrl = 'skipped' in server ? 'memory://' : (await scratchDatabase('homebase_bench_files')).url;
  console.log(`database: ${'skipped' in server ? `PGlite in memory (${server.skipped})` : `PostgreSQL ${server.version}`}`);
  const { child, info } = await startHomebase(projectDir, databaseUrl);
  const pid = child.process.pid!;
  // Incompressible bytes, so no layer can shrink them.
  const content = new Uint8Array(FILE_BYTES);
  for (let offset = 0; offset < FILE_BYTES; offset += 65_536) crypto.getRandomValues(content.subarray(offset, offset + 65_536));
  const upload = async (n: number) => {
    const form = new FormData();
    form.append('file', new Blob([content]), `upload-${n}.bin`);
    const response = await fetch(`${info.url}/api/apps/${info.appId}/integration-endpoints/Core/UploadFile`, {
      method: 'POST',
      headers: { authorization: `Bearer ${info.serviceToken}` },
      body: form,
    });
    if (response.status !== 200) throw new Error(`UploadFile answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  };
  await upload(0);
  await sleep(1000);
  const rows: string[][] = [['round', 'idle RSS MB', 'peak RSS MB', 'in flight MB', 'peak above idle / in flight', 'MB/s']];
  let worst = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    const idle = await residentBytes(pid);
    const started = performance.now();
    const { peak } = await withPeakMemory(pid, Promise.all(Array.from({ length: AT_ONCE }, (_, i) => upload(round * 100 + i))));
    const seconds = (performance.now() - started) / 1000;
    const share = (peak - idle) / (AT_ONCE * FILE_BYTES);
    worst = Math.max(worst, share);
    const mb = (bytes: number) => fmtInt(bytes / 1024 / 1024);
    rows.push([String(round), mb(idle), mb(peak), mb(AT_ONCE * FILE_BYTES), fmtRatio(share), fmtInt((AT_ONCE * FILE_BYTES) / 1024 / 1024 / seconds)]);
    await sleep(1000);
  }
  console.log(`\n${table(rows, ['l', 'r', 'r', 'r', 'r', 'r'])}`);
  console.log(`\nworst peak above idle / bytes in flight: ${fmtRatio(worst)} (target < ${fmtRatio(MEMORY_TARGET)}): ${worst < MEMORY_TARGET ? 'met' : 'MISS'}`);
  await measureExtraction(info);
  for (const line of serverProblems(child, { stdout: 0, stderr: 0 }).slice(0, 8)) console.log(`  ! server logged: ${line}`);
  console.log(`load average after: ${loadAverage()}`);
}

await runBench(main);
