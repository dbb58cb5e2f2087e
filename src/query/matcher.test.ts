// The in-memory matcher against the SQL it mirrors: random records and random filters (seeded, so every run
// is the same), each filter run by PGlite and by `matchesFilter`; the two must select exactly the same records.

import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsTable, openTestPglite, type SeedRecord } from '../../test/support/pglite.js';
import { badRequestOf } from '../../test/support/errors.js';
import { prng, type Rng } from '../../test/support/random.js';
import { flatRecord as flat } from '../../test/support/records.js';
import { HttpError } from '../errors.js';
import { compileFilter, compileMatcher, entityFields, matchesFilter, SqlParams } from './index.js';
import type { FieldKinds, ValueKind } from './index.js';
import { postgresRegexTest, timestampMicros } from './matcher.js';
import { toPostgresRegex } from './regex.js';

// Hundreds of generated cases against a real database: minutes on a loaded 2-core machine, not the default 30 s.
const PROPERTY_TEST_TIMEOUT_MS = 180_000;

type Data = Record<string, unknown>;
type Flat = Record<string, unknown>;

const SCALARS: unknown[] = [0, 1, -1, 2.5, 3, 10, 1e21, '', 'a', 'b', 'A', 'ab', 'a\nb', 'é', '😀', '\uffff', 'z', '10', 'true', true, false, null];
const KEYS = ['x', 'y', 'name', 'qty', 'tags'];
const EMAILS = ['ann@x.io', 'bob@x.io', 'Ann@x.io', 'é@x.io'];
const INSTANTS = [
  '2025-01-02T03:04:05.123456',
  '2025-01-02T03:04:05.123457',
  '2025-01-02T00:00:00.000000',
  '2024-12-31T23:59:59.999999',
  '1999-06-15T12:00:00.000000',
  '2300-01-01T00:00:00.000001',
];
const TIMESTAMP_VALUES = [
  ...INSTANTS,
  '2025-01-02T03:04:05.123456Z',
  '2025-01-02T05:04:05.123456+02:00',
  '2025-01-02T03:04:05.1234565',
  '2025-01-02T03:04:05.1234555Z',
  '2025-01-02T03:04:05.123456499',
  '2025-01-02',
  '2025-01-02 03:04',
  '2025-01-01T22:04:05.123456-0500',
  '2024-12-31T23:59:59.9999995',
  '0099-03-01T00:00:00',
  'not a date',
  '2025-02-30',
  5,
];
const REGEXES = ['a', '^a', 'b$', 'a.b', '^$', '\\d', '\\w+', '[ab]', '[^a]', 'A', '\\bab\\b', 'é', '.', '^.$', 'a|z', '(', '\\q', 'x{2'];

/** What a schema would declare in the schema modes. */
const SCHEMA: Record<string, ValueKind> = {
  a: 'string', n: 'number', flag: 'boolean', tags: 'array', items: 'array', 'items.name': 'string',
  'items.qty': 'number', meta: 'object', 'meta.x': 'string', 'meta.tags': 'array', s: 'string',
};
const schemaKinds: FieldKinds = (path) => SCHEMA[path] ?? 'unknown';
const FIELDS = ['a', 'b', 'n', 's', 'flag', 'tags', 'items', 'meta'];
const PATHS = [
  ...FIELDS, 'meta.x', 'meta.y', 'meta.tags', 'items.name', 'items.qty', 'items.tags', 'tags.0', 'x', 'meta.x.y',
  'id', 'created_date', 'updated_date', 'created_by', 'created_by_id', 'is_sample', 'created_by.x', 'toString',
];

function genValue(rng: Rng, depth = 0): unknown {
  const roll = rng.next();
  if (depth >= 2 || roll < 0.55) return rng.pick(SCALARS);
  if (roll < 0.8) return Array.from({ length: rng.int(4) }, () => genValue(rng, depth + 1));
  return Object.fromEntries(Array.from({ length: rng.int(3) }, () => [rng.pick(KEYS), genValue(rng, depth + 1)]));
}

