// Who is calling, and for which app: resolved once per request, before any handler runs.
// A bad token is a 401 even where anonymous callers are allowed; silence would hide a broken login.

import type { FastifyRequest } from 'fastify';
import { Authenticator, Principal, UserPrincipal } from '../auth/index.js';
import { badRequest, forbidden, unauthorized } from '../errors.js';
import { AppRegistry, AppRuntime } from '../tenancy/index.js';
import type { Creator } from '../store/index.js';

export interface RequestContext {
  app: AppRuntime;
  principal: Principal;
}

export function bearer(header: string | string[] | undefined): string | undefined {
  if (header === undefined || header === '') return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  const match = /^Bearer\s+(\S+)$/i.exec(value);
  if (!match) throw unauthorized('Malformed Authorization header');
  // The SDK sends the literal "null" or "undefined" when it has no token yet.
  return match[1] === 'null' || match[1] === 'undefined' ? undefined : match[1];
}

export async function resolveContext(
  request: FastifyRequest,
  apps: AppRegistry,
  authenticator: Authenticator,
): Promise<RequestContext> {
  const appId = (request.params as { appId?: string }).appId;
  if (!appId) throw badRequest('Missing app id');
  const app = apps.get(appId);
  const token = bearer(request.headers.authorization);
  if (!token) return { app, principal: { kind: 'anonymous' } };
  const principal = await authenticator.authenticate(app.id, token);
  if (principal.kind !== 'service') return { app, principal };
  // A service call may act for the user whose token it forwards (backend functions do).
  const forwarded = bearer(request.headers['on-behalf-of']);
  if (!forwarded) return { app, principal };
  const onBehalfOf = await authenticator.authenticate(app.id, forwarded);
  return { app, principal: onBehalfOf.kind === 'user' ? { kind: 'service', onBehalfOf } : principal };
}

export function actingUser(principal: Principal): UserPrincipal | undefined {
  if (principal.kind === 'user') return principal;
  if (principal.kind === 'service') return principal.onBehalfOf;
  return undefined;
}

export function creatorOf(principal: Principal): Creator | null {
  const user = actingUser(principal);
  return user ? { id: user.userId, email: user.email } : null;
}

/** The app of a management call: the service role (operator token) only; users get 403, anonymous callers 401. */
export async function resolveOperator(request: FastifyRequest, apps: AppRegistry, authenticator: Authenticator): Promise<AppRuntime> {
  const { app, principal } = await resolveContext(request, apps, authenticator);
  if (principal.kind === 'anonymous') throw unauthorized('This management call needs the service token');
  if (principal.kind !== 'service') throw forbidden('This management call needs the service role');
  return app;
}
