// Turns a bearer token into the principal a request acts as: signature and expiry (TokenService), then the session.
// Session checks are cached briefly per node: revocation is immediate on the node that revoked, within seconds elsewhere.

import { HttpError, unauthorized } from '../errors.js';
import { Database, SessionState, findSession } from '../store/index.js';
import type { Principal } from './tokens.js';
import { TokenService } from './tokens.js';

const CACHE_LIMIT = 10_000;

export class Authenticator {
  private readonly sessions = new Map<string, { state: SessionState | undefined; checkedAt: number }>();

  constructor(
    private readonly db: Database,
    readonly tokens: TokenService,
    private readonly sessionCheckMs = 5_000,
  ) {}

  /** The principal of `token` in app `appId`; a token whose session ended, or whose user is gone or disabled, is a 401. */
  async authenticate(appId: string, token: string): Promise<Principal> {
    const principal = await this.tokens.verify(appId, token);
    if (principal.kind !== 'user') return principal;
    const state = await this.session(appId, principal.sessionId);
    if (!state?.active) throw unauthorized('Session ended, sign in again');
    if (state.email === null) throw unauthorized('This user no longer exists');
    if (state.disabled) throw new HttpError(401, 'unauthorized', 'This account is disabled', { reason: 'account_disabled' });
    // Role and email come from the user record, so an admin's change applies without a new sign-in.
    return { ...principal, email: state.email, role: state.role ?? 'user' };
  }

  /** Drops cached checks of ended sessions, so this node refuses their tokens at once. */
  forget(appId: string, sessionIds: string[]): void {
    for (const id of sessionIds) this.sessions.delete(`${appId}\u0000${id}`);
  }

  /** Drops every cached check of an app's sessions (after its users changed). */
  forgetApp(appId: string): void {
    const prefix = `${appId}\u0000`;
    for (const key of this.sessions.keys()) if (key.startsWith(prefix)) this.sessions.delete(key);
  }

  private async session(appId: string, sessionId: string): Promise<SessionState | undefined> {
    const key = `${appId}\u0000${sessionId}`;
    const cached = this.sessions.get(key);
    const now = Date.now();
    if (cached && now - cached.checkedAt < this.sessionCheckMs) return cached.state;
    const state = await findSession(this.db, appId, sessionId);
    if (this.sessions.size >= CACHE_LIMIT) this.sessions.clear();
    this.sessions.set(key, { state, checkedAt: now });
    return state;
  }
}
