// What every page load of a Base44 app fires and forgets: `appLogs.logUserInApp(page)` and the SDK's analytics
// batches. They must answer success (an error shows up in the app), and they are kept a week for `appLogs.fetchLogs`.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden } from '../../errors.js';
import { isPlainObject } from '../../query/index.js';
import type { AppEvent, AppEventKind } from '../../store/index.js';
import { actingUser, resolveContext } from '../context.js';
import { integerParam } from '../request-values.js';
import type { Services } from '../services.js';

const MAX_EVENTS_PER_BATCH = 100;
const MAX_NAME_LENGTH = 200;
const MAX_PROPERTIES_BYTES = 4096;

function analyticsEvent(raw: unknown, userId: string | null): AppEvent | undefined {
  if (!isPlainObject(raw) || typeof raw.event_name !== 'string' || raw.event_name === '') return undefined;
  const properties = isPlainObject(raw.properties) && JSON.stringify(raw.properties).length <= MAX_PROPERTIES_BYTES ? raw.properties : undefined;
  const at = typeof raw.timestamp === 'string' && !Number.isNaN(Date.parse(raw.timestamp)) ? new Date(raw.timestamp).toISOString() : undefined;
  return { kind: 'event', name: raw.event_name.slice(0, MAX_NAME_LENGTH), userId, properties, at };
}

export function appEventRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, appEvents } = services;

  /** The caller of a fire-and-forget call; a stale token still counts the event, anonymously. */
  async function callerId(request: FastifyRequest): Promise<string | null> {
    try {
      return actingUser((await resolveContext(request, apps, authenticator)).principal)?.userId ?? null;
    } catch {
      return null;
    }
  }

  server.post<{ Params: { appId: string; '*': string } }>('/api/app-logs/:appId/log-user-in-app/*', async (request) => {
    const app = apps.get(request.params.appId);
    const page = request.params['*'].slice(0, MAX_NAME_LENGTH) || '/';
    await appEvents.record(app.id, [{ kind: 'page_view', name: page, userId: await callerId(request) }]);
    return { success: true };
  });

  server.post<{ Params: { appId: string } }>('/api/apps/:appId/analytics/track/batch', async (request) => {
    const app = apps.get(request.params.appId);
    const body = request.body as { events?: unknown } | undefined;
    const raw = Array.isArray(body?.events) ? body.events.slice(0, MAX_EVENTS_PER_BATCH) : [];
    const userId = await callerId(request);
    const events = raw.map((event) => analyticsEvent(event, userId)).filter((event) => event !== undefined);
    await appEvents.record(app.id, events);
    return { success: true, recorded: events.length };
  });

  async function adminOnly(request: FastifyRequest) {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    if (principal.kind !== 'service' && !(principal.kind === 'user' && principal.role === 'admin')) {
      throw forbidden('Only admins may read app logs');
    }
    return app;
  }

  server.get('/api/app-logs/:appId', async (request) => {
    const app = await adminOnly(request);
    const query = request.query as Record<string, unknown>;
    const kind: AppEventKind | undefined = query.kind === 'page_view' || query.kind === 'event' ? query.kind : undefined;
    return appEvents.list(app.id, kind, integerParam('limit', query.limit, 100, 1000));
  });

  server.get('/api/app-logs/:appId/stats', async (request) => {
    const app = await adminOnly(request);
    const days = integerParam('days', (request.query as Record<string, unknown>).days, 7, 7, 1);
    return { days, rows: await appEvents.stats(app.id, days) };
  });
}
