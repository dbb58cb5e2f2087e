// The SDK's auth and users calls: sign-up with a code, sign-in, resets, password change, invitations,
// the caller's own record (`auth.me`, `auth.updateMe`), the app's public settings, and user creation for operators.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthRequestMeta } from '../../auth/index.js';
import type { AppRuntime } from '../../tenancy/index.js';
import { HttpError, forbidden } from '../../errors.js';
import { bearer, resolveContext } from '../context.js';
import type { Services } from '../services.js';

type AppParams = { Params: { appId: string } };

export function requestMeta(request: FastifyRequest): AuthRequestMeta {
  return { ip: request.ip, origin: `${request.protocol}://${request.host}` };
}

const PUBLIC_SETTINGS = {
  public: 'public_without_login',
  private: 'private_with_login',
  workspace: 'workspace_with_login',
} as const;

export function authRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, auth, users } = services;

  // Sign-in and sign-up ignore any token the client still holds: a stale one must not block getting a new one.
  type AnonymousAction = (app: AppRuntime, input: unknown, meta: AuthRequestMeta) => Promise<object>;
  const anonymousCall = (path: string, action: AnonymousAction) =>
    server.post<AppParams>(`/api/apps/:appId/auth/${path}`, async (request) =>
      action.call(auth, apps.get(request.params.appId), request.body, requestMeta(request)),
    );
  anonymousCall('login', auth.login);
  anonymousCall('register', auth.register);
  anonymousCall('verify-otp', auth.verifyOtp);
  anonymousCall('resend-otp', auth.resendOtp);
  anonymousCall('reset-password-request', auth.requestPasswordReset);
  anonymousCall('reset-password', auth.resetPassword);
  anonymousCall('accept-invite', auth.acceptInvite);

  server.post('/api/apps/:appId/auth/change-password', async (request) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    return auth.changePassword(app, principal, request.body);
  });

  server.post<AppParams>('/api/apps/:appId/auth/logout', async (request) => {
    const token = bearer(request.headers.authorization);
    if (token) await auth.logout(apps.get(request.params.appId), token);
    return { success: true };
  });

  for (const path of ['/api/apps/:appId/users/invite-user', '/api/apps/:appId/runtime/users/invite-user']) {
    server.post(path, async (request) => {
      const { app, principal } = await resolveContext(request, apps, authenticator);
      return auth.invite(app, principal, request.body, requestMeta(request));
    });
  }

  server.get('/api/apps/:appId/entities/User/me', async (request) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    return users.me(app, principal);
  });

  server.put('/api/apps/:appId/entities/User/me', async (request) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    return users.updateMe(app, principal, request.body);
  });

  // What generated apps fetch first: a private app tells strangers why they may not enter (extra_data.reason).
  server.get<AppParams>('/api/apps/public/prod/public-settings/by-id/:appId', async (request) => {
    const app = apps.get(request.params.appId);
    const visibility = app.settings.visibility ?? 'public';
    if (visibility !== 'public') {
      const refuse = (reason: string, message: string) => new HttpError(403, 'forbidden', message, { reason });
      let token: string | undefined;
      try {
        token = bearer(request.headers.authorization);
      } catch {
        throw refuse('auth_required', 'Sign in to use this app');
      }
      if (!token) throw refuse('auth_required', 'Sign in to use this app');
      const principal = await authenticator.authenticate(app.id, token).catch((error: HttpError) => {
        if (error.extra?.reason === 'account_disabled') throw refuse('user_not_registered', 'Your account in this app is disabled');
        throw refuse('auth_required', 'Sign in to use this app');
      });
      if (principal.kind === 'user' && (await users.me(app, principal)).is_verified === false) {
        throw refuse('user_not_registered', 'You are not a registered user of this app');
      }
    }
    const settings = auth.settings(app);
    return {
      id: app.id,
      name: app.settings.name,
      public_settings: PUBLIC_SETTINGS[visibility],
      auth_config: {
        enable_username_password: settings.passwordLogin,
        enable_google_login: false,
        enable_microsoft_login: false,
        enable_facebook_login: false,
        enable_apple_login: false,
        enable_sso_login: false,
        signup: settings.signup,
        email_verification: settings.emailVerification,
      },
    };
  });

  // Operators' door for creating users (`homebase users create`): service role only.
  server.post('/api/apps/:appId/users', async (request, reply) => {
    const { app, principal } = await resolveContext(request, apps, authenticator);
    if (principal.kind !== 'service') throw forbidden('Creating users directly needs the service role');
    reply.status(201);
    return users.create(app, request.body);
  });
}
