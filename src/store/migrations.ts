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
