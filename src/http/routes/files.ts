// Serves uploaded files to browsers with no auth header (`<img src>`, downloads): public files by URL, private ones
// by signed URL. Streamed from the store, with ranges, ETag and headers that keep active content from running.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../../errors.js';
import { type ByteRange, type FileAccess, contentDisposition, isPassive } from '../../files/index.js';
import { resolveOperator } from '../context.js';
import type { Services } from '../services.js';

type FileRequest = FastifyRequest<{ Params: { appId: string; key: string }; Querystring: Record<string, unknown> }>;

const YEAR_SECONDS = 365 * 24 * 60 * 60;

/** One `bytes=a-b`, `bytes=a-` or `bytes=-n` range; anything else (several ranges, garbage) is ignored, as RFC 9110 allows. */
function requestedRange(header: string | undefined, size: number): ByteRange | 'unsatisfiable' | undefined {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size) return 'unsatisfiable';
  return start <= end ? { start, end } : undefined;
}

export function fileRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, files } = services;

  const serve = (visibility: 'public' | 'private') => async (request: FileRequest, reply: FastifyReply) => {
    const { appId, key } = request.params;
    const access: FileAccess =
      visibility === 'public' ? { kind: 'public' } : { kind: 'signed', expires: request.query.expires, signature: request.query.signature };
    const record = await files.authorize(appId, key, access);
    const etag = `"${key.split('.')[0]}"`;
    const secondsLeft = Number(request.query.expires) - Math.floor(Date.now() / 1000);
    reply.headers({
      'content-type': record.contentType,
      'content-disposition': contentDisposition(record.originalName, record.contentType),
      'x-content-type-options': 'nosniff',
      // Files are immutable (a new upload gets a new key); a signed link is cached no longer than it lives.
      'cache-control': visibility === 'public' ? `public, max-age=${YEAR_SECONDS}, immutable` : `private, max-age=${secondsLeft}`,
      etag,
      'last-modified': record.createdDate.toUTCString(),
      'accept-ranges': 'bytes',
      // Apps on other origins may embed them, even under Cross-Origin-Embedder-Policy.
      'cross-origin-resource-policy': 'cross-origin',
    });
    // The API shares the app's origin: HTML, SVG or XML run as a page there could read the user's token.
    if (!isPassive(record.contentType)) reply.header('content-security-policy', "sandbox; default-src 'none'");
    if (request.headers['if-none-match']?.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag)) {
      return reply.code(304).send();
    }
    const range = requestedRange(request.headers.range, record.size);
    if (range === 'unsatisfiable') {
      throw new HttpError(416, 'bad_request', 'Range not satisfiable', undefined, { 'content-range': `bytes */${record.size}` });
    }
    if (range) reply.code(206).header('content-range', `bytes ${range.start}-${range.end}/${record.size}`);
    reply.header('content-length', String(range ? range.end - range.start + 1 : record.size));
    if (request.method === 'HEAD') return reply.send();
    const { stream } = await files.open(record, range);
    return reply.send(stream);
  };

  server.route({ method: ['GET', 'HEAD'], url: '/api/files/public/:appId/:key', handler: serve('public') });
  server.route({ method: ['GET', 'HEAD'], url: '/api/files/private/:appId/:key', handler: serve('private') });

  /** Files and bytes stored by the app, for operators (quotas, billing, dashboards). */
  server.get('/api/apps/:appId/files/usage', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    return files.usage(app.id);
  });
}
