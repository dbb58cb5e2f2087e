// PostgreSQL adapter (porsager/postgres): the production database, shared by every Homebase node.
// Statements are prepared and cached per connection; sessions run in UTC like the embedded database.

import postgres from 'postgres';
import { Database, Row, Sql } from './database.js';
import { translateDatabaseError } from './errors.js';

export interface PostgresOptions {
  maxConnections?: number;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const sql = postgres(url, {
    max: options.maxConnections ?? 10,
    // Entity tables are small enough to stay in memory or on SSD, where random reads cost about what
    // sequential ones do; the default (4) makes the planner shun the field indexes for counts.
    connection: { TimeZone: 'UTC', application_name: 'homebase', random_page_cost: 1.1 },
    onnotice: () => {},
    prepare: true,
  });
  const wrap = (target: postgres.Sql | postgres.TransactionSql): Sql => ({
    async query<T extends Row>(text: string, params: unknown[] = []) {
      try {
        return (await target.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[];
      } catch (error) {
        throw translateDatabaseError(error);
      }
    },
  });
  await wrap(sql).query('SELECT 1');
  const root = wrap(sql);
  return {
    kind: 'postgres',
    query: root.query,
    transaction: (work) => sql.begin((tx) => work(wrap(tx))) as Promise<never>,
    // postgres.js listens on a connection of its own and, when it drops, reconnects and listens again (onListen).
    listen: async (channel, onNotify, onListen) => {
      const { unlisten } = await sql.listen(channel, onNotify, onListen);
      return unlisten;
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
