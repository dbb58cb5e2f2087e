// App users and tokens: passwords, sign-in, `me`, and the principal each request acts as.

export { TokenService } from './tokens.js';
export { Authenticator } from './authenticator.js';
export { AuthService } from './auth-service.js';
export type { AuthSettings, AuthRequestMeta, AuthLimits } from './auth-service.js';
export type { Principal, UserPrincipal } from './tokens.js';
export { UserService, USER_ROLES, PROTECTED_USER_FIELDS } from './users.js';
export { isPrivileged, userEntityScope, userUpdateBlocklist } from './user-entity.js';
export type { EntityOperation } from './user-entity.js';
export { safeRedirectTarget, withAccessToken } from './redirects.js';
export type { RedirectPolicy } from './redirects.js';
export * from './pages/index.js';
