// How MongoDB's $regex and $options are handed to PostgreSQL (the matching itself is tested in filter.test.ts).

import { describe, expect, it } from 'vitest';
import { toPostgresRegex } from './regex.js';

describe('toPostgresRegex', () => {
  it('turns options into a leading embedded-options group', () => {
    expect(toPostgresRegex('abc', '')).toBe('(?p)abc');
    expect(toPostgresRegex('abc', 'i')).toBe('(?ip)abc');
    expect(toPostgresRegex('abc', 'm')).toBe('(?n)abc');
    expect(toPostgresRegex('abc', 's')).toBe('(?s)abc');
    expect(toPostgresRegex('abc', 'ms')).toBe('(?w)abc');
    expect(toPostgresRegex('a b', 'x')).toBe('(?xp)a b');
  });
  it('merges a leading inline group into the options', () => {
    expect(toPostgresRegex('(?i)abc', '')).toBe('(?ip)abc');
    expect(toPostgresRegex('(?is)abc', 'm')).toBe('(?iw)abc');
  });
  it('rewrites \\b, \\B and \\z outside brackets only', () => {
    expect(toPostgresRegex('\\bword\\B\\z', '')).toBe('(?p)\\yword\\Y\\Z');
    expect(toPostgresRegex('[\\b]x', '')).toBe('(?p)[\\b]x');
    expect(toPostgresRegex('[]\\b]\\b', '')).toBe('(?p)[]\\b]\\y');
    expect(toPostgresRegex('[^]x][[:alpha:]\\b]\\b', '')).toBe('(?p)[^]x][[:alpha:]\\b]\\y');
  });
  it('leaves other escapes, and an escaped backslash, alone', () => {
    expect(toPostgresRegex('\\\\b\\d\\w\\.\\/', '')).toBe('(?p)\\\\b\\d\\w\\.\\/');
  });
  it('copes with an unterminated bracket or a trailing backslash', () => {
    expect(toPostgresRegex('[abc', '')).toBe('(?p)[abc');
    expect(toPostgresRegex('abc\\', '')).toBe('(?p)abc\\');
  });
});
