// An in-memory PGlite for unit tests that run compiled SQL. A fresh PGlite spends most of its start-up
// running initdb, so the initialised data directory is cached in the OS temp directory (keyed by the PGlite build).

import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

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
  await db.exec(`
    SET TIME ZONE 'UTC';
    CREATE TABLE t (id text primary key, created_date timestamptz, updated_date timestamptz,
                    created_by text, created_by_id text, data jsonb not null);
  `);
  for (const r of seed) {
    await db.query('INSERT INTO t VALUES ($1, $2, $2, $3, $4, $5::jsonb)', [
      r.id, r.created_date, r.created_by ?? null, r.created_by ? `id-${r.created_by}` : null, JSON.stringify(r.data),
    ]);
  }
  return db;
}
