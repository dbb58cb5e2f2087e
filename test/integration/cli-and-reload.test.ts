// Entity files reloaded into a running server, and the `homebase` command line (dev, token, users create),
// driven as an operator would: a real child process, its printed output and its files. PGlite only.
// bin/homebase runs the compiled dist/ (npm test builds it first).

import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createClient } from '@base44/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Rec } from '../support/sdk.js';
import { KARARA, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const BIN = path.join(REPO_ROOT, 'bin', 'homebase');
const run = promisify(execFile);

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

/** A fresh copy of the example project, as startTestServer makes one. */
async function projectCopy(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'homebase-cli-'));
  await cp(KARARA, dir, { recursive: true, filter: (source) => !source.includes('.homebase') && !source.endsWith('.app.jsonc') });
  return dir;
}

interface DevProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `homebase dev` and resolves once it has printed `text` (rejects if it exits first). */
async function startDev(dir: string, port: number, text: string): Promise<DevProcess> {
  if (!existsSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js'))) {
    throw new Error('dist/ is not built: run `npm run build` (npm test does it) before this suite');
  }
  const child = spawn(process.execPath, [BIN, 'dev', dir, '--port', String(port), '--database-url', 'memory://', '--no-site-command'], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes(text)) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`homebase dev exited (${code ?? signal}) before printing ${text}\nstdout: ${stdout}\nstderr: ${stderr}`)),
    );
  });
  return { child, output: () => stdout, exited };
}

async function stopDev(dev: DevProcess | undefined): Promise<void> {
  if (!dev || dev.child.exitCode !== null || dev.child.signalCode !== null) return;
  dev.child.kill('SIGTERM');
  await dev.exited;
}

describe('on pglite, entity files', () => {
  let server: TestServer;
  const entitiesDir = () => path.join(server.projectDir, 'base44', 'entities');

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(() => server?.close());

  it('a new entity file is served after reload, and existing data survives', async () => {
    const kept = (await server.service.entities.Task.create({ title: 'Before the reload' })) as Rec;
    expect((await failure(server.service.entities.Note.list())).status).toBe(404);
    await writeFile(
      path.join(entitiesDir(), 'note.jsonc'),
      `// A note added while the server runs
      {
        "name": "Note",
        "type": "object",
        "properties": {
          "text": { "type": "string", "maxLength": 50 },
          "pinned": { "type": "boolean", "default": false }
        },
        "required": ["text"]
      }`,
    );
    await server.reload();
    const note = (await server.service.entities.Note.create({ text: 'hello' })) as Rec;
    expect(note).toMatchObject({ text: 'hello', pinned: false });
    expect(((await server.service.entities.Note.list()) as Rec[]).map((n) => n.id)).toEqual([note.id]);
    expect((await failure(server.service.entities.Note.create({ pinned: true }))).status).toBe(422);
    expect(await server.service.entities.Task.get(kept.id as string)).toEqual(kept);
  });

  it('a broken entity file does not stop the others', async () => {
    await writeFile(path.join(entitiesDir(), 'broken.jsonc'), '{ "name": "Broken", "type": "object", "properties": { ');
    await writeFile(
      path.join(entitiesDir(), 'tag.jsonc'),
      JSON.stringify({ name: 'Tag', type: 'object', properties: { label: { type: 'string' } }, required: ['label'] }),
    );
    await server.reload();
    expect(await server.service.entities.Tag.create({ label: 'urgent' })).toMatchObject({ label: 'urgent' });
    expect(await server.service.entities.Task.create({ title: 'Still served' })).toMatchObject({ status: 'todo' });
    const error = await failure(server.service.entities.Broken.list());
    expect(error.status).toBe(404);
  });

  it('a changed entity file changes validation after reload', async () => {
    const file = path.join(entitiesDir(), 'gadget.jsonc');
    const definition = (sizes: string[]) =>
      JSON.stringify({ name: 'Gadget', type: 'object', properties: { size: { type: 'string', enum: sizes } }, required: ['size'] });
    await writeFile(file, definition(['small', 'large']));
    await server.reload();
    expect(await server.service.entities.Gadget.create({ size: 'small' })).toMatchObject({ size: 'small' });
    expect((await failure(server.service.entities.Gadget.create({ size: 'huge' }))).status).toBe(422);
    await writeFile(file, definition(['small', 'large', 'huge']));
    await server.reload();
    expect(await server.service.entities.Gadget.create({ size: 'huge' })).toMatchObject({ size: 'huge' });
    expect(await server.service.entities.Gadget.count()).toBe(2);
  });
});

