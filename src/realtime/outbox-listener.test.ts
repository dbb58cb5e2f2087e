// The outbox listener on a database whose commit announcements the test can cut: changes committed while it was not
// listening are delivered when listening resumes, each exactly once, and nothing committed before start is replayed.
// While no one could receive changes it reads only when asked to catch up (or on its poll).

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Database, OutboxEvent, migrate, openPglite } from '../store/index.js';
import { OutboxListener } from './outbox-listener.js';

const HOUR_MS = 60 * 60 * 1000;

describe('the outbox listener', () => {
  let real: Database;
  let db: Database;
  let muted = false;
  let wanted = true;
  let resume: () => void = () => {};
  const delivered: OutboxEvent[] = [];
  const waiters = new Set<() => void>();
  let listener: OutboxListener;

  const change = (id: string) =>
    db.query(`INSERT INTO homebase.outbox (app_id, entity, record_id, type, data) VALUES ('a', 'Task', $1, 'create', '{}')`, [id]);
  const received = () => delivered.map((e) => e.recordId);
  /** Waits until `ids` were delivered (notifications are asynchronous). */
  const deliveredAll = (ids: string[]) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!ids.every((id) => received().includes(id))) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => reject(new Error(`not delivered: ${ids.filter((id) => !received().includes(id))}`)), 5_000);
      waiters.add(check);
      check();
    });

  beforeAll(async () => {
    real = await openPglite(undefined);
    await migrate(real);
    // The same database, but its commit announcements can be cut and following "resumed", as after a lost connection.
    db = {
      ...real,
      followOutbox: (onCommit, onListen) => {
        resume = onListen;
        return real.followOutbox(() => muted || onCommit(), onListen);
      },
    };
    await change('before start');
    listener = new OutboxListener(
      db,
      (events) => {
        delivered.push(...events);
        waiters.forEach((w) => w());
      },
      pino({ level: 'silent' }),
      HOUR_MS,
      () => wanted,
    );
    await listener.start();
  });

  afterAll(async () => {
    await listener?.close();
    await real?.close();
  });

  it('delivers each committed change once, in order, and nothing from before it started', async () => {
    await change('one');
    await change('two');
    await deliveredAll(['one', 'two']);
    expect(received()).toEqual(['one', 'two']);
  });

  it('delivers what was committed while notifications were lost once listening resumes', async () => {
    muted = true;
    await change('missed-1');
    await change('missed-2');
    await db.query('SELECT 1');
    expect(received()).not.toContain('missed-1');

    muted = false;
    resume();
    await deliveredAll(['missed-1', 'missed-2']);
    await change('after');
    await deliveredAll(['after']);
    expect(received()).toEqual(['one', 'two', 'missed-1', 'missed-2', 'after']);
  });

  it('while no one could receive a change, reads only when asked to catch up', async () => {
    wanted = false;
    await change('unwanted');
    await db.query('SELECT 1');
    expect(received()).not.toContain('unwanted');

    await listener.catchUp();
    expect(received().slice(-1)).toEqual(['unwanted']);
    wanted = true;
    await change('wanted');
    await deliveredAll(['wanted']);
  });
});
