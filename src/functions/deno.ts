// Where Deno comes from (the `deno` npm package) and how it is started: least privilege, shared module cache.
// npm may skip the package's postinstall, so the binary is resolved the way its own `bin.cjs` falls back to.

import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder with bootstrap.ts: src/functions/runtime both from src/ and from dist/ (both sit at the package root). */
export const RUNTIME_DIR = fileURLToPath(new URL('../../src/functions/runtime/', import.meta.url));

let resolved: string | undefined;

/**
 * The Deno executable of the installed `deno` package. Its postinstall copies the binary out of the platform package
 * (`@deno/linux-x64-glibc`, ...); when npm did not run it, `runInstall()` does the same now, or returns the
 * platform package's own binary on a read-only install.
 */
export function denoExecutable(): string {
  if (!resolved) {
    const install = createRequire(import.meta.url)('deno/install_api.cjs') as { runInstall(): string };
    resolved = install.runInstall();
  }
  return resolved;
}

export interface DenoSandbox {
  /** Files the function may read: its deployment folder. */
  codeDir: string;
  /** Its private temp dir: the only place it may write. */
  tempDir: string;
  denoDir: string;
  memoryMb: number;
  /** Extra CA certificates (PEM) Deno trusts, for networks that re-sign TLS. */
  caCertFile?: string;
  /** Hosts, `host:port`s and CIDRs the function may not connect to (deniedDestinations). */
  deniedNet: string[];
}

/** Cloud instance-metadata endpoints (AWS, GCP, Azure and others), where code could read the host's credentials. */
const METADATA_ENDPOINTS = ['169.254.169.254', '[fd00:ec2::254]'];

/** Every address of this machine, as deny-net entries: all of loopback, the wildcard, and each interface's own. */
function ownAddresses(): string[] {
  const interfaces = Object.values(os.networkInterfaces()).flatMap((list) => list ?? []);
  // Link-local IPv6 addresses carry a zone (`%eth0`) that deny-net cannot name; they are left out.
  const own = interfaces.filter((i) => !i.address.includes('%')).map((i) => (i.family === 'IPv6' ? `[${i.address}]` : i.address));
  return [...new Set(['127.0.0.0/8', '0.0.0.0', '[::1]', '[::]', ...own])];
}

/**
 * Where functions may not connect, although the network is theirs: the database server (on every address of this
 * machine when it runs here, since a local PostgreSQL often trusts local connections), cloud metadata endpoints, and
 * what the operator adds. Deno checks the addresses names resolve to, so another name for the same host is refused too.
 */
export function deniedDestinations(databaseUrl: string | undefined, extra: string[] = []): string[] {
  const denied = [...METADATA_ENDPOINTS, ...extra];
  if (databaseUrl && /^postgres(ql)?:\/\//.test(databaseUrl)) {
    const url = new URL(databaseUrl);
    const port = url.port || '5432';
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const own = ownAddresses();
    const local = host === 'localhost' || host.startsWith('127.') || own.includes(host) || own.includes(`[${host}]`);
    denied.push(...(local ? own.map((address) => `${address}:${port}`) : [`${url.hostname}:${port}`]));
  }
  return denied;
}

export function denoRunArgs(sandbox: DenoSandbox, entryUrl: string, socketPath: string): string[] {
  return [
    'run',
    '--no-prompt',
    // The project's deno.json, lock file and package.json are ignored, as on Base44.
    '--no-config',
    '--no-lock',
    '--node-modules-dir=none',
    '--allow-net',
    ...(sandbox.deniedNet.length > 0 ? [`--deny-net=${sandbox.deniedNet.join(',')}`] : []),
    // The process environment is built from scratch (the app's secrets and Base44's variables), so reading all of it
    // reveals nothing else; npm packages such as `debug` enumerate it and would fail with a name list.
    '--allow-env',
    `--allow-read=${[sandbox.codeDir, sandbox.tempDir, sandbox.denoDir, RUNTIME_DIR].join(',')}`,
    `--allow-write=${sandbox.tempDir}`,
    `--import-map=${RUNTIME_DIR}import-map.json`,
    `--v8-flags=--max-old-space-size=${sandbox.memoryMb}`,
    `${RUNTIME_DIR}bootstrap.ts`,
    entryUrl,
    socketPath,
  ];
}

/** The environment every function process starts with; nothing is inherited from Homebase's own. */
export function denoEnv(sandbox: DenoSandbox, variables: Record<string, string>): Record<string, string> {
  return {
    ...variables,
    DENO_DIR: sandbox.denoDir,
    HOME: sandbox.tempDir,
    TMPDIR: sandbox.tempDir,
    NO_COLOR: '1',
    DENO_NO_UPDATE_CHECK: '1',
    ...(sandbox.caCertFile ? { DENO_CERT: sandbox.caCertFile } : {}),
  };
}

function runDeno(args: string[], denoDir: string, caCertFile?: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(denoExecutable(), args, {
      env: { DENO_DIR: denoDir, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...(caCertFile ? { DENO_CERT: caCertFile } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', (error) => resolve({ ok: false, output: error.message }));
    child.on('close', (code) => resolve({ ok: code === 0, output }));
  });
}

/**
 * Downloads modules into the shared cache ahead of the first call (`deno cache`). What is cached already is checked
 * first without the network, so this works offline once the cache is warm.
 */
export async function cacheModules(denoDir: string, specifiers: string[], caCertFile?: string): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'homebase-deno-cache-'));
  try {
    const file = path.join(dir, 'modules.ts');
    await writeFile(file, specifiers.map((s) => `import ${JSON.stringify(s)};`).join('\n'));
    const args = ['cache', '--no-config', '--no-lock', '--node-modules-dir=none', file];
    const offline = await runDeno([...args.slice(0, 1), '--cached-only', ...args.slice(1)], denoDir);
    return offline.ok ? offline : await runDeno(args, denoDir, caCertFile);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
