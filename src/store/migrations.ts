// Versioned migrations of the platform schema `homebase`, applied once, in order, under a lock.
// Nodes starting together on one PostgreSQL wait for each other instead of racing.

import { Database } from './database.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE homebase.apps (
     id text PRIMARY KEY,
     name text NOT NULL,
     config jsonb NOT NULL DEFAULT '{}',
     created_date timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE homebase.credentials (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     user_id text NOT NULL,
     password_hash text NOT NULL,
     updated_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, user_id)
   );`,
  // Sessions make access tokens revocable (logout, password change); one-time codes serve OTP, reset and invites.
  `CREATE TABLE homebase.sessions (
     id text PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     user_id text NOT NULL,
     created_date timestamptz NOT NULL DEFAULT now(),
     expires_date timestamptz NOT NULL,
     revoked_date timestamptz
   );
   CREATE INDEX sessions_by_user ON homebase.sessions (app_id, user_id);
   CREATE TABLE homebase.auth_codes (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     purpose text NOT NULL,
     code_hash text NOT NULL,
     email text NOT NULL,
     role text,
     attempts int NOT NULL DEFAULT 0,
     created_date timestamptz NOT NULL DEFAULT now(),
     expires_date timestamptz NOT NULL,
     used_date timestamptz,
     PRIMARY KEY (app_id, purpose, code_hash)
   );
   CREATE INDEX auth_codes_by_email ON homebase.auth_codes (app_id, purpose, lower(email), created_date DESC);`,
];

const LOCK_KEY = 4_401_044; // any constant shared by all nodes

export async function migrate(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS homebase');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS homebase.migrations (version int PRIMARY KEY, applied_date timestamptz NOT NULL DEFAULT now())',
    );
    const [{ version }] = await tx.query<{ version: number }>(
      'SELECT COALESCE(max(version), 0)::int AS version FROM homebase.migrations',
    );
    for (let next = version; next < MIGRATIONS.length; next++) {
      for (const statement of MIGRATIONS[next].split(/;\s*$/m).filter((s) => s.trim())) await tx.query(statement);
      await tx.query('INSERT INTO homebase.migrations (version) VALUES ($1)', [next + 1]);
    }
  });
}
