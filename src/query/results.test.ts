// Ordering, paging, distinct values and aggregates, executed on an embedded PostgreSQL (PGlite).
// Expected answers are computed from the seed in plain JS, so each test states the rule it checks.

import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsTable } from '../../test/support/pglite.js';
import { badRequestOf } from '../../test/support/errors.js';
import { ann, bob, carol, dan, type Data, type SeedRow } from '../../test/support/records.js';
import {
  after,
  compileAggregate,
  compileDistinct,
  compileFilter,
  compileSort,
  decodeCursor,
  DEFAULT_SORT,
  encodeCursor,
  entityFields,
  MAX_AGGREGATE_ROWS,
  orderBy,
  sortKeyOf,
  SqlParams,
} from './index.js';
import type { FieldKinds, ValueKind } from './index.js';

type Rec = SeedRow;

// prettier-ignore
const SEED: Rec[] = [
  { id: 's01', created_date: '2024-12-30T08:00:00.000000', created_by: ann, data: { name: 'pear', rank: 3, meta: { rank: 1 }, tags: ['red', 'sweet'], category: 'a', region: 'north', amount: 10, paid_on: '2024-12-30', customer: 'c1', items: [{ name: 'box' }] } },
  { id: 's02', created_date: '2024-12-30T09:30:00.000000', created_by: bob, data: { name: 'apple', rank: 1, tags: ['red'], category: 'a', region: 'south', amount: 5.5, paid_on: '2024-12-31T23:59:59Z', customer: 'c2' } },
  { id: 's03', created_date: '2024-12-31T23:59:59.999999', created_by: null, data: { name: 'fig', rank: null, tags: 'green', category: 'b', region: 'north', amount: '12', customer: 'c1', items: [{ name: 'bag' }, { name: 'box' }] } },
  { id: 's04', created_date: '2025-01-01T00:00:00.000000', created_by: carol, data: { name: 'apple', rank: 2, meta: { rank: 5 }, tags: ['green', 'sour'], category: 'b', region: 'south', amount: 7, paid_on: '2025-01-01', customer: 'c3' } },
  { id: 's05', created_date: '2025-01-01T00:00:00.000000', created_by: ann, data: { rank: 2, tags: [], category: 'a', region: 'north', amount: 3, paid_on: '2025-01-15', customer: 'c1' } },
  { id: 's06', created_date: '2025-01-03T12:00:00.000000', created_by: bob, data: { name: 'kiwi', tags: ['green', null], category: null, region: 'north', amount: 8, paid_on: 'soon', customer: 'c4' } },
  { id: 's07', created_date: '2025-01-05T06:00:00.000000', created_by: ann, data: { name: 'Banana', rank: 5, tags: ['yellow', 'sweet'], category: 'c', amount: -2, paid_on: '2025-01-05', customer: 'c2', items: [{ name: 'crate' }] } },
  { id: 's08', created_date: '2025-01-06T06:00:00.000000', created_by: dan, data: { name: 'banana', rank: 5, meta: { rank: 2 }, tags: ['yellow'], category: 'c', region: 'south', amount: 20, paid_on: '2025-02-10', customer: 'c5' } },
  { id: 's09', created_date: '2025-01-06T06:00:00.000000', created_by: carol, data: { name: 'cherry', rank: 1.5, category: 'a', region: 'south', amount: 1, customer: 'c1' } },
  { id: 's10', created_date: '2025-01-12T10:00:00.000000', created_by: bob, data: { name: 'date', rank: 'high', tags: ['brown'], category: 'b', region: 'north', amount: 4, paid_on: '2025-01-12', customer: 'c3' } },
  { id: 's11', created_date: '2025-01-13T10:00:00.000000', created_by: ann, data: { name: 'elder', rank: 0, meta: { rank: 3 }, tags: ['red', 'sour'], category: 'a', region: 'north', amount: 0, paid_on: '2025-01-13T05:00:00Z', customer: 'c6' } },
  { id: 's12', created_date: '2025-01-20T10:00:00.000000', created_by: null, data: { name: null, rank: -1, tags: ['sweet'], category: 'c', region: 'south', amount: 15, paid_on: '2025-01-20', customer: 'c2' } },
  { id: 's13', created_date: '2025-01-26T23:00:00.000000', created_by: dan, data: { name: 'grape', rank: 4, tags: ['purple', 'sweet'], category: 'b', region: 'north', amount: 9.25, paid_on: '2025-01-26', customer: 'c1', items: [{ name: 'bag' }] } },
  { id: 's14', created_date: '2025-01-27T01:00:00.000000', created_by: ann, data: { name: 'grape', rank: 4, tags: ['green'], category: 'a', amount: 2, paid_on: '2025-01-27', customer: 'c7' } },
  { id: 's15', created_date: '2025-02-01T00:00:00.000001', created_by: bob, data: { name: 'honeydew', rank: 3, tags: ['green', 'sweet'], category: 'c', region: 'north', amount: 11, paid_on: '2025-02-01', customer: 'c3' } },
  { id: 's16', created_date: '2025-02-02T12:00:00.000000', created_by: carol, data: { name: 'Ice', rank: null, category: 'a', region: 'south', customer: 'c1' } },
  { id: 's17', created_date: '2025-02-03T12:00:00.000000', created_by: dan, data: { name: 'jack', rank: 6, meta: { rank: 4 }, tags: ['yellow'], category: 'b', region: 'north', amount: 6, paid_on: '2025-02-03', customer: 'c8' } },
  { id: 's18', created_date: '2025-02-10T08:00:00.000000', created_by: ann, data: { name: 'lemon', rank: 2, tags: ['yellow', 'sour'], category: 'c', region: 'south', amount: 4, paid_on: '2025-02-10', customer: 'c2' } },
  { id: 's19', created_date: '2025-02-14T08:00:00.000000', created_by: bob, data: { name: 'lime', rank: 7, tags: ['green', 'sour'], category: 'a', region: 'north', amount: 5, paid_on: '2025-02-14', customer: 'c9' } },
  { id: 's20', created_date: '2025-02-28T23:59:59.999999', created_by: null, data: { name: 'mango', rank: 8, tags: ['orange', 'sweet'], category: 'b', region: 'south', amount: 30, paid_on: '2025-02-28', customer: 'c1' } },
  { id: 's21', created_date: '2025-03-01T00:00:00.000000', created_by: carol, data: { name: 'apple', rank: 1, tags: ['red'], category: 'a', region: 'north', amount: 12, paid_on: '2025-03-01', customer: 'c3' } },
  { id: 's22', created_date: '2025-03-02T00:00:00.000000', created_by: dan, data: { name: 'nectarine', rank: 9, category: 'c', region: 'north', amount: 3.75, paid_on: '2025-03-02', customer: 'c10' } },
  { id: 's23', created_date: '2025-03-09T00:00:00.000000', created_by: ann, data: { name: 'olive', rank: 3, meta: { rank: null }, tags: ['green'], category: 'b', amount: 8, paid_on: '2025-03-09', customer: 'c2' } },
  { id: 's24', created_date: '2025-03-10T00:00:00.000000', created_by: bob, data: { name: 'orange', rank: 10, tags: ['orange'], category: 'a', region: 'south', amount: 14, paid_on: '2025-03-10', customer: 'c1' } },
  { id: 's25', created_date: '2025-03-17T00:00:00.000000', created_by: carol, data: { name: 'papaya', rank: 2, tags: ['orange', 'sweet'], category: 'c', region: 'north', amount: 7, paid_on: '2025-03-17', customer: 'c11' } },
  { id: 's26', created_date: '2025-04-01T00:00:00.000000', created_by: dan, data: { name: 'peach', rank: 3, tags: ['orange'], category: 'b', region: 'south', amount: 5, paid_on: '2025-04-01', customer: 'c3' } },
  { id: 's27', created_date: '2025-04-02T00:00:00.000000', created_by: null, data: { name: 'pear', rank: 1, tags: ['green', 'sweet'], category: 'a', region: 'north', amount: 2.5, paid_on: '2025-04-02', customer: 'c1' } },
  { id: 's28', created_date: '2025-05-05T00:00:00.000000', created_by: ann, data: { name: 'plum', tags: ['purple'], category: 'c', region: 'south', amount: 9, paid_on: '2025-05-05', customer: 'c12' } },
  { id: 's29', created_date: '2025-05-05T00:00:00.000000', created_by: bob, data: { name: 'quince', rank: 4, category: 'b', region: 'north', amount: 1, paid_on: '2025-05-05', customer: 'c2' } },
  { id: 's30', created_date: '2025-06-30T12:00:00.000000', created_by: carol, data: { name: 'raspberry', rank: 5, tags: ['red'], category: 'a', region: 'south', amount: 16, paid_on: '2025-06-30', customer: 'c1' } },
];

