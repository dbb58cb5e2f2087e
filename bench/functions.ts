// Backend-functions benchmark: what Homebase adds to a warm echo function over calling its Deno server directly
// (same bootstrap, same flags, over its unix socket), and cold start with a warm module cache.
// `npm run bench` runs it after the other benchmarks; alone: `node --import tsx bench/functions.ts [--quick]`.
// Everything it starts or creates is removed on exit, even on failure. Client, server and Deno share this machine.

import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheModules, denoExecutable } from '../src/functions/index.js';
import { deniedDestinations, denoEnv, denoRunArgs } from '../src/functions/deno.js';
import {
  ROOT,
  cleanupOnSignals,
  fmtMs,
  fmtRatio,
  loadAverage,
  onCleanup,
  percentile,
  runBench,
  serverProblems,
  sleep,
  startHomebase,
  table,
  benchArgs,
} from './support.js';

const { quick: QUICK } = benchArgs();
const REQUESTS = QUICK ? 300 : 2000;
const COLD_STARTS = QUICK ? 3 : 10;
const SDK = 'npm:@base44/sdk@0.8';
const DENO_DIR = path.join(ROOT, 'node_modules/.cache/homebase-deno');
const CA_CERT_FILE = process.env.DENO_CERT ?? process.env.NODE_EXTRA_CA_CERTS;
/** Targets from issue 6. */
const OVERHEAD_TARGET_MS = 3;
const COLD_START_TARGET_MS = 500;

const ECHO = 'Deno.serve(async (req) => Response.json({ echo: await req.json() }));\n';
const withSdk = (n: number) =>
  `import { createClientFromRequest } from '${SDK}';\n// variant ${n}\nDeno.serve((req) => Response.json({ ok: typeof createClientFromRequest(req).entities }));\n`;
const BODY = JSON.stringify({ hello: 'world', items: [1, 2, 3] });

interface Target {
  socketPath?: string;
  port?: number;
  path: string;
  /** GET sends no body (the /health reference). */
  method?: 'GET' | 'POST';
}

