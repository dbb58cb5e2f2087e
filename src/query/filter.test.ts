// The filter language, executed: every query is compiled and run on an embedded PostgreSQL (PGlite),
// and its result is compared with what MongoDB returns for the same query, written as a JS predicate.

import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsTable } from '../../test/support/pglite.js';
import { badRequestOf } from '../../test/support/errors.js';
import { ann, bob, carol, dan, type Data, type SeedRow } from '../../test/support/records.js';
import { compileFilter, compileSort, entityFields, orderBy, parseQueryParam, SqlParams } from './index.js';
import type { FieldKinds, ValueKind } from './index.js';

interface Rec extends SeedRow {
  /** Holds a value of another kind than the schema declares (see `schemaKinds`). */
  drift?: true;
}

const at = (day: number, time = '10:00:00.000000') => `2025-01-${String(day).padStart(2, '0')}T${time}`;

// prettier-ignore
const SEED: Rec[] = [
  { id: 'r01', created_date: at(1), created_by: ann, data: { title: 'Alpha', status: 'open', priority: 1, score: 10.5, done: false, labels: ['urgent', 'bug'], scores: [90, 75], items: [{ name: 'pen', qty: 2 }, { name: 'ink', qty: 1 }], meta: { priority: 'high', owner: { name: 'ann' }, level: 1 }, due: '2025-02-01', note: 'first line\nsecond line' } },
  { id: 'r02', created_date: at(1, '12:00:00.000000'), created_by: bob, data: { title: 'beta', status: 'closed', priority: 2, score: -3, done: true, labels: ['feature'], scores: [60], items: [{ name: 'pen', qty: 5 }], meta: { priority: 'low', owner: { name: 'bob' } }, due: '2025-02-15T12:00:00Z' } },
  { id: 'r03', created_date: at(2), created_by: ann, data: { title: 'Gamma', status: 'open', priority: 3, labels: ['urgent'], scores: [], items: [], meta: { priority: 'high' }, due: '2025-03-01' } },
  { id: 'r04', created_date: at(2, '11:00:00.000000'), created_by: carol, drift: true, data: { title: 'delta', status: null, priority: '3', labels: 'urgent', meta: { owner: { name: 'ann' } } } },
  { id: 'r05', created_date: at(3), created_by: null, data: { title: 'Epsilon', priority: null, labels: [], done: false } },
  { id: 'r06', created_date: at(3), created_by: bob, data: { title: 'zeta', status: 'pending', priority: 5, score: 0, labels: ['bug', 'ui'], scores: [100, 55, 80], items: [{ name: 'ink', qty: 3 }, { name: 'pad' }], due: '2025-01-20' } },
  { id: 'r07', created_date: '2025-01-02T03:04:05.123456', created_by: ann, data: { title: 'Eta', status: 'open', priority: 4, labels: [null, 'ops'], meta: null } },
  { id: 'r08', created_date: '2025-01-02T03:04:05.123457', created_by: carol, data: { status: 'closed', priority: 2.5, done: true, labels: ['urgent', 'ops', 'bug'], scores: [75] } },
  { id: 'r09', created_date: at(4), created_by: dan, data: { title: 'theta', status: 'OPEN', priority: 0, score: 99.99, labels: [['nested']], items: [{ name: 'pen', qty: 2 }] } },
  { id: 'r10', created_date: at(5), created_by: ann, data: { title: "O'Brien", status: 'open', priority: -1, labels: ['bug'], meta: { priority: 'low', tags: ['x', 'y'] } } },
  { id: 'r11', created_date: at(6), created_by: bob, drift: true, data: { title: 'Iota', status: 'closed', priority: 10, done: false, meta: { priority: { level: 2 } } } },
  { id: 'r12', created_date: at(7), created_by: dan, data: { title: 'kappa', status: 'open', priority: 3, score: 3, labels: ['Urgent'], due: '2024-12-31' } },
  { id: 'r13', created_date: at(8), created_by: ann, data: { title: 'Lambda', status: 'pending', priority: 7, score: 7.25, done: true, labels: ['feature', 'ui'], items: [{ name: 'pad', qty: 1 }, { name: 'pen', qty: 1 }], due: '2025-02-01T08:30:00Z' } },
  { id: 'r14', created_date: at(9), created_by: bob, data: { title: 'mu', priority: 2, labels: ['bug'], scores: [10, 20, 30] } },
  { id: 'r15', created_date: at(10), created_by: carol, data: { title: 'Nu', status: 'open', priority: 8, done: false, note: 'Line one\nline two' } },
  { id: 'r16', created_date: at(11), created_by: null, data: { title: 'xi', status: 'closed', priority: 1, labels: ['ui'] } },
  { id: 'r17', created_date: at(12), created_by: dan, data: { title: 'Omicron', status: 'open', priority: 6, score: 12, meta: { priority: 'medium', owner: { name: 'cat' } }, due: '2025-03-15' } },
  { id: 'r18', created_date: at(13), created_by: ann, data: { title: 'pi', status: 'pending', priority: 9, labels: ['urgent', 'feature'], scores: [88, 92] } },
  { id: 'r19', created_date: at(14), created_by: bob, data: { title: 'Rho', done: true, items: [{ name: 'ink', qty: 2, extra: true }] } },
  { id: 'r20', created_date: at(15), created_by: carol, data: { title: 'sigma', status: 'open', priority: 4.5, labels: ['ops'] } },
  { id: 'r21', created_date: at(16), created_by: dan, data: { title: 'Tau', status: 'closed', priority: 5, score: -10, labels: ['bug', 'bug'] } },
  { id: 'r22', created_date: at(17), created_by: ann, data: { title: 'upsilon', status: 'open', priority: 1, done: false, due: '2025-01-31' } },
  { id: 'r23', created_date: at(18), created_by: bob, data: { title: 'Phi', status: 'open', priority: 2, labels: ['feature'], scores: [50, 95] } },
  { id: 'r24', created_date: at(19), created_by: null, data: { title: 'chi', priority: 3, note: 'a word boundary here' } },
  { id: 'r25', created_date: at(20), created_by: carol, data: { title: 'Psi', status: 'pending', done: true, labels: ['urgent'] } },
  { id: 'r26', created_date: at(21), created_by: dan, data: { title: 'omega', status: 'open', priority: 6, meta: { priority: 'high', owner: { name: 'dan' } } } },
  { id: 'r27', created_date: at(22), created_by: ann, data: { title: '100', status: 'closed', priority: 100, labels: ['numeric'] } },
  { id: 'r28', created_date: at(23), created_by: bob, data: { title: 'ALPHA', status: 'open', priority: 1, labels: ['bug', 'urgent'] } },
  { id: 'r29', created_date: at(24), created_by: carol, data: { title: 'alpha beta', status: 'open', priority: 2 } },
  { id: 'r30', created_date: at(25), created_by: dan, data: { title: 'Zed', status: 'closed', priority: 3, done: false, labels: ['ui', 'ops'], scores: [70] } },
];

