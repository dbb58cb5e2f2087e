// updateMany's MongoDB update operators, applied in memory to one record's fields.

import { describe, expect, it } from 'vitest';
import { badRequestOf } from '../../test/support/errors.js';
import { applyUpdate, compileUpdate } from './index.js';

const NOW = '2025-01-02T03:04:05.678000';
const update = (fields: Record<string, unknown>, ops: unknown) => applyUpdate(fields, compileUpdate(ops), NOW);

const rejected = (ops: unknown) => badRequestOf(() => compileUpdate(ops));
const failsOn = (fields: Record<string, unknown>, ops: unknown) => badRequestOf(() => update(fields, ops));

describe('$set and plain objects', () => {
  it('sets top-level and dotted fields, creating objects on the way', () => {
    expect(update({ a: 1 }, { $set: { b: 2, 'meta.owner.name': 'ann' } })).toEqual({ a: 1, b: 2, meta: { owner: { name: 'ann' } } });
    expect(update({ meta: { x: 1 } }, { $set: { 'meta.y': 2 } })).toEqual({ meta: { x: 1, y: 2 } });
  });
  it('a plain object without operators is a $set', () => {
    expect(update({ a: 1, b: 1 }, { b: 2, c: [1] })).toEqual({ a: 1, b: 2, c: [1] });
  });
  it('replaces whole values, arrays included', () => {
    expect(update({ tags: ['a', 'b'] }, { $set: { tags: ['c'] } })).toEqual({ tags: ['c'] });
  });
  it('a numeric segment indexes into an array, padding with null as MongoDB does', () => {
    expect(update({ tags: ['a', 'b'] }, { $set: { 'tags.1': 'z' } })).toEqual({ tags: ['a', 'z'] });
    expect(update({ tags: ['a'] }, { $set: { 'tags.3': 'd' } })).toEqual({ tags: ['a', null, null, 'd'] });
    expect(update({ items: [{ n: 1 }] }, { $set: { 'items.0.n': 2 } })).toEqual({ items: [{ n: 2 }] });
  });
  it('will not write a field inside a string or number, nor a name into an array', () => {
    failsOn({ meta: 'text' }, { $set: { 'meta.a': 1 } });
    failsOn({ meta: 5 }, { $inc: { 'meta.a': 1 } });
    failsOn({ tags: ['a'] }, { $set: { 'tags.name': 1 } });
    failsOn({ tags: [] }, { $set: { 'tags.99999999': 1 } });
  });
  it('a null on the way is replaced by an object', () => {
    expect(update({ meta: null }, { $set: { 'meta.a': 1 } })).toEqual({ meta: { a: 1 } });
  });
});

describe('$unset', () => {
  it('removes fields, nested ones too; missing ones are fine', () => {
    expect(update({ a: 1, b: 2, meta: { x: 1, y: 2 } }, { $unset: { a: '', 'meta.x': 1, nope: true, 'no.such': 1 } })).toEqual({
      b: 2,
      meta: { y: 2 },
    });
  });
  it('an array element becomes null (positions are kept)', () => {
    expect(update({ tags: ['a', 'b', 'c'] }, { $unset: { 'tags.1': '' } })).toEqual({ tags: ['a', null, 'c'] });
  });
  it('does not reach Object.prototype members', () => {
    expect(update({ a: 1 }, { $unset: { toString: '' } })).toEqual({ a: 1 });
  });
});

describe('$inc and $mul', () => {
  it('$inc adds, and sets a missing or null field to the amount', () => {
    expect(update({ n: 5, m: 1.5 }, { $inc: { n: 2, m: -0.5, missing: 3, 'deep.count': 1 } })).toEqual({
      n: 7,
      m: 1,
      missing: 3,
      deep: { count: 1 },
    });
    expect(update({ n: null }, { $inc: { n: 4 } })).toEqual({ n: 4 });
  });
  it('$mul multiplies, and sets a missing field to 0', () => {
    expect(update({ n: 3 }, { $mul: { n: 2.5, missing: 7 } })).toEqual({ n: 7.5, missing: 0 });
  });
  it('increments an array element by index', () => {
    expect(update({ scores: [1, 2] }, { $inc: { 'scores.0': 10 } })).toEqual({ scores: [11, 2] });
  });
  it('refuses non-numeric fields and operands', () => {
    failsOn({ n: 'five' }, { $inc: { n: 1 } });
    failsOn({ n: [1] }, { $mul: { n: 2 } });
    rejected({ $inc: { n: '1' } });
    rejected({ $inc: { n: null } });
    rejected({ $mul: { n: Infinity } });
  });
});

