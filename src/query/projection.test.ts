// The `fields` parameter: parsing the list and picking those fields out of records.

import { describe, expect, it } from 'vitest';
import { badRequestOf } from '../../test/support/errors.js';
import { parseFields, project } from './index.js';


const record = {
  id: 'r1',
  created_date: '2025-01-02T03:04:05.123456',
  title: 'Alpha',
  status: null,
  meta: { priority: 'high', owner: { name: 'ann', email: 'a@x.io' }, tags: ['x'] },
  items: [{ name: 'pen', qty: 2 }, { name: 'ink' }, 'loose'],
};

describe('parseFields', () => {
  it('splits a comma-separated list, trimming and dropping blanks and duplicates', () => {
    expect(parseFields('title, status,,title ,meta.priority')).toEqual(['title', 'status', 'meta.priority']);
    expect(parseFields(['title', 'id'])).toEqual(['title', 'id']);
  });
  it('no list means every field', () => {
    for (const none of [undefined, null, '', ' , ']) expect(parseFields(none)).toBeUndefined();
  });
  it('rejects invalid names and non-lists', () => {
    for (const bad of ['a b', 'title,data->>x', "x'; drop table t;--", '__proto__', 'a..b', 'a.b.c.d.e.f.g.h.i', '$where']) {
      badRequestOf(() => parseFields(bad));
    }
    badRequestOf(() => parseFields(5));
    badRequestOf(() => parseFields({ title: 1 }));
    badRequestOf(() => parseFields(['title', 5]));
  });
});

describe('project', () => {
  it('keeps the id always, and only the fields asked for', () => {
    expect(project(record, ['title'])).toEqual({ id: 'r1', title: 'Alpha' });
    expect(project(record, ['created_date', 'status'])).toEqual({ id: 'r1', created_date: record.created_date, status: null });
  });
  it('leaves out fields the record does not have', () => {
    expect(project(record, ['nope', 'meta.nope', 'title.length'])).toEqual({ id: 'r1' });
  });
  it('keeps dotted fields in their nested shape, merging siblings', () => {
    expect(project(record, ['meta.priority', 'meta.owner.name'])).toEqual({
      id: 'r1',
      meta: { priority: 'high', owner: { name: 'ann' } },
    });
    expect(project(record, ['meta', 'meta.priority'])).toEqual({ id: 'r1', meta: record.meta });
  });
  it('steps into arrays of objects as MongoDB does (other elements are dropped)', () => {
    expect(project(record, ['items.name'])).toEqual({ id: 'r1', items: [{ name: 'pen' }, { name: 'ink' }] });
    expect(project(record, ['items.qty', 'items.name'])).toEqual({ id: 'r1', items: [{ qty: 2, name: 'pen' }, { name: 'ink' }] });
  });
  it('never picks Object.prototype members or array properties', () => {
    expect(project(record, ['toString', 'meta.hasOwnProperty', 'meta.tags.length'])).toEqual({ id: 'r1', meta: { tags: [] } });
  });
  it('returns the record itself without a list, and never changes it', () => {
    const copy = structuredClone(record);
    expect(project(record, undefined)).toBe(record);
    project(record, ['meta.owner.name', 'items.name']);
    expect(record).toEqual(copy);
  });
});
