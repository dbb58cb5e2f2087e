// Sites uploaded through the management API (`POST /api/apps/{id}/deploy-dist`, what `base44 deploy` sends): a
// gzipped tarball of the built output folder, unpacked into a new deployment folder that then goes live at once.
// Each app keeps its live deployment and the ones before it, up to KEEP; a failed upload leaves the live one as it was.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { x as extract } from 'tar';
import { HttpError, badRequest, payloadTooLarge } from '../errors.js';

export interface SiteLimits {
  /** The files' bytes once unpacked. */
  maxUnpackedBytes: number;
  maxFiles: number;
}

export interface SiteDeployment {
  id: string;
  files: number;
  bytes: number;
}

const KEEP = 3;
const LIVE_FILE = 'LIVE';
const DEPLOYMENT_ID = /^[0-9a-z]{8,}-[0-9a-f]{8}$/;
const APP_ID = /^[a-f0-9]{24}$/;
// Tar headers and padding add to the files' bytes; a tarball of nothing but headers is still bounded by this.
const TAR_OVERHEAD_PER_FILE = 1536;

const tooLarge = (limits: SiteLimits) =>
  payloadTooLarge(`The site is larger than ${limits.maxUnpackedBytes} bytes or ${limits.maxFiles} files once unpacked`);

/** Fails the stream once more than `max` bytes went through: a small gzip may unpack to a great deal. */
function byteLimit(max: number, refusal: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > max ? refusal() : null, chunk);
    },
  });
}

/** A tar path as a safe relative path, or why it is refused. */
function checkedPath(entryPath: string): string | { refused: string } {
  const normalised = path.posix.normalize(entryPath.replace(/^\.\/+/, ''));
  if (entryPath.includes('\0') || entryPath.includes('\\')) return { refused: 'has a forbidden character' };
  if (path.posix.isAbsolute(entryPath) || normalised.split('/').includes('..')) return { refused: 'leaves the site folder' };
  return normalised;
}

export class SiteDeployments {
  private readonly live = new Map<string, string | undefined>();

  constructor(
    private readonly root: string,
    private readonly limits: SiteLimits,
  ) {}

  /** The folder of the app's live uploaded site, if it has one. */
  async liveDir(appId: string): Promise<string | undefined> {
    if (!this.live.has(appId)) this.live.set(appId, await this.readLive(appId));
    const id = this.live.get(appId);
    return id && path.join(this.appDir(appId), id);
  }

  /** Unpacks a gzipped tarball whose root is the built site (index.html at the top) and makes it live. */
  async deploy(appId: string, archive: Readable): Promise<SiteDeployment> {
    const appDir = this.appDir(appId);
    const id = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const staging = path.join(appDir, `${id}.partial`);
    await mkdir(staging, { recursive: true });
    try {
      const unpacked = await this.unpack(archive, staging);
      if (!existsSync(path.join(staging, 'index.html'))) {
        throw badRequest('The archive has no index.html at its top: pack the contents of the build output folder, as `base44 deploy` does');
      }
      await rename(staging, path.join(appDir, id));
      await this.makeLive(appId, id);
      return { id, ...unpacked };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  private async unpack(archive: Readable, into: string): Promise<{ files: number; bytes: number }> {
    const { maxFiles, maxUnpackedBytes } = this.limits;
    let files = 0;
    let bytes = 0;
    let refused: string | undefined;
    let overLimit = false;
    const unpack = extract({
      cwd: into,
      strict: true,
      preserveOwner: false,
      noChmod: true,
      // Only plain files and folders: links could point out of the site, devices and the like have no place in it.
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        const checked = checkedPath(entryPath);
        if (typeof checked !== 'string') refused ??= `${entryPath.slice(0, 200)} ${checked.refused}`;
        else if (type !== 'File' && type !== 'Directory' && type !== 'OldFile') refused ??= `${checked.slice(0, 200)} is a ${type} entry; only files and folders are accepted`;
        else if (type !== 'Directory') {
          files += 1;
          bytes += 'size' in entry ? (entry.size ?? 0) : 0;
          if (files > maxFiles || bytes > maxUnpackedBytes) overLimit = true;
        }
        return refused === undefined && !overLimit;
      },
    });
    try {
      await pipeline(archive, createGunzip(), byteLimit(maxUnpackedBytes + maxFiles * TAR_OVERHEAD_PER_FILE, () => tooLarge(this.limits)), unpack);
    } catch (error) {
      if (error instanceof HttpError || (error as { statusCode?: number }).statusCode === 413) throw error;
      throw badRequest(`The site must be a gzipped tarball (.tar.gz): ${(error as Error).message.slice(0, 200)}`);
    }
    if (overLimit) throw tooLarge(this.limits);
    if (refused) throw badRequest(`The archive was refused: ${refused}`);
    return { files, bytes };
  }

  private async makeLive(appId: string, id: string): Promise<void> {
    const pointer = path.join(this.appDir(appId), LIVE_FILE);
    await writeFile(`${pointer}.${id}`, id);
    await rename(`${pointer}.${id}`, pointer);
    this.live.set(appId, id);
    const older = (await readdir(this.appDir(appId))).filter((name) => DEPLOYMENT_ID.test(name) && name !== id).sort();
    await Promise.all(older.slice(0, Math.max(0, older.length - (KEEP - 1))).map((name) => rm(path.join(this.appDir(appId), name), { recursive: true, force: true })));
  }

  private async readLive(appId: string): Promise<string | undefined> {
    try {
      const id = (await readFile(path.join(this.appDir(appId), LIVE_FILE), 'utf8')).trim();
      return DEPLOYMENT_ID.test(id) && existsSync(path.join(this.appDir(appId), id, 'index.html')) ? id : undefined;
    } catch {
      return undefined;
    }
  }

  private appDir(appId: string): string {
    // App ids come from the registry; checked again because they become a folder name.
    if (!APP_ID.test(appId)) throw badRequest('Invalid app id');
    return path.join(this.root, appId);
  }
}