/** A value of the declared kind (or null), the way validated records hold them. */
function genKind(rng: Rng, path: string): unknown {
  if (rng.chance(0.08)) return null;
  switch (SCHEMA[path]) {
    case 'string':
      return rng.pick(SCALARS.filter((s) => typeof s === 'string'));
    case 'number':
      return rng.pick(SCALARS.filter((s) => typeof s === 'number'));
    case 'boolean':
      return rng.chance(0.5);
    case 'array':
      return Array.from({ length: rng.int(4) }, () =>
        path === 'items'
          ? Object.fromEntries(
              ['name', 'qty', 'tags'].filter(() => rng.chance(0.7)).map((k) => [k, k === 'tags' ? genValue(rng, 1) : genKind(rng, `items.${k}`)]),
            )
          : rng.pick(SCALARS),
      );
    case 'object':
      return Object.fromEntries(
        ['x', 'y', 'tags'].filter(() => rng.chance(0.7)).map((k) => [k, SCHEMA[`meta.${k}`] ? genKind(rng, `meta.${k}`) : genValue(rng, 1)]),
      );
    default:
      return genValue(rng);
  }
}

function genRecords(rng: Rng, count: number, conforming: boolean): SeedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const data: Data = {};
    for (const field of FIELDS) {
      if (!rng.chance(0.75)) continue;
      data[field] = conforming && !rng.chance(0.05) ? genKind(rng, field) : genValue(rng);
    }
    return {
      id: `r${String(i).padStart(4, '0')}`,
      created_date: rng.pick(INSTANTS),
      created_by: rng.chance(0.2) ? null : rng.pick(EMAILS),
      data,
    };
  });
}

function columnValue(rng: Rng, path: string): unknown {
  if (path === 'created_date' || path === 'updated_date') return rng.pick(TIMESTAMP_VALUES);
  if (path === 'id') return rng.chance(0.9) ? `r${String(rng.int(12)).padStart(4, '0')}` : rng.pick(SCALARS);
  if (path === 'created_by') return rng.chance(0.9) ? rng.pick([...EMAILS, null]) : rng.pick(SCALARS);
  if (path === 'created_by_id') return rng.chance(0.9) ? `id-${rng.pick(EMAILS)}` : rng.pick(SCALARS);
  return undefined;
}

const isColumn = (path: string) => ['id', 'created_date', 'updated_date', 'created_by', 'created_by_id'].includes(path);

function genOperand(rng: Rng, path: string): unknown {
  return isColumn(path) ? columnValue(rng, path) : genValue(rng);
}

function genOperators(rng: Rng, path: string, depth: number, paths: string[]): Data {
  const ops: Data = {};
  const count = 1 + rng.int(2);
  for (let i = 0; i < count; i++) {
    const op = rng.pick([
      '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists', '$regex', '$all', '$size', '$elemMatch', '$not',
      ...(rng.chance(0.02) ? ['$where', '$options'] : []),
    ]);
    switch (op) {
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        ops[op] = isColumn(path) ? columnValue(rng, path) : rng.chance(0.95) ? rng.pick(SCALARS.filter((s) => s !== null)) : genValue(rng);
        break;
      case '$in':
      case '$nin':
        ops[op] = rng.chance(0.97) ? Array.from({ length: rng.int(4) }, () => (rng.chance(0.15) ? null : genOperand(rng, path))) : 'x';
        break;
      case '$exists':
        ops[op] = rng.chance(0.95) ? rng.chance(0.5) : 'yes';
        break;
      case '$regex':
        ops[op] = rng.pick(REGEXES);
        if (rng.chance(0.4)) ops.$options = rng.pick(['i', 'm', 's', 'x', 'ims', 'q']);
        break;
      case '$all':
        ops[op] = Array.from({ length: rng.int(3) }, () =>
          depth < 3 && rng.chance(0.15) ? { $elemMatch: genElement(rng, depth + 1) } : genOperand(rng, path),
        );
        break;
      case '$size':
        ops[op] = rng.chance(0.95) ? rng.int(4) : rng.pick([-1, 1.5, '1']);
        break;
      case '$elemMatch':
        ops[op] = depth < 3 ? genElement(rng, depth + 1) : { $gt: 1 };
        break;
      case '$not':
        ops[op] = depth < 3 ? genOperators(rng, path, depth + 1, paths) : { $eq: 1 };
        break;
      default:
        ops[op] = genOperand(rng, path);
    }
  }
  return ops;
}

/** An `$elemMatch` condition: operators on the element, or a query on its fields. */
function genElement(rng: Rng, depth: number): Data {
  if (rng.chance(0.4)) return genOperators(rng, 'element', depth, KEYS);
  return genQuery(rng, depth, KEYS);
}

