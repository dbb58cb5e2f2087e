// External integrations: the operator's management API (`/integrations`), the SDK's custom and installable
// integration calls, and connectors (`external-auth/tokens`, `connectors/:type/call`); every call is traced.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest, forbidden, notSubscribed, unauthorized } from '../../errors.js';
import { checkSlug } from '../../integrations/index.js';
import { resolveContext, resolveOperator } from '../context.js';
import { integerParam, stringParam } from '../request-values.js';
import type { Services } from '../services.js';

type AppParams = { Params: { appId: string } };
type SlugParams = { Params: { appId: string; slug: string } };

const CUSTOM_MARKER = '/integrations/custom/';
const DEFAULT_TRACE_LIMIT = 50;
const MAX_TRACE_LIMIT = 1000;

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badRequest('The integration path is not valid percent-encoding');
  }
}

/**
 * Slug and `method:path` of a custom call, from the raw URL: the SDK sends the operation unencoded (slashes,
 * colon, braces), and browsers escape the braces, so everything after the slug is one percent-decoded string.
 */
function customTarget(rawUrl: string): { slug: string; reference: string } {
  const path = rawUrl.split('?')[0];
  const rest = path.slice(path.indexOf(CUSTOM_MARKER) + CUSTOM_MARKER.length);
  const slash = rest.indexOf('/');
  return { slug: decodeSegment(rest.slice(0, slash)), reference: decodeSegment(rest.slice(slash + 1)) };
}

export function connectorRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, appIntegrations } = services;
  const { registry, trace } = appIntegrations;

  /** Integrations spend the operator's quota and credentials: signed-in users and the service role only. */
  const resolveCaller = async (request: FastifyRequest) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    if (principal.kind === 'anonymous') throw unauthorized('Sign in to use integrations');
    return { appId: app.id, principal };
  };
  /** Connectors hand out tokens: backend code (the service role) only, as on Base44. */
  const resolveBackend = async (request: FastifyRequest) => {
    const caller = await resolveCaller(request);
    if (caller.principal.kind !== 'service') throw forbidden('Connectors are for backend functions: call them with the service role');
    return caller;
  };

  server.get<AppParams>('/api/apps/:appId/integrations', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    return registry.list(app.id);
  });

  server.get<AppParams>('/api/apps/:appId/integrations/calls', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    const query = request.query as Record<string, unknown>;
    return trace.list(app.id, {
      slug: stringParam('slug', query.slug),
      limit: integerParam('limit', query.limit, DEFAULT_TRACE_LIMIT, MAX_TRACE_LIMIT, 1),
    });
  });

  server.get<SlugParams>('/api/apps/:appId/integrations/:slug', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    return registry.get(app.id, request.params.slug);
  });

  server.put<SlugParams>('/api/apps/:appId/integrations/:slug', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    return registry.put(app.id, request.params.slug, request.body);
  });

  server.delete<SlugParams>('/api/apps/:appId/integrations/:slug', async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    checkSlug(request.params.slug);
    await registry.delete(app.id, request.params.slug);
    return { success: true };
  });

  server.post<AppParams>('/api/apps/:appId/integrations/custom/:slug/*', async (request) => {
    const caller = await resolveCaller(request);
    const { slug, reference } = customTarget(request.raw.url ?? request.url);
    return appIntegrations.callCustom(caller, slug, reference, request.body);
  });

  server.post<{ Params: { appId: string; pkg: string; ep: string } }>(
    '/api/apps/:appId/integration-endpoints/installable/:pkg/integration-endpoints/:ep',
    async (request, reply) => {
      const caller = await resolveCaller(request);
      if (request.isMultipart()) throw badRequest('Installable integrations take JSON parameters, not files');
      const answer = await appIntegrations.callInstallable(caller, request.params.pkg, request.params.ep, request.body);
      // Sent as JSON text whatever its type: a plain string sent raw would reach the app as text, or as a number.
      return reply.type('application/json').send(JSON.stringify(answer ?? null));
    },
  );

  server.get<{ Params: { appId: string; type: string } }>('/api/apps/:appId/external-auth/tokens/:type', async (request) =>
    appIntegrations.connection(await resolveBackend(request), request.params.type),
  );
  // Workspace-registered connectors are named by id on Base44; here both name an integration the operator set up.
  server.get<{ Params: { appId: string; id: string } }>('/api/apps/:appId/external-auth/tokens/connectors/:id', async (request) =>
    appIntegrations.connection(await resolveBackend(request), request.params.id),
  );

  server.post<{ Params: { appId: string; type: string } }>('/api/apps/:appId/connectors/:type/call', async (request) =>
    appIntegrations.callConnector(await resolveBackend(request), request.params.type, request.body),
  );

  // Per-user OAuth needs each provider's OAuth app and consent flow, which Homebase does not run.
  const appUserConnectors = async (request: FastifyRequest) => {
    await resolveCaller(request);
    throw notSubscribed('App-user connectors are not available on Homebase: use a shared connector the operator sets up');
  };
  server.get('/api/apps/:appId/app-user-auth/connectors/:id/token', appUserConnectors);
  server.post('/api/apps/:appId/app-user-auth/connectors/:id/initiate', appUserConnectors);
  server.delete('/api/apps/:appId/app-user-auth/connectors/:id', appUserConnectors);
}
