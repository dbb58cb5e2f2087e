// Opaque page cursors and the canonical description of a walk they carry.

import { describe, expect, it } from 'vitest';
import { badRequestOf } from '../../test/support/errors.js';
import { decodeCursor, describeWalk, encodeCursor } from './index.js';


describe('cursors', () => {
  it('round-trip their walk, key and id', () => {
    for (const state of [
      { walk: '{"q":{"a":1}}', key: '2025-01-02T03:04:05.123456', id: 'r1' },
      { walk: 'w', key: null, id: 'r2' },
      { walk: 'w', key: { nested: [1, 'two', null] }, id: "o'brien" },
      { walk: 'distinct', key: 'ünïcödé ✓' },
      { walk: 'w', key: 1.5e300, id: '' },
    ]) {
      const cursor = encodeCursor(state);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe as is
      expect(decodeCursor(cursor)).toEqual(state);
    }
  });
  it.each([
    ['garbage', '!!!not base64!!!'],
    ['base64 of non-JSON', Buffer.from('hello').toString('base64url')],
    ['a JSON array', Buffer.from('[1,2]').toString('base64url')],
    ['a JSON string', Buffer.from('"x"').toString('base64url')],
    ['no walk', Buffer.from('{"key":1}').toString('base64url')],
    ['no key', Buffer.from('{"walk":"w"}').toString('base64url')],
    ['a numeric id', Buffer.from('{"walk":"w","key":1,"id":5}').toString('base64url')],
    ['a non-string walk', Buffer.from('{"walk":{},"key":1}').toString('base64url')],
    ['an empty string', ''],
    ['too long', 'A'.repeat(8193)],
    ['a number', 5],
    ['an object', { walk: 'w', key: 1 }],
    ['undefined', undefined],
  ])('%s is a 400', (_name, cursor) => {
    badRequestOf(() => decodeCursor(cursor));
  });
});

describe('describeWalk', () => {
  it('is the same whatever the key order, at every depth', () => {
    const a = describeWalk({ q: { status: 'open', meta: { b: 1, a: 2 } }, sort: '-created_date', fields: ['x', 'y'] });
    const b = describeWalk({ fields: ['x', 'y'], sort: '-created_date', q: { meta: { a: 2, b: 1 }, status: 'open' } });
    expect(a).toBe(b);
  });
  it('tells different walks apart (array order counts)', () => {
    expect(describeWalk({ q: { a: 1 } })).not.toBe(describeWalk({ q: { a: 2 } }));
    expect(describeWalk({ fields: ['x', 'y'] })).not.toBe(describeWalk({ fields: ['y', 'x'] }));
    expect(describeWalk({ sort: 'a' })).not.toBe(describeWalk({ sort: '-a' }));
  });
});
