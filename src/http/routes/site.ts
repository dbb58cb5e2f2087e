// Serves an app's built site on the same origin as /api, as Base44 apps expect: files as they are, page paths
// falling back to index.html, hashed assets cached for a year, index.html never cached, compressed when worth it.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, notFound, payloadTooLarge } from '../../errors.js';
import { resolveOperator } from '../context.js';
import type { Services } from '../services.js';

// Paths the server answers itself; a miss there is an API 404, never the app's index.html.
const SERVER_PATHS = ['/api/', '/ws-user-apps/', '/_dev/', '/files/', '/health'];
// Bundlers name built assets `name-<hash>.ext`; such a file never changes under its name.
const HASHED = /[-.][A-Za-z0-9_]{8,}\.[a-z0-9]+$/i;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** The request path as a path relative to the site root, or undefined when it tries to leave it. */
function sitePath(url: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(url.split('?')[0]);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const normalised = path.posix.normalize(decoded);
  if (normalised.split('/').includes('..')) return undefined;
  return normalised.replace(/^\/+/, '');
}

/** The folder of the site to serve for a request, if there is one. */
export type SiteRoot = (request: FastifyRequest) => Promise<string | undefined>;

export async function siteRoutes(server: FastifyInstance, siteRoot: SiteRoot): Promise<void> {
  // Registered in its own context so that only site responses are compressed: API and function responses pass as sent.
  await server.register(async (site) => {
    await site.register(compress, {
      threshold: 1024,
      brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } },
    });
    await site.register(fastifyStatic, { serve: false });

    const serve = async (request: FastifyRequest, reply: FastifyReply) => {
      const requested = request.url.split('?')[0];
      const found = SERVER_PATHS.some((prefix) => requested.startsWith(prefix)) ? undefined : await siteRoot(request);
      if (found === undefined) throw notFound(`No route for ${request.method} ${requested.slice(0, 200)}`);
      const root = path.resolve(found);
      const relative = sitePath(request.url);
      if (relative === undefined) throw notFound('Not found');
      if (relative !== '' && (await isFile(path.join(root, relative)))) {
        if (HASHED.test(relative)) return reply.sendFile(relative, root, { maxAge: '365d', immutable: true });
        return reply.sendFile(relative, root, { maxAge: 0 });
      }
      // A missing file with an extension is a broken link, not a page of the app.
      if (path.posix.extname(relative) !== '') throw notFound(`No file ${relative.slice(0, 200)}`);
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', root, { cacheControl: false });
    };
    site.get('/*', serve);
  });
}

/** `POST /api/apps/{id}/deploy-dist`, the official CLI's site upload: multipart `file` holding the gzipped tarball. */
export function siteDeployRoutes(server: FastifyInstance, services: Services, maxArchiveBytes: number): void {
  const { apps, authenticator, sites } = services;
  if (!sites) return;
  server.post('/api/apps/:appId/deploy-dist', async (request, reply) => {
    const app = await resolveOperator(request, apps, authenticator);
    if (!request.isMultipart()) throw badRequest('deploy-dist takes a multipart upload with the site tarball in the "file" part');
    const file = await request.file({ limits: { fileSize: maxArchiveBytes } });
    if (!file || file.fieldname !== 'file') throw badRequest('deploy-dist takes a multipart upload with the site tarball in the "file" part');
    const deployment = await sites.deploy(app.id, file.file).catch((error: unknown) => {
      // Refused before the whole upload was read: the connection cannot carry another request.
      reply.header('connection', 'close');
      // Multipart cuts a file at the limit, which reads as a truncated archive.
      if (file.file.truncated) throw payloadTooLarge(`The site tarball is larger than ${maxArchiveBytes} bytes`);
      throw error;
    });
    request.log.info({ appId: app.id, deployment }, 'site deployed');
    return { app_url: `${request.protocol}://${request.host}/`, deployment_id: deployment.id, files: deployment.files, bytes: deployment.bytes };
  });
}
