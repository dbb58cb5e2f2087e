// App users and tokens: passwords, sign-in, `me`, and the principal each request acts as.

export { TokenService } from './tokens.js';
export type { Principal, UserPrincipal } from './tokens.js';
export { UserService, USER_ROLES, PROTECTED_USER_FIELDS } from './users.js';
export { userEntityScope, userUpdateBlocklist } from './user-entity.js';
export type { EntityOperation } from './user-entity.js';
