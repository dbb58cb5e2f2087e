// The built-in User entity's fixed rules: users see and edit only themselves; admins and the service role see all.
// No one creates users through the entities API: they register or are invited.

import { forbidden, unauthorized } from '../errors.js';
import type { Scope } from '../store/index.js';
import { Principal } from './tokens.js';

export type EntityOperation = 'read' | 'create' | 'update' | 'delete' | 'bulk';

/** Admins and the service role see and edit every user. */
export function isPrivileged(principal: Principal): boolean {
  return principal.kind === 'service' || (principal.kind === 'user' && principal.role === 'admin');
}

/** The rows of User the caller may touch for `operation`; undefined means all of them. */
export function userEntityScope(principal: Principal, operation: EntityOperation): Scope | undefined {
  if (operation === 'create') throw forbidden('Users are created by registration or invitation, not through entities');
  if (principal.kind === 'anonymous') throw unauthorized();
  if (isPrivileged(principal)) return undefined;
  if (operation !== 'read' && operation !== 'update') throw forbidden('Only admins may do this to users');
  const self = principal.kind === 'user' ? principal.userId : '';
  return (params) => `id = ${params.add(self)}`;
}

/** Fields stripped from a User update: credentials stay linked to the email; roles change only by admins. */
export function userUpdateBlocklist(principal: Principal, protectedFields: string[]): string[] {
  return isPrivileged(principal) ? ['email', 'is_service', 'app_id'] : protectedFields;
}
