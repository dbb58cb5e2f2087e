// Builds the Fastify application: body limits, CORS, the error mapping and every route group.
// The same app serves dev and production; only the services handed in differ.

import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import Fastify, { FastifyBaseLogger, FastifyInstance, LogController } from 'fastify';
import { notFound } from '../errors.js';
import { handleError } from './error-handler.js';
import { appEventRoutes } from './routes/app-events.js';
import { connectorRoutes } from './routes/connectors.js';
import { authRoutes } from './routes/auth.js';
import { automationRoutes } from './routes/automations.js';
import { devMailRoutes } from './routes/dev-mail.js';
import { entityRoutes } from './routes/entities.js';
import { fileRoutes } from './routes/files.js';
import { functionAdminRoutes } from './routes/function-admin.js';
import { functionRoutes } from './routes/functions.js';
import { aiGatewayRoutes, integrationRoutes } from './routes/integrations.js';
import { pageRoutes } from './routes/pages.js';
import { secretRoutes } from './routes/secrets.js';
import { SiteRoot, siteDeployRoutes, siteRoutes } from './routes/site.js';
import type { Services } from './services.js';

const MAX_URL_BYTES = 1024 * 1024;

export interface HttpOptions {
  logger: FastifyBaseLogger;
  maxBodyBytes: number;
  maxFileBytes: number;
  /** Where the built site to serve on the same origin is, per request (an upload, or the app's `dist/`). */
  siteRoot?: SiteRoot;
  /** The largest site tarball the management API accepts. */
  maxSiteArchiveBytes?: number;
  /** Whom to believe about the client's address (Fastify's trustProxy). */
  trustProxy?: boolean | string;
}

export async function buildHttpApp(services: Services, options: HttpOptions): Promise<FastifyInstance> {
  const server = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.maxBodyBytes,
    trustProxy: options.trustProxy ?? false,
    // One log line per request would cost more than the request itself; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    return503OnClosing: true,
    // Filters travel in the query string (`q`); a large `$in` list can outgrow Node's 16 KB default.
    http: { maxHeaderSize: MAX_URL_BYTES },
  });
  // The SDK sends `Content-Type: application/json` on bodiless requests too (DELETE by id).
  const parseJson = server.getDefaultJsonParser('error', 'error');
  server.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) =>
    body === '' ? done(null, undefined) : parseJson(request, body as string, done),
  );
  server.setErrorHandler(handleError);
  server.setNotFoundHandler((request) => {
    throw notFound(`No route for ${request.method} ${request.url.split('?')[0].slice(0, 200)}`);
  });
  // Every method the SDK uses; @fastify/cors allows only GET, HEAD and POST unless told, which breaks apps served
  // from another origin (a Vite dev server) on update, updateMany and delete.
  await server.register(cors, { origin: true, credentials: true, methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] });
  await server.register(multipart, { limits: { fileSize: options.maxFileBytes, files: 1 }, throwFileSizeLimit: true });

  server.get('/health', async () => ({ status: 'ok' }));
  entityRoutes(server, services);
  authRoutes(server, services);
  await pageRoutes(server, services);
  if (services.devMailbox) devMailRoutes(server, services.devMailbox);
  functionRoutes(server, services);
  integrationRoutes(server, services, options.maxFileBytes);
  aiGatewayRoutes(server, services);
  connectorRoutes(server, services);
  fileRoutes(server, services);
  appEventRoutes(server, services);
  functionAdminRoutes(server, services);
  automationRoutes(server, services);
  secretRoutes(server, services);
  siteDeployRoutes(server, services, options.maxSiteArchiveBytes ?? options.maxFileBytes);
  if (options.siteRoot) await siteRoutes(server, options.siteRoot);
  return server;
}
