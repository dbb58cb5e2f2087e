// Every way into an app: sign-up with an emailed code, sign-in, password reset and change, invitations, sign-out.
// Each sign-in opens a session that the access token names, so sign-out and password changes end tokens early.

import { createHmac, randomBytes, randomInt } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { HttpError, badRequest, conflict, forbidden, unauthorized, upstreamFailed } from '../errors.js';
import type { Mailer } from '../mail/index.js';
import {
  CodePurpose,
  Database,
  EntityRecord,
  EntityRepository,
  attemptEmailCode,
  createSession,
  findAccount,
  findPasswordHash,
  hasLiveCode,
  issueCode,
  liveCode,
  pruneCodes,
  pruneSessions,
  revokeSession,
  revokeUserSessions,
  savePasswordHash,
} from '../store/index.js';
import type { AppRuntime } from '../tenancy/index.js';
import type { Authenticator } from './authenticator.js';
import { AuthMail, invitationMail, passwordResetMail, verificationCodeMail } from './emails.js';
import { MIN_PASSWORD_LENGTH, hashPassword, verifyPassword } from './passwords.js';
import { Limit, RateLimiter } from './rate-limit.js';
import type { Principal } from './tokens.js';
import { PROTECTED_USER_FIELDS, UserService } from './users.js';

export interface AuthSettings {
  signup: 'open' | 'invite_only' | 'closed';
  emailVerification: boolean;
  tokenLifetimeSeconds: number;
  /** Origins besides this server's that sign-in may send people back to. */
  redirectOrigins: string[];
  /** Any http://localhost origin may be a redirect target (dev, where the app's Vite server has its own port). */
  allowLocalhostRedirects: boolean;
  passwordLogin: boolean;
}

/** What a request tells auth about itself: who asks (for limits) and how this server is reached (for links in mails). */
export interface AuthRequestMeta {
  ip: string;
  origin: string;
}

export interface AuthLimits {
  perIp: Limit;
  perEmail: Limit;
}

export interface AuthServiceOptions {
  /** Server-wide defaults; an app's `auth` settings override them. */
  defaults: AuthSettings;
  limits: AuthLimits;
  /** Keys the hashes of one-time codes, so a leaked table cannot be brute-forced offline. */
  codeKey: Uint8Array;
  logger: FastifyBaseLogger;
}

const CODE_MINUTES = 10;
const RESET_MINUTES = 60;
const INVITE_DAYS = 7;
const MAX_CODE_ATTEMPTS = 5;
const INVITABLE_ROLES = ['user', 'admin'];

