// Uploads, their URLs and who may read them. Public files are read by URL alone; private ones only through a signed
// URL (HMAC of app, key and expiry under a key derived from the server secret), so links work in `<img src>`.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import { badRequest, forbidden, notFound } from '../errors.js';
import { type FileRecord, type FileVisibility, type Sql, type UsageTotals, fileRecords } from '../store/index.js';
import type { AppRuntime } from '../tenancy/index.js';
import { displayName } from './disposition.js';
import { type FileBytes, byteCount, streamOf } from './file-bytes.js';
import type { ByteRange, FileStore, StoredObject } from './file-store.js';
import { sniffContentType } from './sniff.js';

export interface NewFile {
  data: FileBytes;
  /** The client's name; kept for Content-Disposition only. */
  fileName?: string;
  /** The client's declared type; a hint for plain text only, the bytes decide. */
  contentType?: string;
}

export interface Uploader {
  userId: string;
  email: string;
}

/** How a request proves it may read a file: the public path, or a signed URL's query. */
export type FileAccess = { kind: 'public' } | { kind: 'signed'; expires: unknown; signature: unknown };

export interface FileUsage extends UsageTotals {
  public: UsageTotals;
  private: UsageTotals;
}

export const SIGNED_URL_SECONDS = { min: 1, max: 7 * 24 * 60 * 60, default: 300 };

/** 128 random bits in hex, then the sniffed type's extension: nothing of the client's name. */
const KEY_PATTERN = /^[0-9a-f]{32}\.[a-z0-9]{1,12}$/;
const APP_PATTERN = /^[a-f0-9]{24}$/;
const URI_PATTERN = /^private\/([^/]+)\/([^/]+)$/;
const URL_PATH_PATTERN = /^\/api\/files\/(public|private)\/([^/]+)\/([^/]+)$/;

export class FileService {
  constructor(
    private readonly db: Sql,
    private readonly store: FileStore,
    private readonly signingKey: Uint8Array,
    private readonly now: () => number = Date.now,
  ) {}

  async storePublic(app: AppRuntime, file: NewFile, origin: string, uploader?: Uploader): Promise<{ file_url: string }> {
    const record = await this.save(app, file, 'public', uploader);
    return { file_url: `${origin}/api/files/public/${app.id}/${record.key}` };
  }

  async storePrivate(app: AppRuntime, file: NewFile, uploader?: Uploader): Promise<{ file_uri: string }> {
    const record = await this.save(app, file, 'private', uploader);
    return { file_uri: `private/${app.id}/${record.key}` };
  }

