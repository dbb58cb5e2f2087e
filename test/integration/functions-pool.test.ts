// The warm-process pool on real Deno, without a server: idle processes are stopped and restarted on demand, a function
// that cannot start says why (and the failure is remembered briefly instead of spawning Deno on every call).
// No database involved.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Launch, WorkerPool } from '../../src/functions/pool.js';
import { WorkerStartError } from '../../src/functions/worker.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR } from '../support/deno.js';

describe('the pool of function processes', () => {
  let dir: string;
  let pool: WorkerPool;
  const lines: string[] = [];
  const launch = (id: string, entry: string): Launch => ({
    deploymentId: id,
    appId: 'app',
    functionName: id,
    codeDir: async () => dir,
    entryPath: path.join(dir, entry),
    env: async () => ({ GREETING: 'hi' }),
  });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'homebase-pool-'));
    await writeFile(path.join(dir, 'ok.ts'), "console.log('loaded', Deno.env.get('GREETING'));\nDeno.serve(() => Response.json({ pid: Deno.pid }));\n");
    await writeFile(path.join(dir, 'broken.ts'), "throw new Error('cannot load this');\n");
    await writeFile(path.join(dir, 'nohandler.ts'), 'export const x = 1;\n');
    pool = new WorkerPool(
      { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE, deniedNet: [], memoryMb: 128, startTimeoutMs: 30_000, idleMs: 400, failureMemoryMs: 60_000 },
      (_launch, line) => lines.push(line.message),
    );
  });

  afterAll(async () => {
    await pool?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('shares one process between concurrent first calls, stops it when idle, and starts a new one when called again', async () => {
    const [first, second] = await Promise.all([pool.acquire(launch('ok', 'ok.ts')), pool.acquire(launch('ok', 'ok.ts'))]);
    expect(second).toBe(first);
    expect(lines).toContain('loaded hi');
    await expect.poll(() => pool.running('ok'), { timeout: 10_000 }).toBeUndefined();
    expect(first.alive).toBe(false);
    const next = await pool.acquire(launch('ok', 'ok.ts'));
    expect(next.pid).not.toBe(first.pid);
  });

  it('reports why a function cannot start, and remembers it for a while', async () => {
    const error = await pool.acquire(launch('broken', 'broken.ts')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartError);
    expect((error as Error).message).toContain('cannot load this');
    expect(await pool.acquire(launch('broken', 'broken.ts')).catch((e: unknown) => e)).toBe(error);
    await expect(pool.acquire(launch('nohandler', 'nohandler.ts'))).rejects.toThrow(/neither calls Deno.serve/);
  });
});
