// How the nodes sharing a PostgreSQL database learn that outbox rows were committed: a notice, not the change itself
// (each node reads the outbox). PostgreSQL's own NOTIFY by default; Redis pub/sub when configured, for deployments
// whose database connections cannot LISTEN (a transaction-mode pooler) or that keep notices off the database.

import { createClient, type RedisClientType } from '@redis/client';
import type { Logger } from 'pino';

export interface CommitAnnouncer {
  /** Tells every node, this one included, that outbox rows were committed. Best effort: followers also poll. */
  announce(): Promise<void>;
  /** Calls `onCommit` per notice and `onListen` each time listening (re)starts; answers how to stop. */
  follow(onCommit: () => void, onListen: () => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const CHANNEL_PREFIX = 'homebase:outbox:';

/**
 * Redis pub/sub on a channel named after the database (host, port, name), so deployments sharing a Redis but not a
 * database do not wake each other. One connection publishes, one subscribes for all of this node's followers; the
 * client reconnects and resubscribes when it drops. Fails at once when Redis cannot be reached.
 */
export async function redisAnnouncer(redisUrl: string, databaseUrl: string, logger: Logger): Promise<CommitAnnouncer> {
  const database = new URL(databaseUrl);
  const channel = `${CHANNEL_PREFIX}${database.hostname}:${database.port || 5432}${database.pathname}`;
  const connected = async (): Promise<RedisClientType> => {
    let established = false;
    const client = createClient({
      url: redisUrl,
      // An unreachable Redis at start is a configuration error to report, not something to wait for; once
      // connected, a dropped connection is retried (the followers' poll covers the gap).
      socket: { reconnectStrategy: (retries, cause) => (established ? Math.min(100 * 2 ** retries, 5_000) : cause) },
    }) as RedisClientType;
    client.on('error', (error: Error) => {
      if (established) logger.warn({ err: { message: error.message } }, 'redis connection failed; retrying');
    });
    try {
      await client.connect();
    } catch (error) {
      throw new Error(`Redis at REDIS_URL could not be reached: ${(error as Error).message}`, { cause: error });
    }
    established = true;
    return client;
  };
  const publisher = await connected();
  const followers = new Set<{ onCommit: () => void; onListen: () => void }>();
  let subscriber: Promise<RedisClientType> | undefined;
  const subscribe = async () => {
    const client = await connected();
    // After a reconnection the client subscribes again; changes committed meanwhile are read on `ready`.
    client.on('ready', () => followers.forEach((f) => f.onListen()));
    await client.subscribe(channel, () => followers.forEach((f) => f.onCommit()));
    return client;
  };
  return {
    announce: async () => {
      await publisher.publish(channel, '');
    },
    follow: async (onCommit, onListen) => {
      subscriber ??= subscribe();
      await subscriber;
      const follower = { onCommit, onListen };
      followers.add(follower);
      onListen();
      return async () => {
        followers.delete(follower);
      };
    },
    close: async () => {
      followers.clear();
      (await subscriber?.catch(() => undefined))?.destroy();
      publisher.destroy();
    },
  };
}
