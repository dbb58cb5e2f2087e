// Sign-in sessions: each user access token names one, so logging out or changing a password can end it.
// The lookup joins the user's record, so a session also reports the user's current role and state.

import { Sql } from './database.js';
import { tableRef } from './entity-tables.js';

export interface SessionState {
  userId: string;
  /** Null when the user record is gone. */
  email: string | null;
  role: string | null;
  disabled: boolean;
  active: boolean;
}

export async function createSession(db: Sql, appId: string, id: string, userId: string, lifetimeSeconds: number): Promise<void> {
  await db.query(
    `INSERT INTO homebase.sessions (id, app_id, user_id, expires_date)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))`,
    [id, appId, userId, lifetimeSeconds],
  );
}

export async function findSession(db: Sql, appId: string, id: string): Promise<SessionState | undefined> {
  const [row] = await db.query<{ user_id: string; email: string | null; role: string | null; disabled: boolean | null; active: boolean }>(
    `SELECT s.user_id, u.data->>'email' AS email, u.data->>'role' AS role, (u.data->>'disabled')::boolean AS disabled,
            (s.revoked_date IS NULL AND s.expires_date > now()) AS active
     FROM homebase.sessions s LEFT JOIN ${tableRef(appId, 'User')} u ON u.id = s.user_id
     WHERE s.app_id = $1 AND s.id = $2`,
    [appId, id],
  );
  return row && { userId: row.user_id, email: row.email, role: row.role, disabled: row.disabled === true, active: row.active };
}

export async function revokeSession(db: Sql, appId: string, id: string): Promise<void> {
  await db.query('UPDATE homebase.sessions SET revoked_date = now() WHERE app_id = $1 AND id = $2 AND revoked_date IS NULL', [appId, id]);
}

/** Ends every session of a user but `keep` (the caller's own, when they changed their password). */
export async function revokeUserSessions(db: Sql, appId: string, userId: string, keep?: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    `UPDATE homebase.sessions SET revoked_date = now()
     WHERE app_id = $1 AND user_id = $2 AND revoked_date IS NULL AND id IS DISTINCT FROM $3 RETURNING id`,
    [appId, userId, keep ?? null],
  );
  return rows.map((r) => r.id);
}

/** Drops sessions that expired or were revoked more than a day ago. */
export async function pruneSessions(db: Sql): Promise<void> {
  await db.query(
    `DELETE FROM homebase.sessions WHERE expires_date < now() - interval '1 day' OR revoked_date < now() - interval '1 day'`,
  );
}