describe('$min and $max', () => {
  it('keep the smaller or larger value, and set missing fields', () => {
    expect(update({ lo: 5, hi: 5 }, { $min: { lo: 3, miss: 1 }, $max: { hi: 9 } })).toEqual({ lo: 3, hi: 9, miss: 1 });
    expect(update({ lo: 5, hi: 5 }, { $min: { lo: 8 }, $max: { hi: 1 } })).toEqual({ lo: 5, hi: 5 });
  });
  it('compare ISO date strings as text', () => {
    expect(update({ first: '2025-02-01', last: '2025-02-01' }, { $min: { first: '2025-01-15' }, $max: { last: '2025-03-01' } })).toEqual({
      first: '2025-01-15',
      last: '2025-03-01',
    });
  });
  it('refuse to compare different types', () => {
    failsOn({ n: 'text' }, { $min: { n: 1 } });
    rejected({ $max: { n: true } });
    rejected({ $max: { n: { a: 1 } } });
  });
});

describe('$rename', () => {
  it('moves a value to a new name, nested either side', () => {
    expect(update({ a: 1, meta: { b: 2 } }, { $rename: { a: 'z', 'meta.b': 'top' } })).toEqual({ meta: {}, z: 1, top: 2 });
  });
  it('a missing source leaves the record as it is', () => {
    expect(update({ a: 1 }, { $rename: { nope: 'b' } })).toEqual({ a: 1 });
  });
  it('overwrites the target', () => {
    expect(update({ a: 1, b: 2 }, { $rename: { a: 'b' } })).toEqual({ b: 1 });
  });
  it('takes a valid, writable target that no other operator touches', () => {
    rejected({ $rename: { a: 5 } });
    rejected({ $rename: { a: 'a b' } });
    rejected({ $rename: { a: 'id' } });
    rejected({ $rename: { a: 'created_date' } });
    rejected({ $rename: { a: 'is_sample' } });
    rejected({ $rename: { a: 'a' } });
    rejected({ $rename: { a: 'a.b' } });
    rejected({ $rename: { a: 'b' }, $set: { b: 1 } });
  });
});

describe('$currentDate', () => {
  it('writes the server time', () => {
    expect(update({}, { $currentDate: { seen: true, 'meta.at': { $type: 'date' }, ts: { $type: 'timestamp' } } })).toEqual({
      seen: NOW,
      meta: { at: NOW },
      ts: NOW,
    });
  });
  it('takes true or {$type: "date" | "timestamp"}', () => {
    rejected({ $currentDate: { seen: false } });
    rejected({ $currentDate: { seen: { $type: 'now()' } } });
    rejected({ $currentDate: { seen: '2025-01-01' } });
  });
});

describe('$addToSet', () => {
  it('adds a value that is not there yet', () => {
    expect(update({ tags: ['a'] }, { $addToSet: { tags: 'b' } })).toEqual({ tags: ['a', 'b'] });
    expect(update({ tags: ['a'] }, { $addToSet: { tags: 'a' } })).toEqual({ tags: ['a'] });
    expect(update({}, { $addToSet: { tags: 'a' } })).toEqual({ tags: ['a'] });
  });
  it('with $each adds each missing value once', () => {
    expect(update({ tags: ['a'] }, { $addToSet: { tags: { $each: ['a', 'b', 'b', 'c'] } } })).toEqual({ tags: ['a', 'b', 'c'] });
  });
  it('compares objects and arrays deeply (key order aside)', () => {
    const items = [{ name: 'pen', qty: 1 }];
    expect(update({ items }, { $addToSet: { items: { qty: 1, name: 'pen' } } })).toEqual({ items });
    expect(update({ items }, { $addToSet: { items: { name: 'pen', qty: 2 } } })).toEqual({ items: [...items, { name: 'pen', qty: 2 }] });
    expect(update({ pairs: [[1, 2]] }, { $addToSet: { pairs: { $each: [[1, 2], [2, 1]] } } })).toEqual({ pairs: [[1, 2], [2, 1]] });
  });
  it('refuses a non-array field and unknown modifiers', () => {
    failsOn({ tags: 'a' }, { $addToSet: { tags: 'b' } });
    rejected({ $addToSet: { tags: { $each: 'a' } } });
    rejected({ $addToSet: { tags: { $each: ['a'], $slice: 1 } } });
  });
});