  async createSignedUrl(app: AppRuntime, fileUri: string, expiresInSeconds: number, origin: string): Promise<{ signed_url: string }> {
    const { min, max } = SIGNED_URL_SECONDS;
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < min || expiresInSeconds > max) {
      throw badRequest(`expires_in must be a whole number of seconds from ${min} to ${max}`);
    }
    const match = URI_PATTERN.exec(fileUri);
    if (!match) throw badRequest('file_uri must be a private file URI returned by UploadPrivateFile');
    const [, appId, key] = match;
    if (appId !== app.id) throw forbidden('This file belongs to another app');
    await this.find(appId, key, 'private');
    const expires = Math.floor(this.now() / 1000) + expiresInSeconds;
    const query = new URLSearchParams({ expires: String(expires), signature: this.sign(appId, key, expires) });
    return { signed_url: `${origin}/api/files/private/${appId}/${key}?${query}` };
  }

  /** The file's record if `access` lets the caller read it; 403 for a bad or expired signature, 404 otherwise. */
  async authorize(appId: string, key: string, access: FileAccess): Promise<FileRecord> {
    if (access.kind === 'public') return this.find(appId, key, 'public');
    const { expires, signature } = access;
    if (typeof expires !== 'string' || !/^\d{1,12}$/.test(expires) || typeof signature !== 'string' || !this.verify(appId, key, Number(expires), signature)) {
      throw forbidden('Invalid file signature');
    }
    if (Number(expires) * 1000 <= this.now()) throw forbidden('This file link has expired');
    return this.find(appId, key, 'private');
  }

  /** The bytes of a file the caller was authorized for, streamed (or the range of them). */
  async open(record: FileRecord, range?: ByteRange): Promise<StoredObject> {
    const object = await this.store.get(`${record.appId}/${record.key}`, range);
    if (!object) throw notFound('File not found');
    return object;
  }

  /**
   * The bytes of a file of `app` addressed by its public URL, private URI or signed URL (any origin: a proxy may
   * have rewritten it). Undefined when the address is not one of this server's file addresses, or is another app's
   * public file (readable over HTTP like any other URL).
   */
  async readByUrl(app: AppRuntime, url: string): Promise<{ data: Buffer; contentType: string; fileName: string } | undefined> {
    const record = await this.recordForUrl(app, url);
    if (!record) return undefined;
    const { stream } = await this.open(record);
    return { data: await readAll(stream), contentType: record.contentType, fileName: record.originalName };
  }

  async usage(appId: string): Promise<FileUsage> {
    const byVisibility = await fileRecords.fileUsage(this.db, appId);
    return {
      files: byVisibility.public.files + byVisibility.private.files,
      bytes: byVisibility.public.bytes + byVisibility.private.bytes,
      ...byVisibility,
    };
  }

  async close(): Promise<void> {
    await this.store.close();
  }

  private async recordForUrl(app: AppRuntime, url: string): Promise<FileRecord | undefined> {
    const uri = URI_PATTERN.exec(url);
    if (uri) {
      if (uri[1] !== app.id) throw forbidden('This file belongs to another app');
      return this.find(app.id, uri[2], 'private');
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return undefined;
    }
    const match = URL_PATH_PATTERN.exec(parsed.pathname);
    if (!match) return undefined;
    const [, visibility, appId, key] = match;
    if (visibility === 'public') return appId === app.id ? this.authorize(appId, key, { kind: 'public' }) : undefined;
    if (appId !== app.id) throw forbidden('This file belongs to another app');
    const query = parsed.searchParams;
    return this.authorize(appId, key, { kind: 'signed', expires: query.get('expires'), signature: query.get('signature') });
  }

  private async save(app: AppRuntime, file: NewFile, visibility: FileVisibility, uploader?: Uploader): Promise<FileRecord> {
    const size = byteCount(file.data);
    if (size === 0) throw badRequest('The file is empty');
    const { contentType, extension } = await sniffContentType(file.data, file.contentType, file.fileName);
    const key = `${randomBytes(16).toString('hex')}.${extension}`;
    const storageKey = `${app.id}/${key}`;
    await this.store.put(storageKey, streamOf(file.data), { contentType, size });
    try {
      return await fileRecords.insertFile(this.db, {
        appId: app.id,
        key,
        visibility,
        contentType,
        size,
        originalName: displayName(file.fileName, extension),
        createdBy: uploader?.email ?? null,
        createdById: uploader?.userId ?? null,
      });
    } catch (error) {
      await this.store.delete(storageKey).catch(() => {});
      throw error;
    }
  }

  private async find(appId: string, key: string, visibility: FileVisibility): Promise<FileRecord> {
    const record = APP_PATTERN.test(appId) && KEY_PATTERN.test(key) ? await fileRecords.findFile(this.db, appId, key) : undefined;
    // A private file asked for as public is as absent as a missing one: its URI reveals nothing readable.
    if (!record || record.visibility !== visibility) throw notFound('File not found');
    return record;
  }

  private sign(appId: string, key: string, expires: number): string {
    return createHmac('sha256', this.signingKey).update(`${appId}/${key}\n${expires}`).digest('base64url');
  }

  private verify(appId: string, key: string, expires: number, signature: string): boolean {
    const expected = Buffer.from(this.sign(appId, key, expires));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
