// Serves an app's built site on the same origin as /api, as Base44 apps expect: files as they are, page paths
// falling back to index.html, hashed assets cached for a year, index.html never cached, compressed when worth it.

import { stat } from 'node:fs/promises';
import path from 'node:path';
import { constants as zlib } from 'node:zlib';
import compress from '@fastify/compress';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';

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

export async function siteRoutes(server: FastifyInstance, siteDir: string): Promise<void> {
  const root = path.resolve(siteDir);
  // Registered in its own context so that only site responses are compressed: API and function responses pass as sent.
  await server.register(async (site) => {
    await site.register(compress, {
      threshold: 1024,
      brotliOptions: { params: { [zlib.BROTLI_PARAM_QUALITY]: 5 } },
    });
    await site.register(fastifyStatic, { root, serve: false });

    const serve = async (request: FastifyRequest, reply: FastifyReply) => {
      const requested = request.url.split('?')[0];
      if (SERVER_PATHS.some((prefix) => requested.startsWith(prefix))) {
        throw notFound(`No route for ${request.method} ${requested.slice(0, 200)}`);
      }
      const relative = sitePath(request.url);
      if (relative === undefined) throw notFound('Not found');
      if (relative !== '' && (await isFile(path.join(root, relative)))) {
        if (HASHED.test(relative)) return reply.sendFile(relative, { maxAge: '365d', immutable: true });
        return reply.sendFile(relative, { maxAge: 0 });
      }
      // A missing file with an extension is a broken link, not a page of the app.
      if (path.posix.extname(relative) !== '') throw notFound(`No file ${relative.slice(0, 200)}`);
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', { cacheControl: false });
    };
    site.get('/*', serve);
  });
}
