// Embedded PostgreSQL (PGlite) adapter: the dev database, kept in `<project>/.homebase/` or in memory.
// PGlite runs one statement at a time, so it serialises queries itself; transactions hold its lock.

import { PGlite } from '@electric-sql/pglite';
import { Database, Row, Sql } from './database.js';
import { translateDatabaseError } from './errors.js';

// PGlite has no autovacuum, so without this the planner never learns how data is distributed and
// picks poor plans for filtered, sorted pages once tables grow.
const ANALYZE_EVERY_MS = 10_000;
const WRITE = /^\s*(INSERT|UPDATE|DELETE|WITH)\b/i;

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const pg = await PGlite.create(dataDir ?? 'memory://');
  await pg.exec(`SET TIME ZONE 'UTC'; SET random_page_cost = 1.1`);
  let written = false;
  const wrap = (target: Pick<PGlite, 'query'>): Sql => ({
    async query<T extends Row>(text: string, params: unknown[] = []) {
      if (WRITE.test(text)) written = true;
      try {
        return (await target.query<T>(text, params)).rows;
      } catch (error) {
        throw translateDatabaseError(error);
      }
    },
  });
  const statistics = setInterval(() => {
    if (!written) return;
    written = false;
    // Statistics only guide the planner; a failed run is simply tried again after the next writes.
    pg.exec('ANALYZE').catch(() => {});
  }, ANALYZE_EVERY_MS);
  statistics.unref();
  const root = wrap(pg);
  return {
    kind: 'pglite',
    query: root.query,
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    // In process, the connection cannot drop: listening starts once.
    listen: async (channel, onNotify, onListen) => {
      const stop = await pg.listen(channel, onNotify);
      onListen();
      return () => stop();
    },
    close: async () => {
      clearInterval(statistics);
      await pg.close();
    },
  };
}
