// Checks timestamps a caller compares built-in date columns with, before they reach PostgreSQL.
// Zone-less values mean UTC (the wire format is zone-less UTC), whatever the session's time zone is.

import { badRequest } from '../errors.js';

const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(Z|[+-](\d{2})(?::?(\d{2}))?)?$/;

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * The value as PostgreSQL `timestamptz` input with an explicit zone, or undefined when it is not
 * an ISO date or date-time with real calendar and clock values.
 */
export function normalizeTimestamp(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TIMESTAMP.exec(value);
  if (!match) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', zone, zh = '0', zm = '0'] = match;
  const year = Number(y);
  const month = Number(mo);
  const ok =
    year >= 1 &&
    month >= 1 &&
    month <= 12 &&
    Number(d) >= 1 &&
    Number(d) <= daysIn(year, month) &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59 &&
    Number(zh) <= 15 &&
    Number(zm) <= 59;
  if (!ok) return undefined;
  return zone ? value : `${value}Z`;
}

/** {@link normalizeTimestamp}, or a 400 naming the field. */
export function timestampValue(field: string, value: unknown): string {
  const normalized = normalizeTimestamp(value);
  if (normalized === undefined) {
    const shown = typeof value === 'string' ? value.slice(0, 40) : JSON.stringify(value)?.slice(0, 40);
    throw badRequest(`${field} needs an ISO date or date-time, not ${shown}`);
  }
  return normalized;
}
