// One table per entity in the app's own schema: built-in columns plus the fields as `data jsonb`.
// Schema changes need no rewrite; indexes serve the default sort, creator filters and JSON containment.

import { createHash } from 'node:crypto';
import { Database, quoteIdent } from './database.js';

export function appSchemaName(appId: string): string {
  if (!/^[a-f0-9]{24}$/.test(appId)) throw new Error(`Invalid app id ${JSON.stringify(appId)}`);
  return `app_${appId}`;
}

export function tableRef(appId: string, entity: string): string {
  return `${quoteIdent(appSchemaName(appId))}.${quoteIdent(entity)}`;
}

export async function ensureAppSchema(db: Database, appId: string): Promise<void> {
  await db.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(appSchemaName(appId))}`);
}

/**
 * Creates the entity's table and indexes if missing; safe to run on every start and reload.
 * `indexedFields` get expression indexes on `(data->'field')`, the exact expression equality filters compile to,
 * which also gives the planner statistics on those fields.
 */
export async function ensureEntityTable(db: Database, appId: string, entity: string, indexedFields: string[] = []): Promise<void> {
  const table = tableRef(appId, entity);
  // Index names are derived from the entity name, which is validated (≤ 63 chars, \w).
  const index = (suffix: string) => quoteIdent(`${entity.slice(0, 40)}_${suffix}`);
  const statements = [
    `CREATE TABLE IF NOT EXISTS ${table} (
       id text PRIMARY KEY,
       created_date timestamptz NOT NULL DEFAULT now(),
       updated_date timestamptz NOT NULL DEFAULT now(),
       created_by text,
       created_by_id text,
       data jsonb NOT NULL DEFAULT '{}'
     )`,
    `CREATE INDEX IF NOT EXISTS ${index('created')} ON ${table} (created_date, id)`,
    `CREATE INDEX IF NOT EXISTS ${index('updated')} ON ${table} (updated_date, id)`,
    `CREATE INDEX IF NOT EXISTS ${index('creator')} ON ${table} (created_by)`,
    `CREATE INDEX IF NOT EXISTS ${index('creator_id')} ON ${table} (created_by_id)`,
    `CREATE INDEX IF NOT EXISTS ${index('data')} ON ${table} USING gin (data jsonb_path_ops)`,
  ];
  for (const field of indexedFields) {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(field)) throw new Error(`Refusing to index field ${JSON.stringify(field)}`);
    const name = `f_${field.slice(0, 20)}_${createHash('sha1').update(field).digest('hex').slice(0, 6)}`;
    statements.push(`CREATE INDEX IF NOT EXISTS ${index(name)} ON ${table} ((data->'${field}'))`);
  }
  // Users sign in by email, which must therefore be unique per app, whatever its case.
  if (entity === 'User') {
    statements.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${index('email')} ON ${table} (lower(data->>'email'))`);
  }
  await db.transaction(async (tx) => {
    // Serialises nodes that create the same table at once (CREATE ... IF NOT EXISTS can still race).
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
    for (const statement of statements) await tx.query(statement);
  });
}