function genQuery(rng: Rng, depth = 0, paths: string[] = PATHS): Data {
  const query: Data = {};
  const count = 1 + rng.int(depth === 0 ? 3 : 2);
  for (let i = 0; i < count; i++) {
    if (depth < 3 && rng.chance(0.15)) {
      const op = rng.pick(['$and', '$or', '$nor']);
      query[op] = rng.chance(0.97) ? Array.from({ length: 1 + rng.int(3) }, () => genQuery(rng, depth + 1, paths)) : [];
      continue;
    }
    const path = rng.chance(0.01) ? rng.pick(['a b', '$bad', '__proto__.x']) : rng.pick(paths);
    const roll = rng.next();
    query[path] = roll < 0.35 ? genOperand(rng, path) : roll < 0.45 ? [genOperand(rng, path), genOperand(rng, path)] : genOperators(rng, path, depth, paths);
  }
  return query;
}

type Outcome = { ids: string[] } | { error: string };

function matcherOutcome(filter: unknown, records: Flat[], kinds?: FieldKinds, indexed?: ReadonlySet<string>): Outcome {
  try {
    const match = compileMatcher(filter, kinds, indexed);
    return { ids: records.filter(match).map((r) => r.id as string) };
  } catch (error) {
    if (error instanceof HttpError && error.status === 400) return { error: error.message };
    throw error;
  }
}

describe.each([
  { mode: 'unknown kinds', seed: 1, conforming: false, kinds: undefined, indexed: undefined },
  { mode: 'schema kinds', seed: 2, conforming: true, kinds: schemaKinds, indexed: undefined },
  { mode: 'schema kinds and indexed fields', seed: 3, conforming: true, kinds: schemaKinds, indexed: new Set(['a', 'n', 'flag', 'tags', 's']) },
  { mode: 'schema kinds on drifting records', seed: 4, conforming: false, kinds: schemaKinds, indexed: new Set(['a', 'n']) },
])('matchesFilter selects exactly what the SQL selects ($mode)', ({ seed, conforming, kinds, indexed }) => {
  const RECORDS = 160;
  const FILTERS = 1200;
  const BATCH = 40;
  const rng = prng(seed);
  const seedRecords = genRecords(rng, RECORDS, conforming);
  const records = seedRecords.map(flat);
  let db: PGlite;

  beforeAll(async () => {
    db = await openRecordsTable(seedRecords);
  });
  afterAll(() => db.close());

  async function sqlOutcomes(filters: unknown[]): Promise<Outcome[]> {
    const fields = entityFields(kinds, indexed);
    const params = new SqlParams();
    const compiled = filters.map((filter): Outcome | string => {
      try {
        // A filter that fails half-way leaves parameters behind: only a trial run's success reaches the batch.
        compileFilter(filter, fields, new SqlParams());
        return compileFilter(filter, fields, params);
      } catch (error) {
        if (error instanceof HttpError && error.status === 400) return { error: error.message };
        throw error;
      }
    });
    const columns = compiled.map((c, i) => (typeof c === 'string' ? `COALESCE(${c}, false) AS m${i}` : `false AS m${i}`));
    try {
      const { rows } = await db.query<Record<string, unknown>>(`SELECT id, ${columns.join(', ')} FROM t ORDER BY id`, params.values);
      return compiled.map((c, i) => (typeof c === 'string' ? { ids: rows.filter((r) => r[`m${i}`] === true).map((r) => r.id as string) } : c));
    } catch (error) {
      if (filters.length === 1) return [{ error: `runtime: ${(error as Error).message}` }];
      // One statement failed at run time (a bad regular expression): run them one by one.
      const out: Outcome[] = [];
      for (const filter of filters) out.push(...(await sqlOutcomes([filter])));
      return out;
    }
  }

  it(`agrees on ${FILTERS} random filters over ${RECORDS} random records`, async () => {
    const filters = Array.from({ length: FILTERS }, () => genQuery(rng));
    let compared = 0;
    let rejected = 0;
    for (let start = 0; start < filters.length; start += BATCH) {
      const batch = filters.slice(start, start + BATCH);
      const sql = await sqlOutcomes(batch);
      batch.forEach((filter, i) => {
        const mine = matcherOutcome(filter, records, kinds, indexed);
        const theirs = sql[i];
        if ('error' in theirs && theirs.error.startsWith('runtime: ')) {
          // PostgreSQL refuses some regular expressions only when it runs them; the matcher refuses them up front.
          expect(theirs.error, JSON.stringify(filter)).toMatch(/regular expression|operator does not exist/);
          expect(mine, JSON.stringify(filter)).toHaveProperty('error');
          rejected++;
          return;
        }
        if ('error' in mine && /^Invalid regular expression|^\$regex cannot be used/.test(mine.error)) {
          // Refused up front, where PostgreSQL fails only if it gets to run the expression (its validity is tested below).
          rejected++;
          return;
        }
        expect(mine, JSON.stringify(filter)).toEqual(theirs);
        if ('ids' in theirs) compared++;
        else rejected++;
      });
    }
    // The generator is meant to produce mostly valid filters that select some but not all records.
    expect(compared).toBeGreaterThan(FILTERS * 0.6);
    expect(rejected).toBeGreaterThan(0);
  }, PROPERTY_TEST_TIMEOUT_MS);
});