describe('$push', () => {
  it('appends one value, or each of $each', () => {
    expect(update({ list: [1] }, { $push: { list: 2 } })).toEqual({ list: [1, 2] });
    expect(update({ list: [1] }, { $push: { list: [2, 3] } })).toEqual({ list: [1, [2, 3]] });
    expect(update({}, { $push: { list: { $each: [1, 2] } } })).toEqual({ list: [1, 2] });
  });
  it('$position inserts at an index (negative counts from the end)', () => {
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: ['x'], $position: 0 } } })).toEqual({ list: ['x', 1, 2, 3] });
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: ['x', 'y'], $position: 1 } } })).toEqual({ list: [1, 'x', 'y', 2, 3] });
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: ['x'], $position: -1 } } })).toEqual({ list: [1, 2, 'x', 3] });
    expect(update({ list: [1] }, { $push: { list: { $each: ['x'], $position: 99 } } })).toEqual({ list: [1, 'x'] });
  });
  it('$slice keeps the first n, or the last n when negative', () => {
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: [4, 5], $slice: 3 } } })).toEqual({ list: [1, 2, 3] });
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: [4, 5], $slice: -2 } } })).toEqual({ list: [4, 5] });
    expect(update({ list: [1, 2, 3] }, { $push: { list: { $each: [], $slice: 0 } } })).toEqual({ list: [] });
  });
  it('refuses a non-array field and malformed modifiers', () => {
    failsOn({ list: 'x' }, { $push: { list: 1 } });
    rejected({ $push: { list: { $each: 1 } } });
    rejected({ $push: { list: { $each: [1], $position: 'start' } } });
    rejected({ $push: { list: { $each: [1], $slice: 1.5 } } });
    rejected({ $push: { list: { $each: [1], $sort: 1 } } });
    rejected({ $push: { list: { $slice: 1 } } });
  });
});

describe('$pull', () => {
  it('removes every element equal to a value', () => {
    expect(update({ tags: ['a', 'b', 'a'] }, { $pull: { tags: 'a' } })).toEqual({ tags: ['b'] });
    expect(update({ pairs: [[1], [2]] }, { $pull: { pairs: [1] } })).toEqual({ pairs: [[2]] });
  });
  it('removes elements listed in $in', () => {
    expect(update({ tags: ['a', 'b', 'c'] }, { $pull: { tags: { $in: ['a', 'c', 'z'] } } })).toEqual({ tags: ['b'] });
  });
  it('removes elements meeting a condition', () => {
    expect(update({ n: [1, 5, 6, 9] }, { $pull: { n: { $gte: 6 } } })).toEqual({ n: [1, 5] });
    expect(update({ n: [1, 5, 6, 9] }, { $pull: { n: { $gt: 1, $lt: 9 } } })).toEqual({ n: [1, 9] });
    expect(update({ tags: ['a', 'b'] }, { $pull: { tags: { $nin: ['a'] } } })).toEqual({ tags: ['a'] });
  });
  it('matches object elements as a query, so extra fields do not stop it', () => {
    const items = [{ name: 'pen', qty: 1 }, { name: 'ink', qty: 2 }, { name: 'pen', qty: 3 }];
    expect(update({ items }, { $pull: { items: { name: 'pen' } } })).toEqual({ items: [{ name: 'ink', qty: 2 }] });
    expect(update({ items }, { $pull: { items: { name: 'pen', qty: { $gt: 2 } } } })).toEqual({ items: items.slice(0, 2) });
    expect(update({ items: [{ a: { b: 1 } }, { a: { b: 2 } }] }, { $pull: { items: { 'a.b': 2 } } })).toEqual({ items: [{ a: { b: 1 } }] });
  });
  it('a missing field stays missing', () => {
    expect(update({}, { $pull: { tags: 'a' } })).toEqual({});
  });
  it('refuses unsupported conditions', () => {
    rejected({ $pull: { tags: { $where: 'x' } } });
    rejected({ $pull: { tags: { $in: 'a' } } });
    rejected({ $pull: { items: { name: 'x', $gt: 1 } } });
  });
});

