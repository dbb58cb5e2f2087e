// PURE: when a schedule ticks, in UTC. `anchor` is when the schedule was deployed (or last changed): every-N
// intervals count from it, weekday and day-of-month defaults come from it, and nothing ticks before it.

import { Cron } from 'croner';
import type { Schedule } from './definition.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const PERIOD_MS = { minutes: MINUTE, hours: 60 * MINUTE, days: DAY } as const;

type Simple = Extract<Schedule, { mode: 'simple' }>;

const crons = new Map<string, Cron>();
function cron(expression: string): Cron {
  let pattern = crons.get(expression);
  if (!pattern) {
    pattern = new Cron(expression, { timezone: 'UTC', mode: '5-part', paused: true });
    crons.set(expression, pattern);
  }
  return pattern;
}

const midnight = (time: number) => Math.floor(time / DAY) * DAY;

/** The first tick strictly after `after`, or undefined when the schedule has no more. */
export function nextTick(schedule: Schedule, anchor: Date, after: Date): Date | undefined {
  const from = Math.max(after.getTime(), anchor.getTime());
  let tick: number | undefined;
  if (schedule.mode === 'one-time') tick = schedule.at.getTime() > from ? schedule.at.getTime() : undefined;
  else if (schedule.mode === 'cron') tick = cron(schedule.expression).nextRun(new Date(from))?.getTime();
  else tick = simpleTick(schedule, anchor.getTime(), from, 1);
  if (tick === undefined || (schedule.mode !== 'one-time' && schedule.ends.type === 'on' && tick > schedule.ends.date.getTime())) return undefined;
  return new Date(tick);
}

/** The latest tick at or before `at` (and not before the anchor), or undefined when there is none. */
export function latestTick(schedule: Schedule, anchor: Date, at: Date): Date | undefined {
  let until = at.getTime();
  if (schedule.mode !== 'one-time' && schedule.ends.type === 'on') until = Math.min(until, schedule.ends.date.getTime());
  let tick: number | undefined;
  if (schedule.mode === 'one-time') tick = schedule.at.getTime() <= until ? schedule.at.getTime() : undefined;
  // croner counts a run in the same second as the reference as earlier, so look from just after `until`.
  else if (schedule.mode === 'cron') tick = cron(schedule.expression).previousRuns(1, new Date(until + 1))[0]?.getTime();
  else tick = simpleTick(schedule, anchor.getTime(), until, -1);
  return tick === undefined || tick < anchor.getTime() || tick > until ? undefined : new Date(tick);
}

/**
 * Simple repeats. Minutes, hours and days tick every `interval` units from the anchor's day at the start time;
 * weeks on the given weekdays (default: the anchor's) of every `interval`-th week from the anchor's; months on the
 * given day (default: the anchor's, clamped to short months) of every `interval`-th month from the anchor's.
 * direction 1: the first tick after `from`; -1: the latest at or before it.
 */
function simpleTick(s: Simple, anchor: number, from: number, direction: 1 | -1): number | undefined {
  const startOffset = (s.startMinute ?? 0) * MINUTE;
  if (s.unit === 'minutes' || s.unit === 'hours' || s.unit === 'days') {
    const period = s.interval * PERIOD_MS[s.unit];
    const origin = midnight(anchor) + startOffset;
    const steps = Math.floor((from - origin) / period);
    return origin + (direction === 1 ? steps + 1 : steps) * period;
  }
  const anchorDate = new Date(anchor);
  if (s.unit === 'weeks') {
    const days = s.days ?? [anchorDate.getUTCDay()];
    const firstWeek = midnight(anchor) - anchorDate.getUTCDay() * DAY;
    for (let day = midnight(from), seen = 0; seen <= 7 * s.interval + 7; day += direction * DAY, seen++) {
      const tick = day + startOffset;
      const week = Math.floor((day - firstWeek) / (7 * DAY));
      if (week < 0) return undefined;
      if (week % s.interval === 0 && days.includes(new Date(day).getUTCDay()) && (direction === 1 ? tick > from : tick <= from)) return tick;
    }
    return undefined;
  }
  const firstMonth = anchorDate.getUTCFullYear() * 12 + anchorDate.getUTCMonth();
  const dayOfMonth = s.dayOfMonth ?? anchorDate.getUTCDate();
  const fromDate = new Date(from);
  for (let month = fromDate.getUTCFullYear() * 12 + fromDate.getUTCMonth(), seen = 0; seen <= s.interval + 1; month += direction, seen++) {
    if (month < firstMonth) return undefined;
    if ((month - firstMonth) % s.interval !== 0) continue;
    const year = Math.floor(month / 12);
    const lastDay = new Date(Date.UTC(year, (month % 12) + 1, 0)).getUTCDate();
    const tick = Date.UTC(year, month % 12, Math.min(dayOfMonth, lastDay)) + startOffset;
    if (direction === 1 ? tick > from : tick <= from) return tick;
  }
  return undefined;
}