describe('regular expressions match as PostgreSQL matches them', () => {
  let db: PGlite;
  beforeAll(async () => {
    db = await openTestPglite();
  });
  afterAll(() => db.close());

  const ATOMS = [
    'a', 'b', 'A', 'é', '😀', ' ', '-', '_', '1', '.', '\\d', '\\w', '\\s', '\\D', '\\W', '\\S', '\\b', '\\B', '\\A', '\\Z',
    '\\n', '\\t', '\\x41', '\\u00e9', '[ab]', '[^a]', '[a-c]', '[^\\n]', '[[:alpha:]]', '[[:upper:]]', '[[:digit:]_]', '[]a]',
    '[a-]', '[\\d.]', '^', '$', '\\.', '\\$', '{', '}', ']', '\\*', '(?=a)', '(?!b)', '(?<=a)', '(?<!a)', '[z-a]', '\\q',
  ];
  const TEXTS = ['', 'a', 'A', 'ab', 'ba', 'a b', 'a\nb', 'b\na', 'a\r\nb', 'é', 'É', '😀', 'a😀b', '1_a', 'x-y', 'aaa', '{}', ' a ', 'ab\n', '\nab', 'AB ab', '$.', 'ab_1 é'];

  function genPattern(rng: Rng, depth = 0): string {
    let out = '';
    const length = 1 + rng.int(4);
    for (let i = 0; i < length; i++) {
      const roll = rng.next();
      if (depth < 2 && roll < 0.12) out += `(${genPattern(rng, depth + 1)})`;
      else if (depth < 2 && roll < 0.18) out += `(?:${genPattern(rng, depth + 1)}|${genPattern(rng, depth + 1)})`;
      else out += rng.pick(ATOMS);
      if (rng.chance(0.25)) out += rng.pick(['*', '+', '?', '{2}', '{1,2}', '*?', '{0,}']);
    }
    return out;
  }

  it('agrees on 1500 random patterns and options over a set of texts', async () => {
    const rng = prng(7);
    let valid = 0;
    for (let n = 0; n < 1500; n++) {
      const pattern = genPattern(rng);
      const options = rng.pick(['', '', 'i', 'm', 's', 'ms', 'x', 'ix']);
      const source = toPostgresRegex(pattern, options);
      let expected: boolean[] | string;
      try {
        const { rows } = await db.query<{ m: boolean }>('SELECT s ~ $1 AS m FROM unnest($2::text[]) WITH ORDINALITY AS x(s, n) ORDER BY n', [
          source,
          TEXTS,
        ]);
        expected = rows.map((r) => r.m);
      } catch {
        expected = 'invalid';
      }
      let actual: boolean[] | string;
      try {
        const matches = postgresRegexTest(source);
        actual = TEXTS.map(matches);
      } catch {
        actual = 'invalid';
      }
      expect(actual, `${JSON.stringify(pattern)} with options ${JSON.stringify(options)}`).toEqual(expected);
      if (expected !== 'invalid') valid++;
    }
    expect(valid).toBeGreaterThan(900);
  });

  it('matches back-references to groups that took part, case-independently under i', async () => {
    const cases: [string, string, string][] = [
      ['(a)\\1', '', 'xaa'], ['(ab|b)\\1', '', 'abab'], ['^(a)\\1$', 'i', 'aA'], ['^(a)\\1$', '', 'aA'], ['(a\\1)', '', 'aa'],
    ];
    for (const [pattern, options, text] of cases) {
      const source = toPostgresRegex(pattern, options);
      let expected: boolean | string;
      try {
        expected = (await db.query<{ m: boolean }>('SELECT $1::text ~ $2 AS m', [text, source])).rows[0].m;
      } catch {
        expected = 'invalid';
      }
      let actual: boolean | string;
      try {
        actual = postgresRegexTest(source)(text);
      } catch {
        actual = 'invalid';
      }
      expect(actual, pattern).toEqual(expected);
    }
  });
  it('differs on back-references to a group that took no part: PostgreSQL fails them, JavaScript matches empty', () => {
    expect(postgresRegexTest(toPostgresRegex('^(b)?a\\1$', ''))('a')).toBe(true); // PostgreSQL: false
  });
});

