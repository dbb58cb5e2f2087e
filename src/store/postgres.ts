// PostgreSQL adapter (porsager/postgres): the production database, shared by every Homebase node.
// Statements are prepared and cached per connection; sessions run in UTC like the embedded database.

import postgres from 'postgres';
import type { CommitAnnouncer } from './commit-announcer.js';
import { Database, Row, Sql } from './database.js';
import { translateDatabaseError } from './errors.js';
import { OUTBOX_CHANNEL, OUTBOX_INSERT } from './outbox.js';

export interface PostgresOptions {
  maxConnections?: number;
  /** How nodes learn of outbox commits, when not through this database's NOTIFY; closed with the database. */
  announcer?: CommitAnnouncer;
}

/** Outbox notices through PostgreSQL itself: NOTIFY after a commit, LISTEN on a connection of its own. */
function notifyAnnouncer(sql: postgres.Sql): CommitAnnouncer {
  return {
    announce: async () => {
      // The notice need not be durable, so its own commit does not wait for the disk.
      await sql.unsafe(`SELECT pg_notify($1, $2), set_config('synchronous_commit', 'off', true)`, [OUTBOX_CHANNEL, '']);
    },
    // postgres.js listens on a connection of its own and, when it drops, reconnects and listens again (onListen).
    follow: async (onCommit, onListen) => {
      const { unlisten } = await sql.listen(OUTBOX_CHANNEL, () => onCommit(), onListen);
      return unlisten;
    },
    close: async () => {},
  };
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
  // Nodes learn of outbox commits from a notice sent after the commit, one in flight at a time. A NOTIFY inside each
  // writing transaction would serialise all their commits: PostgreSQL holds its notification queue lock across the
  // commit's WAL flush, which halved write throughput here.
  const announcer = options.announcer ?? notifyAnnouncer(sql);
  let announcing = false;
  let announceAgain = false;
  const announce = (): void => {
    if (announcing) {
      announceAgain = true;
      return;
    }
    announcing = true;
    announcer
      .announce()
      // A lost announcement only delays delivery until the followers' next poll.
      .catch(() => {})
      .finally(() => {
        announcing = false;
        if (announceAgain) {
          announceAgain = false;
          announce();
        }
      });
  };
  const wrap = (target: postgres.Sql | postgres.TransactionSql, onOutboxWrite: () => void): Sql => ({
    async query<T extends Row>(text: string, params: unknown[] = []) {
      let rows: T[];
      try {
        rows = (await target.unsafe(text, params as postgres.ParameterOrJSON<never>[], { prepare: true })) as unknown as T[];
      } catch (error) {
        throw translateDatabaseError(error);
      }
      if (text.includes(OUTBOX_INSERT)) onOutboxWrite();
      return rows;
    },
  });
  const root = wrap(sql, announce);
  try {
    await root.query('SELECT 1');
  } catch (error) {
    await announcer.close();
    await sql.end({ timeout: 1 });
    throw error;
  }
  return {
    kind: 'postgres',
    query: root.query,
    transaction: async (work) => {
      let logged = false;
      const result = (await sql.begin((tx) => work(wrap(tx, () => (logged = true))))) as Awaited<ReturnType<typeof work>>;
      if (logged) announce();
      return result;
    },
    followOutbox: (onCommit, onListen) => announcer.follow(onCommit, onListen),
    close: async () => {
      await announcer.close();
      await sql.end({ timeout: 5 });
    },
  };
}
