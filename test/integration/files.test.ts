// Files through the real SDK (`integrations.Core.UploadFile` and friends), then loaded the way a browser loads them:
// plain fetch, no auth header. Run over both stores (a local folder, and a real S3-compatible server started here)
// and both databases: sniffed types, safe names, signed links that expire and cannot be forged, limits.

import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectCoded, failure, type Rec } from '../support/sdk.js';
import { startS3Server, type S3TestServer } from '../support/s3.js';
import { databases, KARARA, startTestServer, type TestServer } from '../support/server.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const HTML = '<!DOCTYPE html><html><body><script>fetch("/steal?t=" + localStorage.base44_access_token)</script></body></html>';
const SVG = '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="4"/></svg>';
const PUBLIC_KEY = /^\/api\/files\/public\/[a-f0-9]{24}\/[a-f0-9]{32}\.png$/;

const fileOf = (content: Buffer | string, name: string, type = '') =>
  new File([typeof content === 'string' ? content : new Uint8Array(content)], name, { type });

/** Polls `check` until it holds: for conditions that come true with time (an expiring link). */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const stores = ['local', 's3'] as const;

describe.each(databases())('on %s', (kind) => {
  describe.each(stores)('files kept in the %s store', (store) => {
    let server: TestServer;
    let s3: S3TestServer | undefined;
    let core: Record<string, (params: Rec) => Promise<Rec>>;

    beforeAll(async () => {
      s3 = store === 's3' ? await startS3Server() : undefined;
      server = await startTestServer(kind, KARARA, { config: s3 ? { files: { s3: s3.settings } } : {} });
      const { token } = await server.signUp('uploader@example.com');
      core = server.client(token).integrations.Core as unknown as typeof core;
    });

    afterAll(async () => {
      await server?.close();
      await s3?.close();
    });

    it('UploadFile returns a URL any browser loads: same bytes, the sniffed type, cacheable, no auth header', async () => {
      const { file_url } = (await core.UploadFile({ file: fileOf(PNG, 'pixel.png', 'image/png') })) as { file_url: string };
      const url = new URL(file_url);
      expect(url.origin).toBe(server.url);
      expect(url.pathname).toMatch(PUBLIC_KEY);
      const response = await fetch(file_url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
      expect(Object.fromEntries(response.headers)).toMatchObject({
        'content-type': 'image/png',
        'content-length': String(PNG.length),
        'content-disposition': `inline; filename="pixel.png"; filename*=UTF-8''pixel.png`,
        'x-content-type-options': 'nosniff',
        'cache-control': expect.stringContaining('immutable'),
        'accept-ranges': 'bytes',
        etag: expect.stringMatching(/^"[a-f0-9]{32}"$/),
      });
      expect(response.headers.get('content-security-policy')).toBeNull();
    });

    it('answers HEAD, byte ranges and conditional requests without sending the whole file', async () => {
      const { file_url } = (await core.UploadFile({ file: fileOf(PNG, 'pixel.png') })) as { file_url: string };
      const head = await fetch(file_url, { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(PNG.length));
      expect((await head.arrayBuffer()).byteLength).toBe(0);

      const part = await fetch(file_url, { headers: { range: 'bytes=1-3' } });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 1-3/${PNG.length}`);
      expect(Buffer.from(await part.arrayBuffer()).equals(PNG.subarray(1, 4))).toBe(true);
      const tail = await fetch(file_url, { headers: { range: 'bytes=-4' } });
      expect(Buffer.from(await tail.arrayBuffer()).equals(PNG.subarray(-4))).toBe(true);
      const beyond = await fetch(file_url, { headers: { range: `bytes=${PNG.length}-` } });
      expect(beyond.status).toBe(416);
      expect(beyond.headers.get('content-range')).toBe(`bytes */${PNG.length}`);

      const cached = await fetch(file_url, { headers: { 'if-none-match': head.headers.get('etag')! } });
      expect(cached.status).toBe(304);
    });

    it('streams a multi-megabyte file back intact', async () => {
      const data = randomBytes(3 * 1024 * 1024 + 7);
      const { file_url } = (await core.UploadFile({ file: fileOf(data, 'blob.bin') })) as { file_url: string };
      const response = await fetch(file_url);
      expect(response.headers.get('content-length')).toBe(String(data.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);
    });

    it('never takes the storage key from the client: a PNG named ../../etc/passwd is stored under a random key', async () => {
      const { file_url } = (await core.UploadFile({ file: fileOf(PNG, '../../etc/passwd') })) as { file_url: string };
      expect(new URL(file_url).pathname).toMatch(PUBLIC_KEY);
      const response = await fetch(file_url);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('content-disposition')).toBe(`inline; filename="passwd"; filename*=UTF-8''passwd`);
      if (store === 'local') {
        const appDir = path.join(server.projectDir, '.homebase', 'files', server.appId);
        expect((await readdir(appDir)).every((name) => /^[a-f0-9]{32}\.[a-z0-9]+$/.test(name))).toBe(true);
      }
    });

    it('keeps a hostile name out of the headers: quotes and line breaks dropped, non-ASCII encoded', async () => {
      const name = 'Ré"sumé\r\nSet-Cookie: x=1.png';
      const { file_url } = (await core.UploadFile({ file: fileOf(PNG, name) })) as { file_url: string };
      const response = await fetch(file_url);
      expect(response.headers.get('set-cookie')).toBeNull();
      expect(response.headers.get('content-disposition')).toBe(
        `inline; filename="R_sum_Set-Cookie: x=1.png"; filename*=UTF-8''R%C3%A9sum%C3%A9Set-Cookie%3A%20x%3D1.png`,
      );
    });

    it('never serves HTML or SVG as a page of the app: a download, sandboxed, whatever type the client claimed', async () => {
      for (const [content, name, type] of [
        [HTML, 'avatar.png', 'image/png'],
        [SVG, 'logo.svg', 'image/svg+xml'],
      ] as const) {
        const { file_url } = (await core.UploadFile({ file: fileOf(content, name, type) })) as { file_url: string };
        const response = await fetch(file_url);
        expect(await response.text()).toBe(content);
        expect(response.headers.get('content-type')).not.toBe('image/png');
        expect(response.headers.get('content-disposition')).toMatch(/^attachment;/);
        expect(response.headers.get('content-security-policy')).toContain('sandbox');
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      }
    });

    it('keeps CSV as CSV (shown as text) and unknown bytes as a download', async () => {
      const csv = (await core.UploadFile({ file: fileOf('name,age\nAda,36\n', 'people.csv', 'text/csv') })) as { file_url: string };
      const shown = await fetch(csv.file_url);
      expect(shown.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(shown.headers.get('content-disposition')).toMatch(/^inline;/);
      const blob = (await core.UploadFile({ file: fileOf(Buffer.from([0, 1, 2, 250, 251]), 'data.exe', 'text/plain') })) as {
        file_url: string;
      };
      const download = await fetch(blob.file_url);
      expect(download.headers.get('content-type')).toBe('application/octet-stream');
      expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    });

    it('UploadPrivateFile returns a URI that reads nothing by itself; its signed URL loads in a browser', async () => {
      const { file_uri } = (await core.UploadPrivateFile({ file: fileOf(PNG, 'id-card.png') })) as { file_uri: string };
      expect(file_uri).toMatch(new RegExp(`^private/${server.appId}/[a-f0-9]{32}\\.png$`));
      const key = file_uri.split('/')[2];
      for (const unsigned of [`/${file_uri}`, `/api/files/private/${server.appId}/${key}`, `/api/files/public/${server.appId}/${key}`]) {
        const response = await server.fetch(unsigned);
        expect(response.status, unsigned).toBeGreaterThanOrEqual(400);
        expect(Buffer.from(await response.arrayBuffer()).includes(PNG)).toBe(false);
      }

      const { signed_url } = (await core.CreateFileSignedUrl({ file_uri })) as { signed_url: string };
      const response = await fetch(signed_url);
      expect(response.status).toBe(200);
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('cache-control')).toMatch(/^private, max-age=(29\d|300)$/);
    });

    it('a signed URL stops working when it expires', async () => {
      const { file_uri } = (await core.UploadPrivateFile({ file: fileOf(PNG, 'short.png') })) as { file_uri: string };
      const { signed_url } = (await core.CreateFileSignedUrl({ file_uri, expires_in: 1 })) as { signed_url: string };
      await eventually(async () => (await fetch(signed_url)).status === 403);
      const body = (await (await fetch(signed_url)).json()) as Rec;
      expect(body).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/expired/) });
    });

    it('a tampered signed URL is refused: another signature, a later expiry, another file', async () => {
      const { file_uri } = (await core.UploadPrivateFile({ file: fileOf(PNG, 'a.png') })) as { file_uri: string };
      const other = (await core.UploadPrivateFile({ file: fileOf(PNG, 'b.png') })) as { file_uri: string };
      const { signed_url } = (await core.CreateFileSignedUrl({ file_uri, expires_in: 60 })) as { signed_url: string };
      const url = new URL(signed_url);
      const signature = url.searchParams.get('signature')!;
      const tampered = [
        new URL(url),
        new URL(url),
        new URL(url.href.replace(file_uri.split('/')[2], other.file_uri.split('/')[2])),
        new URL(url),
      ];
      tampered[0].searchParams.set('signature', (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1));
      tampered[1].searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
      tampered[3].searchParams.delete('signature');
      for (const forged of tampered) {
        const response = await fetch(forged);
        expect(response.status, forged.href).toBe(403);
        expect(((await response.json()) as Rec).code).toBe('forbidden');
      }
    });

    it("refuses to sign another app's file, and checks expires_in", async () => {
      const { file_uri } = (await core.UploadPrivateFile({ file: fileOf(PNG, 'mine.png') })) as { file_uri: string };
      const foreign = file_uri.replace(server.appId, 'ffffffffffffffffffffffff');
      expectCoded(await failure(core.CreateFileSignedUrl({ file_uri: foreign })), [403], ['forbidden']);
      for (const expires_in of [0, -5, 8 * 24 * 3600, 1.5, 'soon']) {
        expectCoded(await failure(core.CreateFileSignedUrl({ file_uri, expires_in })), [400], ['bad_request']);
      }
      const missing = file_uri.replace(/[a-f0-9]{32}/, '0'.repeat(32));
      expectCoded(await failure(core.CreateFileSignedUrl({ file_uri: missing })), [404], ['not_found']);
      const { file_url } = (await core.UploadFile({ file: fileOf(PNG, 'public.png') })) as { file_url: string };
      expectCoded(await failure(core.CreateFileSignedUrl({ file_uri: file_url })), [400], ['bad_request']);
    });
  });

  describe('upload limits and usage', () => {
    let server: TestServer;
    let token: string;
    let core: Record<string, (params: Rec) => Promise<Rec>>;

    // Uploads are spooled under the temp folder while their call runs; this file's process gets its own.
    let spool: string;
    const previousTmp = process.env.TMPDIR;

    beforeAll(async () => {
      server = await startTestServer(kind);
      ({ token } = await server.signUp('limits@example.com'));
      core = server.client(token).integrations.Core as unknown as typeof core;
      spool = await mkdtemp(path.join(tmpdir(), 'homebase-spool-test-'));
      process.env.TMPDIR = spool;
    });

    afterAll(async () => {
      if (previousTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmp;
      await server?.close();
      await rm(spool, { recursive: true, force: true });
    });

    const upload = (form: FormData, authorization = `Bearer ${token}`) =>
      server.fetch(`/api/apps/${server.appId}/integration-endpoints/Core/UploadFile`, { method: 'POST', body: form, headers: { authorization } });

    const usage = async () =>
      (await (
        await server.fetch(`/api/apps/${server.appId}/files/usage`, { headers: { authorization: `Bearer ${server.serviceToken}` } })
      ).json()) as { files: number; bytes: number; public: Rec; private: Rec };

    it('refuses a file over 50 MB with 413 and stores nothing', async () => {
      const before = await usage();
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(50 * 1024 * 1024 + 1)]), 'big.bin');
      const response = await upload(form);
      expect(response.status).toBe(413);
      expect(((await response.json()) as Rec).code).toBe('payload_too_large');
      expect(await usage()).toEqual(before);
      expect(await server.service.integrations.Core.UploadFile({ file: fileOf(PNG, 'ok.png') })).toHaveProperty('file_url');
    });

    it('needs a non-empty file in the field "file"', async () => {
      const wrongField = new FormData();
      wrongField.append('upload', new Blob([new Uint8Array(PNG)]), 'pixel.png');
      const empty = new FormData();
      empty.append('file', new Blob([]), 'empty.png');
      for (const form of [wrongField, empty, new FormData()]) {
        const response = await upload(form);
        expect(response.status).toBe(400);
        expect(((await response.json()) as Rec).code).toBe('bad_request');
      }
      expectCoded(await failure(core.UploadFile({ file: 'not a file' })), [400], ['bad_request']);
    });

    it('spools uploads to disk only while their call runs, whether it succeeds or is refused', async () => {
      const big = new FormData();
      big.append('file', new Blob([new Uint8Array(50 * 1024 * 1024 + 1)]), 'big.bin');
      const typed = new FormData();
      typed.append('file', new Blob([new Uint8Array(PNG)]), 'pixel.png');
      const statuses = await Promise.all([upload(big), upload(typed), upload(typed)].map(async (r) => (await r).status));
      expect(statuses).toEqual([413, 200, 200]);
      expect(await readdir(spool)).toEqual([]);
    });

    it('is for signed-in users and the service role only', async () => {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(PNG)]), 'pixel.png');
      expect((await upload(form, '')).status).toBe(401);
      const anonymous = server.client().integrations.Core;
      expectCoded(await failure(anonymous.UploadFile({ file: fileOf(PNG, 'x.png') })), [401], ['unauthorized']);
      expectCoded(await failure(anonymous.CreateFileSignedUrl({ file_uri: 'private/x/y' })), [401], ['unauthorized']);
    });

    it('counts what each app stores, for the operator only', async () => {
      const before = await usage();
      await core.UploadFile({ file: fileOf(PNG, 'one.png') });
      await core.UploadPrivateFile({ file: fileOf('secret notes', 'notes.txt') });
      const after = await usage();
      expect(after.files).toBe(before.files + 2);
      expect(after.bytes).toBe(before.bytes + PNG.length + 'secret notes'.length);
      expect(after.private).toEqual({ files: (before.private.files as number) + 1, bytes: (before.private.bytes as number) + 12 });
      const asUser = await server.fetch(`/api/apps/${server.appId}/files/usage`, { headers: { authorization: `Bearer ${token}` } });
      expect(asUser.status).toBe(403);
    });
  });
});