const email = z.email('a valid email is required').max(320);
const password = z
  .string({ error: 'password is required' })
  .min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`)
  .max(1024, 'Password is too long');

const credentialsInput = z.object({ email, password: z.string({ error: 'password is required' }).max(1024) });
const registerInput = z.looseObject({ email, password, full_name: z.string().max(200).optional() });
const emailInput = z.object({ email });
const codeInput = z.object({ email, otp_code: z.string({ error: 'otp_code is required' }).trim().max(32) });
const resetInput = z.object({ reset_token: z.string({ error: 'reset_token is required' }).max(200), new_password: password });
const changeInput = z.object({
  user_id: z.string({ error: 'user_id is required' }),
  current_password: z.string({ error: 'current_password is required' }).max(1024),
  new_password: password,
});
const inviteInput = z.object({ user_email: email, role: z.string().default('user') });
const acceptInput = z.object({ token: z.string().max(200), password, full_name: z.string().trim().max(200).optional() });

// Fields a sign-up may not set whatever the app's User entity says; sign-up extras are the app's own fields only.
const SIGNUP_IGNORED = new Set([...PROTECTED_USER_FIELDS, 'password', 'turnstile_token', 'referral_code', 'id', 'created_date', 'updated_date', 'created_by', 'created_by_id']);

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.join('.');
  throw badRequest(issue.code === 'invalid_type' && issue.input === undefined ? `${field} is required` : issue.message);
}

export class AuthService {
  private readonly limiter: RateLimiter;
  // Verifying against a real hash when an email is unknown keeps both answers equally slow.
  private readonly decoyHash = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    private readonly db: Database,
    private readonly records: EntityRepository,
    private readonly users: UserService,
    private readonly authenticator: Authenticator,
    private readonly mailer: Mailer,
    private readonly options: AuthServiceOptions,
  ) {
    this.limiter = new RateLimiter(db);
  }

  settings(app: AppRuntime): AuthSettings {
    const own = app.settings.auth ?? {};
    const { defaults } = this.options;
    return {
      // A private app admits the people it invites unless it says otherwise.
      signup: own.signup ?? (app.settings.visibility && app.settings.visibility !== 'public' ? 'invite_only' : defaults.signup),
      emailVerification: own.emailVerification ?? defaults.emailVerification,
      tokenLifetimeSeconds: own.tokenLifetime ?? defaults.tokenLifetimeSeconds,
      redirectOrigins: [...defaults.redirectOrigins, ...(own.redirectOrigins ?? [])],
      allowLocalhostRedirects: defaults.allowLocalhostRedirects,
      passwordLogin: own.passwordLogin ?? defaults.passwordLogin,
    };
  }

  async register(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    const settings = this.passwordSettings(app);
    const { email: rawEmail, password: newPassword, full_name, ...extra } = parse(registerInput, input);
    const address = rawEmail.toLowerCase();
    await this.limit(app, 'register', meta, address);
    if (settings.signup === 'closed') throw forbidden('Sign-up is closed for this app');
    if (settings.signup === 'invite_only') throw forbidden('This app is invite-only: ask an admin for an invitation');
    const fields = { ...this.signupExtras(app, extra), ...(full_name ? { full_name } : {}) };
    const existing = await findAccount(this.db, app.id, address);
    const passwordHash = await hashPassword(newPassword);
    let user: EntityRecord;
    if (!existing) {
      user = await this.users.createAccount(app, { email: address, role: 'user', verified: !settings.emailVerification, ...fields }, passwordHash);
    } else {
      const stored = await this.records.get(app.entity('User'), existing.userId);
      if (stored.is_verified !== false || existing.passwordHash === null) throw conflict('A user with this email already exists');
      // A repeated sign-up before verification restarts it: new password, new code.
      await savePasswordHash(this.db, app.id, existing.userId, passwordHash);
      user = Object.keys(fields).length > 0 ? await this.records.update(app.entity('User'), existing.userId, fields) : stored;
    }
    if (!settings.emailVerification) {
      return { id: user.id, message: 'Registered', access_token: await this.openSession(app, user), user };
    }
    await this.sendCode(app, address, { throwOnFailure: true });
    return { id: user.id, message: `Verification code sent to ${address}`, otp_expires_in_minutes: CODE_MINUTES };
  }

  async verifyOtp(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    const { email: rawEmail, otp_code } = parse(codeInput, input);
    const address = rawEmail.toLowerCase();
    await this.limit(app, 'verify', meta, address);
    const outcome = await attemptEmailCode(
      this.db, app.id, 'verify_email', address, this.codeHash(app, 'verify_email', `${address}:${otp_code}`), MAX_CODE_ATTEMPTS,
    );
    if (outcome === 'none') throw badRequest('No valid verification code for this email: ask for a new one');
    if (outcome === 'wrong') throw badRequest('Invalid verification code');
    const account = await findAccount(this.db, app.id, address);
    if (!account) throw badRequest('No valid verification code for this email: ask for a new one');
    const user = await this.records.update(app.entity('User'), account.userId, { is_verified: true });
    return { id: user.id, access_token: await this.openSession(app, user), message: 'Email verified', success: true as const, user };
  }

  async resendOtp(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    const address = parse(emailInput, input).email.toLowerCase();
    await this.limit(app, 'resend', meta, address);
    // The same answer, at once, whether or not the email awaits verification.
    this.inBackground('resend verification code', async () => {
      const account = await findAccount(this.db, app.id, address);
      if (!account?.passwordHash) return;
      const user = await this.records.get(app.entity('User'), account.userId);
      if (user.is_verified === false) await this.sendCode(app, address, { throwOnFailure: false });
    });
    return { message: 'If this email awaits verification, a new code was sent', otp_expires_in_minutes: CODE_MINUTES };
  }

  async login(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    const settings = this.passwordSettings(app);
    const { email: rawEmail, password: given } = parse(credentialsInput, input);
    const address = rawEmail.toLowerCase();
    await this.limiter.hit(`login:ip:${app.id}:${meta.ip}`, this.options.limits.perIp);
    const failures = `login:email:${app.id}:${address}`;
    const account = await findAccount(this.db, app.id, address);
    const valid = await verifyPassword(account?.passwordHash ?? (await this.decoyHash), given);
    if (!account?.passwordHash || !valid) {
      await this.limiter.hit(failures, this.options.limits.perEmail);
      throw unauthorized('Invalid email or password');
    }
    await this.limiter.reset(failures);
    const user = await this.records.get(app.entity('User'), account.userId);
    if (user.disabled === true) throw forbidden('This account is disabled');
    if (settings.emailVerification && user.is_verified === false) {
      throw new HttpError(403, 'forbidden', 'Verify your email first: enter the code we sent you', { reason: 'email_not_verified' });
    }
    return { access_token: await this.openSession(app, user), user };
  }

  async requestPasswordReset(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    this.passwordSettings(app);
    const address = parse(emailInput, input).email.toLowerCase();
    await this.limit(app, 'reset', meta, address);
    this.inBackground('password reset mail', async () => {
      const account = await findAccount(this.db, app.id, address);
      if (!account?.passwordHash) return;
      const token = await this.issueToken(app, 'reset_password', address, RESET_MINUTES * 60);
      const link = `${meta.origin}/reset-password?token=${token}&app_id=${app.id}`;
      await this.send(app, address, passwordResetMail(app.settings.name, link, RESET_MINUTES));
    });
    return { message: 'If an account exists for this email, a reset link was sent' };
  }

  async resetPassword(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    await this.limiter.hit(`reset-use:ip:${app.id}:${meta.ip}`, this.options.limits.perIp);
    const { reset_token, new_password } = parse(resetInput, input);
    const used = await liveCode(this.db, app.id, 'reset_password', this.codeHash(app, 'reset_password', reset_token), { use: true });
    const account = used && (await findAccount(this.db, app.id, used.email));
    if (!account) throw badRequest('This reset link is invalid, expired or already used');
    await this.setPassword(app, account.userId, new_password);
    // Following the emailed link proves the address too.
    await this.records.update(app.entity('User'), account.userId, { is_verified: true });
    return { message: 'Password changed: sign in with the new password', success: true as const };
  }

  async changePassword(app: AppRuntime, principal: Principal, input: unknown) {
    if (principal.kind !== 'user') throw unauthorized();
    const { user_id, current_password, new_password } = parse(changeInput, input);
    if (user_id !== principal.userId) throw forbidden('Users change only their own password');
    await this.limiter.hit(`change:user:${app.id}:${user_id}`, this.options.limits.perEmail);
    const stored = await findPasswordHash(this.db, app.id, user_id);
    if (!stored || !(await verifyPassword(stored, current_password))) throw badRequest('The current password is incorrect');
    await this.setPassword(app, user_id, new_password, principal.sessionId);
    return { message: 'Password changed', success: true as const };
  }

  async invite(app: AppRuntime, principal: Principal, input: unknown, meta: AuthRequestMeta) {
    const inviter = principal.kind === 'user' ? principal : principal.kind === 'service' ? (principal.onBehalfOf ?? 'service') : undefined;
    if (!inviter) throw unauthorized();
    if (inviter !== 'service' && inviter.role !== 'admin') throw forbidden('Only admins may invite users');
    const { user_email, role } = parse(inviteInput, input);
    if (!INVITABLE_ROLES.includes(role)) throw badRequest(`Invalid role "${role}": it must be "user" or "admin"`);
    const address = user_email.toLowerCase();
    const existing = await findAccount(this.db, app.id, address);
    if (existing?.passwordHash) throw conflict('A user with this email already exists');
    if (existing && (await hasLiveCode(this.db, app.id, 'invite', address))) throw conflict('This email has already been invited');
    const user = existing
      ? await this.records.update(app.entity('User'), existing.userId, { role, _app_role: role })
      : await this.users.createAccount(app, { email: address, role, verified: false }, null);
    const token = await this.issueToken(app, 'invite', address, INVITE_DAYS * 86_400, role);
    const link = `${meta.origin}/accept-invite?token=${token}&app_id=${app.id}`;
    const inviterName = inviter === 'service' ? `The ${app.settings.name} team` : inviter.email;
    await this.send(app, address, invitationMail(app.settings.name, inviterName, role, link));
    return { success: true, message: `Invitation sent to ${address}`, user_id: user.id };
  }

  /** Whom a live invitation is for, to show before it is accepted. */
  async invitation(app: AppRuntime, token: string): Promise<{ email: string; role: string }> {
    const live = await liveCode(this.db, app.id, 'invite', this.codeHash(app, 'invite', token), { use: false });
    if (!live) throw badRequest('This invitation is invalid, expired or already used');
    return { email: live.email, role: live.role ?? 'user' };
  }

  async acceptInvite(app: AppRuntime, input: unknown, meta: AuthRequestMeta) {
    await this.limiter.hit(`accept:ip:${app.id}:${meta.ip}`, this.options.limits.perIp);
    const { token, password: newPassword, full_name } = parse(acceptInput, input);
    const used = await liveCode(this.db, app.id, 'invite', this.codeHash(app, 'invite', token), { use: true });
    if (!used) throw badRequest('This invitation is invalid, expired or already used');
    const role = used.role ?? 'user';
    const account = await findAccount(this.db, app.id, used.email);
    const passwordHash = await hashPassword(newPassword);
    if (account) await savePasswordHash(this.db, app.id, account.userId, passwordHash);
    const user = account
      ? await this.records.update(app.entity('User'), account.userId, { is_verified: true, ...(full_name ? { full_name } : {}) })
      : await this.users.createAccount(app, { email: used.email, role, verified: true, ...(full_name ? { full_name } : {}) }, passwordHash);
    return { access_token: await this.openSession(app, user), user };
  }

  /** Ends the session of `accessToken`; a token that is already invalid needs nothing. */
  async logout(app: AppRuntime, accessToken: string): Promise<void> {
    let principal: Principal;
    try {
      principal = await this.authenticator.tokens.verify(app.id, accessToken);
    } catch {
      return;
    }
    if (principal.kind !== 'user') return;
    await revokeSession(this.db, app.id, principal.sessionId);
    this.authenticator.forget(app.id, [principal.sessionId]);
  }

  /** Deletes long-dead sessions, codes and attempt counters; any node may run it, at any interval. */
  async prune(): Promise<void> {
    await pruneSessions(this.db);
    await pruneCodes(this.db);
    await this.limiter.prune();
  }

  private passwordSettings(app: AppRuntime): AuthSettings {
    const settings = this.settings(app);
    if (!settings.passwordLogin) throw forbidden('Email and password sign-in is disabled for this app');
    return settings;
  }

  private async limit(app: AppRuntime, action: string, meta: AuthRequestMeta, address: string): Promise<void> {
    await this.limiter.hit(`${action}:ip:${app.id}:${meta.ip}`, this.options.limits.perIp);
    await this.limiter.hit(`${action}:email:${app.id}:${address}`, this.options.limits.perEmail);
  }

  /** The app's own User fields a sign-up may fill in; anything else is dropped, as updateMe does. */
  private signupExtras(app: AppRuntime, extra: Record<string, unknown>): Record<string, unknown> {
    const declared = app.definition('User').properties;
    return Object.fromEntries(Object.entries(extra).filter(([key]) => Object.hasOwn(declared, key) && !SIGNUP_IGNORED.has(key)));
  }

  private async openSession(app: AppRuntime, user: EntityRecord): Promise<string> {
    const lifetime = this.settings(app).tokenLifetimeSeconds;
    const sessionId = randomBytes(16).toString('hex');
    await createSession(this.db, app.id, sessionId, user.id, lifetime);
    return this.authenticator.tokens.signUser(app.id, { id: user.id, email: String(user.email), role: String(user.role ?? 'user') }, sessionId, lifetime);
  }

  private async setPassword(app: AppRuntime, userId: string, newPassword: string, keepSession?: string): Promise<void> {
    const passwordHash = await hashPassword(newPassword);
    const ended = await this.db.transaction(async (tx) => {
      await savePasswordHash(tx, app.id, userId, passwordHash);
      return revokeUserSessions(tx, app.id, userId, keepSession);
    });
    this.authenticator.forget(app.id, ended);
  }

  private codeHash(app: AppRuntime, purpose: CodePurpose, code: string): string {
    return createHmac('sha256', this.options.codeKey).update(`${app.id}:${purpose}:${code}`).digest('base64url');
  }

  private async issueToken(app: AppRuntime, purpose: CodePurpose, address: string, lifetimeSeconds: number, role?: string) {
    const token = randomBytes(32).toString('base64url');
    await issueCode(this.db, { appId: app.id, purpose, codeHash: this.codeHash(app, purpose, token), email: address, role, lifetimeSeconds });
    return token;
  }

  private async sendCode(app: AppRuntime, address: string, { throwOnFailure }: { throwOnFailure: boolean }) {
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await issueCode(this.db, {
      appId: app.id,
      purpose: 'verify_email',
      codeHash: this.codeHash(app, 'verify_email', `${address}:${code}`),
      email: address,
      lifetimeSeconds: CODE_MINUTES * 60,
    });
    try {
      await this.send(app, address, verificationCodeMail(app.settings.name, code, CODE_MINUTES));
    } catch (error) {
      if (throwOnFailure) throw error;
    }
  }

  private async send(app: AppRuntime, to: string, mail: AuthMail): Promise<void> {
    try {
      await this.mailer.send({ to, ...mail, fromName: app.settings.name, appId: app.id });
    } catch (error) {
      this.options.logger.error({ appId: app.id, err: { message: (error as Error).message } }, 'auth mail not sent');
      throw upstreamFailed('The mail could not be sent; try again later');
    }
  }

  private inBackground(task: string, work: () => Promise<void>): void {
    work().catch((error: Error) => this.options.logger.error({ err: { message: error.message } }, `${task} failed`));
  }
}