describe('on pglite, the homebase command line', () => {
  let dir: string;
  let port: number;
  let dev: DevProcess | undefined;
  let appId: string;
  const url = () => `http://127.0.0.1:${port}`;
  const homebase = (...args: string[]) => run(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'warn' } });

  /** A second dev server, started alongside the first, for the test that stops one. */
  let doomed: { dir: string; port: number; dev?: DevProcess } | undefined;

  beforeAll(async () => {
    [dir, port] = await Promise.all([projectCopy(), freePort()]);
    doomed = { dir: await projectCopy(), port: await freePort() };
    const d = doomed;
    [dev, d.dev] = await Promise.all([
      startDev(dir, port, `http://127.0.0.1:${port}`),
      startDev(d.dir, d.port, `http://127.0.0.1:${d.port}`),
    ]);
    appId = (JSON.parse(await readFile(path.join(dir, 'base44', '.app.jsonc'), 'utf8')) as { id: string }).id;
  });
  afterAll(async () => {
    await Promise.all([stopDev(dev), stopDev(doomed?.dev)]);
    if (dir) await rm(dir, { recursive: true, force: true });
    if (doomed) await rm(doomed.dir, { recursive: true, force: true });
  });

  it('homebase dev prints the URL and the app id, and serves the app there', async () => {
    expect(appId).toMatch(/^[0-9a-f]{24}$/);
    expect(dev!.output()).toContain(url());
    expect(dev!.output()).toContain(appId);
    const client = createClient({ serverUrl: url(), appId, analytics: { enabled: false } } as Parameters<typeof createClient>[0]);
    expect(await client.entities.Task.list()).toEqual([]);
  });

  it('homebase dev writes .homebase/dev.json, readable by its owner only', async () => {
    const file = path.join(dir, '.homebase', 'dev.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const devFile = JSON.parse(await readFile(file, 'utf8')) as Rec;
    expect(devFile).toMatchObject({ url: url(), appId, serviceToken: expect.any(String) });
  });

  it('homebase dev notices a new entity file by itself and serves it', async () => {
    await writeFile(
      path.join(dir, 'base44', 'entities', 'memo.jsonc'),
      '{ "name": "Memo", "type": "object", "properties": { "text": { "type": "string" } }, "required": ["text"] }',
    );
    const client = createClient({ serverUrl: url(), appId, analytics: { enabled: false } } as Parameters<typeof createClient>[0]);
    // The watcher debounces and reloads on its own; poll the observable outcome, bounded by the test timeout.
    let created: Rec | undefined;
    while (!created) {
      created = (await client.entities.Memo.create({ text: 'hello' }).catch(() => undefined)) as Rec | undefined;
      if (!created) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(created).toMatchObject({ text: 'hello' });
  });

  it('homebase token --service prints the service token, which works', async () => {
    const devFile = JSON.parse(await readFile(path.join(dir, '.homebase', 'dev.json'), 'utf8')) as { serviceToken: string };
    const { stdout } = await homebase('token', '--service', '--dir', dir);
    expect(stdout.trim()).toBe(devFile.serviceToken);
    const service = createClient({ serverUrl: url(), appId, serviceToken: stdout.trim(), analytics: { enabled: false } } as Parameters<
      typeof createClient
    >[0]).asServiceRole;
    expect(await service.entities.Task.create({ title: 'Made with the printed token' })).toMatchObject({ status: 'todo' });
  });

  it('homebase token without a running server fails with a message', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'homebase-empty-'));
    try {
      const error = (await homebase('token', '--service', '--dir', empty).then(
        () => {
          throw new Error('homebase token succeeded without a dev server');
        },
        (e: { code?: number; stderr?: string }) => e,
      )) as { code?: number; stderr?: string };
      expect(error.code).not.toBe(0);
      expect(error.stderr).toMatch(/dev/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('homebase dev refuses malformed limits from the environment with a usage error, before starting', async () => {
    const elsewhere = await projectCopy();
    for (const [name, value, message] of [
      ['AUTH_LIMIT_PER_IP', 'lots', /AUTH_LIMIT_PER_IP must be attempts\/seconds/],
      ['AUTH_LIMIT_PER_EMAIL', '0/60', /AUTH_LIMIT_PER_EMAIL must be attempts\/seconds/],
      ['AUTOMATION_MAX_ATTEMPTS', '-1', /AUTOMATION_MAX_ATTEMPTS must be a whole number/],
    ] as const) {
      const error = (await run(process.execPath, [BIN, 'dev', elsewhere, '--port', '0', '--database-url', 'memory://', '--no-site-command'], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOG_LEVEL: 'warn', [name]: value },
      }).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code?: number; stderr?: string }) => e,
      )) as { code?: number; stderr?: string };
      expect({ code: error.code, stderr: error.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(message) });
    }
    await rm(elsewhere, { recursive: true, force: true });
  });

  it('homebase users create makes a user who can sign in with the SDK', async () => {
    await homebase('users', 'create', 'a@b.co', '--password', 'long enough pw', '--role', 'admin', '--dir', dir);
    const client = createClient({ serverUrl: url(), appId, analytics: { enabled: false } } as Parameters<typeof createClient>[0]);
    const login = (await client.auth.loginViaEmailPassword('a@b.co', 'long enough pw')) as unknown as { access_token: string; user: Rec };
    expect(login.access_token).toEqual(expect.any(String));
    expect(login.user).toMatchObject({ email: 'a@b.co', role: 'admin' });
    const signedIn = createClient({ serverUrl: url(), appId, token: login.access_token, analytics: { enabled: false } } as Parameters<
      typeof createClient
    >[0]);
    expect(await signedIn.auth.me()).toMatchObject({ email: 'a@b.co', role: 'admin' });
    expect((await failure(client.auth.loginViaEmailPassword('a@b.co', 'wrong password here'))).status).toBe(401);
  });

  it('SIGTERM stops homebase dev with exit code 0', async () => {
    const { port: otherPort, dev: other } = doomed!;
    expect((await fetch(`http://127.0.0.1:${otherPort}/health`)).status).toBe(200);
    other!.child.kill('SIGTERM');
    expect(await other!.exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`http://127.0.0.1:${otherPort}/health`)).rejects.toThrow();
  });
});
