// What the other integrations read files through (ExtractDataFromUploadedFile, InvokeLLM's file_urls): an app's own
// file by its public URL, private URI or signed URL — and nothing of another app, nor any other address.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, migrate, openPglite } from '../store/index.js';
import { AppRuntime } from '../tenancy/index.js';
import { FileService } from './file-service.js';
import { LocalFileStore } from './local-store.js';

const ORIGIN = 'http://127.0.0.1:4400';
const CSV = { data: Buffer.from('name,age\nAda,36\n'), fileName: 'people.csv', contentType: 'text/csv' };

describe('reading an app’s own files by URL', () => {
  let db: Database;
  let dir: string;
  let files: FileService;
  let app: AppRuntime;
  let other: AppRuntime;
  let now = Date.now();

  beforeAll(async () => {
    db = await openPglite(undefined);
    await migrate(db);
    app = await AppRuntime.open(db, 'a'.repeat(24), { name: 'A' });
    other = await AppRuntime.open(db, 'b'.repeat(24), { name: 'B' });
    dir = await mkdtemp(path.join(tmpdir(), 'homebase-files-'));
    files = new FileService(db, new LocalFileStore(dir), Buffer.alloc(32, 7), () => now);
  });

  afterAll(async () => {
    await db?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a public URL, whatever origin a proxy put in front of it', async () => {
    const { file_url } = await files.storePublic(app, CSV, ORIGIN);
    const expected = { data: CSV.data, contentType: 'text/csv; charset=utf-8', fileName: 'people.csv' };
    expect(await files.readByUrl(app, file_url)).toEqual(expected);
    expect(await files.readByUrl(app, file_url.replace(ORIGIN, 'https://app.example.com'))).toEqual(expected);
  });

  it('reads a private URI and a live signed URL, and refuses an expired one', async () => {
    const { file_uri } = await files.storePrivate(app, CSV);
    expect((await files.readByUrl(app, file_uri))?.data).toEqual(CSV.data);
    const { signed_url } = await files.createSignedUrl(app, file_uri, 60, ORIGIN);
    expect((await files.readByUrl(app, signed_url))?.data).toEqual(CSV.data);
    now += 61_000;
    await expect(files.readByUrl(app, signed_url)).rejects.toMatchObject({ status: 403, code: 'forbidden' });
  });

  it("never reads another app's private file; leaves its public files and other URLs to the caller", async () => {
    const { file_uri } = await files.storePrivate(other, CSV);
    await expect(files.readByUrl(app, file_uri)).rejects.toMatchObject({ status: 403 });
    const { signed_url } = await files.createSignedUrl(other, file_uri, 60, ORIGIN);
    await expect(files.readByUrl(app, signed_url)).rejects.toMatchObject({ status: 403 });
    const { file_url } = await files.storePublic(other, CSV, ORIGIN);
    expect(await files.readByUrl(app, file_url)).toBeUndefined();
    const odd = ['https://example.com/report.pdf', 'file:///etc/passwd', 'not a url', `private/${app.id}/../../secret.key`];
    for (const url of odd) {
      expect(await files.readByUrl(app, url), url).toBeUndefined();
    }
  });

  it('answers 404 for a well-formed address of a file that does not exist', async () => {
    await expect(files.readByUrl(app, `${ORIGIN}/api/files/public/${app.id}/${'0'.repeat(32)}.csv`)).rejects.toMatchObject({ status: 404 });
    await expect(files.readByUrl(app, `private/${app.id}/secret.key`)).rejects.toMatchObject({ status: 404 });
  });

  it('stores generated images under their sniffed type (GenerateImage)', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
    const { file_url } = await files.storePublic(app, { data: png }, ORIGIN);
    expect(file_url).toMatch(/\.png$/);
    expect(await files.readByUrl(app, file_url)).toMatchObject({ contentType: 'image/png', fileName: 'file.png' });
    expect((await files.usage(app.id)).public.files).toBe(2);
  });
});
