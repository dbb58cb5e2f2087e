// Tests for the format checks on their own, especially the lenient date and time rules apps rely on.
// Record-level behaviour (empty strings, messages) is covered in validator.test.ts.

import { describe, expect, it } from 'vitest';
import { CHECKED_FORMATS, checkFormat } from './formats.js';

describe('a date-time value', () => {
  it.each([
    '2025-01-02T03:04:05Z',
    '2025-01-02T03:04:05.123Z',
    '2025-01-02T03:04:05.123456',
    '2025-01-02T03:04:05',
    '2025-01-02T03:04',
    '2025-01-02 03:04:05',
    '2025-01-02t03:04:05z',
    '2025-01-02T03:04:05+05:30',
    '2025-01-02T03:04:05-0800',
    '2024-02-29T23:59:60Z',
  ])('%s is accepted', (value) => {
    expect(checkFormat('date-time', value)).toBe(true);
  });

  it.each([
    '2025-01-02',
    '2025-01-02T',
    '2025-01-02T3:04:05',
    '2025-01-02T24:00:00',
    '2025-01-02T03:60:00',
    '2025-02-29T00:00:00',
    '2025-01-02T03:04:05+25:00',
    '2025-01-02T03:04:05 UTC',
    'yesterday',
    ' 2025-01-02T03:04:05',
  ])('%s is rejected', (value) => {
    expect(checkFormat('date-time', value)).toBe(false);
  });
});

describe('a date value', () => {
  it.each(['2025-01-31', '2024-02-29', '2000-02-29', '2025-01-02T00:00:00.000Z'])('%s is accepted', (value) => {
    expect(checkFormat('date', value)).toBe(true);
  });

  it.each(['2025-02-29', '1900-02-29', '2025-04-31', '2025-00-10', '2025-1-2', '02/01/2025'])('%s is rejected', (value) => {
    expect(checkFormat('date', value)).toBe(false);
  });
});

describe('a time value', () => {
  it.each(['14:30', '14:30:59', '00:00:00.5', '23:59:59Z', '08:00:00+02:00'])('%s is accepted', (value) => {
    expect(checkFormat('time', value)).toBe(true);
  });

  it.each(['24:00', '12:60', '1:30', '12', 'noon'])('%s is rejected', (value) => {
    expect(checkFormat('time', value)).toBe(false);
  });
});

describe('format checking in general', () => {
  it('covers the formats Base44 documents, except the annotation-only ones', () => {
    expect([...CHECKED_FORMATS].sort()).toEqual(
      ['date', 'date-time', 'email', 'hostname', 'ipv4', 'ipv6', 'regex', 'time', 'uri', 'uuid'].sort(),
    );
  });

  it('passes empty strings and unknown formats', () => {
    expect(checkFormat('email', '')).toBe(true);
    expect(checkFormat('file', 'anything')).toBe(true);
    expect(checkFormat('richtext', '<b>x</b>')).toBe(true);
  });

  it('uses the ajv-formats rules for the others', () => {
    expect(checkFormat('email', 'ada@example.com')).toBe(true);
    expect(checkFormat('email', 'ada@')).toBe(false);
    expect(checkFormat('uuid', '123e4567-e89b-12d3-a456-426614174000')).toBe(true);
    expect(checkFormat('ipv4', '256.0.0.1')).toBe(false);
  });
});
