// What the AI endpoints need of the file service (src/files): store a generated file, read an app's own file.
// Files are read only when they belong to the calling app; other URLs are never fetched by this server.

import { badRequest } from '../errors.js';
import type { AppRuntime } from '../tenancy/index.js';
import type { StoredFile } from './documents.js';

export interface AppFileStore {
  storePublic(app: AppRuntime, file: { data: Buffer; fileName?: string; contentType?: string }, origin: string): Promise<{ file_url: string }>;
  /** The bytes behind one of the app's public file URLs, private file URIs or signed URLs; undefined for others. */
  readByUrl(app: AppRuntime, url: string): Promise<StoredFile | undefined>;
}

export function requireUrl(value: unknown, param: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`${param} must be the URL of an uploaded file`);
  return value.trim();
}

/**
 * The app's own file at `url`. Fetching other URLs would let any signed-in user make this server request
 * addresses of its private network (SSRF); apps upload with UploadFile first, as on Base44.
 */
export async function readAppFile(files: AppFileStore, app: AppRuntime, url: string, param: string): Promise<StoredFile> {
  const file = await files.readByUrl(app, url);
  if (!file) {
    throw badRequest(`${param} must be a file uploaded to this app (UploadFile or UploadPrivateFile); other URLs are not fetched`);
  }
  return file;
}
