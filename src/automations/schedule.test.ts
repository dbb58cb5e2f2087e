import { describe, expect, it } from 'vitest';
import { parseAutomations, type Schedule, type ScheduledAutomation } from './definition.js';
import { latestTick, nextTick } from './schedule.js';

const at = (iso: string) => new Date(iso);
const iso = (date: Date | undefined) => date?.toISOString();

function schedule(fields: Record<string, unknown>): Schedule {
  const { automations, problems } = parseAutomations([{ name: 's', type: 'scheduled', ...fields }], 60);
  expect(problems).toEqual([]);
  return (automations[0] as ScheduledAutomation).schedule;
}

/** The first `count` ticks after `from`. */
function ticks(s: Schedule, anchor: string, from: string, count: number): string[] {
  const out: string[] = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextTick(s, at(anchor), after);
    if (!next) break;
    out.push(next.toISOString());
    after = next;
  }
  return out;
}

describe('simple schedules tick in UTC, counting from when they were deployed', () => {
  it('every 15 minutes from the start time, continuing across midnight', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'minutes', repeat_interval: 15, start_time: '00:05' });
    expect(ticks(s, '2026-03-01T23:31:10Z', '2026-03-01T23:31:10Z', 3)).toEqual([
      '2026-03-01T23:35:00.000Z',
      '2026-03-01T23:50:00.000Z',
      '2026-03-02T00:05:00.000Z',
    ]);
  });

  it('every 2 days at 09:30, counting from the anchor day', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'days', repeat_interval: 2, start_time: '09:30' });
    expect(ticks(s, '2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', 2)).toEqual(['2026-03-03T09:30:00.000Z', '2026-03-05T09:30:00.000Z']);
    expect(ticks(s, '2026-03-01T08:00:00Z', '2026-03-01T08:00:00Z', 1)).toEqual(['2026-03-01T09:30:00.000Z']);
  });

  it('every other week on Monday and Friday (0 = Sunday)', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'weeks', repeat_interval: 2, repeat_on_days: [5, 1], start_time: '08:00' });
    // 2026-03-04 is a Wednesday: that week's Friday, then the Monday and Friday two weeks on.
    expect(ticks(s, '2026-03-04T12:00:00Z', '2026-03-04T12:00:00Z', 3)).toEqual([
      '2026-03-06T08:00:00.000Z',
      '2026-03-16T08:00:00.000Z',
      '2026-03-20T08:00:00.000Z',
    ]);
  });

  it('weeks default to the anchor weekday, months to the anchor day', () => {
    const weekly = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'weeks' });
    expect(ticks(weekly, '2026-03-04T12:00:00Z', '2026-03-04T12:00:00Z', 1)).toEqual(['2026-03-11T00:00:00.000Z']);
    const monthly = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'months', start_time: '06:00' });
    expect(ticks(monthly, '2026-03-04T05:00:00Z', '2026-03-04T05:00:00Z', 2)).toEqual(['2026-03-04T06:00:00.000Z', '2026-04-04T06:00:00.000Z']);
  });

  it('every quarter on the 31st, clamped to short months', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'months', repeat_interval: 3, repeat_on_day_of_month: 31 });
    expect(ticks(s, '2026-01-15T00:00:00Z', '2026-01-15T00:00:00Z', 3)).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
    ]);
  });

  it('the latest tick at or before a time, never before the anchor', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'hours', repeat_interval: 6 });
    expect(iso(latestTick(s, at('2026-03-01T01:00:00Z'), at('2026-03-03T13:00:00Z')))).toBe('2026-03-03T12:00:00.000Z');
    expect(iso(latestTick(s, at('2026-03-01T01:00:00Z'), at('2026-03-01T05:59:00Z')))).toBeUndefined();
    const weekly = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'weeks', repeat_on_days: [1] });
    expect(iso(latestTick(weekly, at('2026-03-01T00:00:00Z'), at('2026-03-20T00:00:00Z')))).toBe('2026-03-16T00:00:00.000Z');
    const monthly = schedule({ schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'months', repeat_interval: 2, repeat_on_day_of_month: 10 });
    expect(iso(latestTick(monthly, at('2026-01-05T00:00:00Z'), at('2026-04-20T00:00:00Z')))).toBe('2026-03-10T00:00:00.000Z');
  });
});