/** What an entity schema would declare; `r04` and `r11` hold other kinds (schema drift). */
const SCHEMA: Record<string, ValueKind> = {
  title: 'string', status: 'string', priority: 'number', score: 'number', done: 'boolean', labels: 'array',
  scores: 'array', items: 'array', meta: 'object', 'meta.priority': 'string', 'meta.owner': 'object',
  'meta.owner.name': 'string', due: 'string', note: 'string', 'items.name': 'string', 'items.qty': 'number',
  'items.extra': 'boolean',
};
const schemaKinds: FieldKinds = (path) => SCHEMA[path] ?? 'unknown';


let db: PGlite;

beforeAll(async () => {
  db = await openRecordsTable(SEED);
});
afterAll(() => db.close());

type Mode = 'unknown kinds' | 'schema kinds';

/** Runs a filter (sorted by id) and returns the matching ids. */
async function select(query: unknown, opts: { kinds?: FieldKinds; sort?: string } = {}): Promise<string[]> {
  const params = new SqlParams();
  const fields = entityFields(opts.kinds);
  const where = compileFilter(query, fields, params);
  const order = orderBy(compileSort(opts.sort ?? 'id', fields));
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM t WHERE ${where} ORDER BY ${order}`, params.values);
  return rows.map((r) => r.id);
}

/** Ids of the seed records for which MongoDB's answer (`predicate`) holds. */
const where = (predicate: (d: Data, r: Rec) => boolean) => SEED.filter((r) => predicate(r.data, r)).map((r) => r.id);

/**
 * Asserts that `query` returns exactly the records `predicate` selects. Under a schema the compiler
 * trusts declared kinds, so records drifting from the schema are left out of the comparison.
 */
async function expectMatches(query: unknown, predicate: (d: Data, r: Rec) => boolean, mode: Mode = 'unknown kinds') {
  const drifting = new Set(SEED.filter((r) => r.drift).map((r) => r.id));
  const keep = (ids: string[]) => (mode === 'schema kinds' ? ids.filter((id) => !drifting.has(id)) : ids);
  const actual = await select(query, { kinds: mode === 'schema kinds' ? schemaKinds : undefined });
  expect(keep(actual)).toEqual(keep(where(predicate)));
}

const compile = (query: unknown, kinds?: FieldKinds) => {
  const params = new SqlParams();
  return { sql: compileFilter(query, entityFields(kinds), params), params: params.values };
};
const rejects = (query: unknown) => badRequestOf(() => compile(query));

// Helpers that read like MongoDB's own rules.
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** MongoDB equality on a field: the value itself, or (for arrays) one of its elements. */
const eq = (v: unknown, x: unknown) => v === x || arr(v).includes(x);
const missingOrNull = (v: unknown) => v === undefined || v === null;
const num = (v: unknown): v is number => typeof v === 'number';
const str = (v: unknown): v is string => typeof v === 'string';
const meta = (d: Data) => (d.meta ?? undefined) as Data | undefined;
const isEqualJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

it('seeds thirty records', async () => {
  expect(await select({})).toHaveLength(30);
});

describe.each<Mode>(['unknown kinds', 'schema kinds'])('equality, with %s', (mode) => {
  it('matches a string exactly and case-sensitively', () =>
    expectMatches({ status: 'open' }, (d) => d.status === 'open', mode));
  it('matches a number only against numbers (not the string "3")', () =>
    expectMatches({ priority: 3 }, (d) => d.priority === 3, mode));
  it('matches fractional and negative numbers', async () => {
    await expectMatches({ priority: 2.5 }, (d) => d.priority === 2.5, mode);
    await expectMatches({ priority: -1 }, (d) => d.priority === -1, mode);
  });
  it('matches booleans, never a missing field', async () => {
    await expectMatches({ done: true }, (d) => d.done === true, mode);
    await expectMatches({ done: false }, (d) => d.done === false, mode);
  });
  it('on an array field, matches the records whose array contains the value', async () => {
    await expectMatches({ labels: 'urgent' }, (d) => eq(d.labels, 'urgent'), mode);
    await expectMatches({ scores: 75 }, (d) => eq(d.scores, 75), mode);
  });
  it('null matches null, a missing field, and an array holding null', async () => {
    await expectMatches({ status: null }, (d) => missingOrNull(d.status), mode);
    await expectMatches({ labels: null }, (d) => missingOrNull(d.labels) || arr(d.labels).includes(null), mode);
    await expectMatches({ 'meta.priority': null }, (d) => missingOrNull(meta(d)?.priority), mode);
  });
  it('follows dotted paths into nested objects', async () => {
    await expectMatches({ 'meta.priority': 'high' }, (d) => meta(d)?.priority === 'high', mode);
    await expectMatches({ 'meta.owner.name': 'ann' }, (d) => (meta(d)?.owner as Data)?.name === 'ann', mode);
    await expectMatches({ 'meta.tags': 'y' }, (d) => eq(meta(d)?.tags, 'y'), mode);
  });
  it('an object matches only an equal object (key order does not matter, extra keys do)', async () => {
    await expectMatches({ meta: { priority: 'high' } }, (d) => isEqualJson(d.meta, { priority: 'high' }), mode);
    expect(await select({ meta: { tags: ['x', 'y'], priority: 'low' } })).toEqual(['r10']);
    expect(await select({ 'meta.priority': { level: 2 } })).toEqual(['r11']);
  });
  it('an object matches an array field holding an equal object', async () => {
    expect(await select({ items: { name: 'pen', qty: 2 } }, { kinds: mode === 'schema kinds' ? schemaKinds : undefined }))
      .toEqual(['r01', 'r09']);
    expect(await select({ items: { name: 'pad' } })).toEqual(['r06']);
    expect(await select({ items: { name: 'ink' } })).toEqual([]);
  });
  it('an array value is any-of (Base44 shorthand for $in)', async () => {
    await expectMatches({ status: ['open', 'pending'] }, (d) => ['open', 'pending'].includes(d.status as string), mode);
    await expectMatches({ labels: ['ui', 'feature'] }, (d) => eq(d.labels, 'ui') || eq(d.labels, 'feature'), mode);
    await expectMatches({ priority: [1, null] }, (d) => d.priority === 1 || missingOrNull(d.priority), mode);
    await expectMatches({ status: [] }, () => false, mode);
  });
  it('a value holding a quote is data, matched exactly', async () => {
    expect(await select({ title: "O'Brien" })).toEqual(['r10']);
  });
  it('matches built-in text columns', async () => {
    await expectMatches({ id: 'r07' }, (_, r) => r.id === 'r07', mode);
    await expectMatches({ created_by: bob }, (_, r) => r.created_by === bob, mode);
    await expectMatches({ created_by: null }, (_, r) => r.created_by === null, mode);
    await expectMatches({ created_by: [ann, null] }, (_, r) => r.created_by === ann || r.created_by === null, mode);
    await expectMatches({ created_by_id: `id-${dan}` }, (_, r) => r.created_by === dan, mode);
  });
  it('several fields in one object must all match', () =>
    expectMatches({ status: 'open', labels: 'bug' }, (d) => d.status === 'open' && eq(d.labels, 'bug'), mode));
});

describe('$eq and $ne', () => {
  it('$eq with an array matches that exact array (order matters) or an element equal to it', async () => {
    expect(await select({ labels: { $eq: ['urgent', 'bug'] } })).toEqual(['r01']);
    expect(await select({ labels: { $eq: ['nested'] } })).toEqual(['r09']);
    expect(await select({ scores: { $eq: [] } })).toEqual(['r03']);
  });
  it('$eq with a scalar is plain equality', () => expectMatches({ labels: { $eq: 'ops' } }, (d) => eq(d.labels, 'ops')));
  it('$eq: null is the null rule', () => expectMatches({ status: { $eq: null } }, (d) => missingOrNull(d.status)));
  it('$ne matches everything else, including missing and null', async () => {
    await expectMatches({ status: { $ne: 'open' } }, (d) => d.status !== 'open');
    await expectMatches({ done: { $ne: true } }, (d) => d.done !== true);
  });
  it('$ne on an array field excludes arrays holding the value', () =>
    expectMatches({ labels: { $ne: 'urgent' } }, (d) => !eq(d.labels, 'urgent')));
  it('$ne: null matches present, non-null values', () =>
    expectMatches({ priority: { $ne: null } }, (d) => !missingOrNull(d.priority)));
  it('$ne on a built-in column matches its nulls', () =>
    expectMatches({ created_by: { $ne: ann } }, (_, r) => r.created_by !== ann));
});

describe('range operators compare like with like', () => {
  it('numbers with numbers, never strings', async () => {
    await expectMatches({ priority: { $gt: 5 } }, (d) => num(d.priority) && d.priority > 5);
    await expectMatches({ priority: { $gte: 2, $lte: 3 } }, (d) => num(d.priority) && d.priority >= 2 && d.priority <= 3);
    await expectMatches({ priority: { $lt: 0 } }, (d) => num(d.priority) && d.priority < 0);
    await expectMatches({ score: { $lte: 0 } }, (d) => num(d.score) && d.score <= 0);
  });
  it('strings with strings, by code point', async () => {
    await expectMatches({ title: { $gt: 'm' } }, (d) => str(d.title) && d.title > 'm');
    await expectMatches({ priority: { $gt: '2' } }, (d) => str(d.priority) && d.priority > '2');
    await expectMatches({ title: { $lt: 5 } }, () => false);
  });
  it('ISO date strings in data compare as text', () =>
    expectMatches(
      { due: { $gte: '2025-02-01', $lt: '2025-03-01' } },
      (d) => str(d.due) && d.due >= '2025-02-01' && d.due < '2025-03-01',
    ));
  it('booleans with booleans', () => expectMatches({ done: { $gt: false } }, (d) => d.done === true));
  it('on an array field, matches when some element is in range', async () => {
    await expectMatches({ scores: { $gt: 90 } }, (d) => arr(d.scores).some((s) => num(s) && s > 90));
    await expectMatches({ labels: { $gte: 'u' } }, (d) => arr(d.labels).some((s) => str(s) && s >= 'u') || (str(d.labels) && d.labels >= 'u'));
  });
  it('each bound may be met by a different element (unlike $elemMatch)', () =>
    expectMatches(
      { scores: { $gte: 80, $lt: 90 } },
      (d) => arr(d.scores).some((s) => num(s) && s >= 80) && arr(d.scores).some((s) => num(s) && s < 90),
    ));
  it('null, objects and arrays are not range bounds', () => {
    rejects({ priority: { $gt: null } });
    rejects({ priority: { $gt: [1] } });
    rejects({ priority: { $lt: { a: 1 } } });
  });
});

describe('built-in timestamps and text columns', () => {
  const micro = '2025-01-02T03:04:05.123456';
  const ts = (r: Rec) => r.created_date;

  it('matches a zone-less timestamp with microseconds, and the same instant with Z', async () => {
    expect(await select({ created_date: micro })).toEqual(['r07']);
    expect(await select({ created_date: `${micro}Z` })).toEqual(['r07']);
    expect(await select({ created_date: '2025-01-02T05:04:05.123456+02:00' })).toEqual(['r07']);
  });
  it('keeps microsecond precision in ranges', async () => {
    expect(await select({ created_date: { $gt: micro, $lt: '2025-01-02T04:00:00' } })).toEqual(['r08']);
    expect(await select({ created_date: { $gte: `${micro}Z`, $lte: '2025-01-02T03:04:05.123457Z' } })).toEqual(['r07', 'r08']);
  });
  it('accepts a bare date as midnight UTC', () =>
    expectMatches({ created_date: { $gte: '2025-01-20', $lt: '2025-01-22' } }, (_, r) => ts(r) >= '2025-01-20' && ts(r) < '2025-01-22'));
  it('updated_date works the same way', () =>
    expectMatches({ updated_date: { $lt: '2025-01-03' } }, (_, r) => ts(r) < '2025-01-03'));
  it('$in and $nin take timestamps in either form', async () => {
    expect(await select({ created_date: { $in: [micro, '2025-01-01T12:00:00Z'] } })).toEqual(['r02', 'r07']);
    await expectMatches({ created_date: { $nin: [`${micro}Z`, at(3)] } }, (_, r) => ![micro, at(3)].includes(ts(r)));
  });
  it('zone-less timestamps mean UTC whatever the session time zone', async () => {
    await db.exec(`SET TIME ZONE 'America/New_York'`);
    try {
      expect(await select({ created_date: micro })).toEqual(['r07']);
      expect(await select({ created_date: { $in: [micro] } })).toEqual(['r07']);
    } finally {
      await db.exec(`SET TIME ZONE 'UTC'`);
    }
  });
  it('rejects what is not a real ISO date or date-time', () => {
    for (const bad of ['yesterday', 'now', '2025-13-01', '2025-02-30', '2025-01-01T25:00', '2025-01-01T10:61', '1 day ago', '', '0000-01-01']) {
      rejects({ created_date: bad });
      rejects({ created_date: { $gt: bad } });
      rejects({ updated_date: { $in: [micro, bad] } });
    }
    rejects({ created_date: 1735689600000 });
    rejects({ created_date: { a: 1 } });
  });
  it('compares id and created_by as text', async () => {
    await expectMatches({ id: { $gt: 'r27' } }, (_, r) => r.id > 'r27');
    await expectMatches({ id: { $in: ['r01', 'r03', 'nope'] } }, (_, r) => ['r01', 'r03'].includes(r.id));
    await expectMatches({ created_by: { $in: [carol, null] } }, (_, r) => r.created_by === carol || r.created_by === null);
    await expectMatches({ created_by: { $nin: [ann, bob] } }, (_, r) => r.created_by !== ann && r.created_by !== bob);
    await expectMatches({ created_by: { $regex: '^[bc]' } }, (_, r) => /^[bc]/.test(r.created_by ?? ''));
    await expectMatches({ created_by: { $exists: false } }, (_, r) => r.created_by === null);
  });
  it('only strings compare with text columns', () => {
    rejects({ id: 5 });
    rejects({ id: { $in: ['r01', 5] } });
    rejects({ created_by: { $gt: true } });
  });
});

describe('$in and $nin', () => {
  it('$in matches any listed value, on scalars and on array elements', async () => {
    await expectMatches({ status: { $in: ['closed', 'pending'] } }, (d) => d.status === 'closed' || d.status === 'pending');
    await expectMatches({ labels: { $in: ['ops', 'numeric'] } }, (d) => eq(d.labels, 'ops') || eq(d.labels, 'numeric'));
    await expectMatches({ priority: { $in: [1, '3'] } }, (d) => d.priority === 1 || d.priority === '3');
  });
  it('$in with null also matches missing and null', () =>
    expectMatches({ status: { $in: [null, 'pending'] } }, (d) => missingOrNull(d.status) || d.status === 'pending'));
  it('$in with objects matches equal objects and array elements', async () => {
    expect(await select({ items: { $in: [{ name: 'pad' }, { qty: 1, name: 'ink' }] } })).toEqual(['r01', 'r06']);
    expect(await select({ meta: { $in: [{ priority: 'high' }] } })).toEqual(['r03']);
  });
  it('$in: [] matches nothing; $nin: [] matches everything', async () => {
    expect(await select({ status: { $in: [] } })).toEqual([]);
    expect(await select({ status: { $nin: [] } })).toHaveLength(30);
  });
  it('$nin matches missing fields and arrays holding none of the values', async () => {
    await expectMatches({ status: { $nin: ['open', 'closed'] } }, (d) => d.status !== 'open' && d.status !== 'closed');
    await expectMatches({ labels: { $nin: ['urgent', 'bug'] } }, (d) => !eq(d.labels, 'urgent') && !eq(d.labels, 'bug'));
  });
  it('$nin with null keeps only present, non-null values', () =>
    expectMatches({ status: { $nin: ['open', null] } }, (d) => !missingOrNull(d.status) && d.status !== 'open'));
  it('a 10,000-value list is one bound parameter', async () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `x${i}`).concat(['r05', 'r17']);
    const compiled = compile({ id: { $in: ids } });
    expect(compiled.params).toHaveLength(1);
    expect(await select({ id: { $in: ids } })).toEqual(['r05', 'r17']);
    const numbers = Array.from({ length: 10_000 }, (_, i) => i + 1000).concat([0, 100]);
    await expectMatches({ priority: { $in: numbers } }, (d) => d.priority === 0 || d.priority === 100);
    await expectMatches({ priority: { $nin: numbers } }, (d) => d.priority !== 0 && d.priority !== 100);
  });
  it('needs an array', () => {
    rejects({ status: { $in: 'open' } });
    rejects({ status: { $nin: { a: 1 } } });
    rejects({ status: { $all: 'open' } });
  });
});

describe('$exists', () => {
  it('true matches present fields, explicit null included', () =>
    expectMatches({ meta: { $exists: true } }, (d) => d.meta !== undefined));
  it('false matches missing fields only', async () => {
    await expectMatches({ meta: { $exists: false } }, (d) => d.meta === undefined);
    await expectMatches({ title: { $exists: false } }, (d) => d.title === undefined);
  });
  it('works on nested paths', () =>
    expectMatches({ 'meta.owner': { $exists: true } }, (d) => meta(d)?.owner !== undefined));
  it('takes a boolean (or a number, as MongoDB)', async () => {
    await expectMatches({ title: { $exists: 0 } }, (d) => d.title === undefined);
    rejects({ title: { $exists: 'yes' } });
  });
});

describe('$regex', () => {
  it('is case-sensitive unless $options has i', async () => {
    await expectMatches({ title: { $regex: '^a' } }, (d) => str(d.title) && /^a/.test(d.title));
    await expectMatches({ title: { $regex: '^a', $options: 'i' } }, (d) => str(d.title) && /^a/i.test(d.title));
  });
  it('matches strings only, never numbers', () =>
    expectMatches({ priority: { $regex: '3' } }, (d) => d.priority === '3'));
  it('on an array field, matches when some element matches', async () => {
    const some = (d: Data, re: RegExp) => arr(d.labels).some((l) => str(l) && re.test(l)) || (str(d.labels) && re.test(d.labels));
    await expectMatches({ labels: { $regex: '^urg' } }, (d) => some(d, /^urg/));
    await expectMatches({ labels: { $regex: '^urg', $options: 'i' } }, (d) => some(d, /^urg/i));
  });
  it('follows MongoDB for newlines: . and $ do not cross lines unless s / m', async () => {
    await expectMatches({ note: { $regex: 'line$' } }, (d) => str(d.note) && /line$/.test(d.note));
    await expectMatches({ note: { $regex: 'line.second' } }, () => false);
    await expectMatches({ note: { $regex: 'line.second', $options: 's' } }, (d) => d.note === 'first line\nsecond line');
    await expectMatches({ note: { $regex: '^line', $options: 'mi' } }, (d) => str(d.note) && /^line/im.test(d.note));
    await expectMatches({ note: { $regex: 'one$', $options: 'm' } }, (d) => str(d.note) && /one$/m.test(d.note));
  });
  it('supports x (extended) and a leading inline (?i)', async () => {
    await expectMatches({ title: { $regex: '^al pha # comment', $options: 'ix' } }, (d) => str(d.title) && /^alpha/i.test(d.title));
    await expectMatches({ title: { $regex: '(?i)^alpha$' } }, (d) => str(d.title) && /^alpha$/i.test(d.title));
  });
  it('reads \\b as a word boundary, as in JavaScript and PCRE', async () => {
    await expectMatches({ note: { $regex: '\\bboundary\\b' } }, (d) => str(d.note) && /\bboundary\b/.test(d.note));
    await expectMatches({ note: { $regex: 'ound\\b' } }, () => false);
    await expectMatches({ title: { $regex: '^[\\w]+\\b$' } }, (d) => str(d.title) && /^[\w]+\b$/.test(d.title));
  });
  it('special characters from a search box are just a pattern', () =>
    expectMatches({ title: { $regex: "O'B" } }, (d) => d.title === "O'Brien"));
  it('$not negates it, matching missing fields too', () =>
    expectMatches({ title: { $not: { $regex: '^a', $options: 'i' } } }, (d) => !(str(d.title) && /^a/i.test(d.title))));
  it('takes a string pattern and the flags i m s x only', () => {
    rejects({ title: { $regex: 5 } });
    rejects({ title: { $regex: {} } });
    rejects({ title: { $regex: 'a', $options: 'g' } });
    rejects({ title: { $regex: 'a', $options: 1 } });
    rejects({ title: { $options: 'i' } });
  });
  it('an invalid PostgreSQL pattern fails in the database with SQLSTATE 2201B (the store maps it to 400)', async () => {
    await expect(select({ title: { $regex: '(' } })).rejects.toMatchObject({ code: '2201B' });
    await expect(select({ title: { $regex: '(?<name>x)' } })).rejects.toMatchObject({ code: '2201B' });
  });
});

describe('$all', () => {
  it('matches arrays holding every value', async () => {
    await expectMatches({ labels: { $all: ['urgent', 'bug'] } }, (d) => eq(d.labels, 'urgent') && eq(d.labels, 'bug'));
    await expectMatches({ scores: { $all: [75] } }, (d) => eq(d.scores, 75));
  });
  it('is the AND of equalities, so a scalar equal to the one value matches too', () =>
    expectMatches({ labels: { $all: ['urgent'] } }, (d) => eq(d.labels, 'urgent')));
  it('$all: [] matches nothing', async () => expect(await select({ labels: { $all: [] } })).toEqual([]));
  it('takes $elemMatch conditions', async () => {
    expect(await select({ items: { $all: [{ $elemMatch: { name: 'pen' } }, { $elemMatch: { name: 'ink' } }] } })).toEqual(['r01']);
    rejects({ items: { $all: [{ $gt: 1 }] } });
  });
});

describe('$size', () => {
  it('matches arrays of that length, never scalars or missing fields', async () => {
    await expectMatches({ labels: { $size: 2 } }, (d) => arr(d.labels).length === 2 && Array.isArray(d.labels));
    await expectMatches({ labels: { $size: 0 } }, (d) => Array.isArray(d.labels) && d.labels.length === 0);
    await expectMatches({ labels: { $size: 1 } }, (d) => Array.isArray(d.labels) && d.labels.length === 1);
    await expectMatches({ title: { $size: 0 } }, () => false);
  });
  it('under $not, matches everything else', () =>
    expectMatches({ labels: { $not: { $size: 0 } } }, (d) => !(Array.isArray(d.labels) && d.labels.length === 0)));
  it('takes a non-negative integer', () => {
    rejects({ labels: { $size: -1 } });
    rejects({ labels: { $size: 1.5 } });
    rejects({ labels: { $size: '2' } });
  });
});

describe('$elemMatch', () => {
  type Item = { name?: string; qty?: number };
  const items = (d: Data) => arr(d.items) as Item[];

  it('needs one element to meet every condition', () =>
    expectMatches(
      { items: { $elemMatch: { name: 'pen', qty: { $gte: 2 } } } },
      (d) => items(d).some((i) => i.name === 'pen' && (i.qty ?? 0) >= 2),
    ));
  it('takes operators on scalar elements', async () => {
    await expectMatches(
      { scores: { $elemMatch: { $gte: 80, $lt: 90 } } },
      (d) => arr(d.scores).some((s) => num(s) && s >= 80 && s < 90),
    );
    await expectMatches({ labels: { $elemMatch: { $eq: 'urgent' } } }, (d) => Array.isArray(d.labels) && d.labels.includes('urgent'));
    await expectMatches({ labels: { $elemMatch: { $in: ['ui', 'ops'] } } }, (d) => arr(d.labels).some((l) => l === 'ui' || l === 'ops'));
  });
  it('takes missing-field, logical and nested conditions on elements', async () => {
    await expectMatches({ items: { $elemMatch: { qty: { $exists: false } } } }, (d) => items(d).some((i) => i.qty === undefined));
    await expectMatches(
      { items: { $elemMatch: { $or: [{ name: 'pad' }, { qty: 5 }] } } },
      (d) => items(d).some((i) => i.name === 'pad' || i.qty === 5),
    );
    expect(await select({ labels: { $elemMatch: { $elemMatch: { $eq: 'nested' } } } })).toEqual(['r09']);
  });
  it('never matches a non-array (nor fails on one)', async () => {
    expect(await select({ title: { $elemMatch: { $eq: 'Alpha' } } })).toEqual([]);
    expect(await select({ meta: { $elemMatch: { priority: 'high' } } })).toEqual([]);
  });
  it('does not apply to built-in columns', () => rejects({ created_by: { $elemMatch: { $eq: ann } } }));
  it('takes an object', () => rejects({ items: { $elemMatch: [{ name: 'pen' }] } }));
});

describe('dotted paths through an array the schema declares (items.name)', () => {
  type Item = { name?: string; qty?: number; extra?: boolean };
  const items = (d: Data) => arr(d.items) as Item[];
  const run = (query: unknown) => select(query, { kinds: schemaKinds });
  const expectThrough = async (query: unknown, predicate: (d: Data) => boolean) =>
    expect(await run(query)).toEqual(where(predicate));

  it('equality matches when some element has the value', async () => {
    await expectThrough({ 'items.name': 'pen' }, (d) => items(d).some((i) => i.name === 'pen'));
    await expectThrough({ 'items.extra': true }, (d) => items(d).some((i) => i.extra === true));
    await expectThrough({ 'items.name': ['pad', 'nothing'] }, (d) => items(d).some((i) => i.name === 'pad'));
  });
  it('operators test each element value', async () => {
    await expectThrough({ 'items.qty': { $gte: 3 } }, (d) => items(d).some((i) => (i.qty ?? 0) >= 3));
    await expectThrough({ 'items.name': { $in: ['ink', 'pad'] } }, (d) => items(d).some((i) => i.name === 'ink' || i.name === 'pad'));
    await expectThrough({ 'items.name': { $regex: '^p' } }, (d) => items(d).some((i) => /^p/.test(i.name ?? '')));
    await expectThrough({ 'items.qty': { $exists: true } }, (d) => items(d).some((i) => i.qty !== undefined));
  });
  it('negations hold when no element has the value, missing arrays included', async () => {
    await expectThrough({ 'items.name': { $ne: 'pen' } }, (d) => !items(d).some((i) => i.name === 'pen'));
    await expectThrough({ 'items.name': { $nin: ['pen', 'ink'] } }, (d) => !items(d).some((i) => i.name === 'pen' || i.name === 'ink'));
    await expectThrough({ 'items.qty': { $exists: false } }, (d) => !items(d).some((i) => i.qty !== undefined));
    await expectThrough({ 'items.qty': { $not: { $lt: 3 } } }, (d) => !items(d).some((i) => (i.qty ?? Infinity) < 3));
  });
  it('null matches when no element holds a non-null value there', () =>
    expectThrough({ 'items.name': null }, (d) => !items(d).some((i) => i.name != null)));
  it('without a schema, a dotted path does not step into arrays (it reads objects only)', async () => {
    expect(await select({ 'items.name': 'pen' })).toEqual([]);
  });
});

describe('field-level $not', () => {
  it('negates its operators and matches missing, null and other-typed values', () =>
    expectMatches({ priority: { $not: { $gt: 3 } } }, (d) => !(num(d.priority) && d.priority > 3)));
  it('combines with other operators on the field', () =>
    expectMatches(
      { priority: { $gte: 1, $not: { $in: [1, 2] } } },
      (d) => num(d.priority) && d.priority >= 1 && d.priority !== 1 && d.priority !== 2,
    ));
  it('takes a non-empty object of operators', () => {
    rejects({ priority: { $not: 3 } });
    rejects({ priority: { $not: {} } });
    rejects({ priority: { $not: { a: 1 } } });
  });
});

describe('$and, $or, $nor', () => {
  it('$or matches either branch', () =>
    expectMatches({ $or: [{ status: 'pending' }, { labels: 'ops' }] }, (d) => d.status === 'pending' || eq(d.labels, 'ops')));
  it('$and needs both, also on one field', () =>
    expectMatches(
      { $and: [{ priority: { $gt: 1 } }, { priority: { $lt: 4 } }] },
      (d) => num(d.priority) && d.priority > 1 && d.priority < 4,
    ));
  it('$nor matches records meeting none of the branches, missing fields included', () =>
    expectMatches({ $nor: [{ status: 'open' }, { done: true }] }, (d) => d.status !== 'open' && d.done !== true));
  it('nests, and mixes built-in columns with data fields', () =>
    expectMatches(
      { $or: [{ $and: [{ created_by: ann }, { priority: { $gte: 3 } }] }, { $nor: [{ title: { $exists: true } }] }], status: { $ne: 'pending' } },
      (d, r) =>
        ((r.created_by === ann && num(d.priority) && d.priority >= 3) || d.title === undefined) && d.status !== 'pending',
    ));
  it('take a non-empty array of objects', () => {
    rejects({ $or: [] });
    rejects({ $and: {} });
    rejects({ $nor: [1] });
    rejects({ $or: [{ status: 'open' }, 'x'] });
  });
  it('an empty query (or none) matches everything', async () => {
    expect(await select({})).toHaveLength(30);
    expect(compile(undefined).sql).toBe('TRUE');
    expect(compile(null).sql).toBe('TRUE');
  });
});

describe('negations match records where the field is missing', () => {
  const noNote = (d: Data) => d.note === undefined;
  it.each([
    ['$ne', { note: { $ne: 'x' } }],
    ['$nin', { note: { $nin: ['x'] } }],
    ['$not', { note: { $not: { $regex: 'line' } } }],
    ['$nor', { $nor: [{ note: { $regex: 'line' } }] }],
  ])('%s', async (_name, query) => {
    const ids = await select(query);
    expect(ids).toEqual(expect.arrayContaining(where(noNote)));
  });
});

describe('parseQueryParam reads the q parameter', () => {
  it('parses one JSON object', () => {
    expect(parseQueryParam('{"status":"open"}')).toEqual({ status: 'open' });
    expect(parseQueryParam(undefined)).toBeUndefined();
    expect(parseQueryParam('')).toBeUndefined();
  });
  it.each([['not json', '{status: open}'], ['an array', '[{"a":1}]'], ['a number', '5'], ['a string', '"open"'], ['null', 'null'], ['a list of q values', ['{}', '{}']]])(
    'rejects %s',
    (_name, q) => {
      badRequestOf(() => parseQueryParam(q));
    },
  );
});

describe('hostile input is rejected or bound as data', () => {
  const injection = "a'; drop table t;--";

  it('a hostile value is a bound parameter that matches nothing; the table survives', async () => {
    expect(await select({ title: injection })).toEqual([]);
    expect(await select({ title: { $in: [injection] } })).toEqual([]);
    expect(await select({ title: { $regex: injection } })).toEqual([]);
    expect(await select({ id: injection })).toEqual([]);
    expect(await select({ 'meta.priority': { $in: [injection] } })).toEqual([]);
    expect(await select({})).toHaveLength(30);
  });
  it.each([
    injection, "data->>'x'", '$where', '__proto__', 'constructor', 'prototype', 'a..b', '', '.a', 'a.',
    'a.b.c.d.e.f.g.h.i', 'title desc', 'a b', 'a"b', 'a-b', 'x'.repeat(65), 'é',
  ])('field name %j is a 400', (field) => {
    rejects({ [field]: 1 });
    rejects({ [field]: { $exists: true } });
  });
  it('__proto__ given as an own key (as JSON.parse makes it) is a 400', () => {
    rejects(JSON.parse('{"__proto__": {"x": 1}}'));
    rejects(JSON.parse('{"meta.__proto__": 1}'));
  });
  it('a field named like an Object.prototype member is an ordinary data field', async () => {
    expect(await select({ toString: 'x' })).toEqual([]);
    expect(await select({ valueOf: { $exists: false } })).toHaveLength(30);
  });
  it.each(['$where', '$expr', '$function', '$text', '$jsonSchema', '$comment', '$accumulator'])('operator %s is a 400', (op) => {
    rejects({ [op]: 'sleep(10)' });
    rejects({ title: { [op]: 'x' } });
  });
  it('a field operator mixed with a plain key is a 400', () => rejects({ title: { $eq: 'x', other: 1 } }));
  it('deep nesting is a 400', () => {
    let deep: Record<string, unknown> = { title: 'x' };
    for (let i = 0; i < 100; i++) deep = { $and: [deep] };
    rejects(deep);
    let nots: Record<string, unknown> = { $eq: 1 };
    for (let i = 0; i < 100; i++) nots = { $not: nots };
    rejects({ priority: nots });
    let elems: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 100; i++) elems = { items: { $elemMatch: elems } };
    rejects(elems);
  });
  it('too many conditions is a 400, also when spread over $elemMatch', () => {
    rejects({ $and: Array.from({ length: 2000 }, (_, i) => ({ priority: i })) });
    rejects(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`f${i}`, i])));
    const wide = Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`f${i}`, i]));
    rejects({ $or: [{ items: { $elemMatch: wide } }, { items: { $elemMatch: wide } }] });
  });
  it('a query that is not an object is a 400', () => {
    for (const q of ['status', 5, true, [{ status: 'open' }]]) rejects(q);
  });
  it('undefined values are a 400', () => rejects({ title: undefined }));
  it('hostile strings appear only in the parameters, never in the SQL text', () => {
    const hostile = [injection, "x') OR 1=1 --", '$$; drop table t; $$', 'E\'\\x27', '"; drop table t; --', 'a\u0000b'];
    for (const value of hostile) {
      const queries = [
        { title: value },
        { title: { $ne: value } },
        { title: { $in: [value, 1] } },
        { title: { $nin: [value] } },
        { title: { $gt: value } },
        { title: { $regex: value, $options: 'i' } },
        { labels: { $all: [value] } },
        { items: { $elemMatch: { name: value } } },
        { scores: { $elemMatch: { $lt: value } } },
        { meta: { owner: { name: value } } },
        { 'items.name': { $in: [value, null] } },
        { 'items.qty': { $not: { $gt: value } } },
        { id: value },
        { created_by: { $in: [value] } },
        { $or: [{ title: value }, { 'meta.priority': value }] },
      ];
      for (const query of queries) {
        for (const kinds of [undefined, schemaKinds]) {
          const { sql, params } = compile(query, kinds);
          expect(sql).not.toContain(value);
          expect(sql).not.toMatch(/drop table|1=1/i);
          expect(params.length).toBeGreaterThan(0);
        }
      }
    }
  });
  it('every hostile query that compiles also runs, and the table is intact', async () => {
    await select({ title: { $in: ["x') OR 1=1 --", null] }, labels: { $all: ['$$; drop table t; $$'] } });
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
    expect(rows[0].n).toBe(30);
  });
});
