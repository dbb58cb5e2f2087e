// App users: operator-made accounts and the caller's own record (`me`, `updateMe`); sign-in flows are in auth-service.
// Users are records of the app's User entity; their credentials live apart, in the platform schema.

import { z } from 'zod';
import type { AccessUser } from '../access/index.js';
import { HttpError, badRequest, conflict, notFound, unauthorized } from '../errors.js';
import { AppRuntime } from '../tenancy/index.js';
import { Database, EntityRecord, EntityRepository, savePasswordHash } from '../store/index.js';
import { MIN_PASSWORD_LENGTH, hashPassword } from './passwords.js';
import { Principal, UserPrincipal } from './tokens.js';

export const USER_ROLES = ['admin', 'user'] as const;

/** Fields of a user that only the platform (or an admin, for `role`) may change. */
export const PROTECTED_USER_FIELDS = [
  'email', 'full_name', 'role', 'permissions', 'disabled', 'is_verified', 'is_service', 'app_id', '_app_role', 'collaborator_role',
];

const newUserInput = z.object({
  email: z.email().max(320),
  password: z.string().min(MIN_PASSWORD_LENGTH, `Password must be at least ${MIN_PASSWORD_LENGTH} characters long`).max(1024),
  role: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/).default('user'),
  full_name: z.string().max(200).optional(),
});

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw badRequest(`${issue.path.join('.') || 'body'}: ${issue.message}`);
}

export class UserService {
  constructor(
    private readonly db: Database,
    private readonly records: EntityRepository,
  ) {}

  /** A user made by an operator (`homebase users create`): verified, with a password. */
  async create(app: AppRuntime, input: unknown): Promise<EntityRecord> {
    const { email, password, role, full_name } = parse(newUserInput, input);
    return this.createAccount(app, { email, role, verified: true, full_name }, await hashPassword(password));
  }

  /** Creates the user record (and credentials when a password hash is given) in one transaction. */
  async createAccount(
    app: AppRuntime,
    user: { email: string; role: string; verified: boolean; full_name?: string } & Record<string, unknown>,
    passwordHash: string | null,
  ): Promise<EntityRecord> {
    const { email: rawEmail, role, verified, full_name, ...extra } = user;
    const email = rawEmail.toLowerCase();
    const fields = {
      ...extra,
      email,
      full_name: full_name ?? email.split('@')[0],
      role,
      _app_role: role,
      app_id: app.id,
      disabled: false,
      is_verified: verified,
      is_service: false,
    };
    try {
      return await this.db.transaction(async (tx) => {
        const [created] = await this.records.bulkCreate(app.entity('User'), [fields], null, undefined, tx);
        if (passwordHash) await savePasswordHash(tx, app.id, created.id, passwordHash);
        return created;
      });
    } catch (error) {
      if (error instanceof HttpError && error.code === 'conflict') throw conflict('A user with this email already exists');
      throw error;
    }
  }

  /** The caller's own record; the service role acting for a user reads that user. */
  async me(app: AppRuntime, principal: Principal): Promise<EntityRecord> {
    const user = this.actingUser(principal);
    try {
      return await this.records.get(app.entity('User'), user.userId);
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) throw notFound('Unable to read data for the current user');
      throw error;
    }
  }

  async updateMe(app: AppRuntime, principal: Principal, input: unknown): Promise<EntityRecord> {
    const user = this.actingUser(principal);
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('updateMe takes an object');
    // Apps often send the whole user back; protected fields are dropped, not refused.
    const changes = Object.fromEntries(
      Object.entries(input).filter(([key]) => !PROTECTED_USER_FIELDS.includes(key)),
    );
    return this.records.update(app.entity('User'), user.userId, changes);
  }

  /** The caller as access rules see them: their whole user record, custom fields included; null when anonymous. */
  async accessUser(app: AppRuntime, principal: Principal): Promise<AccessUser | null> {
    const user = principal.kind === 'user' ? principal : principal.kind === 'service' ? principal.onBehalfOf : undefined;
    if (!user) return null;
    try {
      return (await this.records.get(app.entity('User'), user.userId)) as unknown as AccessUser;
    } catch (error) {
      // A valid token whose user was deleted no longer stands for anyone.
      if (error instanceof HttpError && error.status === 404) throw unauthorized('This user no longer exists');
      throw error;
    }
  }

  private actingUser(principal: Principal): UserPrincipal {
    if (principal.kind === 'user') return principal;
    if (principal.kind === 'service' && principal.onBehalfOf) return principal.onBehalfOf;
    throw unauthorized();
  }
}
