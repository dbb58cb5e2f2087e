// Sites uploaded through the management API as the official CLI's `base44 deploy` sends them: POST deploy-dist with
// the build output folder as a gzipped tarball (`.` as its root), served at once; bad archives change nothing.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { create as createTar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliContext } from '../../src/cli/functions.js';
import { siteCommand } from '../../src/cli/site.js';
import { TestServer, databases, startTestServer } from '../support/server.js';

const LIMITS = { maxArchiveBytes: 256 * 1024, maxUnpackedBytes: 512 * 1024, maxFiles: 20 };

describe.each(databases())('on %s, a site uploaded through the management API', (kind) => {
  let server: TestServer;
  let work: string;
  let builds = 0;

  beforeAll(async () => {
    server = await startTestServer(kind, undefined, { config: { siteLimits: LIMITS } });
    work = await mkdtemp(path.join(tmpdir(), 'homebase-site-deploy-'));
  });
  afterAll(async () => {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });

  /** A build output folder with these files, packed the way the official CLI packs it. */
  async function tarball(files: Record<string, string | Buffer>, options: { links?: Record<string, string>; paths?: string[] } = {}): Promise<Buffer> {
    const dir = path.join(work, `build-${++builds}`);
    for (const [name, content] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), content);
    }
    for (const [name, target] of Object.entries(options.links ?? {})) await symlink(target, path.join(dir, name));
    const chunks: Buffer[] = [];
    const stream = createTar({ gzip: true, cwd: dir, portable: true, preservePaths: true }, options.paths ?? ['.']);
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  const site = (marker: string) => ({
    'index.html': `<!doctype html><html><body><div id="root">${marker}</div><script src="/assets/app-Q1w2E3r4.js"></script></body></html>`,
    'assets/app-Q1w2E3r4.js': `console.log(${JSON.stringify(marker)});`,
  });

  function deploy(archive: Buffer | string, options: { token?: string | null; field?: string; json?: boolean } = {}) {
    const token = options.token === undefined ? server.serviceToken : options.token;
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
    if (options.json) {
      return server.fetch(`/api/apps/${server.appId}/deploy-dist`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{}' });
    }
    const form = new FormData();
    form.append(options.field ?? 'file', new Blob([typeof archive === 'string' ? archive : new Uint8Array(archive)]), 'dist.tar.gz');
    return server.fetch(`/api/apps/${server.appId}/deploy-dist`, { method: 'POST', headers, body: form });
  }

  async function rootPage(): Promise<{ status: number; text: string }> {
    const response = await server.fetch('/');
    return { status: response.status, text: await response.text() };
  }

  async function expectRefused(response: Response, status: number, message: RegExp) {
    const body = await response.json();
    expect({ status: response.status, message: body.message }).toEqual({ status, message: expect.stringMatching(message) });
    expect(body.code).toBeTypeOf('string');
  }

  it('serves nothing before the first upload, then the uploaded site at once, with page paths and hashed assets', async () => {
    expect((await rootPage()).status).toBe(404);
    const response = await deploy(await tarball(site('first')));
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({ app_url: `${server.url}/`, files: 2 });
    expect(await rootPage()).toMatchObject({ status: 200, text: expect.stringContaining('first') });
    const page = await server.fetch('/boards/7');
    expect(await page.text()).toContain('first');
    const asset = await server.fetch('/assets/app-Q1w2E3r4.js');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    // The API beside it is untouched.
    const { token } = await server.signUp(`site.deploy.${kind}@example.com`);
    await expect(server.client(token).auth.me()).resolves.toMatchObject({ email: `site.deploy.${kind}@example.com` });
  });

  it('replaces the live site with each upload and keeps the last three', async () => {
    for (const marker of ['second', 'third', 'fourth']) expect((await deploy(await tarball(site(marker)))).status).toBe(200);
    expect((await rootPage()).text).toContain('fourth');
    const kept = (await readdir(path.join(server.projectDir, '.homebase', 'sites', server.appId))).filter((name) => name !== 'LIVE');
    expect(kept).toHaveLength(3);
  });

  it('takes uploads from the service role only', async () => {
    const archive = await tarball(site('intruder'));
    await expectRefused(await deploy(archive, { token: null }), 401, /service token/);
    const { token } = await server.signUp(`site.user.${kind}@example.com`, { role: 'admin' });
    await expectRefused(await deploy(archive, { token }), 403, /service role/);
    expect((await rootPage()).text).toContain('fourth');
  });

  it('refuses malformed uploads with a coded 4xx and keeps the live site', async () => {
    await expectRefused(await deploy('', { json: true }), 400, /multipart/);
    await expectRefused(await deploy(await tarball(site('x')), { field: 'site' }), 400, /"file" part/);
    await expectRefused(await deploy('this is not a tarball'), 400, /gzipped tarball/);
    await expectRefused(await deploy(gzipSync(Buffer.from('plain text, gzipped, is no tar'.repeat(40)))), 400, /tarball/);
    await expectRefused(await deploy(await tarball({ 'main.js': 'x' })), 400, /no index\.html/);
    await expectRefused(await deploy(await tarball({ 'dist/index.html': 'nested' })), 400, /no index\.html/);
    expect((await rootPage()).text).toContain('fourth');
  });

  it('refuses links and paths that leave the site folder, writing nothing outside it', async () => {
    const linked = await tarball({ ...site('linked') }, { links: { 'secrets.txt': '/etc/passwd' } });
    await expectRefused(await deploy(linked), 400, /SymbolicLink entry/);
    const escaping = await tarball({ 'index.html': 'escape', '../escaped.txt': 'out' }, { paths: ['index.html', '../escaped.txt'] });
    await expectRefused(await deploy(escaping), 400, /leaves the site folder/);
    const sitesDir = path.join(server.projectDir, '.homebase', 'sites');
    expect(await readdir(sitesDir)).toEqual([server.appId]);
    expect((await readdir(path.join(sitesDir, server.appId))).filter((name) => name.endsWith('.partial'))).toEqual([]);
    expect((await rootPage()).text).toContain('fourth');
  });

  it('is what `homebase site deploy` does with the project\'s output folder, or the folder it is given', async () => {
    let output = '';
    const ctx: CliContext = {
      server: async () => ({ url: server.url, appId: server.appId, serviceToken: server.serviceToken }),
      usage: (message) => new Error(message),
      write: (text) => void (output += text),
    };
    const dist = path.join(server.projectDir, 'dist');
    for (const [name, content] of Object.entries(site('from the cli'))) {
      await mkdir(path.dirname(path.join(dist, name)), { recursive: true });
      await writeFile(path.join(dist, name), content);
    }
    await siteCommand(['deploy', '--dir', server.projectDir], ctx);
    expect(output).toMatch(/^Deployed 2 files \(\d+ bytes\) as \S+: http/);
    expect((await rootPage()).text).toContain('from the cli');
    await expect(siteCommand(['deploy', path.join(server.projectDir, 'base44'), '--dir', server.projectDir], ctx)).rejects.toThrow(/No index\.html/);
    await expect(siteCommand(['publish'], ctx)).rejects.toThrow(/homebase site deploy/);
    // Put the earlier site back for the tests after this one.
    await deploy(await tarball(site('fourth')));
  });

  it('answers 413 for archives over the limits: too big, too many files, or unpacking to too much', async () => {
    const noise = randomBytes(300 * 1024);
    await expectRefused(await deploy(await tarball({ ...site('big'), 'noise.bin': noise })), 413, /./);
    const many = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`page-${i}.html`, 'x']));
    await expectRefused(await deploy(await tarball({ ...site('many'), ...many })), 413, /files once unpacked/);
    // A megabyte of zeros packs into a few kilobytes.
    await expectRefused(await deploy(await tarball({ ...site('bomb'), 'zeros.bin': Buffer.alloc(1024 * 1024) })), 413, /once unpacked/);
    expect((await rootPage()).text).toContain('fourth');
  });
});
