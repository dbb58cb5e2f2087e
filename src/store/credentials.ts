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

/** The user signing in with `email` (any case) and their password hash, if both exist. */
export async function findLogin(
  db: Sql,
  appId: string,
  email: string,
): Promise<{ userId: string; passwordHash: string } | undefined> {
  const [row] = await db.query<{ id: string; password_hash: string }>(
    `SELECT u.id, c.password_hash FROM ${tableRef(appId, 'User')} u
     JOIN homebase.credentials c ON c.app_id = $1 AND c.user_id = u.id
     WHERE lower(u.data->>'email') = lower($2)`,
    [appId, email],
  );
  return row && { userId: row.id, passwordHash: row.password_hash };
}