describe('timestamps compare as instants, as timestamptz reads them', () => {
  it('reads zone-less values as UTC, honours offsets, and rounds past microseconds half to even', () => {
    const at = (v: string) => timestampMicros(v)!;
    expect(at('2025-01-02T03:04:05.123456')).toBe(at('2025-01-02T05:04:05.123456+02:00'));
    expect(at('2025-01-02T03:04:05.123456Z')).toBe(at('2025-01-01T22:04:05.123456-0500'));
    expect(at('2025-01-02T03:04:05.1234565')).toBe(at('2025-01-02T03:04:05.123456'));
    expect(at('2025-01-02')).toBe(at('2025-01-02T00:00:00.000000'));
    expect(at('2300-01-01T00:00:00.000001') - at('2300-01-01T00:00:00')).toBe(1n);
    expect(timestampMicros('2025-01-02T03:04:05.123456+02:00')! < timestampMicros('2025-01-02T03:04:05.123456')!).toBe(true);
    expect(timestampMicros('not a date')).toBeUndefined();
  });
  it('matches records by instant', () => {
    const record = { id: 'r1', created_date: '2025-01-02T03:04:05.678901' };
    expect(matchesFilter({ created_date: '2025-01-02T04:04:05.678901+01:00' }, record)).toBe(true);
    expect(matchesFilter({ created_date: { $gt: '2025-01-02T03:04:05.6789' } }, record)).toBe(true);
    expect(matchesFilter({ created_date: { $lt: '2025-01-02' } }, record)).toBe(false);
    expect(matchesFilter({ created_date: { $in: ['2025-01-02T03:04:05.678901Z', null] } }, record)).toBe(true);
  });
});

describe('matchesFilter', () => {
  const task = { id: 'r1', created_by: 'ann@x.io', is_sample: false, status: 'open', labels: ['a', 'b'], meta: { owner: { name: 'ann' } } };

  it('takes true and false (access row filters) as all and none', () => {
    expect(matchesFilter(true, task)).toBe(true);
    expect(matchesFilter(false, task)).toBe(false);
  });
  it('reads fields beside the built-ins of a flat record', () => {
    expect(matchesFilter({ status: 'open', labels: 'b', 'meta.owner.name': 'ann', created_by: 'ann@x.io' }, task)).toBe(true);
    expect(matchesFilter({ labels: { $all: ['a', 'b'], $size: 2 } }, task)).toBe(true);
    expect(matchesFilter({ $nor: [{ status: 'closed' }], missing: null }, task)).toBe(true);
  });
  it('reads is_sample as the SQL does: it is not a stored field', () => {
    expect(matchesFilter({ is_sample: false }, task)).toBe(false);
    expect(matchesFilter({ is_sample: { $exists: false } }, task)).toBe(true);
  });
  it('never reads inherited properties', () => {
    expect(matchesFilter({ toString: { $exists: true } }, task)).toBe(false);
    expect(matchesFilter({ 'meta.hasOwnProperty': { $exists: true } }, task)).toBe(false);
  });
  it('throws the same 400s as compileFilter', () => {
    const invalid: unknown[] = [
      'status', [{}], { $where: 'x' }, { status: { $foo: 1 } }, { 'a b': 1 }, { id: 5 }, { created_date: 'soon' },
      { n: { $gt: null } }, { n: { $size: -1 } }, { $or: [] }, { n: { $options: 'i' } }, { id: { $elemMatch: {} } },
      { created_date: { $regex: '2025' } }, { s: { $regex: '(' } },
    ];
    for (const filter of invalid) {
      const mine = badRequestOf(() => compileMatcher(filter));
      if (!JSON.stringify(filter).includes('$regex')) {
        const theirs = badRequestOf(() => compileFilter(filter, entityFields(), new SqlParams()));
        expect(mine.message).toBe(theirs.message);
      }
    }
  });
  it('compiles once and matches many records', () => {
    const open = compileMatcher({ status: 'open' });
    expect([task, { ...task, status: 'closed' }].map(open)).toEqual([true, false]);
  });
});