describe('cron, one-time and end conditions', () => {
  it('cron patterns are read as 5 fields in UTC', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '30 9 * * 1-5' });
    expect(ticks(s, '2026-03-06T10:00:00Z', '2026-03-06T10:00:00Z', 2)).toEqual(['2026-03-09T09:30:00.000Z', '2026-03-10T09:30:00.000Z']);
    expect(iso(latestTick(s, at('2026-03-01T00:00:00Z'), at('2026-03-09T09:30:00Z')))).toBe('2026-03-09T09:30:00.000Z');
    expect(iso(latestTick(s, at('2026-03-01T00:00:00Z'), at('2026-03-09T09:29:59Z')))).toBe('2026-03-06T09:30:00.000Z');
  });

  it('a one-time schedule ticks once, and not when its date passed before it was deployed', () => {
    const s = schedule({ schedule_mode: 'one-time', one_time_date: '2026-03-02T12:00:00Z' });
    expect(ticks(s, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z', 5)).toEqual(['2026-03-02T12:00:00.000Z']);
    expect(ticks(s, '2026-03-03T00:00:00Z', '2026-03-03T00:00:00Z', 5)).toEqual([]);
    expect(iso(latestTick(s, at('2026-03-01T00:00:00Z'), at('2026-03-05T00:00:00Z')))).toBe('2026-03-02T12:00:00.000Z');
  });

  it('ends on a date: no tick after it', () => {
    const s = schedule({ schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '0 12 * * *', ends_type: 'on', ends_on_date: '2026-03-03T12:00:00Z' });
    expect(ticks(s, '2026-03-01T13:00:00Z', '2026-03-01T13:00:00Z', 5)).toEqual(['2026-03-02T12:00:00.000Z', '2026-03-03T12:00:00.000Z']);
    expect(iso(latestTick(s, at('2026-03-01T13:00:00Z'), at('2026-03-09T00:00:00Z')))).toBe('2026-03-03T12:00:00.000Z');
  });
});

describe('function.jsonc automations are checked before they run', () => {
  const parse = (items: unknown[], minIntervalSeconds = 300) => parseAutomations(items, minIntervalSeconds);

  it('reads entity automations with their defaults', () => {
    const { automations, problems } = parse([{ name: 'On order', type: 'entity', entity_name: 'Order', event_types: ['create', 'update'] }]);
    expect(problems).toEqual([]);
    expect(automations).toEqual([
      { name: 'On order', description: null, functionArgs: {}, isActive: true, type: 'entity', entityName: 'Order', eventTypes: ['create', 'update'] },
    ]);
  });

  it('refuses schedules more frequent than the minimum interval, and keeps the valid ones', () => {
    const { automations, problems } = parse([
      { name: 'fast cron', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '*/2 * * * *' },
      { name: 'pair', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '0,1 * * * *' },
      { name: 'fast simple', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'simple', repeat_unit: 'minutes', repeat_interval: 4 },
      { name: 'ok', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '*/5 * * * *' },
    ]);
    expect(automations.map((a) => a.name)).toEqual(['ok']);
    expect(problems.map((p) => [p.name, p.message])).toEqual([
      ['fast cron', 'cron_expression "*/2 * * * *" runs more often than every 5 minutes'],
      ['pair', 'cron_expression "0,1 * * * *" runs more often than every 5 minutes'],
      ['fast simple', 'every 4 minutes is more often than the minimum interval of 5 minutes'],
    ]);
  });

  it('names each broken automation with its problem', () => {
    const { problems } = parse([
      { name: 'no fields', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'cron' },
      { name: 'six fields', type: 'scheduled', schedule_mode: 'recurring', schedule_type: 'cron', cron_expression: '0 0 12 * * *' },
      { name: 'no events', type: 'entity', entity_name: 'Order', event_types: [] },
      { name: 'twice', type: 'entity', entity_name: 'Order', event_types: ['delete'] },
      { name: 'twice', type: 'entity', entity_name: 'Order', event_types: ['create'] },
      { name: 'hook', type: 'connector', integration_type: 'slack', events: [] },
      { type: 'entity' },
    ]);
    expect(problems.map((p) => `${p.name}: ${p.message}`)).toEqual([
      'no fields: cron_expression is required for a cron schedule',
      'six fields: cron_expression "0 0 12 * * *" must have 5 fields',
      'no events: event_types must name at least one of create, update, delete',
      'twice: another automation of this function is also named "twice"',
      'hook: connector automations need Base44 connectors, which Homebase does not provide',
      expect.stringMatching(/^#7: /),
    ]);
  });
});
