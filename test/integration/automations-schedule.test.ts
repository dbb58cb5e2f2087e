// Schedules on a real database with a clock the test moves: each tick is queued once even when two nodes decide it
// at the same moment, downtime is caught up with one run (not a burst), ends-after counts runs, and ticks due while
// paused are skipped. No functions run here: the runs stay queued for the worker (automations.test.ts delivers them).

import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutomationCatalog } from '../../src/automations/catalog.js';
import { Scheduler } from '../../src/automations/scheduler.js';
import { Database, Deployment, automationStore, migrate, newId, openPglite, openPostgres, upsertApp } from '../../src/store/index.js';
import { createTestDatabase, databases } from '../support/server.js';

const logger = pino({ level: 'silent' });
const DEPLOYED = '2026-03-02T09:58:00.000Z';

describe.each(databases())('on %s, schedules', (kind) => {
  // Two nodes: on PostgreSQL, two connection pools; PGlite serves one process, so both share it.
  let nodes: Database[] = [];
  let drop = async () => {};

  beforeAll(async () => {
    if (kind === 'pglite') {
      const db = await openPglite(undefined);
      nodes = [db, db];
    } else {
      const database = await createTestDatabase();
      nodes = [await openPostgres(database.url), await openPostgres(database.url)];
      drop = database.drop;
    }
    await migrate(nodes[0]);
  });

  afterAll(async () => {
    await Promise.all([...new Set(nodes)].map((db) => db.close()));
    await drop();
  });

  /** An app whose one function declares `automation`, with a scheduler per node reading a clock the test sets. */
  async function setUp(automation: Record<string, unknown>) {
    const appId = newId();
    await upsertApp(nodes[0], { id: appId, name: 'schedules', config: {} });
    const deployment: Deployment = {
      id: newId(),
      name: 'job',
      entry: 'entry.ts',
      files: [],
      automations: [{ name: 'Job', type: 'scheduled', function_args: { n: 1 }, ...automation }],
      contentHash: 'x',
      state: 'release',
      source: 'api',
      createdDate: DEPLOYED,
    };
    const live = new Map([['job', deployment]]);
    let now = new Date(DEPLOYED);
    const schedulers = nodes.map((db) => {
      const catalog = new AutomationCatalog({ liveByName: async () => live }, 300, () => {});
      return new Scheduler(db, catalog, () => [appId], logger, { pollMs: 60_000, now: () => now }, () => {});
    });
    return {
      appId,
      /** Both nodes look at the schedules at `time`, at the same moment. */
      at: async (time: string) => {
        now = new Date(time);
        await Promise.all(schedulers.map((s) => s.pass()));
      },
      ticks: async () =>
        (await automationStore.listRuns(nodes[0], appId, 'job', 'Job', { limit: 100 })).map((r) => [r.tick, r.missedSince]).reverse(),
    };
  }

  it('queues each tick once when two nodes decide it at the same moment', async () => {
    const s = await setUp({ schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '*/5 * * * *' });
    await s.at('2026-03-02T09:59:59Z');
    await s.at('2026-03-02T10:00:00Z');
    await s.at('2026-03-02T10:00:01Z');
    await s.at('2026-03-02T10:05:00Z');
    expect(await s.ticks()).toEqual([
      ['2026-03-02T10:00:00.000000Z', null],
      ['2026-03-02T10:05:00.000000Z', null],
    ]);
    const [run] = await automationStore.listRuns(nodes[0], s.appId, 'job', 'Job', { limit: 1 });
    expect(run).toMatchObject({ trigger: 'schedule', status: 'queued', attempt: 0 });
  });

  it('after downtime, one run stands for all the missed ticks', async () => {
    const s = await setUp({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'hours', repeat_interval: 1 });
    await s.at('2026-03-02T10:00:00Z');
    await s.at('2026-03-02T15:20:00Z');
    await s.at('2026-03-02T16:00:00Z');
    expect(await s.ticks()).toEqual([
      ['2026-03-02T10:00:00.000000Z', null],
      ['2026-03-02T15:00:00.000000Z', '2026-03-02T11:00:00.000000Z'],
      ['2026-03-02T16:00:00.000000Z', null],
    ]);
  });

  it('ends after the given number of runs, a catch-up run counting as one', async () => {
    const s = await setUp({ schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '0 * * * *', ends_type: 'after', ends_after_count: 2 });
    await s.at('2026-03-02T10:00:00Z');
    await s.at('2026-03-02T13:00:00Z');
    await s.at('2026-03-02T14:00:00Z');
    expect(await s.ticks()).toEqual([
      ['2026-03-02T10:00:00.000000Z', null],
      ['2026-03-02T13:00:00.000000Z', '2026-03-02T11:00:00.000000Z'],
    ]);
  });

  it('skips ticks while paused, and does not make them up on resume', async () => {
    const s = await setUp({ schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '0 * * * *' });
    await s.at('2026-03-02T10:00:00Z');
    await automationStore.setActiveOverride(nodes[0], s.appId, 'job', 'Job', false);
    await s.at('2026-03-02T11:00:00Z');
    await s.at('2026-03-02T12:30:00Z');
    await automationStore.setActiveOverride(nodes[0], s.appId, 'job', 'Job', true);
    await s.at('2026-03-02T12:40:00Z');
    await s.at('2026-03-02T13:00:00Z');
    expect(await s.ticks()).toEqual([
      ['2026-03-02T10:00:00.000000Z', null],
      ['2026-03-02T13:00:00.000000Z', null],
    ]);
  });

  it('a one-time schedule runs once at its date; one whose date passed before it was deployed never runs', async () => {
    const due = await setUp({ schedule_mode: 'one-time', one_time_date: '2026-03-02T12:00:00Z' });
    await due.at('2026-03-02T11:59:59Z');
    await due.at('2026-03-02T12:00:00Z');
    await due.at('2026-03-09T00:00:00Z');
    expect(await due.ticks()).toEqual([['2026-03-02T12:00:00.000000Z', null]]);
    const past = await setUp({ schedule_mode: 'one-time', one_time_date: '2026-03-01T12:00:00Z' });
    await past.at('2026-03-02T12:00:00Z');
    expect(await past.ticks()).toEqual([]);
  });
});
