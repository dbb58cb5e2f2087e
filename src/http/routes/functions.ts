// Calling backend functions: `functions.invoke` (POST /api/apps/:appId/functions/<name>) and `functions.fetch`
// (any method, /api/functions/<name>/<sub-path>, no app id). Bodies pass through unparsed; responses stream back.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { notFound } from '../../errors.js';
import type { FunctionsService } from '../../functions/index.js';
import type { AppRegistry, AppRuntime } from '../../tenancy/index.js';
import type { Services } from '../services.js';

// HEAD comes with GET (Fastify answers it from the GET route); OPTIONS stays with CORS preflight.
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The app of a `functions.fetch` call, which names none: the only app served (dev), else the app whose id is the
 * first label of the Host name (`<appId>.functions.example.com`).
 */
export function appOfHost(apps: AppRegistry, host: string | undefined): AppRuntime {
  const all = apps.all();
  if (all.length === 1) return all[0];
  const label = (host ?? '').split(':')[0].split('.')[0];
  if (!/^[a-f0-9]{24}$/.test(label)) throw notFound('No app for this host: call functions at <appId>.<domain> when several apps are served');
  return apps.get(label);
}

async function invoke(functions: FunctionsService, app: AppRuntime, request: FastifyRequest, reply: FastifyReply) {
  const functionPath = (request.params as { '*': string })['*'];
  if (!functionPath) throw notFound('No function named');
  const hasBody = request.headers['content-length'] !== undefined ? request.headers['content-length'] !== '0' : request.headers['transfer-encoding'] !== undefined;
  const response = await functions.invoker.invoke(app.id, functionPath, {
    method: request.method,
    url: request.url,
    headers: request.headers,
    body: hasBody ? request.raw : null,
    origin: `${request.protocol}://${request.host}`,
  });
  reply.status(response.status).headers(response.headers);
  return reply.send(response.body);
}

export function functionRoutes(server: FastifyInstance, services: Services): void {
  const { apps, functions } = services;
  if (!functions) return;
  void server.register(async (scope) => {
    // The function reads the body itself, JSON or multipart, exactly as the caller sent it.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null));
    scope.route({
      method: METHODS,
      url: '/api/apps/:appId/functions/*',
      handler: (request, reply) => invoke(functions, apps.get((request.params as { appId: string }).appId), request, reply),
    });
    scope.route({
      method: METHODS,
      url: '/api/functions/*',
      handler: (request, reply) => invoke(functions, appOfHost(apps, request.headers.host), request, reply),
    });
  });
}
