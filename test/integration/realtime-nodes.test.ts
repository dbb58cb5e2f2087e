// Realtime across Homebase nodes on one PostgreSQL database: a change made on any node reaches the subscribers of
// every node (LISTEN/NOTIFY, each node reading the outbox itself), filtered by their rules; a node whose LISTEN
// connection drops reconnects and delivers what was committed meanwhile, exactly once; the same through Redis pub/sub
// when REDIS_URL is set. The nodes poll only once a minute here, so every delivery proves the notification path.

import path from 'node:path';
import { createClient, type RedisClientType } from '@redis/client';
import postgres from 'postgres';
import { io, Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addPingEntity, Watcher } from '../support/realtime.js';
import { type Account, type Rec, signUpAccount } from '../support/sdk.js';
import { databases, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/secure-app');
const config = { realtimePollSeconds: 60 };
const REDIS_URL = process.env.HOMEBASE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A connected Redis admin client, or why there is none (Redis is optional: those tests are skipped without it). */
async function redisAdmin(): Promise<RedisClientType | string> {
  const client = createClient({ url: REDIS_URL, socket: { reconnectStrategy: false, connectTimeout: 2_000 } }) as RedisClientType;
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    return `Redis at ${REDIS_URL} is unreachable (${(error as Error).message}): the Redis transport tests are skipped`;
  }
}
const redis = databases().includes('postgres') ? await redisAdmin() : 'PostgreSQL is unavailable';
if (typeof redis === 'string') console.log(redis);

let tags = 0;
const tag = (label: string) => `${label}-${++tags}-${Math.random().toString(36).slice(2, 8)}`;

