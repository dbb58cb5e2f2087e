// When a recurring TaskTemplate or FormSchedule is due, in UTC: "every <interval> <unit>" at a time of day, on given
// weekdays (0 = Sunday) for weekly ones, on a day of the month (clamped to short months) for monthly ones.

export interface Recurrence {
  unit: 'day' | 'week' | 'month';
  interval?: number;
  weekdays?: number[];
  day_of_month?: number;
  /** HH:MM, UTC. */
  time_of_day?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const midnight = (time: number) => Math.floor(time / DAY_MS) * DAY_MS;

function timeOfDay(r: Recurrence): number {
  const [hours, minutes] = (r.time_of_day ?? '09:00').split(':').map(Number);
  return (hours * 60 + minutes) * 60_000;
}

function monthDay(year: number, month: number, day: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(day, last));
}

/** The first due time at or after `notBefore` (the first occurrence of a new template or schedule). */
export function firstOccurrence(r: Recurrence, notBefore: Date): Date {
  const time = timeOfDay(r);
  const start = notBefore.getTime();
  if (r.unit === 'month') {
    const day = r.day_of_month ?? notBefore.getUTCDate();
    const year = notBefore.getUTCFullYear();
    const month = notBefore.getUTCMonth();
    const thisMonth = monthDay(year, month, day) + time;
    return new Date(thisMonth >= start ? thisMonth : monthDay(year, month + 1, day) + time);
  }
  const weekdays = r.unit === 'week' ? (r.weekdays?.length ? r.weekdays : [notBefore.getUTCDay()]) : [0, 1, 2, 3, 4, 5, 6];
  for (let day = midnight(start); ; day += DAY_MS) {
    if (weekdays.includes(new Date(day).getUTCDay()) && day + time >= start) return new Date(day + time);
  }
}

/** The due time after `previous`: `interval` days or months on, or the next weekday of this week or of the week `interval` weeks on. */
export function followingOccurrence(r: Recurrence, previous: Date): Date {
  const interval = Math.max(1, r.interval ?? 1);
  const time = timeOfDay(r);
  if (r.unit === 'day') return new Date(midnight(previous.getTime()) + interval * DAY_MS + time);
  if (r.unit === 'month') {
    const day = r.day_of_month ?? previous.getUTCDate();
    return new Date(monthDay(previous.getUTCFullYear(), previous.getUTCMonth() + interval, day) + time);
  }
  const weekdays = [...(r.weekdays?.length ? r.weekdays : [previous.getUTCDay()])].sort();
  const later = weekdays.find((d) => d > previous.getUTCDay());
  const day = midnight(previous.getTime());
  if (later !== undefined) return new Date(day + (later - previous.getUTCDay()) * DAY_MS + time);
  const weekStart = day - previous.getUTCDay() * DAY_MS;
  return new Date(weekStart + interval * 7 * DAY_MS + weekdays[0] * DAY_MS + time);
}

/** The first due time after `now`, stepping on from `previous`: a template that missed several spawns spawns once. */
export function nextAfter(r: Recurrence, previous: Date, now: Date): Date {
  let next = followingOccurrence(r, previous);
  while (next <= now) next = followingOccurrence(r, next);
  return next;
}

/** Whether `time` falls within the optional first and last days (YYYY-MM-DD). */
export function withinDates(time: Date, startDate?: string | null, endDate?: string | null): boolean {
  const day = time.toISOString().slice(0, 10);
  return (!startDate || day >= startDate) && (!endDate || day <= endDate);
}