/** One request (a POST of BODY by default) over a kept-alive connection; resolves with the elapsed milliseconds. */
function post(agent: Agent, target: Target): Promise<number> {
  const started = performance.now();
  const body = target.method === 'GET' ? '' : BODY;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        agent,
        socketPath: target.socketPath,
        host: target.socketPath ? undefined : '127.0.0.1',
        port: target.port,
        method: target.method ?? 'POST',
        path: target.path,
        headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {},
      },
      (response) => {
        response.resume();
        response.on('end', () => (response.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${response.statusCode}`))));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** p50 and p99 of `count` sequential requests after a warm-up, one connection. */
async function latency(target: Target, count: number): Promise<{ p50: number; p99: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 100; i++) await post(agent, target);
    const times = new Float64Array(count);
    for (let i = 0; i < count; i++) times[i] = await post(agent, target);
    times.sort();
    return { p50: percentile(times, 50), p99: percentile(times, 99) };
  } finally {
    agent.destroy();
  }
}

/** The echo function on Deno exactly as Homebase starts it, without Homebase in front. */
async function startDirectDeno(codeDir: string): Promise<string> {
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-deno-'));
  const socketPath = path.join(tempDir, 'function.sock');
  const sandbox = { codeDir, tempDir, denoDir: DENO_DIR, memoryMb: 512, caCertFile: CA_CERT_FILE, deniedNet: deniedDestinations('memory://') };
  const child = spawn(denoExecutable(), denoRunArgs(sandbox, pathToFileURL(path.join(codeDir, 'entry.ts')).href, socketPath), {
    env: denoEnv(sandbox, {}),
    cwd: tempDir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onCleanup('stop direct deno', async () => {
    child.kill('SIGKILL');
    await rm(tempDir, { recursive: true, force: true });
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('"t":"ready"') && resolve());
    child.once('exit', (code) => reject(new Error(`deno exited (${code}) before it was ready`)));
  });
  return socketPath;
}

async function main(): Promise<void> {
  cleanupOnSignals();
  console.log(`# Backend functions benchmark${QUICK ? ' (quick)' : ''}\nload average before: ${loadAverage()}`);
  const cached = await cacheModules(DENO_DIR, [SDK], CA_CERT_FILE);
  if (!cached.ok) throw new Error(`could not cache ${SDK}:\n${cached.output}`);

  const projectDir = await mkdtemp(path.join(os.tmpdir(), 'homebase-bench-functions-'));
  onCleanup('remove the project', () => rm(projectDir, { recursive: true, force: true }));
  await mkdir(path.join(projectDir, 'base44/functions/echo'), { recursive: true });
  await writeFile(path.join(projectDir, 'base44/config.jsonc'), '{"name": "Functions benchmark"}');
  await writeFile(path.join(projectDir, 'base44/functions/echo/entry.ts'), ECHO);
  const directDir = path.join(projectDir, 'direct');
  await mkdir(directDir);
  await writeFile(path.join(directDir, 'entry.ts'), ECHO);

  const { child, info } = await startHomebase(projectDir, 'memory://', { HOMEBASE_DENO_DIR: DENO_DIR });
  const port = Number(new URL(info.url).port);
  const operator = { authorization: `Bearer ${info.serviceToken}` };

  const socketPath = await startDirectDeno(directDir);
  const direct = await latency({ socketPath, path: '/' }, REQUESTS);
  const homebase = await latency({ port, path: `/api/apps/${info.appId}/functions/echo` }, REQUESTS);
  const health = await latency({ port, path: '/health', method: 'GET' }, REQUESTS);

  // Cold starts: each deployment is new, so its first call starts a Deno process (module cache warm).
  const cold: { plain: number[]; sdk: number[] } = { plain: [], sdk: [] };
  const agent = new Agent({ keepAlive: true });
  for (let i = 0; i < COLD_STARTS; i++) {
    for (const [kind, code] of [['plain', `${ECHO}// variant ${i}\n`], ['sdk', withSdk(i)]] as const) {
      const name = `cold-${kind}-${i}`;
      const deployed = await fetch(`${info.url}/api/apps/${info.appId}/backend-functions/${name}`, {
        method: 'PUT',
        headers: { ...operator, 'content-type': 'application/json' },
        body: JSON.stringify({ entry: 'entry.ts', files: [{ path: 'entry.ts', content: code }] }),
      });
      if (!deployed.ok) throw new Error(`deploy failed: ${deployed.status} ${await deployed.text()}`);
      cold[kind].push(await post(agent, { port, path: `/api/apps/${info.appId}/functions/${name}` }));
      await sleep(50);
    }
  }
  agent.destroy();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

  const overhead = homebase.p50 - direct.p50;
  console.log(`\n## Warm invoke of an echo function: ${REQUESTS} sequential requests, one kept-alive connection\n`);
  console.log(
    table(
      [
        ['path', 'p50 ms', 'p99 ms', 'p50 vs direct'],
        ['Deno server directly (unix socket)', fmtMs(direct.p50), fmtMs(direct.p99), fmtRatio(1)],
        ['through Homebase (POST /api/apps/:id/functions/echo)', fmtMs(homebase.p50), fmtMs(homebase.p99), fmtRatio(homebase.p50 / direct.p50)],
        ['Homebase GET /health (its HTTP floor)', fmtMs(health.p50), fmtMs(health.p99), fmtRatio(health.p50 / direct.p50)],
      ],
      ['l', 'r', 'r', 'r'],
    ),
  );
  console.log(`\nHomebase overhead at p50: ${fmtMs(overhead)} ms (target < ${OVERHEAD_TARGET_MS} ms): ${overhead < OVERHEAD_TARGET_MS ? 'met' : 'NOT met'}`);
  console.log(`\n## Cold start (first call of a new deployment, module cache warm), median of ${COLD_STARTS}\n`);
  console.log(
    table(
      [
        ['function', 'median ms', 'min ms', 'max ms', 'vs warm call'],
        ['echo, no imports', fmtMs(median(cold.plain)), fmtMs(Math.min(...cold.plain)), fmtMs(Math.max(...cold.plain)), fmtRatio(median(cold.plain) / homebase.p50)],
        [`imports ${SDK}`, fmtMs(median(cold.sdk)), fmtMs(Math.min(...cold.sdk)), fmtMs(Math.max(...cold.sdk)), fmtRatio(median(cold.sdk) / homebase.p50)],
      ],
      ['l', 'r', 'r', 'r', 'r'],
    ),
  );
  const coldSdk = median(cold.sdk);
  console.log(`\nCold start with the SDK: ${fmtMs(coldSdk)} ms (target < ${COLD_START_TARGET_MS} ms): ${coldSdk < COLD_START_TARGET_MS ? 'met' : 'NOT met'}`);
  const problems = serverProblems(child, { stdout: 0, stderr: 0 });
  if (problems.length) console.log(`\nServer warnings and errors:\n${problems.join('\n')}`);
  console.log(`load average after: ${loadAverage()}`);
}

void runBench(main);
