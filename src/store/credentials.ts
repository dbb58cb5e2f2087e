// Password hashes live in the platform schema, apart from the User records apps can read.

import { Sql } from './database.js';
import { tableRef } from './entity-tables.js';

export async function savePasswordHash(db: Sql, appId: string, userId: string, passwordHash: string): Promise<void> {
  await db.query(
    `INSERT INTO homebase.credentials (app_id, user_id, password_hash) VALUES ($1, $2, $3)
     ON CONFLICT (app_id, user_id) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_date = now()`,
    [appId, userId, passwordHash],
  );
}

/** The user with `email` (any case), with their password hash when they have one (invited users do not yet). */
export async function findAccount(
  db: Sql,
  appId: string,
  email: string,
): Promise<{ userId: string; passwordHash: string | null } | undefined> {
  const [row] = await db.query<{ id: string; password_hash: string | null }>(
    `SELECT u.id, c.password_hash FROM ${tableRef(appId, 'User')} u
     LEFT JOIN homebase.credentials c ON c.app_id = $1 AND c.user_id = u.id
     WHERE lower(u.data->>'email') = lower($2)`,
    [appId, email],
  );
  return row && { userId: row.id, passwordHash: row.password_hash };
}

export async function findPasswordHash(db: Sql, appId: string, userId: string): Promise<string | undefined> {
  const [row] = await db.query<{ password_hash: string }>(
    'SELECT password_hash FROM homebase.credentials WHERE app_id = $1 AND user_id = $2',
    [appId, userId],
  );
  return row?.password_hash;
}