const SCHEMA: Record<string, ValueKind> = {
  name: 'string', rank: 'number', tags: 'array', category: 'string', region: 'string', amount: 'number',
  paid_on: 'string', customer: 'string', items: 'array', 'items.name': 'string', meta: 'object', 'meta.rank': 'number',
};
const schemaKinds: FieldKinds = (path) => SCHEMA[path] ?? 'unknown';
const fields = entityFields(schemaKinds);


let db: PGlite;

beforeAll(async () => {
  db = await openRecordsTable(SEED);
});
afterAll(() => db.close());


// ---------------------------------------------------------------------------------------------
// Sorting and keyset pagination

/** A record as the API returns it: built-ins (zone-less UTC timestamps) next to the data fields. */
type ApiRecord = Data & { id: string };
const RECORD_COLUMNS =
  `id, to_char(created_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS created_date, ` +
  `to_char(updated_date AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') AS updated_date, created_by, created_by_id, data`;

async function page(sortText: string | undefined, limit: number, cursor?: string, query?: unknown): Promise<ApiRecord[]> {
  const params = new SqlParams();
  const sort = compileSort(sortText, fields);
  let where = compileFilter(query, fields, params);
  if (cursor) {
    const state = decodeCursor(cursor);
    where = `${where} AND ${after(sort, state.key, state.id!, params)}`;
  }
  const { rows } = await db.query<Data & { data: Data; id: string }>(
    `SELECT ${RECORD_COLUMNS} FROM t WHERE ${where} ORDER BY ${orderBy(sort)} LIMIT ${params.add(limit)}`,
    params.values,
  );
  return rows.map(({ data, ...builtins }) => ({ ...builtins, ...data }));
}

