// Embedded PostgreSQL (PGlite) adapter: the dev database, kept in `<project>/.homebase/` or in memory.
// PGlite runs one statement at a time, so it serialises queries itself; transactions hold its lock.

import { PGlite } from '@electric-sql/pglite';
import { Database, Row, Sql } from './database.js';
import { translateDatabaseError } from './errors.js';

export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const pg = await PGlite.create(dataDir ?? 'memory://');
  await pg.exec(`SET TIME ZONE 'UTC'; SET random_page_cost = 1.1`);
  const wrap = (target: Pick<PGlite, 'query'>): Sql => ({
    async query<T extends Row>(text: string, params: unknown[] = []) {
      try {
        return (await target.query<T>(text, params)).rows;
      } catch (error) {
        throw translateDatabaseError(error);
      }
    },
  });
  const root = wrap(pg);
  return {
    kind: 'pglite',
    query: root.query,
    transaction: (work) => pg.transaction((tx) => work(wrap(tx))),
    close: () => pg.close(),
  };
}