describe.skipIf(!databases().includes('postgres'))('on postgres, realtime across nodes', () => {
  let nodeA: TestServer;
  let nodeB: TestServer;
  /** Another app's node on the same database. */
  let other: TestServer;
  let alice: Account;
  let bob: Account;
  let admin: postgres.Sql;
  const watchers: Watcher[] = [];

  const watcher = (node: TestServer, account?: Account) => {
    const w = new Watcher(node, node.client(account?.token));
    watchers.push(w);
    return w;
  };

  beforeAll(async () => {
    nodeA = await startTestServer('postgres', FIXTURE, { config });
    await addPingEntity(nodeA);
    nodeB = await startTestServer('postgres', FIXTURE, { config, joining: nodeA });
    // Pointed at the first node's database without creating one of its own (hence 'pglite' as the kind).
    other = await startTestServer('pglite', FIXTURE, { config: { ...config, databaseUrl: nodeA.databaseUrl } });
    alice = await signUpAccount(nodeA, 'alice@example.com');
    bob = await signUpAccount(nodeB, 'bob@example.com');
    admin = postgres(nodeA.databaseUrl, { max: 1, onnotice: () => {} });
  });

  afterEach(() => {
    watchers.splice(0).forEach((w) => w.close());
  });

  afterAll(async () => {
    await admin?.end();
    await other?.close();
    await nodeB?.close();
    await nodeA?.close();
  });

  it('serve the same app: a token signed in on one node works on the other', async () => {
    expect(nodeB.appId).toBe(nodeA.appId);
    expect(((await nodeB.client(alice.token).auth.me()) as Rec).email).toBe('alice@example.com');
  });

  it("a change made on one node reaches the other node's subscribers, filtered by their rules", async () => {
    const aliceOnB = watcher(nodeB, alice);
    const bobOnA = watcher(nodeA, bob);
    const [aliceNotes, bobNotes] = [aliceOnB.on('Note'), bobOnA.on('Note')];
    await Promise.all([aliceOnB.sync(), bobOnA.sync()]);

    const hers = (await nodeA.client(alice.token).entities.Note.create({ title: tag('hers') })) as Rec;
    const his = (await nodeB.client(bob.token).entities.Note.create({ title: tag('his') })) as Rec;
    await nodeA.client(alice.token).entities.Note.update(hers.id as string, { body: 'edited on A' });

    await aliceNotes.forRecord(hers.id as string, 2);
    await bobNotes.forRecord(his.id as string, 1);
    await Promise.all([aliceOnB.sync(), bobOnA.sync()]);
    expect(aliceNotes.events.map((e) => [e.type, e.id])).toEqual([
      ['create', hers.id],
      ['update', hers.id],
    ]);
    expect(bobNotes.events.map((e) => [e.type, e.id])).toEqual([['create', his.id]]);
  });

  it("a client of another app on the same database gets nothing from this app's rooms", async () => {
    const socket: Socket = io(other.url, {
      path: '/ws-user-apps/socket.io/',
      transports: ['websocket'],
      query: { app_id: other.appId, token: 'null' },
      reconnection: false,
    });
    try {
      const received: { room: string; data: string }[] = [];
      socket.on('update_model', (message: { room: string; data: string }) => received.push(message));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      socket.emit('join', `entities:${nodeA.appId}:Employee`);
      const ownRoom = `entities:${other.appId}:Employee`;
      socket.emit('join', ownRoom);

      const foreign = (await nodeA.service.entities.Employee.create({ name: tag('foreign') })) as Rec;
      const own = (await other.service.entities.Employee.create({ name: tag('own') })) as Rec;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event for the own room; got ${JSON.stringify(received)}`)), 10_000);
        const check = () => {
          if (!received.some((m) => JSON.parse(m.data).id === own.id)) return;
          clearTimeout(timer);
          resolve();
        };
        socket.on('update_model', check);
        check();
      });
      expect(received.map((m) => [m.room, JSON.parse(m.data).id])).toEqual([[ownRoom, own.id]]);
      expect(received.some((m) => m.data.includes(foreign.id as string))).toBe(false);
    } finally {
      socket.disconnect();
    }
  });

  it('after the LISTEN connections drop, every node resumes and delivers what was committed meanwhile, exactly once', async () => {
    const onA = watcher(nodeA);
    const onB = watcher(nodeB);
    const [seenOnA, seenOnB] = [onA.on('Employee'), onB.on('Employee')];
    await Promise.all([onA.sync(), onB.sync()]);
    const listeners = async () =>
      (await admin`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen%'`).map((r) => r.pid as number);
    const before = await listeners();
    expect(before).toHaveLength(3);

    await admin`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen%'`;
    const department = tag('outage');
    const written: Rec[] = [];
    written.push(...((await nodeA.service.entities.Employee.bulkCreate([1, 2, 3].map((n) => ({ name: `${department}-${n}`, department })))) as Rec[]));
    for (let n = 4; n <= 8; n++) written.push((await nodeB.service.entities.Employee.create({ name: `${department}-${n}`, department })) as Rec);

    for (const seen of [seenOnA, seenOnB]) {
      await seen.until((events) => written.every((r) => events.some((e) => e.id === r.id)), 'every record written during the outage');
    }
    await Promise.all([onA.sync(), onB.sync()]);
    for (const seen of [seenOnA, seenOnB]) {
      const mine = seen.events.filter((e) => e.data.department === department);
      expect(mine.map((e) => e.id).sort()).toEqual(written.map((r) => r.id as string).sort());
    }
    const after = await listeners();
    expect(after).toHaveLength(3);
    expect(after.filter((pid) => before.includes(pid))).toEqual([]);
  });
});

describe.skipIf(typeof redis === 'string')('on postgres with REDIS_URL, realtime across nodes through Redis', () => {
  const admin = redis as RedisClientType;
  const redisConfig = { ...config, redisUrl: REDIS_URL };
  let nodeA: TestServer;
  let nodeB: TestServer;
  const watchers: Watcher[] = [];

  beforeAll(async () => {
    nodeA = await startTestServer('postgres', FIXTURE, { config: redisConfig });
    await addPingEntity(nodeA);
    nodeB = await startTestServer('postgres', FIXTURE, { config: redisConfig, joining: nodeA });
  });

  afterEach(() => {
    watchers.splice(0).forEach((w) => w.close());
  });

  afterAll(async () => {
    await nodeB?.close();
    await nodeA?.close();
    await admin.close();
  });

  const watcher = (node: TestServer) => {
    const w = new Watcher(node, node.client());
    watchers.push(w);
    return w;
  };
  /** The Redis connections subscribed to this database's channel. */
  const subscribers = async () => {
    const channel = `homebase:outbox:${new URL(nodeA.databaseUrl).hostname}:${new URL(nodeA.databaseUrl).port || 5432}${new URL(nodeA.databaseUrl).pathname}`;
    return Number((await admin.sendCommand(['PUBSUB', 'NUMSUB', channel]) as [string, number])[1]);
  };

  it('wakes every node through Redis, not the database: nobody LISTENs on it', async () => {
    const db = postgres(nodeA.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      expect(await db`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'listen%'`).toHaveLength(0);
    } finally {
      await db.end();
    }
    expect(await subscribers()).toBe(2);
    const onB = watcher(nodeB);
    const pings = onB.on('Ping');
    await onB.sync();
    const written = (await nodeA.service.entities.Ping.create({ marker: tag('through-redis') })) as Rec;
    await pings.forRecord(written.id as string, 1);
  });

  it('after Redis drops the subscriptions, every node resubscribes and delivers what was committed meanwhile, exactly once', async () => {
    const [onA, onB] = [watcher(nodeA), watcher(nodeB)];
    const [seenOnA, seenOnB] = [onA.on('Ping'), onB.on('Ping')];
    await Promise.all([onA.sync(), onB.sync()]);

    await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
    const outage = tag('outage');
    const written: Rec[] = [];
    for (let n = 1; n <= 4; n++) written.push((await nodeA.service.entities.Ping.create({ marker: `${outage}-${n}` })) as Rec);
    for (let n = 5; n <= 8; n++) written.push((await nodeB.service.entities.Ping.create({ marker: `${outage}-${n}` })) as Rec);

    for (const seen of [seenOnA, seenOnB]) {
      await seen.until((events) => written.every((r) => events.some((e) => e.id === r.id)), 'every record written during the outage');
    }
    await Promise.all([onA.sync(), onB.sync()]);
    for (const seen of [seenOnA, seenOnB]) {
      const mine = seen.events.filter((e) => String(e.data.marker).startsWith(outage));
      expect(mine.map((e) => e.id).sort()).toEqual(written.map((r) => r.id as string).sort());
    }
    expect(await subscribers()).toBe(2);
  });

  it('refuses to start when Redis cannot be reached, naming the setting', async () => {
    await expect(
      startTestServer('postgres', FIXTURE, { config: { ...config, redisUrl: 'redis://127.0.0.1:1' }, joining: nodeA }),
    ).rejects.toThrow(/REDIS_URL could not be reached/);
  });
});