/** Walks every page of `size` via cursors, as a client does; returns the ids in the order seen. */
async function walk(sortText: string | undefined, size: number, query?: unknown): Promise<string[]> {
  const sort = compileSort(sortText, fields);
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const rows = await page(sortText, size + 1, cursor, query);
    seen.push(...rows.slice(0, size).map((r) => r.id));
    if (rows.length <= size) return seen;
    const last = rows[size - 1];
    cursor = encodeCursor({ walk: 'w', key: sortKeyOf(sort, last), id: last.id });
  }
  throw new Error('walk did not end');
}

const ids = async (sortText: string | undefined, query?: unknown) => (await page(sortText, 1000, undefined, query)).map((r) => r.id);

/** PostgreSQL's jsonb order, which sorting follows: missing = null < strings < numbers. */
function jsonOrder(a: unknown, b: unknown): number {
  const rank = (v: unknown) => (v === undefined || v === null ? 0 : typeof v === 'string' ? 1 : typeof v === 'number' ? 2 : 3);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  return 0;
}
const byId = (a: Rec, b: Rec) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
function expectedOrder(key: (r: Rec) => unknown, descending = false): string[] {
  const sign = descending ? -1 : 1;
  return [...SEED].sort((a, b) => sign * (jsonOrder(key(a), key(b)) || byId(a, b))).map((r) => r.id);
}