describe('an update document is checked before any record is touched', () => {
  it('is a non-empty object of known operators, each with a non-empty object', () => {
    for (const bad of [null, [], 'x', 5, {}, { $set: {} }, { $set: [] }, { $set: 'a' }, { $setOnInsert: { a: 1 } }, { $where: { a: 1 } }, { $toString: { a: 1 } }]) {
      rejected(bad);
    }
  });
  it('may not mix operators with plain fields', () => rejected({ $set: { a: 1 }, b: 2 }));
  it('may not touch one field twice, nor a field and a path inside it', () => {
    rejected({ $set: { a: 1 }, $inc: { a: 1 } });
    rejected({ $set: { meta: {} }, $unset: { 'meta.x': 1 } });
    rejected({ $set: { 'meta.x': 1, meta: {} } });
    expect(update({}, { $set: { 'meta.x': 1 }, $inc: { 'meta.y': 1 } })).toEqual({ meta: { x: 1, y: 1 } });
  });
  it('may not write built-in fields', () => {
    for (const field of ['id', 'created_date', 'updated_date', 'created_by', 'created_by_id', 'is_sample', 'id.x']) {
      rejected({ $set: { [field]: 'x' } });
      rejected({ [field]: 'x' });
    }
  });
  it('fields named like Object.prototype members are ordinary fields', () => {
    expect(update({}, { $set: { toString: 1, valueOf: 2 } })).toEqual({ toString: 1, valueOf: 2 });
  });
  it('refuses invalid or hostile field names', () => {
    for (const field of ['', 'a..b', '__proto__', 'constructor', 'a.__proto__.b', "a'; drop table t;--", '$where', 'a b', 'a.b.c.d.e.f.g.h.i']) {
      rejected({ $set: { [field]: 1 } });
    }
    rejected(JSON.parse('{"$set": {"__proto__": {"polluted": true}}}'));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('applying an update', () => {
  it('does not mutate the input record', () => {
    const record = { n: 1, tags: ['a'], meta: { x: 1 }, items: [{ q: 1 }] };
    const before = structuredClone(record);
    const after = update(record, { $inc: { n: 1 }, $push: { tags: 'b' }, $set: { 'meta.y': 2, 'items.0.q': 5 }, $unset: { 'meta.x': 1 } });
    expect(record).toEqual(before);
    expect(after).toEqual({ n: 2, tags: ['a', 'b'], meta: { y: 2 }, items: [{ q: 5 }] });
  });
  it('records updated by one plan share no objects with it or with each other', () => {
    const plan = compileUpdate({ $set: { meta: { count: 0 } }, $push: { list: { $each: [{ v: 1 }] } } });
    const first = applyUpdate({}, plan, NOW);
    const second = applyUpdate({}, plan, NOW);
    (first.meta as { count: number }).count = 99;
    (first.list as { v: number }[])[0].v = 99;
    expect(second).toEqual({ meta: { count: 0 }, list: [{ v: 1 }] });
    expect(applyUpdate({}, plan, NOW)).toEqual({ meta: { count: 0 }, list: [{ v: 1 }] });
  });
  it('applies operators in the order given', () => {
    expect(update({ a: 1 }, { $rename: { a: 'b' }, $inc: { c: 1 } })).toEqual({ b: 1, c: 1 });
  });
});
