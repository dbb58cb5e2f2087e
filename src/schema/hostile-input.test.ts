// Tests for request bodies written to hurt: prototype pollution, depth bombs, huge arrays, non-objects.
// Each must end in a clear 400/422 or a harmless record, never a crash, a hang or a polluted process.

import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { compileValidator, normaliseEntityDefinition } from './index.js';

const notes = compileValidator(
  normaliseEntityDefinition(
    {
      name: 'Note',
      properties: {
        title: { type: 'string' },
        constructor: { type: 'string' },
        toString: { type: 'string', default: 'kept' },
        meta: { type: 'object', properties: { tag: { type: 'string' } } },
        tags: { type: 'array', items: { type: 'string' } },
        counts: { type: 'array', items: { type: 'integer' } },
      },
      required: ['title'],
    },
    'note.jsonc',
  ),
);

function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    return err as HttpError;
  }
  throw new Error('expected an HttpError');
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe('a body trying to pollute prototypes', () => {
  it('has its "__proto__" keys dropped, at the top and nested', () => {
    const body = JSON.parse(
      '{"title": "t", "__proto__": {"isAdmin": true}, "meta": {"__proto__": {"polluted": 1}}, "extra": [{"__proto__": {"x": 1}}]}',
    ) as unknown;
    const record = notes.create(body);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).not.toContain('__proto__');
    expect((record as Record<string, unknown>).isAdmin).toBeUndefined();
    expect((record.meta as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(record.meta)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('cannot reach Object.prototype through "constructor" and "prototype"', () => {
    const body = JSON.parse('{"title": "t", "extra": {"constructor": {"prototype": {"polluted": true}}}}') as unknown;
    const record = notes.patch(body);
    expect(record.extra).toEqual({ constructor: { prototype: { polluted: true } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('has fields named like Object members validated as ordinary fields', () => {
    // Absent "constructor" must not be read from the prototype (it would be a Function, not a string).
    expect(notes.create({ title: 't' })).toEqual({ title: 't', toString: 'kept' });
    expect(notes.create({ title: 't', constructor: 5 })).toMatchObject({ constructor: '5' });
    expect(httpError(() => notes.create({ title: 't', constructor: {} })).extra?.errors).toEqual([
      { name: 'constructor', message: 'Input should be a valid string' },
    ]);
  });
});

describe('a deeply nested body', () => {
  it('is accepted up to 64 levels', () => {
    expect(() => notes.create({ title: 't', deep: nested(62) })).not.toThrow();
  });

  it('is rejected beyond 64 levels with a clear 400', () => {
    const err = httpError(() => notes.create({ title: 't', deep: nested(1000) }));
    expect(err.status).toBe(400);
    expect(err.message).toBe('The record is nested too deeply (more than 64 levels)');
  });

  it('is rejected when the nesting is in arrays or in declared fields', () => {
    let arrays: unknown = [];
    for (let i = 0; i < 1000; i++) arrays = [arrays];
    expect(httpError(() => notes.patch({ tags: arrays })).status).toBe(400);
    expect(httpError(() => notes.create({ title: 't', meta: nested(100) })).status).toBe(400);
  });

  it('of 100 000 levels is still a 400, not a stack overflow', () => {
    expect(httpError(() => notes.create({ title: 't', deep: nested(100_000) })).status).toBe(400);
  });
});

describe('a body that is not an object', () => {
  it.each([null, undefined, 'title', 42, true, [{ title: 't' }], new Map()])('(%j) is a 400 naming the problem', (body) => {
    for (const run of [() => notes.create(body), () => notes.patch(body)]) {
      const err = httpError(run);
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/^The record must be a JSON object, got /);
    }
  });

  it('with a null prototype is read like any other object', () => {
    const body = Object.assign(Object.create(null) as Record<string, unknown>, { title: 't' });
    expect(notes.create(body)).toEqual({ title: 't', toString: 'kept' });
  });
});

describe('large arrays', () => {
  it('of 10 000 valid items are validated quickly and copied', () => {
    const tags = Array.from({ length: 10_000 }, (_, i) => `tag${i}`);
    const counts = Array.from({ length: 10_000 }, (_, i) => String(i));
    const started = performance.now();
    const record = notes.create({ title: 't', tags, counts });
    expect(performance.now() - started).toBeLessThan(500);
    expect(record.tags).toEqual(tags);
    expect((record.counts as number[])[9_999]).toBe(9_999);
  });

  it('of 10 000 invalid items give a bounded list of errors', () => {
    const err = httpError(() => notes.create({ title: 't', tags: Array.from({ length: 10_000 }, () => ({})) }));
    expect(err.status).toBe(422);
    expect(err.extra?.errors).toHaveLength(100);
    expect(err.extra?.errors?.[99]).toEqual({ name: 'tags[99]', message: 'Input should be a valid string' });
  });
});

describe('validation speed', () => {
  it('of a typical 10-field record is in the microseconds once compiled', () => {
    const v = compileValidator(
      normaliseEntityDefinition(
        {
          name: 'Typical',
          properties: {
            title: { type: 'string', maxLength: 200 },
            description: { type: 'string' },
            status: { type: 'string', enum: ['todo', 'doing', 'done'], default: 'todo' },
            priority: { type: 'integer', minimum: 1, maximum: 5 },
            due_date: { type: 'string', format: 'date' },
            email: { type: 'string', format: 'email' },
            done: { type: 'boolean' },
            estimate: { type: 'number' },
            labels: { type: 'array', items: { type: 'string' } },
            board_id: { type: 'string' },
          },
          required: ['title'],
        },
        'typical.jsonc',
      ),
    );
    const body = {
      title: 'Write the report',
      description: 'Quarterly numbers',
      status: 'doing',
      priority: '3',
      due_date: '2025-03-01',
      email: 'ada@example.com',
      done: false,
      estimate: 2.5,
      labels: ['work', 'q1'],
      board_id: '65f0c0ffee',
    };
    for (let i = 0; i < 1000; i++) v.create(body);
    const runs = 20_000;
    const started = performance.now();
    for (let i = 0; i < runs; i++) v.create(body);
    const microseconds = ((performance.now() - started) * 1000) / runs;
    // Generous bound for slow CI machines; locally this is a few microseconds.
    expect(microseconds).toBeLessThan(100);
  });
});