describe('sorting', () => {
  it('defaults to newest first (-created_date), ties broken by id', async () => {
    expect(DEFAULT_SORT).toBe('-created_date');
    const expected = expectedOrder((r) => r.created_date, true);
    expect(await ids(undefined)).toEqual(expected);
    expect(await ids('')).toEqual(expected);
    expect(expected.indexOf('s29')).toBe(expected.indexOf('s28') - 1);
  });
  it('sorts ascending with a + or no prefix, and by microseconds', async () => {
    const expected = expectedOrder((r) => r.created_date);
    expect(await ids('created_date')).toEqual(expected);
    expect(await ids('+created_date')).toEqual(expected);
    expect(await ids(' created_date')).toEqual(expected); // a "+" that arrived as a space
    expect(expected.slice(2, 5)).toEqual(['s03', 's04', 's05']);
  });
  it('puts missing and null data values lowest, ties broken by id', async () => {
    const rank = (r: Rec) => r.data.rank;
    const ascending = await ids('rank');
    expect(ascending).toEqual(expectedOrder(rank));
    expect(ascending.slice(0, 5)).toEqual(['s03', 's06', 's16', 's28', 's10']); // missing/null by id, then the string
    expect(await ids('+rank')).toEqual(ascending);
    const descending = await ids('-rank');
    expect(descending).toEqual(expectedOrder(rank, true));
    expect(descending.slice(-5)).toEqual(['s10', 's28', 's16', 's06', 's03']);
  });
  it('sorts strings by code point and nested fields by their value', async () => {
    expect(await ids('name')).toEqual(expectedOrder((r) => r.data.name));
    expect(await ids('-meta.rank')).toEqual(expectedOrder((r) => (r.data.meta as Data | undefined)?.rank, true));
  });
  it('sorts built-in text columns with null lowest', async () => {
    expect(await ids('created_by')).toEqual(expectedOrder((r) => r.created_by ?? ''));
    expect(await ids('-id')).toEqual(SEED.map((r) => r.id).reverse());
  });
  it('rejects a sort that is not one field name', () => {
    for (const bad of ['-created_date; drop table t', 'title desc', 'created_date,id', '--name', '-', '+', 'a..b', "data->>'x'", 5, ['name'], { name: 1 }]) {
      badRequestOf(() => compileSort(bad, fields));
    }
  });
});

