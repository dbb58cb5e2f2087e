// Sign-in and the caller's own user record (`auth.me`, `auth.updateMe`), plus user creation for operators.

import type { FastifyInstance } from 'fastify';
import { forbidden } from '../../errors.js';
import { resolveContext } from '../context.js';
import type { Services } from '../services.js';

export function authRoutes(server: FastifyInstance, services: Services): void {
  const { apps, tokens, users } = services;

  server.post('/api/apps/:appId/auth/login', async (request) => {
    const { app } = await resolveContext(request, apps, tokens);
    return users.login(app, request.body);
  });

  server.get('/api/apps/:appId/entities/User/me', async (request) => {
    const { app, principal } = await resolveContext(request, apps, tokens);
    return users.me(app, principal);
  });

  server.put('/api/apps/:appId/entities/User/me', async (request) => {
    const { app, principal } = await resolveContext(request, apps, tokens);
    return users.updateMe(app, principal, request.body);
  });

  // Operators' door for creating users (`homebase users create`): service role only.
  server.post('/api/apps/:appId/users', async (request, reply) => {
    const { app, principal } = await resolveContext(request, apps, tokens);
    if (principal.kind !== 'service') throw forbidden('Creating users directly needs the service role');
    reply.status(201);
    return users.create(app, request.body);
  });
}
