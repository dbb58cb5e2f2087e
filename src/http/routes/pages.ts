// The hosted auth pages apps send people to (`/login?from_url=…`, the reset and invitation links of mails) and the
// SDK's sign-out navigation. A sign-in sets the app's session cookie and returns to from_url with `?access_token=`.

import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AuthSettings,
  PageContext,
  RedirectPolicy,
  acceptInvitePage,
  forgotPasswordPage,
  messagePage,
  resetPasswordPage,
  safeRedirectTarget,
  signInPage,
  signUpPage,
  verifyEmailPage,
  withAccessToken,
} from '../../auth/index.js';
import { HttpError, forbidden } from '../../errors.js';
import type { AppRuntime } from '../../tenancy/index.js';
import type { Services } from '../services.js';
import { requestMeta } from './auth.js';

const SESSION_COOKIE_PREFIX = 'homebase_session_';
const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";
// Tokens travel in URLs (reset links, the redirect back to the app): no Referer may carry them elsewhere.
const PAGE_HEADERS = {
  'content-security-policy': `${CONTENT_SECURITY_POLICY}; form-action 'self'`,
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
const UNKNOWN_APP: PageContext = { appName: 'Homebase', appId: '' };

/** One page request: the app, its auth settings, and where the browser returns after signing in. */
interface Visit {
  app: AppRuntime;
  settings: AuthSettings;
  /** The checked from_url, normalised, or "/" when none was given. */
  target: string;
  page: PageContext;
}

type Refusal = { refused: HttpError; page: PageContext };

function sessionCookieName(app: AppRuntime): string {
  return `${SESSION_COOKIE_PREFIX}${app.id}`;
}

function valueIn(source: unknown, name: string): string | undefined {
  const value = source && typeof source === 'object' ? (source as Record<string, unknown>)[name] : undefined;
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' && first !== '' ? first : undefined;
}

/** A field of the posted form, or of the query on GET; credentials are never read from a posted URL's query. */
function param(request: FastifyRequest, name: string): string | undefined {
  return valueIn(request.method === 'GET' ? request.query : request.body, name);
}

/** A form field that the auth call itself checks, so an absent one is passed on as empty. */
function field(request: FastifyRequest, name: string): string {
  return param(request, name) ?? '';
}

function fullName(request: FastifyRequest): { full_name?: string } {
  const name = param(request, 'full_name');
  return name ? { full_name: name } : {};
}

/** app_id and from_url: forms carry them as fields, links in the query. */
function carriedParam(request: FastifyRequest, name: 'app_id' | 'from_url'): string | undefined {
  return valueIn(request.body, name) ?? valueIn(request.query, name);
}

function redirectPolicy(request: FastifyRequest, settings?: AuthSettings): RedirectPolicy {
  return {
    requestOrigin: `${request.protocol}://${request.host}`,
    redirectOrigins: settings?.redirectOrigins ?? [],
    allowLocalhost: settings?.allowLocalhostRedirects ?? false,
  };
}

function sendPage(reply: FastifyReply, status: number, html: string, target = '/'): FastifyReply {
  // Browsers check form-action on every redirect after a post, so the app's origin must be allowed too.
  const targetOrigin = target.startsWith('/') ? '' : ` ${new URL(target).origin}`;
  return reply
    .status(status)
    .header('content-security-policy', `${CONTENT_SECURITY_POLICY}; form-action 'self'${targetOrigin}`)
    .type('text/html; charset=utf-8')
    .send(html);
}

function refusalPage(reply: FastifyReply, error: HttpError, context: PageContext): FastifyReply {
  if (error.headers) reply.headers(error.headers);
  return sendPage(reply, error.status, messagePage(context, { title: 'Cannot continue', message: error.message, isError: true }));
}

export async function pageRoutes(server: FastifyInstance, services: Services): Promise<void> {
  const { apps, auth, authenticator } = services;

  function resolveVisit(request: FastifyRequest): Visit | Refusal {
    let app: AppRuntime;
    try {
      const appId = carriedParam(request, 'app_id');
      app = appId ? apps.get(appId) : apps.only();
    } catch (error) {
      if (error instanceof HttpError) return { refused: error, page: UNKNOWN_APP };
      throw error;
    }
    const settings = auth.settings(app);
    const fromUrl = carriedParam(request, 'from_url');
    const context = { appName: app.settings.name, appId: app.id };
    if (fromUrl === undefined) return { app, settings, target: '/', page: context };
    const target = safeRedirectTarget(fromUrl, redirectPolicy(request, settings));
    if (target === null) {
      return { refused: new HttpError(400, 'bad_request', 'The address to return to after signing in is not one this app allows.'), page: context };
    }
    return { app, settings, target, page: { ...context, fromUrl } };
  }

  type PageHandler = (request: FastifyRequest, reply: FastifyReply, visit: Visit) => Promise<FastifyReply>;
  const page = (handler: PageHandler) => async (request: FastifyRequest, reply: FastifyReply) => {
    const visit = resolveVisit(request);
    return 'refused' in visit ? refusalPage(reply, visit.refused, visit.page) : handler(request, reply, visit);
  };

  type Submit = (request: FastifyRequest, reply: FastifyReply, visit: Visit) => Promise<FastifyReply>;
  type Redraw = (request: FastifyRequest, visit: Visit, error: HttpError) => string | Promise<string>;
  /** A posted form: the auth call's HttpError re-renders the form with the message and the status it carries. */
  const form = (submit: Submit, redraw: Redraw) =>
    page(async (request, reply, visit) => {
      try {
        return await submit(request, reply, visit);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        if (error.headers) reply.headers(error.headers);
        return sendPage(reply, error.status, await redraw(request, visit, error), visit.target);
      }
    });

  function signIn(request: FastifyRequest, reply: FastifyReply, visit: Visit, token: string): FastifyReply {
    reply.setCookie(sessionCookieName(visit.app), token, {
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      secure: request.protocol === 'https',
      maxAge: visit.settings.tokenLifetimeSeconds,
    });
    return reply.redirect(withAccessToken(visit.target, token), 303);
  }

  async function liveSession(app: AppRuntime, token: string): Promise<boolean> {
    try {
      return (await authenticator.authenticate(app.id, token)).kind === 'user';
    } catch (error) {
      if (error instanceof HttpError) return false;
      throw error;
    }
  }

  const signInForm = (visit: Visit, state: { email?: string; error?: string; notice?: string }) =>
    signInPage(visit.page, { ...state, signupOpen: visit.settings.signup === 'open' });

  await server.register(async (scope) => {
    await scope.register(formbody);
    await scope.register(cookie);

    scope.addHook('onRequest', async (request, reply) => {
      reply.headers(PAGE_HEADERS);
      // Login CSRF: a form on another site must not sign the browser into someone else's account. Browsers that
      // predate Fetch Metadata send no such header and pass; with `no-referrer` their Origin would be "null" anyway.
      const site = request.headers['sec-fetch-site'];
      if (request.method === 'POST' && site !== undefined && site !== 'same-origin' && site !== 'none') {
        throw forbidden('Sign-in forms are accepted from this server only');
      }
    });

    scope.get(
      '/login',
      page(async (request, reply, visit) => {
        if (!visit.settings.passwordLogin) {
          const message = 'Email and password sign-in is disabled for this app';
          return sendPage(reply, 403, messagePage(visit.page, { title: 'Sign in', message, isError: true }));
        }
        const token = request.cookies[sessionCookieName(visit.app)];
        if (token !== undefined) {
          if (await liveSession(visit.app, token)) return reply.redirect(withAccessToken(visit.target, token), 303);
          reply.clearCookie(sessionCookieName(visit.app), { path: '/' });
        }
        return sendPage(reply, 200, signInForm(visit, { email: param(request, 'email') }), visit.target);
      }),
    );

    scope.post(
      '/login',
      form(
        async (request, reply, visit) => {
          const input = { email: field(request, 'email'), password: field(request, 'password') };
          return signIn(request, reply, visit, (await auth.login(visit.app, input, requestMeta(request))).access_token);
        },
        (request, visit, error) =>
          // An unverified account gets the code form at once, with the reason.
          error.extra?.reason === 'email_not_verified'
            ? verifyEmailPage(visit.page, { email: field(request, 'email'), error: error.message })
            : signInForm(visit, { email: field(request, 'email'), error: error.message }),
      ),
    );

    scope.get(
      '/signup',
      page(async (request, reply, visit) => {
        if (visit.settings.signup !== 'open') {
          const message = visit.settings.signup === 'invite_only' ? 'This app is invite-only: ask an admin for an invitation.' : 'Sign-up is closed for this app.';
          const content = { title: 'Create an account', message, isError: true, link: { path: '/login', label: 'Sign in' } };
          return sendPage(reply, 403, messagePage(visit.page, content));
        }
        return sendPage(reply, 200, signUpPage(visit.page, { email: param(request, 'email') }), visit.target);
      }),
    );

    scope.post(
      '/signup',
      form(
        async (request, reply, visit) => {
          const email = field(request, 'email');
          const result = await auth.register(visit.app, { email, password: field(request, 'password'), ...fullName(request) }, requestMeta(request));
          if (result.access_token) return signIn(request, reply, visit, result.access_token);
          return sendPage(reply, 200, verifyEmailPage(visit.page, { email }), visit.target);
        },
        (request, visit, error) => signUpPage(visit.page, { email: field(request, 'email'), fullName: param(request, 'full_name'), error: error.message }),
      ),
    );

    const verifyEmailForm: Redraw = (request, visit, error) => verifyEmailPage(visit.page, { email: field(request, 'email'), error: error.message });

    scope.post(
      '/verify-email',
      form(async (request, reply, visit) => {
        const input = { email: field(request, 'email'), otp_code: field(request, 'otp_code') };
        return signIn(request, reply, visit, (await auth.verifyOtp(visit.app, input, requestMeta(request))).access_token);
      }, verifyEmailForm),
    );

    scope.post(
      '/resend-code',
      form(async (request, reply, visit) => {
        const email = field(request, 'email');
        const { message } = await auth.resendOtp(visit.app, { email }, requestMeta(request));
        return sendPage(reply, 200, verifyEmailPage(visit.page, { email, notice: message }), visit.target);
      }, verifyEmailForm),
    );

    scope.get(
      '/forgot-password',
      page(async (request, reply, visit) => sendPage(reply, 200, forgotPasswordPage(visit.page, { email: param(request, 'email') }))),
    );

    scope.post(
      '/forgot-password',
      form(
        async (request, reply, visit) => {
          const { message } = await auth.requestPasswordReset(visit.app, { email: field(request, 'email') }, requestMeta(request));
          const content = { title: 'Check your email', message, link: { path: '/login', label: 'Back to sign in' } };
          return sendPage(reply, 200, messagePage(visit.page, content));
        },
        (request, visit, error) => forgotPasswordPage(visit.page, { email: field(request, 'email'), error: error.message }),
      ),
    );

    scope.get(
      '/reset-password',
      page(async (request, reply, visit) => {
        const token = param(request, 'token');
        if (!token) return refusalPage(reply, new HttpError(400, 'bad_request', 'This reset link is incomplete: open the link from the mail again.'), visit.page);
        return sendPage(reply, 200, resetPasswordPage(visit.page, { token }));
      }),
    );

    scope.post(
      '/reset-password',
      form(
        async (request, reply, visit) => {
          const newPassword = field(request, 'new_password');
          if (newPassword !== field(request, 'confirm_password')) throw new HttpError(400, 'bad_request', 'The two passwords do not match.');
          const input = { reset_token: field(request, 'token'), new_password: newPassword };
          const { message } = await auth.resetPassword(visit.app, input, requestMeta(request));
          const content = { title: 'Password changed', message, link: { path: '/login', label: 'Sign in' } };
          return sendPage(reply, 200, messagePage(visit.page, content));
        },
        (request, visit, error) => resetPasswordPage(visit.page, { token: field(request, 'token'), error: error.message }),
      ),
    );

    const invitationMessage = (visit: Visit, error: HttpError) => messagePage(visit.page, { title: 'Invitation', message: error.message, isError: true });

    scope.get(
      '/accept-invite',
      form(async (request, reply, visit) => {
        const token = field(request, 'token');
        const { email } = await auth.invitation(visit.app, token);
        return sendPage(reply, 200, acceptInvitePage(visit.page, { token, email }), visit.target);
      }, (_request, visit, error) => invitationMessage(visit, error)),
    );

    scope.post(
      '/accept-invite',
      form(
        async (request, reply, visit) => {
          const input = { token: field(request, 'token'), password: field(request, 'password'), ...fullName(request) };
          return signIn(request, reply, visit, (await auth.acceptInvite(visit.app, input, requestMeta(request))).access_token);
        },
        async (request, visit, error) => {
          // A refused password keeps the invitation; a used or expired one leaves nothing to fill in.
          const token = field(request, 'token');
          const invited = await auth.invitation(visit.app, token).catch((lookup: unknown) => {
            if (lookup instanceof HttpError) return undefined;
            throw lookup;
          });
          return invited
            ? acceptInvitePage(visit.page, { token, email: invited.email, fullName: param(request, 'full_name'), error: error.message })
            : invitationMessage(visit, error);
        },
      ),
    );

    // The SDK's `auth.logout()` navigates here without an app id: every app session this browser holds ends.
    scope.get('/api/apps/auth/logout', async (request, reply) => {
      const appId = carriedParam(request, 'app_id');
      const candidates = appId ? [apps.get(appId)] : apps.all();
      const signedIn = candidates.filter((app) => request.cookies[sessionCookieName(app)] !== undefined);
      for (const app of signedIn) {
        await auth.logout(app, request.cookies[sessionCookieName(app)] as string);
        reply.clearCookie(sessionCookieName(app), { path: '/' });
      }
      const policyApp = candidates.length === 1 ? candidates[0] : signedIn[0];
      const context = policyApp ? { appName: policyApp.settings.name, appId: policyApp.id } : UNKNOWN_APP;
      const fromUrl = carriedParam(request, 'from_url');
      const target = fromUrl === undefined ? '/' : safeRedirectTarget(fromUrl, redirectPolicy(request, policyApp && auth.settings(policyApp)));
      if (target === null) {
        const message = 'You are signed out. The address to return to is not one this app allows.';
        return sendPage(reply, 400, messagePage(context, { title: 'Signed out', message, isError: true }));
      }
      return reply.redirect(target, 303);
    });
  });
}