describe('keyset pagination walks every record exactly once, in order', () => {
  it.each([
    ['rank', (r: Rec) => r.data.rank, false],
    ['-rank', (r: Rec) => r.data.rank, true],
    ['name', (r: Rec) => r.data.name, false],
    ['-meta.rank', (r: Rec) => (r.data.meta as Data | undefined)?.rank, true],
    ['created_date', (r: Rec) => r.created_date, false],
    ['-created_date', (r: Rec) => r.created_date, true],
    ['created_by', (r: Rec) => r.created_by ?? '', false],
    ['-created_by', (r: Rec) => r.created_by ?? '', true],
    ['-updated_date', (r: Rec) => r.created_date, true],
    ['id', (r: Rec) => r.id, false],
  ] as const)('sort %s in pages of 7', async (sortText, key, descending) => {
    const seen = await walk(sortText, 7);
    expect(seen).toEqual(expectedOrder(key, descending));
    expect(new Set(seen).size).toBe(30);
  });
  it('with the default sort and a filter', async () => {
    const seen = await walk(undefined, 7, { category: { $in: ['a', null] } });
    expect(seen).toEqual(await ids(undefined, { category: { $in: ['a', null] } }));
    expect(seen).toHaveLength(SEED.filter((r) => r.data.category === 'a' || r.data.category == null).length);
  });
  it('in pages of 1', async () => expect(await walk('-rank', 1)).toEqual(expectedOrder((r) => r.data.rank, true)));
  it('a cursor key that a timestamp or text sort cannot use is a 400, not a database error', () => {
    const params = new SqlParams();
    badRequestOf(() => after(compileSort('created_date', fields), 'yesterday', 's01', params));
    badRequestOf(() => after(compileSort('created_date', fields), 5, 's01', params));
    badRequestOf(() => after(compileSort('created_by', fields), { a: 1 }, 's01', params));
    badRequestOf(() => after(compileSort('rank', fields), 1, 5 as unknown as string, params));
  });
  it('a cursor key in either timestamp form resumes at the same place', async () => {
    const sort = compileSort('created_date', fields);
    for (const key of ['2025-01-01T00:00:00.000000', '2025-01-01T00:00:00Z', new Date('2025-01-01T00:00:00Z')]) {
      const params = new SqlParams();
      const where = after(sort, key, 's04', params);
      const { rows } = await db.query<{ id: string }>(`SELECT id FROM t WHERE ${where} ORDER BY ${orderBy(sort)} LIMIT 2`, params.values);
      expect(rows.map((r) => r.id)).toEqual(['s05', 's06']);
    }
  });
  it('a hostile cursor key or id is a bound parameter, never SQL text', async () => {
    const hostile = "a'; drop table t;--";
    for (const sortText of ['name', '-created_by', 'id']) {
      const sort = compileSort(sortText, fields);
      const params = new SqlParams();
      const where = after(sort, hostile, hostile, params);
      expect(where).not.toContain(hostile);
      await db.query(`SELECT id FROM t WHERE ${where} ORDER BY ${orderBy(sort)}`, params.values);
    }
    const params = new SqlParams();
    const statement = compileDistinct('tags', fields, params).select('t', 'TRUE', hostile, 10);
    expect(statement).not.toContain(hostile);
    await db.query(statement, params.values);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(30);
  });
  it('sortKeyOf reads own fields only, and never indexes into arrays', () => {
    expect(sortKeyOf(compileSort('meta.rank', fields), { id: 'x', meta: { rank: 2 } })).toBe(2);
    expect(sortKeyOf(compileSort('toString', fields), { id: 'x' })).toBeNull();
    expect(sortKeyOf(compileSort('tags.0', fields), { id: 'x', tags: ['a'] })).toBeNull();
    expect(sortKeyOf(compileSort('rank', fields), { id: 'x' })).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// distinct

async function distinct(field: unknown, opts: { query?: unknown; after?: unknown; limit?: number } = {}): Promise<unknown[]> {
  const params = new SqlParams();
  const where = compileFilter(opts.query, fields, params);
  const statement = compileDistinct(field, fields, params).select('t', where, opts.after, opts.limit ?? 1000);
  const { rows } = await db.query<{ value: unknown }>(statement, params.values);
  return rows.map((r) => r.value);
}

/** Distinct values the JS way: array fields contribute their elements, null is no value. */
function expectedDistinct(values: unknown[]): unknown[] {
  const flat = values.flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v) => v !== undefined && v !== null);
  return [...new Set(flat)].sort(jsonOrder);
}

describe('distinct', () => {
  it('lists the values of a scalar field ascending, without null or missing', async () => {
    const names = await distinct('name');
    expect(names).toEqual(expectedDistinct(SEED.map((r) => r.data.name)));
    expect(names.slice(0, 3)).toEqual(['Banana', 'Ice', 'apple']);
  });
  it('counts the elements of an array field one by one (a scalar counts as itself)', async () => {
    const tags = await distinct('tags');
    expect(tags).toEqual(expectedDistinct(SEED.map((r) => r.data.tags)));
    expect(tags).toContain('green');
    expect(tags).not.toContain(null);
  });
  it('orders mixed types as the sort does: strings before numbers', async () => {
    expect(await distinct('rank')).toEqual(expectedDistinct(SEED.map((r) => r.data.rank)));
    expect((await distinct('rank'))[0]).toBe('high');
  });
  it('reads through arrays of objects when the schema declares the array', async () => {
    expect(await distinct('items.name')).toEqual(['bag', 'box', 'crate']);
  });
  it('works on built-in columns', async () => {
    expect(await distinct('created_by')).toEqual([ann, bob, carol, dan]);
    const dates = await distinct('created_date');
    expect(dates).toEqual([...new Set(SEED.map((r) => r.created_date))].sort());
  });
  it('honours the query', async () => {
    const inA = SEED.filter((r) => r.data.category === 'a');
    expect(await distinct('tags', { query: { category: 'a' } })).toEqual(expectedDistinct(inA.map((r) => r.data.tags)));
  });
  it('pages with after, returning one row beyond the limit to tell there is more', async () => {
    const all = await distinct('tags');
    const seen: unknown[] = [];
    let last: unknown;
    for (let i = 0; i < 20; i++) {
      const rows = await distinct('tags', { after: last, limit: 3 });
      seen.push(...rows.slice(0, 3));
      if (rows.length <= 3) break;
      expect(rows).toHaveLength(4);
      last = rows[2];
    }
    expect(seen).toEqual(all);
  });
  it('takes one valid field name', () => {
    for (const bad of [undefined, 5, ['tags'], 'a b', "data->>'x'", '__proto__']) {
      badRequestOf(() => compileDistinct(bad, fields, new SqlParams()));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// aggregate

type Row = Record<string, unknown>;

async function aggregate(spec: unknown, kinds: FieldKinds = schemaKinds): Promise<{ rows: Row[]; limit: number }> {
  const params = new SqlParams();
  const plan = compileAggregate(spec, entityFields(kinds), params);
  const { rows } = await db.query<Row>(plan.statement('t', plan.where), params.values);
  return { rows, limit: plan.limit };
}
const rowsOf = async (spec: unknown) => (await aggregate(spec)).rows;
const rejectsSpec = (spec: unknown) => badRequestOf(() => compileAggregate(spec, fields, new SqlParams()));

/** Groups the seed by `key` (missing and null together), ordered as PostgreSQL orders the keys. */
function groups<K>(key: (r: Rec) => K, from: Rec[] = SEED): [K | null, Rec[]][] {
  const map = new Map<string, [K | null, Rec[]]>();
  for (const r of from) {
    const k = key(r) ?? null;
    const id = JSON.stringify(k);
    if (!map.has(id)) map.set(id, [k, []]);
    map.get(id)![1].push(r);
  }
  return [...map.values()].sort(([a], [b]) => jsonOrder(a, b));
}
const nums = (rs: Rec[], f: string) => rs.map((r) => r.data[f]).filter((v): v is number => typeof v === 'number');
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Monday of the ISO week of a zone-less UTC timestamp. */
function weekOf(timestamp: string): string {
  const date = new Date(`${timestamp.slice(0, 10)}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - ((date.getUTCDay() + 6) % 7));
  return date.toISOString().slice(0, 10);
}

describe('aggregate', () => {
  it('counts per group of one field; missing and null form one null group, listed first', async () => {
    const expected = groups((r) => r.data.category as string).map(([category, rs]) => ({ category, count: rs.length }));
    expect(await rowsOf({ groupBy: 'category' })).toEqual(expected);
    expect(expected[0]).toEqual({ category: null, count: 1 });
  });
  it('groups by two fields', async () => {
    const key = (r: Rec) => JSON.stringify([r.data.category ?? null, r.data.region ?? null]);
    const rows = await rowsOf({ groupBy: ['category', 'region'] });
    expect(rows).toHaveLength(new Set(SEED.map(key)).size);
    for (const row of rows) {
      const count = SEED.filter((r) => key(r) === JSON.stringify([row.category, row.region])).length;
      expect(row.count).toBe(count);
    }
    expect(rows.find((r) => r.category === 'a' && r.region === 'north')?.count).toBe(6);
  });
  it('counts everything without a group, and filters with query', async () => {
    expect(await rowsOf({})).toEqual([{ count: 30 }]);
    expect(await rowsOf({ query: { region: 'north' } })).toEqual([{ count: SEED.filter((r) => r.data.region === 'north').length }]);
  });
  it('sums, averages and takes min and max of numbers per group, ignoring non-numbers', async () => {
    const rows = await rowsOf({ groupBy: 'category', sum: 'amount', avg: ['amount'], min: 'amount', max: ['amount', 'rank'] });
    const expected = groups((r) => r.data.category as string);
    expect(rows.map((r) => r.category)).toEqual(expected.map(([k]) => k));
    rows.forEach((row, i) => {
      const amounts = nums(expected[i][1], 'amount');
      expect(row.sum_amount).toBeCloseTo(sum(amounts), 9);
      expect(row.avg_amount).toBeCloseTo(sum(amounts) / amounts.length, 9);
      expect(row.min_amount).toBe(Math.min(...amounts));
      expect(row.max_amount).toBe(Math.max(...amounts));
      const ranks = nums(expected[i][1], 'rank');
      expect(row.max_rank).toBe(ranks.length ? Math.max(...ranks) : null);
    });
    const b = rows.find((r) => r.category === 'b')!;
    expect(b.sum_amount).toBe(sum(nums(SEED.filter((r) => r.data.category === 'b'), 'amount'))); // "12" (a string) is left out
  });
  it('a sum over no numbers is 0, an average over none is null', async () => {
    expect(await rowsOf({ query: { id: 's16' }, sum: 'amount', avg: 'amount', count: false })).toEqual([{ sum_amount: 0, avg_amount: null }]);
  });
  it('min and max of date strings compare as text; of created_date, as zone-less UTC timestamps', async () => {
    const dated = SEED.map((r) => r.data.paid_on).filter((v): v is string => typeof v === 'string' && /^\d/.test(v)).sort();
    expect(await rowsOf({ query: { paid_on: { $regex: '^\\d' } }, min: 'paid_on', max: 'paid_on', count: false })).toEqual([
      { min_paid_on: dated[0], max_paid_on: dated[dated.length - 1] },
    ]);
    expect(await rowsOf({ min: 'created_date', max: 'created_date', count: false })).toEqual([
      { min_created_date: '2024-12-30T08:00:00.000000', max_created_date: '2025-06-30T12:00:00.000000' },
    ]);
  });
  it('countDistinct counts distinct values, null not being one', async () => {
    const rows = await rowsOf({ groupBy: 'region', countDistinct: ['customer', 'name'] });
    for (const [region, rs] of groups((r) => r.data.region as string)) {
      const row = rows.find((r) => r.region === region)!;
      expect(row.count_distinct_customer).toBe(new Set(rs.map((r) => r.data.customer)).size);
      expect(row.count_distinct_name).toBe(new Set(rs.map((r) => r.data.name).filter((n) => n != null)).size);
    }
    expect(await rowsOf({ countDistinct: 'created_by', count: false })).toEqual([{ count_distinct_created_by: 4 }]);
  });
  it('count: false leaves the count out', async () => {
    const rows = await rowsOf({ groupBy: 'region', count: false, sum: 'amount' });
    expect(Object.keys(rows[0])).toEqual(['region', 'sum_amount']);
  });
  it('names measures of dotted fields after the path', async () => {
    const ranks = SEED.map((r) => (r.data.meta as Data | undefined)?.rank).filter((v): v is number => typeof v === 'number');
    expect(await rowsOf({ sum: 'meta.rank', count: false })).toEqual([{ 'sum_meta.rank': sum(ranks) }]);
  });

  describe('dateBucket', () => {
    const created = (unit: 'day' | 'week' | 'month' | 'year') => (r: Rec) =>
      unit === 'week' ? weekOf(r.created_date) : r.created_date.slice(0, { day: 10, month: 7, year: 4 }[unit]);

    it.each(['day', 'week', 'month', 'year'] as const)('buckets created_date by UTC %s', async (unit) => {
      const expected = groups(created(unit)).map(([bucket, rs]) => ({ created_date: bucket, count: rs.length }));
      expect(await rowsOf({ dateBucket: { field: 'created_date', unit } })).toEqual(expected);
    });
    it('weeks start on Monday', async () => {
      const rows = await rowsOf({ dateBucket: { field: 'created_date', unit: 'week' }, query: { id: { $in: ['s01', 's05'] } } });
      expect(rows).toEqual([{ created_date: '2024-12-30', count: 2 }]);
    });
    it('buckets in UTC whatever the session time zone', async () => {
      await db.exec(`SET TIME ZONE 'Asia/Tokyo'`);
      try {
        const expected = groups(created('day')).map(([bucket, rs]) => ({ created_date: bucket, count: rs.length }));
        expect(await rowsOf({ dateBucket: { field: 'created_date', unit: 'day' } })).toEqual(expected);
      } finally {
        await db.exec(`SET TIME ZONE 'UTC'`);
      }
    });
    it.each([['day', 10], ['month', 7], ['year', 4]] as const)('buckets a date-string field by %s (non-dates in the null bucket)', async (unit, length) => {
      const bucket = (r: Rec) => {
        const v = r.data.paid_on;
        return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, length) : null;
      };
      const expected = groups(bucket).map(([paid_on, rs]) => ({ paid_on, count: rs.length }));
      expect(await rowsOf({ dateBucket: { field: 'paid_on', unit } })).toEqual(expected);
      expect(expected[0]).toEqual({ paid_on: null, count: 4 });
    });
    it('groups by a field and a bucket together', async () => {
      const rows = await rowsOf({ groupBy: 'region', dateBucket: { field: 'created_date', unit: 'year' } });
      expect(rows).toContainEqual({ region: 'north', created_date: '2024', count: 2 });
      expect(sum(rows.map((r) => r.count as number))).toBe(30);
    });
    it('week on a data field, a bucket on a non-date column, or an unknown unit is a 400', () => {
      rejectsSpec({ dateBucket: { field: 'paid_on', unit: 'week' } });
      rejectsSpec({ dateBucket: { field: 'created_by', unit: 'day' } });
      rejectsSpec({ dateBucket: { field: 'created_date', unit: 'hour' } });
      rejectsSpec({ dateBucket: { field: 'created_date', unit: "day', now()) --" } });
      rejectsSpec({ dateBucket: { field: 'created_date' } });
      rejectsSpec({ dateBucket: 'created_date' });
    });
  });

  describe('having, sort and limit', () => {
    it('having filters groups on their count', async () => {
      const expected = groups((r) => r.data.category as string)
        .filter(([, rs]) => rs.length > 1)
        .map(([category, rs]) => ({ category, count: rs.length }));
      expect(await rowsOf({ groupBy: 'category', having: { count: { $gt: 1 } } })).toEqual(expected);
    });
    it('having filters on group fields and measures', async () => {
      expect(await rowsOf({ groupBy: 'category', having: { category: { $in: ['a', 'c'] } }, count: false })).toEqual([
        { category: 'a' },
        { category: 'c' },
      ]);
      const rows = await rowsOf({ groupBy: 'category', sum: 'amount', having: { sum_amount: { $gte: 70 } } });
      expect(rows.map((r) => r.category)).toEqual(
        groups((r) => r.data.category as string).filter(([, rs]) => sum(nums(rs, 'amount')) >= 70).map(([k]) => k),
      );
    });
    it('sort -count puts the largest groups first, ties in group order', async () => {
      const expected = groups((r) => r.data.customer as string)
        .map(([customer, rs]) => ({ customer, count: rs.length }))
        .sort((a, b) => b.count - a.count || jsonOrder(a.customer, b.customer));
      expect(await rowsOf({ groupBy: 'customer', sort: '-count' })).toEqual(expected);
      expect(expected[0]).toEqual({ customer: 'c1', count: 10 });
    });
    it('sorts ascending on a measure', async () => {
      const rows = await rowsOf({ groupBy: 'region', sum: 'amount', sort: 'sum_amount', count: false });
      const sums = rows.map((r) => r.sum_amount as number);
      expect(sums).toEqual([...sums].sort((a, b) => a - b));
    });
    it('returns limit + 1 rows so the caller can tell the result was truncated', async () => {
      const { rows, limit } = await aggregate({ groupBy: 'customer', sort: '-count', limit: 2 });
      expect(limit).toBe(2);
      expect(rows).toHaveLength(3);
      expect((await aggregate({ groupBy: 'category' })).limit).toBe(MAX_AGGREGATE_ROWS);
    });
    it('rejects unknown having fields, unknown sorts and bad limits', () => {
      rejectsSpec({ groupBy: 'category', having: { total: { $gt: 1 } } });
      rejectsSpec({ groupBy: 'category', having: { amount: 1 } });
      rejectsSpec({ groupBy: 'category', having: { $where: '1' } });
      rejectsSpec({ groupBy: 'category', sort: '-total' });
      rejectsSpec({ groupBy: 'category', sort: '-count; drop table t' });
      rejectsSpec({ groupBy: 'category', sort: 5 });
      for (const limit of [0, -1, 1.5, MAX_AGGREGATE_ROWS + 1, '10']) rejectsSpec({ groupBy: 'category', limit });
    });
  });

  it('rejects unknown options and malformed specs', () => {
    rejectsSpec({ groupBy: 'category', pipeline: [] });
    rejectsSpec({ $group: { _id: '$category' } });
    rejectsSpec(null);
    rejectsSpec([{ groupBy: 'category' }]);
    rejectsSpec('category');
    rejectsSpec({ groupBy: ['a', 'b', 'c', 'd', 'e'] });
    rejectsSpec({ groupBy: [5] });
    rejectsSpec({ groupBy: "category'; drop table t; --" });
    rejectsSpec({ sum: 'a"b' });
    rejectsSpec({ count: false });
    rejectsSpec({ groupBy: 'count' }); // clashes with the count output
    rejectsSpec({ query: { $where: 'x' } });
  });
  it('keeps hostile values in parameters; the table survives', async () => {
    const hostile = "a'; drop table t;--";
    const params = new SqlParams();
    const plan = compileAggregate({ query: { category: hostile }, groupBy: 'region', having: { region: hostile } }, fields, params);
    const sql = plan.statement('t', plan.where);
    expect(sql).not.toContain(hostile);
    expect((await db.query(sql, params.values)).rows).toEqual([]);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(30);
  });
});
