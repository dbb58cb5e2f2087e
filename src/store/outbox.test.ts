// The outbox read path: positions are taken in order but committed in any order, so a reader must neither skip a
// change that commits late nor wait forever for one that rolled back. Needs concurrent transactions: PostgreSQL.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases, openTestDatabase } from '../../test/support/server.js';
import { Database } from './database.js';
import { OutboxCursor, outboxCursor, outboxHasChangesOf, pruneOutbox, readOutbox } from './outbox.js';

const APP = 'aaaaaaaaaaaaaaaaaaaaaaaa';

describe.skipIf(!databases().includes('postgres'))('on postgres, reading the outbox', () => {
  let db: Database;
  let close: () => Promise<void>;

  const change = (sql: { query: Database['query'] }, id: string) =>
    sql.query(`INSERT INTO homebase.outbox (app_id, entity, record_id, type, data) VALUES ($1, 'Task', $2, 'create', '{}')`, [APP, id]);
  const ids = async (cursor: OutboxCursor) => (await readOutbox(db, cursor, 100)).events.map((e) => e.recordId);

  /** A transaction that writes `id` and then waits, open, until `finish` commits it (or rolls it back). */
  async function openTransaction(id: string) {
    let finish!: (commit: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (finish = resolve));
    let written!: () => void;
    const started = new Promise<void>((resolve) => (written = resolve));
    const done = db
      .transaction(async (tx) => {
        await change(tx, id);
        written();
        if (!(await decided)) throw new Error('rolled back');
      })
      .catch(() => undefined);
    await started;
    return { commit: () => (finish(true), done), rollBack: () => (finish(false), done) };
  }

  beforeAll(async () => {
    ({ db, close } = await openTestDatabase('postgres'));
  });
  afterAll(() => close?.());

  it('a change that commits after a later one is still read, once', async () => {
    const cursor = await outboxCursor(db);
    const slow = await openTransaction('slow');
    await change(db, 'fast');
    expect(await ids(cursor)).toEqual(['fast']);
    expect(cursor.pending.size).toBe(1);
    expect(await ids(cursor)).toEqual([]);

    await slow.commit();
    expect(await ids(cursor)).toEqual(['slow']);
    expect(cursor.pending.size).toBe(0);
    expect(await ids(cursor)).toEqual([]);
  });

  it('the gap a rolled-back change leaves is given up once no older transaction runs', async () => {
    const cursor = await outboxCursor(db);
    const doomed = await openTransaction('doomed');
    await change(db, 'kept');
    expect(await ids(cursor)).toEqual(['kept']);
    expect(cursor.pending.size).toBe(1);

    await doomed.rollBack();
    // Transactions of other databases on the server count too (ids are server-wide): they may take a moment.
    const deadline = Date.now() + 5_000;
    while (cursor.pending.size > 0 && Date.now() < deadline) expect(await ids(cursor)).toEqual([]);
    expect(cursor.pending.size).toBe(0);
  });

  it('tells whether a change of given kinds follows a cursor, counting a late commit at a pending position', async () => {
    const cursor = await outboxCursor(db);
    const kinds = [`${APP}:Task:create`];
    expect(await outboxHasChangesOf(db, cursor, kinds)).toBe(false);
    await db.query(`INSERT INTO homebase.outbox (app_id, entity, record_id, type, data) VALUES ($1, 'Task', 'upd', 'update', '{}')`, [APP]);
    await db.query(`INSERT INTO homebase.outbox (app_id, entity, record_id, type, data) VALUES ($1, 'Note', 'note', 'create', '{}')`, [APP]);
    expect(await outboxHasChangesOf(db, cursor, kinds)).toBe(false);
    expect(await outboxHasChangesOf(db, cursor, [`${APP}:Note:create`, `${APP}:Note:delete`])).toBe(true);
    expect(await outboxHasChangesOf(db, cursor, [`bbbbbbbbbbbbbbbbbbbbbbbb:Note:create`])).toBe(false);
    expect(await outboxHasChangesOf(db, cursor, [])).toBe(false);

    const late = await openTransaction('late');
    await change(db, 'early');
    await readOutbox(db, cursor, 100);
    expect(cursor.pending.size).toBe(1);
    expect(await outboxHasChangesOf(db, cursor, kinds)).toBe(false);
    await late.commit();
    expect(await outboxHasChangesOf(db, cursor, kinds)).toBe(true);
    expect(await outboxHasChangesOf(db, cursor, ["x' OR '1'='1"])).toBe(false);
  });

  it('reads in batches, in position order', async () => {
    const cursor = await outboxCursor(db);
    for (let i = 0; i < 5; i++) await change(db, `batch-${i}`);
    const first = await readOutbox(db, cursor, 3);
    expect(first.events.map((e) => e.recordId)).toEqual(['batch-0', 'batch-1', 'batch-2']);
    expect(first.more).toBe(true);
    const second = await readOutbox(db, cursor, 3);
    expect(second.events.map((e) => e.recordId)).toEqual(['batch-3', 'batch-4']);
    expect(second.more).toBe(false);
  });

  const ageAllBut = (recordId: string) =>
    db.query(`UPDATE homebase.outbox SET created_date = now() - interval '2 hours' WHERE record_id <> $1`, [recordId]);
  /** Puts the automations' cursor at a change, with changes below it still pending. */
  const moveAutomationCursor = (recordId: string, pending: Record<string, string> = {}) =>
    db.query(
      `UPDATE homebase.automation_cursor SET last_position = (SELECT position FROM homebase.outbox WHERE record_id = $1), pending = $2::text::jsonb`,
      [recordId, JSON.stringify(pending)],
    );
  const left = async () => (await db.query<{ record_id: string }>('SELECT record_id FROM homebase.outbox ORDER BY position')).map((r) => r.record_id);

  it('pruning drops changes older than the retention only, once automations have queued them', async () => {
    await change(db, 'old');
    await change(db, 'recent');
    await ageAllBut('recent');
    await moveAutomationCursor('recent');
    expect(await pruneOutbox(db, 3600)).toBeGreaterThan(0);
    expect(await left()).toEqual(['recent']);
  });

  it('pruning keeps old changes the automations have not queued yet, and those still pending below their cursor', async () => {
    await db.query('DELETE FROM homebase.outbox');
    for (const id of ['done', 'pending', 'done-too', 'unread']) await change(db, id);
    await ageAllBut('');
    const [pending] = await db.query<{ position: string }>(`SELECT position::text FROM homebase.outbox WHERE record_id = 'pending'`);
    await moveAutomationCursor('done-too', { [pending.position]: '1' });
    expect(await pruneOutbox(db, 3600)).toBe(1);
    expect(await left()).toEqual(['pending', 'done-too', 'unread']);
    await moveAutomationCursor('done-too');
    expect(await pruneOutbox(db, 3600)).toBe(2);
    expect(await left()).toEqual(['unread']);
  });
});
