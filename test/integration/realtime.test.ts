// Realtime through the real SDK's subscribe(): every committed change arrives once, as {type, id, data, timestamp},
// to the subscribers who may read it and masked as they may read it (test/fixtures/secure-app's rules). Writes that
// roll back send nothing; rooms of other apps and malformed joins get nothing and the server stays healthy.

import path from 'node:path';
import { io, Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addPingEntity, Delivered, Watcher } from '../support/realtime.js';
import { type Account, failure, MISSING_ID, type Rec, signUpAccount } from '../support/sdk.js';
import { databases, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/secure-app');
const SOCKET_PATH = '/ws-user-apps/socket.io/';

let tags = 0;
const tag = (label: string) => `${label}-${++tags}-${Math.random().toString(36).slice(2, 8)}`;
const types = (events: Delivered[]) => events.map((e) => e.type);

describe.each(databases())('on %s, realtime', (kind) => {
  let server: TestServer;
  let alice: Account;
  let bob: Account;
  let adam: Account;
  let hank: Account;
  let sam: Account;
  let mia: Account;
  const watchers: Watcher[] = [];
  const sockets: Socket[] = [];

  const watcher = (account?: Account) => {
    const w = new Watcher(server, server.client(account?.token));
    watchers.push(w);
    return w;
  };
  const as = (account: Account) => server.client(account.token).entities;
  const service = () => server.service.entities;

  /** A plain socket.io client speaking the SDK's handshake, for what the SDK never sends. */
  function rawSocket(token: string | null): Socket {
    const socket = io(server.url, {
      path: SOCKET_PATH,
      transports: ['websocket'],
      query: { app_id: server.appId, token: token ?? 'null' },
      reconnection: false,
    });
    sockets.push(socket);
    return socket;
  }

  beforeAll(async () => {
    server = await startTestServer(kind, FIXTURE);
    await addPingEntity(server);
    alice = await signUpAccount(server, 'alice@example.com');
    bob = await signUpAccount(server, 'bob@example.com');
    adam = await signUpAccount(server, 'adam@example.com', 'admin');
    hank = await signUpAccount(server, 'hank@example.com', 'hr');
    sam = await signUpAccount(server, 'sam@example.com', 'user', 'sales');
    mia = await signUpAccount(server, 'mia@example.com', 'user', 'marketing');
  });

  afterEach(() => {
    watchers.splice(0).forEach((w) => w.close());
    sockets.splice(0).forEach((s) => s.disconnect());
  });

  afterAll(async () => {
    await server?.close();
  });

  describe('events', () => {
    it('a subscriber receives create, update and delete of a record as {type, id, data, timestamp}', async () => {
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      const before = Date.now();
      const created = (await service().Employee.create({ name: tag('eve'), department: 'ops' })) as Rec;
      const updated = (await service().Employee.update(created.id as string, { department: 'sales' })) as Rec;
      await service().Employee.delete(created.id as string);

      const events = await employees.forRecord(created.id as string, 3);
      expect(types(events)).toEqual(['create', 'update', 'delete']);
      expect(events[0].data).toEqual(created);
      expect(events[1].data).toEqual(updated);
      expect(events[2].data).toEqual(updated);
      for (const event of events) {
        expect(event.id).toBe(created.id);
        expect(Date.parse(event.timestamp)).toBeGreaterThanOrEqual(before - 1000);
      }
    });

    it('bulk writes send one event per record: bulkCreate, bulkUpdate, updateMany, upsert, importEntities, deleteMany', async () => {
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      const department = tag('bulk');
      const of = (type: string) => employees.events.filter((e) => e.type === type && (e.data.department as string)?.startsWith(department));

      const created = (await service().Employee.bulkCreate(
        [1, 2, 3, 4, 5].map((n) => ({ name: `${department}-${n}`, department })),
      )) as Rec[];
      await employees.until(() => of('create').length === 5, 'five creates');
      expect(of('create').map((e) => e.id).sort()).toEqual(created.map((r) => r.id).sort());

      await service().Employee.bulkUpdate(created.slice(0, 2).map((r) => ({ id: r.id as string, department: `${department}-b` })));
      await employees.until(() => of('update').length === 2, 'two bulkUpdate updates');

      await service().Employee.updateMany({ department }, { $set: { department: `${department}-m` } });
      await employees.until(() => of('update').length === 5, 'three updateMany updates');

      await service().Employee.upsert(
        [
          { name: `${department}-1`, department: `${department}-u` },
          { name: `${department}-new`, department: `${department}-u` },
        ],
        { key: 'name' },
      );
      await employees.until(() => of('update').length === 6 && of('create').length === 6, 'an upsert update and create');

      const file = new File([`name,department\n${department}-i1,${department}-i\n${department}-i2,${department}-i\n`], 'e.csv', {
        type: 'text/csv',
      });
      await service().Employee.importEntities(file);
      await employees.until(() => of('create').length === 8, 'two imported creates');

      await service().Employee.deleteMany({ name: { $regex: `^${department}-` } });
      await employees.until(() => of('delete').length === 8, 'eight deletes');
      expect(new Set(of('delete').map((e) => e.id)).size).toBe(8);
    });

    it('a write that rolls back sends nothing', async () => {
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      const kept = (await service().Employee.create({ name: tag('kept') })) as Rec;
      await employees.forRecord(kept.id as string, 1);

      // The update of the first record is written, then the missing second one fails the whole call.
      await failure(service().Employee.bulkUpdate([{ id: kept.id as string, department: 'never' }, { id: MISSING_ID, department: 'x' }]));
      await anonymous.sync();
      expect(types(employees.of(kept.id as string))).toEqual(['create']);
      expect(((await service().Employee.get(kept.id as string)) as Rec).department).toBeUndefined();
    });

    it('an oversized record arrives slimmed and flagged _oversize, as the SDK expects', async () => {
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      const big = (await service().Employee.create({ name: tag('big'), department: 'x'.repeat(150_000) })) as Rec;
      const [event] = await employees.forRecord(big.id as string, 1);
      expect(event.data).toMatchObject({ id: big.id, name: big.name, department: '', _oversize: true });
    });

    it('a subscriber is sent no change committed before it joined', async () => {
      const earlier = (await service().Employee.create({ name: tag('earlier') })) as Rec;
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      const later = (await service().Employee.create({ name: tag('later') })) as Rec;
      await employees.forRecord(later.id as string, 1);
      expect(employees.of(earlier.id as string)).toEqual([]);
    });

    it('after unsubscribe, nothing more arrives', async () => {
      const anonymous = watcher();
      const employees = anonymous.on('Employee');
      await anonymous.sync();
      employees.stop();
      await service().Employee.create({ name: tag('unheard') });
      await anonymous.sync();
      expect(employees.events).toEqual([]);
    });
  });

  describe('access rules', () => {
    it('rows hidden by the read rule never arrive: owner-only notes reach their owner only', async () => {
      const [forAlice, forBob, forAdam, forNobody] = [watcher(alice), watcher(bob), watcher(adam), watcher()];
      const notes = [forAlice, forBob, forAdam, forNobody].map((w) => w.on('Note'));
      await Promise.all([forAlice, forBob, forAdam, forNobody].map((w) => w.sync()));

      const mine = (await as(alice).Note.create({ title: tag('alice') })) as Rec;
      const theirs = (await as(bob).Note.create({ title: tag('bob') })) as Rec;
      await service().Note.create({ title: tag('service') });
      await as(alice).Note.update(mine.id as string, { body: 'edited' });
      await as(alice).Note.delete(mine.id as string);
      await as(bob).Note.deleteMany({ id: theirs.id });
      await Promise.all([forAlice, forBob, forAdam, forNobody].map((w) => w.sync()));

      expect(notes[0].events.map((e) => [e.type, e.id])).toEqual([
        ['create', mine.id],
        ['update', mine.id],
        ['delete', mine.id],
      ]);
      expect(notes[0].events[1].data).toMatchObject({ body: 'edited', created_by: 'alice@example.com' });
      expect(notes[1].events.map((e) => [e.type, e.id])).toEqual([
        ['create', theirs.id],
        ['delete', theirs.id],
      ]);
      expect(notes[2].events).toEqual([]);
      expect(notes[3].events).toEqual([]);
    });

    it('department, role and deny-all rules: each subscriber gets exactly what they may read', async () => {
      const all = { sam: watcher(sam), mia: watcher(mia), adam: watcher(adam), alice: watcher(alice), nobody: watcher() };
      const docs = Object.fromEntries(Object.entries(all).map(([k, w]) => [k, w.on('Doc')]));
      const reports = Object.fromEntries(Object.entries(all).map(([k, w]) => [k, w.on('AdminReport')]));
      const tasks = Object.fromEntries(Object.entries(all).map(([k, w]) => [k, w.on('SharedTask')]));
      const locked = Object.fromEntries(Object.entries(all).map(([k, w]) => [k, w.on('Locked')]));
      await Promise.all(Object.values(all).map((w) => w.sync()));

      const sales = (await service().Doc.create({ title: tag('sales'), department: 'sales' })) as Rec;
      const marketing = (await service().Doc.create({ title: tag('marketing'), department: 'marketing' })) as Rec;
      const report = (await as(adam).AdminReport.create({ title: tag('report'), figure: 1 })) as Rec;
      const task = (await as(alice).SharedTask.create({ title: tag('task') })) as Rec;
      await service().Locked.create({ title: tag('locked') });
      await Promise.all(Object.values(all).map((w) => w.sync()));

      const ids = (events: Delivered[]) => events.map((e) => e.id);
      expect(ids(docs.sam.events)).toEqual([sales.id]);
      expect(ids(docs.mia.events)).toEqual([marketing.id]);
      for (const who of ['adam', 'alice', 'nobody']) expect(ids(docs[who].events)).toEqual([]);
      expect(ids(reports.adam.events)).toEqual([report.id]);
      for (const who of ['sam', 'mia', 'alice', 'nobody']) expect(ids(reports[who].events)).toEqual([]);
      expect(ids(tasks.alice.events)).toEqual([task.id]);
      expect(ids(tasks.adam.events)).toEqual([task.id]);
      for (const who of ['sam', 'mia', 'nobody']) expect(ids(tasks[who].events)).toEqual([]);
      for (const who of Object.keys(all)) expect(locked[who].events).toEqual([]);
    });

    it('fields hidden by field rules never arrive', async () => {
      const [forHank, forAlice, forNobody] = [watcher(hank), watcher(alice), watcher()];
      const [hr, owner, anonymous] = [forHank, forAlice, forNobody].map((w) => w.on('Employee'));
      await Promise.all([forHank, forAlice, forNobody].map((w) => w.sync()));

      const paid = (await service().Employee.create({ name: tag('paid'), salary: 61_000, notes: 'service notes' })) as Rec;
      const own = (await as(alice).Employee.create({ name: tag('own'), notes: 'alice notes' })) as Rec;
      await Promise.all([forHank, forAlice, forNobody].map((w) => w.sync()));

      const data = (events: Delivered[], id: unknown) => events.find((e) => e.id === id)!.data;
      expect(data(hr.events, paid.id)).toMatchObject({ salary: 61_000 });
      expect(data(hr.events, paid.id)).not.toHaveProperty('notes');
      expect(data(hr.events, own.id)).not.toHaveProperty('notes');
      for (const events of [owner.events, anonymous.events]) {
        expect(data(events, paid.id)).not.toHaveProperty('salary');
        expect(data(events, paid.id)).not.toHaveProperty('notes');
        expect(data(events, paid.id)).toMatchObject({ name: paid.name });
      }
      expect(data(owner.events, own.id)).toMatchObject({ notes: 'alice notes' });
      expect(data(anonymous.events, own.id)).not.toHaveProperty('notes');
    });

    it('User changes reach the user themselves and admins only', async () => {
      const [forAlice, forBob, forAdam, forNobody] = [watcher(alice), watcher(bob), watcher(adam), watcher()];
      const users = [forAlice, forBob, forAdam, forNobody].map((w) => w.on('User'));
      await Promise.all([forAlice, forBob, forAdam, forNobody].map((w) => w.sync()));

      await server.client(alice.token).auth.updateMe({ department: 'ops' });
      await Promise.all([forAlice, forBob, forAdam, forNobody].map((w) => w.sync()));

      const aliceId = alice.user.id;
      expect(users[0].events.map((e) => [e.type, e.id, e.data.department])).toEqual([['update', aliceId, 'ops']]);
      expect(users[2].events.map((e) => e.id)).toEqual([aliceId]);
      expect(users[1].events).toEqual([]);
      expect(users[3].events).toEqual([]);
    });

    it("a change to the subscriber's own user record applies to what they receive at once", async () => {
      const forBob = watcher(bob);
      const docs = forBob.on('Doc');
      await forBob.sync();
      const before = (await service().Doc.create({ title: tag('before'), department: 'finance' })) as Rec;
      await server.client(bob.token).auth.updateMe({ department: 'finance' });
      const after = (await service().Doc.create({ title: tag('after'), department: 'finance' })) as Rec;
      await docs.forRecord(after.id as string, 1);
      expect(docs.of(before.id as string)).toEqual([]);
    });

    it('setToken reconnects as the new user and changes what arrives', async () => {
      const client = watcher();
      const notes = client.on('Note');
      await client.sync();
      const hidden = (await as(alice).Note.create({ title: tag('hidden') })) as Rec;
      await client.sync();
      expect(notes.events).toEqual([]);

      client.client.setToken(alice.token);
      await client.sync();
      const seen = (await as(alice).Note.create({ title: tag('seen') })) as Rec;
      await notes.forRecord(seen.id as string, 1);
      expect(notes.of(hidden.id as string)).toEqual([]);
    });
  });

  describe('the socket protocol', () => {
    it("joining another app's room, an unknown entity or a malformed room delivers nothing; the server stays healthy", async () => {
      const socket = rawSocket(null);
      const received: { room: string; data: string }[] = [];
      socket.on('update_model', (message: { room: string; data: string }) => received.push(message));
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      });
      for (const room of [
        'entities:ffffffffffffffffffffffff:Employee',
        `entities:${server.appId}:NoSuchEntity`,
        `entities:${server.appId}:Employee:extra`,
        `entities:${server.appId.toUpperCase()}:Employee`,
        'garbage',
        'x'.repeat(10_000),
        `/agent-conversations/${MISSING_ID}`,
      ]) {
        socket.emit('join', room);
      }
      for (const junk of [42, null, { room: 'x' }, ['entities'], undefined]) socket.emit('join', junk);
      socket.emit('leave', { not: 'a room' });
      socket.emit('update_model', { room: `entities:${server.appId}:Employee`, data: '{}' });
      const room = `entities:${server.appId}:Employee`;
      socket.emit('join', room);

      // The valid join, sent last, is the barrier: once an event of its room arrives, the others were handled. The
      // server does not acknowledge joins, so probes are written until one arrives (a change committed before the join
      // took effect is, rightly, not sent).
      const probes = new Map<string, Rec>();
      const arrived = () => received.find((m) => probes.has(JSON.parse(m.data).id as string));
      for (let attempt = 0; attempt < 20 && !arrived(); attempt++) {
        const probe = (await service().Employee.create({ name: tag('probe') })) as Rec;
        probes.set(probe.id as string, probe);
        for (let waited = 0; waited < 500 && !arrived(); waited += 25) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const first = arrived();
      expect(first, 'an event for the valid join').toBeDefined();
      expect(new Set(received.map((m) => m.room))).toEqual(new Set([room]));
      const probe = probes.get(JSON.parse(first!.data).id as string)!;
      expect(JSON.parse(first!.data)).toMatchObject({ type: 'create', id: probe.id, data: { name: probe.name } });
      expect((await server.fetch('/health')).status).toBe(200);
    });

    it('a handshake with an invalid token is refused with a clear error', async () => {
      const socket = rawSocket('not-a-token');
      const error = await new Promise<Error & { data?: { code?: string } }>((resolve) => socket.once('connect_error', resolve));
      expect(error.message).toBe('Invalid token');
      expect(error.data).toEqual({ code: 'unauthorized' });
    });

    it('a handshake for an unknown app is refused', async () => {
      const socket = io(server.url, {
        path: SOCKET_PATH,
        transports: ['websocket'],
        query: { app_id: MISSING_ID, token: 'null' },
        reconnection: false,
      });
      sockets.push(socket);
      const error = await new Promise<Error & { data?: { code?: string } }>((resolve) => socket.once('connect_error', resolve));
      expect(error.data).toEqual({ code: 'not_found' });
    });
  });
});
