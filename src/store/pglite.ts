// Embedded PostgreSQL (PGlite) adapter: the dev database, kept in `<project>/.homebase/` or in memory.
// PGlite runs one statement at a time, so it serialises queries itself; transactions hold its lock.

import { PGlite } from '@electric-sql/pglite';
import { Database, Row, Sql } from './database.js';
import { translateDatabaseError } from './errors.js';
import { OUTBOX_INSERT } from './outbox.js';

// PGlite has no autovacuum, so without this the planner never learns how data is distributed and
// picks poor plans for filtered, sorted pages once tables grow.
const ANALYZE_EVERY_MS = 10_000;
const WRITE = /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i;

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const pg = await PGlite.create(dataDir ?? 'memory://');
  await pg.exec(`SET TIME ZONE 'UTC'; SET random_page_cost = 1.1`);
  let written = false;
  // One process: outbox commits are announced to its followers directly.
  const followers = new Set<() => void>();
  const announce = () => followers.forEach((onCommit) => onCommit());
  const wrap = (target: Pick<PGlite, 'query'>, onOutboxWrite: () => void): Sql => ({
    async query<T extends Row>(text: string, params: unknown[] = []) {
      if (WRITE.test(text)) written = true;
      let rows: T[];
      try {
        rows = (await target.query<T>(text, params)).rows;
      } catch (error) {
        throw translateDatabaseError(error);
      }
      if (text.includes(OUTBOX_INSERT)) onOutboxWrite();
      return rows;
    },
  });
  const statistics = setInterval(() => {
    if (!written) return;
    written = false;
    // Statistics only guide the planner; a failed run is simply tried again after the next writes.
    pg.exec('ANALYZE').catch(() => {});
  }, ANALYZE_EVERY_MS);
  statistics.unref();
  const root = wrap(pg, announce);
  return {
    kind: 'pglite',
    query: root.query,
    transaction: async (work) => {
      let logged = false;
      const result = await pg.transaction((tx) => work(wrap(tx, () => (logged = true))));
      if (logged) announce();
      return result;
    },
    followOutbox: async (onCommit, onListen) => {
      followers.add(onCommit);
      onListen();
      return async () => {
        followers.delete(onCommit);
      };
    },
    close: async () => {
      clearInterval(statistics);
      await pg.close();
    },
  };
}
