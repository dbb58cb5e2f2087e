import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SiteDeployments } from './site-deployments.js';

const APP = 'a1b2c3d4e5f6a7b8c9d0e1f2';
const LIMITS = { maxUnpackedBytes: 1024 * 1024, maxFiles: 10 };

/** A gzipped tarball of plain files, written header by header so that any path can be put in it. */
function tarball(files: Record<string, string>): Readable {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.from(content);
    const header = Buffer.alloc(512);
    new Header({ path: name, mode: 0o644, size: body.length, type: 'File', mtime: new Date(0) }).encode(header, 0);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Readable.from([gzipSync(Buffer.concat(blocks))]);
}

describe('site deployments', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'homebase-sites-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('goes live at once and stays live for the next server on the same folder', async () => {
    const sites = new SiteDeployments(root, LIMITS);
    expect(await sites.liveDir(APP)).toBeUndefined();
    const deployment = await sites.deploy(APP, tarball({ './index.html': '<p>hi</p>', './assets/a.js': '1' }));
    expect(deployment).toMatchObject({ files: 2, bytes: 10 });
    const live = await sites.liveDir(APP);
    expect(live).toBe(path.join(root, APP, deployment.id));
    expect(await new SiteDeployments(root, LIMITS).liveDir(APP)).toBe(live);
  });

  it('ignores a live pointer that names no deployment', async () => {
    await new SiteDeployments(root, LIMITS).deploy(APP, tarball({ 'index.html': 'x' }));
    await writeFile(path.join(root, APP, 'LIVE'), '../../etc');
    expect(await new SiteDeployments(root, LIMITS).liveDir(APP)).toBeUndefined();
  });

  it('refuses absolute and parent paths, and app ids that are no ids', async () => {
    const sites = new SiteDeployments(root, LIMITS);
    await expect(sites.deploy(APP, tarball({ 'index.html': 'x', '/etc/cron.d/x': 'y' }))).rejects.toMatchObject({ status: 400 });
    await expect(sites.deploy(APP, tarball({ 'index.html': 'x', 'a/../../b': 'y' }))).rejects.toMatchObject({ status: 400 });
    await expect(sites.deploy('../escape', tarball({ 'index.html': 'x' }))).rejects.toMatchObject({ status: 400 });
    expect(await sites.liveDir(APP)).toBeUndefined();
  });
});
