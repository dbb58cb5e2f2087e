// Signed access tokens (JWT, HS256, jose): user tokens and service tokens, each bound to one app.
// Each app signs with its own key derived from the server secret, so a token of app A is worthless on app B.

import { createHmac } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { unauthorized } from '../errors.js';

export type Principal =
  | { kind: 'anonymous' }
  | { kind: 'user'; userId: string; email: string; role: string; sessionId: string }
  | { kind: 'service'; onBehalfOf?: Extract<Principal, { kind: 'user' }> };

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

const ISSUER = 'homebase';
const CACHE_LIMIT = 10_000;

export class TokenService {
  private readonly keys = new Map<string, Uint8Array>();
  // Verified tokens, so hot paths skip the HMAC and JSON work; entries still expire with their token.
  private readonly verified = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly secret: Uint8Array) {}

  private key(appId: string): Uint8Array {
    let key = this.keys.get(appId);
    if (!key) {
      key = createHmac('sha256', this.secret).update(`app-token-key:${appId}`).digest();
      this.keys.set(appId, key);
    }
    return key;
  }

  /** A user's access token for one session (`sid`), which revoking the session ends before it expires. */
  signUser(appId: string, user: { id: string; email: string; role: string }, sessionId: string, lifetimeSeconds: number): Promise<string> {
    return new SignJWT({ typ: 'user', email: user.email, role: user.role, app_id: appId, sid: sessionId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setAudience(appId)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.key(appId));
  }

  signService(appId: string, lifetimeSeconds: number): Promise<string> {
    return new SignJWT({ typ: 'service', app_id: appId })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(`service:${appId}`)
      .setIssuer(ISSUER)
      .setAudience(appId)
      .setIssuedAt()
      .setExpirationTime(`${lifetimeSeconds}s`)
      .sign(this.key(appId));
  }

  /** The principal a bearer token stands for in `appId`; any invalid, expired or foreign token is a 401. */
  async verify(appId: string, token: string): Promise<Principal> {
    const cacheKey = `${appId}\u0000${token}`;
    const cached = this.verified.get(cacheKey);
    if (cached && cached.expiresAt > Date.now()) return cached.principal;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key(appId), { issuer: ISSUER, audience: appId, algorithms: ['HS256'] }));
    } catch (error) {
      throw unauthorized(error instanceof joseErrors.JWTExpired ? 'Token expired' : 'Invalid token');
    }
    let principal: Principal;
    if (payload.typ === 'service') {
      principal = { kind: 'service' };
    } else if (
      payload.typ === 'user' &&
      typeof payload.sub === 'string' &&
      typeof payload.email === 'string' &&
      typeof payload.sid === 'string'
    ) {
      principal = { kind: 'user', userId: payload.sub, email: payload.email, role: String(payload.role ?? 'user'), sessionId: payload.sid };
    } else {
      throw unauthorized('Invalid token');
    }
    if (this.verified.size >= CACHE_LIMIT) this.verified.clear();
    this.verified.set(cacheKey, { principal, expiresAt: (payload.exp ?? 0) * 1000 });
    return principal;
  }
}
