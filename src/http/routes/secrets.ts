// An app's function secrets in the official CLI's shapes: list (names, values masked), set several, delete one.
// Operators only; a value never comes back out of this API.

import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';
import { resolveOperator } from '../context.js';
import { stringParam } from '../request-values.js';
import type { Services } from '../services.js';

export function secretRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, functions } = services;
  if (!functions) return;
  const path = '/api/apps/:appId/secrets';

  server.get(path, async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    return functions.secrets.masked(app.id);
  });

  server.post(path, async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    await functions.secrets.set(app.id, request.body);
    return { success: true };
  });

  server.delete(path, async (request) => {
    const app = await resolveOperator(request, apps, authenticator);
    const name = stringParam('secret_name', (request.query as Record<string, unknown>).secret_name);
    if (!name) throw badRequest('secret_name is required');
    await functions.secrets.delete(app.id, name);
    return { success: true };
  });
}
