// String formats checked on records, registered with ajv; formats not listed here are accepted unchecked.
// Date and time formats are looser than RFC 3339 because Base44 apps send zone-less and datetime-local values.

import type { Format, FormatDefinition } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';

type Check = (value: string) => boolean;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
// Apps send `new Date().toISOString()`, Python's isoformat() (microseconds, no zone) and
// <input type="datetime-local"> values (no seconds, no zone); all of them are dates with a time.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
// <input type="time"> yields "14:30"; seconds and zone are optional for the same reason.
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function validDate(year: string, month: string, day: string): boolean {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12 || d < 1) return false;
  const max = m === 2 && isLeapYear(y) ? 29 : DAYS_IN_MONTH[m - 1];
  return d <= max;
}

function validTime(hour: string, minute: string, second: string | undefined, zone: string | undefined): boolean {
  if (Number(hour) > 23 || Number(minute) > 59) return false;
  // 60 allows a leap second, as RFC 3339 does.
  if (second !== undefined && Number(second) > 60) return false;
  if (zone !== undefined && zone.length > 1) {
    const digits = zone.slice(1).replace(':', '');
    if (Number(digits.slice(0, 2)) > 23) return false;
    if (digits.length > 2 && Number(digits.slice(2)) > 59) return false;
  }
  return true;
}

const checkDateTime: Check = (value) => {
  const m = DATE_TIME.exec(value);
  return m !== null && validDate(m[1], m[2], m[3]) && validTime(m[4], m[5], m[6], m[7]);
};

// A full timestamp in a date field is accepted: apps routinely store toISOString() there.
const checkDate: Check = (value) => {
  const m = DATE.exec(value);
  return m !== null ? validDate(m[1], m[2], m[3]) : checkDateTime(value);
};

const checkTime: Check = (value) => {
  const m = TIME.exec(value);
  return m !== null && validTime(m[1], m[2], m[3], m[4]);
};

function fromAjvFormats(name: keyof typeof fullFormats): Check {
  const format: Format = fullFormats[name];
  const validate = typeof format === 'object' && !(format instanceof RegExp) ? format.validate : format;
  if (validate instanceof RegExp) return (value) => validate.test(value);
  if (typeof validate === 'function') return (value) => (validate as (v: string) => boolean)(value);
  throw new Error(`ajv-formats has no usable "${name}" format`);
}

const CHECKS: Record<string, Check> = Object.assign(Object.create(null) as Record<string, Check>, {
  date: checkDate,
  'date-time': checkDateTime,
  time: checkTime,
  email: fromAjvFormats('email'),
  uri: fromAjvFormats('uri'),
  hostname: fromAjvFormats('hostname'),
  ipv4: fromAjvFormats('ipv4'),
  ipv6: fromAjvFormats('ipv6'),
  uuid: fromAjvFormats('uuid'),
  regex: fromAjvFormats('regex'),
});

/** Formats that are actually checked; `file`, `richtext` and anything else are annotations only. */
export const CHECKED_FORMATS: ReadonlySet<string> = new Set(Object.keys(CHECKS));

export function checkFormat(format: string, value: string): boolean {
  const check = CHECKS[format];
  return check === undefined || value === '' || check(value);
}

/** The ajv `formats` option. Empty strings pass: apps submit "" from empty form inputs. */
export function ajvFormats(): Record<string, FormatDefinition<string>> {
  const formats: Record<string, FormatDefinition<string>> = {};
  for (const [name, check] of Object.entries(CHECKS)) {
    formats[name] = { type: 'string', validate: (value: string) => value === '' || check(value) };
  }
  return formats;
}
