// An in-memory PGlite for unit tests that run compiled SQL. A fresh PGlite spends most of its start-up
// running initdb, so the initialised data directory is cached in the OS temp directory (keyed by the PGlite build).

import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { POSTGRES_ADMIN_URL } from './server.js';

export async function openTestPglite(): Promise<PGlite> {
  const build = statSync(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  const cache = join(tmpdir(), `homebase-tests-pglite-${build.size}-${Math.round(build.mtimeMs)}.tar`);
  try {
    return await PGlite.create({ loadDataDir: new Blob([readFileSync(cache)]) });
  } catch {
    // no usable cache yet: start from scratch and leave one for the next run
  }
  const fresh = await PGlite.create();
  const dump = await fresh.dumpDataDir('none');
  const partial = `${cache}.${process.pid}`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
  renameSync(partial, cache);
  return fresh;
}

export interface SeedRecord {
  id: string;
  created_date: string;
  created_by?: string | null;
  data: unknown;
}

/** A PGlite holding table `t`, shaped like an entity table, filled with `seed` (`created_by_id` derived). */
export async function openRecordsTable(seed: SeedRecord[]): Promise<PGlite> {
  const db = await openTestPglite();
  await db.exec(`SET TIME ZONE 'UTC'; ${TABLE};`);
  for (const r of seed) {
    await db.query('INSERT INTO t VALUES ($1, $2, $2, $3, $4, $5::jsonb)', [
      r.id, r.created_date, r.created_by ?? null, r.created_by ? `id-${r.created_by}` : null, JSON.stringify(r.data),
    ]);
  }
  return db;
}

/** A records table on one of the two databases, for tests that compare compiled SQL with in-memory evaluation. */
export interface RecordsTable {
  query<T extends Record<string, unknown>>(text: string, params: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

const TABLE = `CREATE TABLE t (id text primary key, created_date timestamptz, updated_date timestamptz,
                  created_by text, created_by_id text, data jsonb not null)`;

/** Table `t` filled with `seed`, on PGlite or in a throwaway schema of the PostgreSQL test database. */
export async function openRecordsTableOn(kind: 'pglite' | 'postgres', seed: SeedRecord[]): Promise<RecordsTable> {
  if (kind === 'pglite') {
    const db = await openRecordsTable(seed);
    return { query: async (text, params) => (await db.query(text, params)).rows as never, close: () => db.close() };
  }
  const schema = `records_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {}, connection: { TimeZone: 'UTC', search_path: schema } });
  await sql.unsafe(`CREATE SCHEMA ${schema}`);
  await sql.unsafe(TABLE);
  for (const r of seed) {
    await sql.unsafe('INSERT INTO t VALUES ($1, $2::text::timestamptz, $2::text::timestamptz, $3, $4, $5::text::jsonb)', [
      r.id, r.created_date, r.created_by ?? null, r.created_by ? `id-${r.created_by}` : null, JSON.stringify(r.data),
    ]);
  }
  return {
    query: async (text, params) => (await sql.unsafe(text, params as never[])) as never,
    close: async () => {
      await sql.unsafe(`DROP SCHEMA ${schema} CASCADE`);
      await sql.end();
    },
  };
}
