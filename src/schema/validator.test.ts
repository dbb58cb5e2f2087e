// Tests for validating records on create and update, as a Base44 app experiences it through the API:
// what gets rejected (and how the error names the field), what gets coerced, defaulted, kept or stripped.

import { describe, expect, it } from 'vitest';
import { HttpError, type FieldError } from '../errors.js';
import { compileValidator, normaliseEntityDefinition, type RecordValidator } from './index.js';

function validator(raw: Record<string, unknown>): RecordValidator {
  return compileValidator(normaliseEntityDefinition({ name: 'Task', type: 'object', ...raw }, 'task.jsonc'));
}

function fieldErrors(fn: () => unknown): FieldError[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(422);
    expect((err as HttpError).code).toBe('validation_failed');
    return (err as HttpError).extra?.errors ?? [];
  }
  throw new Error('expected a validation error');
}

const taskDefinition = {
  properties: {
    title: { type: 'string', description: 'Task title' },
    description: { type: 'string' },
    status: { type: 'string', enum: ['todo', 'in_progress', 'done'], enumNames: ['To do', 'Doing', 'Done'], default: 'todo' },
    priority: { type: 'string', enum: ['low', 'medium', 'high'], default: 'medium' },
    board_id: { type: 'string' },
    due_date: { type: 'string', format: 'date' },
    labels: { type: 'array', items: { type: 'string' } },
    estimate: { type: 'number', minimum: 0 },
    done: { type: 'boolean', default: false },
  },
  required: ['title'],
};
const tasks = validator(taskDefinition);

describe('a task without a title', () => {
  it('is rejected naming the field', () => {
    expect(fieldErrors(() => tasks.create({ description: 'x' }))).toEqual([{ name: 'title', message: 'Field required' }]);
  });

  it('is rejected with the Base44 message text', () => {
    expect(() => tasks.create({})).toThrow('Error in field title: Field required');
  });

  it('is rejected when the title is explicitly null, on create and on update', () => {
    expect(fieldErrors(() => tasks.create({ title: null }))).toEqual([{ name: 'title', message: 'Field required' }]);
    expect(fieldErrors(() => tasks.patch({ title: null }))).toEqual([{ name: 'title', message: 'Field required' }]);
    expect(fieldErrors(() => tasks.patch({ title: undefined }))).toEqual([{ name: 'title', message: 'Field required' }]);
  });
});

describe('a valid task', () => {
  it('comes back as a new object with defaults applied', () => {
    const input = { title: 'Write tests', labels: ['a'] };
    const record = tasks.create(input);
    expect(record).toEqual({ title: 'Write tests', labels: ['a'], status: 'todo', priority: 'medium', done: false });
    expect(record).not.toBe(input);
    expect(record.labels).not.toBe(input.labels);
    expect(input).toEqual({ title: 'Write tests', labels: ['a'] });
  });

  it('keeps fields the schema does not declare, nested values included', () => {
    const record = tasks.create({ title: 't', color: 'red', meta: { a: [1, { b: 2 }] } });
    expect(record.color).toBe('red');
    expect(record.meta).toEqual({ a: [1, { b: 2 }] });
  });

  it('may leave out a required field that has a default', () => {
    const v = validator({ properties: { status: { type: 'string', default: 'new' } }, required: ['status'] });
    expect(v.create({})).toEqual({ status: 'new' });
    expect(fieldErrors(() => v.create({ status: null }))).toEqual([{ name: 'status', message: 'Field required' }]);
  });

  it('gets defaults coerced, and is not blocked by a default that does not fit its field', () => {
    const v = validator({
      properties: {
        count: { type: 'integer', default: '0' },
        status: { type: 'string', enum: ['a', 'b'], default: '' },
      },
    });
    expect(v.create({})).toEqual({ count: 0, status: '' });
    expect(fieldErrors(() => v.create({ status: '' }))).toEqual([{ name: 'status', message: 'Input should be one of: a, b' }]);
  });

  it('does not get defaults for values the client set, even to null', () => {
    expect(tasks.create({ title: 't', status: 'done', priority: null })).toMatchObject({ status: 'done', priority: null });
  });
});

describe('built-in fields sent by a client', () => {
  it('are silently dropped on create and update', () => {
    const sent = {
      title: 't',
      id: 'abc',
      _id: 'abc',
      created_date: '2020-01-01',
      updated_date: '2020-01-01',
      created_by: 'mallory@example.com',
      created_by_id: 'u1',
      is_sample: true,
    };
    expect(tasks.create(sent)).toEqual({ title: 't', status: 'todo', priority: 'medium', done: false });
    expect(tasks.patch(sent)).toEqual({ title: 't' });
  });

  it('are kept when they are nested (an id inside a list item is ordinary data)', () => {
    expect(tasks.create({ title: 't', links: [{ id: 'x', created_by: 'y' }] }).links).toEqual([{ id: 'x', created_by: 'y' }]);
  });
});

describe('an update', () => {
  it('accepts a partial record without required fields and applies no defaults', () => {
    expect(tasks.patch({ status: 'done' })).toEqual({ status: 'done' });
    expect(tasks.patch({})).toEqual({});
  });

  it('still checks the types and rules of the fields it sends', () => {
    expect(fieldErrors(() => tasks.patch({ status: 'archived', estimate: -1 }))).toEqual([
      { name: 'status', message: 'Input should be one of: todo, in_progress, done' },
      { name: 'estimate', message: 'Input should be greater than or equal to 0' },
    ]);
  });

  it('may clear optional fields with null', () => {
    expect(tasks.patch({ description: null, due_date: null, labels: null, estimate: null })).toEqual({
      description: null,
      due_date: null,
      labels: null,
      estimate: null,
    });
  });

  it('drops optional keys that are undefined', () => {
    expect(tasks.patch({ description: undefined, status: 'done' })).toEqual({ status: 'done' });
  });
});

describe('wrong types', () => {
  const all = validator({
    properties: {
      s: { type: 'string' },
      n: { type: 'number' },
      i: { type: 'integer' },
      b: { type: 'boolean' },
      a: { type: 'array' },
      o: { type: 'object' },
      u: { type: ['string', 'number'] },
    },
  });

  it('are reported with one Base44-style message per field', () => {
    expect(fieldErrors(() => all.create({ s: {}, n: 'abc', i: 1.5, b: 'yes', a: 'x', o: [1], u: true }))).toEqual([
      { name: 's', message: 'Input should be a valid string' },
      { name: 'n', message: 'Input should be a valid number' },
      { name: 'i', message: 'Input should be a valid integer' },
      { name: 'b', message: 'Input should be a valid boolean' },
      { name: 'a', message: 'Input should be a valid array' },
      { name: 'o', message: 'Input should be a valid object' },
      { name: 'u', message: 'Input should be a valid string or number' },
    ]);
  });

  it('are rejected for booleans in string fields (only numbers become strings)', () => {
    expect(fieldErrors(() => all.create({ s: true }))).toEqual([{ name: 's', message: 'Input should be a valid string' }]);
  });
});

describe('coercion, as Base44 does it', () => {
  const typed = validator({
    properties: {
      count: { type: 'integer' },
      price: { type: 'number' },
      active: { type: 'boolean' },
      code: { type: 'string' },
      either: { type: ['number', 'string'] },
      nested: {
        type: 'object',
        properties: { qty: { type: 'integer' }, on: { type: 'boolean' }, ref: { type: 'string' } },
      },
      lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'number' } } } },
      scores: { type: 'array', items: { type: 'number' } },
      list: { type: 'array', items: { type: 'string' } },
    },
  });

  it('turns numeric strings into numbers and integers', () => {
    expect(typed.create({ count: '42', price: '3.5' })).toEqual({ count: 42, price: 3.5 });
    expect(typed.create({ count: ' 7 ', price: '-1e3' })).toEqual({ count: 7, price: -1000 });
    expect(typed.create({ count: '3.0' })).toEqual({ count: 3 });
  });

  it('does not turn a fractional string into an integer', () => {
    expect(fieldErrors(() => typed.create({ count: '3.5' }))).toEqual([{ name: 'count', message: 'Input should be a valid integer' }]);
  });

  it('rejects strings that are not numbers', () => {
    for (const bad of ['abc', '12abc', '0x10', 'NaN', 'Infinity', '1e999']) {
      expect(fieldErrors(() => typed.create({ price: bad }))).toEqual([{ name: 'price', message: 'Input should be a valid number' }]);
    }
  });

  it('turns "true"/"false" into booleans', () => {
    expect(typed.create({ active: 'true' })).toEqual({ active: true });
    expect(typed.create({ active: 'False' })).toEqual({ active: false });
    expect(fieldErrors(() => typed.create({ active: 'yes' }))).toEqual([{ name: 'active', message: 'Input should be a valid boolean' }]);
  });

  it('turns numbers into strings for string fields', () => {
    expect(typed.create({ code: 42 })).toEqual({ code: '42' });
    expect(typed.create({ code: 3.25 })).toEqual({ code: '3.25' });
  });

  it('leaves values alone that a union already accepts', () => {
    expect(typed.create({ either: '42' })).toEqual({ either: '42' });
    expect(typed.create({ either: 42 })).toEqual({ either: 42 });
  });

  it('applies inside nested objects and array items', () => {
    expect(
      typed.create({ nested: { qty: '2', on: 'true', ref: 7 }, lines: [{ qty: '1.5' }, { qty: 2 }], scores: ['1', 2], list: [1, 'a'] }),
    ).toEqual({ nested: { qty: 2, on: true, ref: '7' }, lines: [{ qty: 1.5 }, { qty: 2 }], scores: [1, 2], list: ['1', 'a'] });
  });

  it('never turns arrays into scalars or scalars into arrays', () => {
    expect(fieldErrors(() => typed.create({ price: ['1'], list: 'a', code: ['x'] }))).toEqual([
      { name: 'price', message: 'Input should be a valid number' },
      { name: 'code', message: 'Input should be a valid string' },
      { name: 'list', message: 'Input should be a valid array' },
    ]);
  });

  it('reads "" in an optional number or boolean field as no value', () => {
    expect(typed.create({ price: '', active: '', code: '' })).toEqual({ price: null, active: null, code: '' });
  });

  it('rejects "" in a required number field', () => {
    const v = validator({ properties: { price: { type: 'number' } }, required: ['price'] });
    expect(fieldErrors(() => v.create({ price: '' }))).toEqual([{ name: 'price', message: 'Input should be a valid number' }]);
  });
});

describe('null in a field', () => {
  const v = validator({
    properties: {
      title: { type: 'string' },
      status: { type: 'string', enum: ['a', 'b'] },
      n: { type: 'integer', minimum: 1 },
      tags: { type: 'array', items: { type: 'string' } },
      address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'string' } }, required: ['city'] },
      kind: { const: 'x' },
      choice: { anyOf: [{ type: 'string' }, { type: 'number' }] },
      must: { type: 'string' },
      maybe: { type: 'string', nullable: true },
    },
    required: ['must', 'maybe'],
  });

  it('is accepted for every optional field, whatever its type or rules', () => {
    const record = v.create({
      must: 'x',
      maybe: null,
      title: null,
      status: null,
      n: null,
      tags: null,
      address: null,
      kind: null,
      choice: null,
    });
    expect(record).toMatchObject({ title: null, status: null, n: null, tags: null, address: null, kind: null, choice: null, maybe: null });
  });

  it('is accepted for optional nested fields but not required ones', () => {
    expect(v.create({ must: 'x', maybe: 'y', address: { city: 'Paris', zip: null } }).address).toEqual({ city: 'Paris', zip: null });
    expect(fieldErrors(() => v.create({ must: 'x', maybe: 'y', address: { city: null } }))).toEqual([
      { name: 'address.city', message: 'Field required' },
    ]);
  });

  it('is rejected as an array item', () => {
    expect(fieldErrors(() => v.create({ must: 'x', maybe: 'y', tags: ['a', null] }))).toEqual([
      { name: 'tags[1]', message: 'Input should be a valid string' },
    ]);
  });

  it('is rejected for a required field with "Field required"', () => {
    expect(fieldErrors(() => v.create({ must: null, maybe: 'y' }))).toEqual([{ name: 'must', message: 'Field required' }]);
  });

  it('is rejected for a required field that declares no type', () => {
    const untyped = validator({
      properties: { any: {}, pattern_only: { pattern: '^a' }, nested: { properties: { x: { description: 'x' } }, required: ['x'] } },
      required: ['any', 'pattern_only'],
    });
    expect(untyped.create({ any: 0, pattern_only: 'abc', nested: { x: false } })).toEqual({ any: 0, pattern_only: 'abc', nested: { x: false } });
    expect(fieldErrors(() => untyped.create({ any: null, pattern_only: null, nested: { x: null } }))).toEqual([
      { name: 'any', message: 'Field required' },
      { name: 'pattern_only', message: 'Field required' },
      { name: 'nested.x', message: 'Field required' },
    ]);
  });

  it('is accepted for a required field whose type explicitly includes null', () => {
    const v2 = validator({ properties: { note: { type: ['string', 'null'] } }, required: ['note'] });
    expect(v2.create({ note: null })).toEqual({ note: null });
    expect(fieldErrors(() => v2.create({}))).toEqual([{ name: 'note', message: 'Field required' }]);
  });
});

describe('formats', () => {
  const v = validator({
    properties: {
      day: { type: 'string', format: 'date' },
      at: { type: 'string', format: 'date-time' },
      time: { type: 'string', format: 'time' },
      email: { type: 'string', format: 'email' },
      site: { type: 'string', format: 'uri' },
      host: { type: 'string', format: 'hostname' },
      ip4: { type: 'string', format: 'ipv4' },
      ip6: { type: 'string', format: 'ipv6' },
      uid: { type: 'string', format: 'uuid' },
      re: { type: 'string', format: 'regex' },
      photo: { type: 'string', format: 'file' },
      body: { type: 'string', format: 'richtext' },
      other: { type: 'string', format: 'made-up' },
      needed: { type: 'string', format: 'email' },
    },
  });

  it('accept valid values, including zone-less and microsecond date-times', () => {
    const ok = {
      day: '2025-02-28',
      at: '2025-01-02T03:04:05',
      time: '14:30',
      email: 'ada@example.com',
      site: 'https://example.com/a?b=c',
      host: 'example.com',
      ip4: '192.168.0.1',
      ip6: '::1',
      uid: '123e4567-e89b-12d3-a456-426614174000',
      re: '^a+$',
    };
    expect(v.create(ok)).toEqual(ok);
    for (const at of ['2025-01-02T03:04:05Z', '2025-01-02T03:04:05.123Z', '2025-01-02T03:04:05.123456', '2025-01-02T03:04:05+02:00', '2025-01-02 03:04:05', '2025-01-02T03:04']) {
      expect(v.create({ at }).at).toBe(at);
    }
  });

  it('reject invalid values with "Input should be a valid <format>"', () => {
    const bad = {
      day: '2025-02-30',
      at: '2025-13-02T03:04:05',
      time: '25:00',
      email: 'not-an-email',
      site: 'not a uri',
      host: '-bad-.com',
      ip4: '300.1.1.1',
      ip6: 'gggg::',
      uid: 'not-a-uuid',
      re: '([a-z',
    };
    expect(fieldErrors(() => v.create(bad))).toEqual(
      Object.entries({
        day: 'date',
        at: 'date-time',
        time: 'time',
        email: 'email',
        site: 'uri',
        host: 'hostname',
        ip4: 'ipv4',
        ip6: 'ipv6',
        uid: 'uuid',
        re: 'regex',
      }).map(([name, format]) => ({ name, message: `Input should be a valid ${format}` })),
    );
  });

  it('accept an empty string, which apps send from empty form inputs', () => {
    const empty = { day: '', at: '', time: '', email: '', site: '', host: '', ip4: '', ip6: '', uid: '', re: '' };
    expect(v.create(empty)).toEqual(empty);
  });

  it('accept anything in file, richtext and unknown formats', () => {
    const values = { photo: 'https://cdn/x.png', body: '<p>Hi <b>there</b></p>', other: '¯\\_(ツ)_/¯' };
    expect(v.create(values)).toEqual(values);
  });

  it('leave non-string values to the type check', () => {
    expect(fieldErrors(() => v.create({ email: {} }))).toEqual([{ name: 'email', message: 'Input should be a valid string' }]);
  });
});

describe('enum, pattern and limits', () => {
  const v = validator({
    properties: {
      status: { type: 'string', enum: ['todo', 'done'] },
      level: { type: 'integer', enum: [1, 2, 3] },
      untyped: { enum: ['a', 1, true] },
      code: { type: 'string', pattern: '^[A-Z]{3}-\\d+$' },
      name: { type: 'string', minLength: 2, maxLength: 5 },
      one: { type: 'string', minLength: 1 },
      age: { type: 'integer', minimum: 0, maximum: 150 },
      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
      old: { type: 'number', minimum: 0, exclusiveMinimum: true },
      step: { type: 'number', multipleOf: 5 },
      tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, uniqueItems: true },
      colors: { type: 'array', enum: ['red', 'green'] },
      empty: { type: 'string', enum: [] },
    },
  });

  it('accept values inside the rules, coercing into enums', () => {
    const ok = { status: 'done', level: '2', untyped: true, code: 'ABC-12', name: 'Ada', age: 150, ratio: 0.5, old: 0.1, step: 10, tags: ['a'], colors: ['red', 'green'], empty: 'x' };
    expect(v.create(ok)).toEqual({ ...ok, level: 2 });
  });

  it('reject values outside them with a sentence naming the limit', () => {
    const errors = fieldErrors(() =>
      v.create({
        status: 'archived',
        level: 4,
        untyped: 'b',
        code: 'abc',
        name: 'A',
        one: '',
        age: 200,
        ratio: 1,
        old: 0,
        step: 7,
        tags: ['a', 'a'],
        colors: ['blue'],
      }),
    );
    expect(errors).toEqual([
      { name: 'status', message: 'Input should be one of: todo, done' },
      { name: 'level', message: 'Input should be one of: 1, 2, 3' },
      { name: 'untyped', message: 'Input should be one of: a, 1, true' },
      { name: 'code', message: "String should match pattern '^[A-Z]{3}-\\d+$'" },
      { name: 'name', message: 'String should have at least 2 characters' },
      { name: 'one', message: 'String should have at least 1 character' },
      { name: 'age', message: 'Input should be less than or equal to 150' },
      { name: 'ratio', message: 'Input should be less than 1' },
      { name: 'old', message: 'Input should be greater than 0' },
      { name: 'step', message: 'Input should be a multiple of 5' },
      { name: 'tags', message: 'List should not contain duplicates (items 0 and 1 are identical)' },
      { name: 'colors[0]', message: 'Input should be one of: red, green' },
    ]);
  });

  it('report the upper limits too', () => {
    expect(fieldErrors(() => v.create({ name: 'Adalovelace', tags: ['a', 'b', 'c'], ratio: 0 }))).toEqual([
      { name: 'name', message: 'String should have at most 5 characters' },
      { name: 'ratio', message: 'Input should be greater than 0' },
      { name: 'tags', message: 'List should have at most 2 items' },
    ]);
    expect(fieldErrors(() => v.create({ tags: [] }))).toEqual([{ name: 'tags', message: 'List should have at least 1 item' }]);
  });
});

describe('nested objects and arrays of objects', () => {
  const v = validator({
    properties: {
      address: {
        type: 'object',
        properties: {
          street: { type: 'string' },
          city: { type: 'string', minLength: 1 },
          country: { type: 'string', default: 'NL' },
          geo: { type: 'object', properties: { lat: { type: 'number' }, lng: { type: 'number' } }, required: ['lat', 'lng'] },
        },
        required: ['city'],
      },
      attachments: {
        type: 'array',
        items: {
          type: 'object',
          properties: { name: { type: 'string' }, url: { type: 'string', format: 'uri' }, size: { type: 'integer', default: 0 } },
          required: ['url'],
        },
      },
      settings: {
        type: 'object',
        default: { theme: 'light', flags: ['a'] },
        properties: { theme: { type: 'string' }, flags: { type: 'array', items: { type: 'string' } } },
      },
    },
  });

  it('name nested fields in dotted form and array items with [i]', () => {
    expect(
      fieldErrors(() =>
        v.create({
          address: { city: '', geo: { lat: 'north' } },
          attachments: [{ url: 'https://x.test/a' }, { name: 5 }, { url: 'nope', size: 1.5 }],
        }),
      ),
    ).toEqual([
      { name: 'address.city', message: 'String should have at least 1 character' },
      { name: 'address.geo.lng', message: 'Field required' },
      { name: 'address.geo.lat', message: 'Input should be a valid number' },
      { name: 'attachments[1].url', message: 'Field required' },
      { name: 'attachments[2].url', message: 'Input should be a valid uri' },
      { name: 'attachments[2].size', message: 'Input should be a valid integer' },
    ]);
  });

  it('get defaults for their own fields, in objects and in list items', () => {
    const record = v.create({ address: { city: 'Utrecht' }, attachments: [{ url: 'https://x.test/a' }] });
    expect(record.address).toEqual({ city: 'Utrecht', country: 'NL' });
    expect(record.attachments).toEqual([{ url: 'https://x.test/a', size: 0 }]);
  });

  it('are not created just to hold defaults when absent', () => {
    const record = v.create({});
    expect(record).not.toHaveProperty('address');
    expect(record).not.toHaveProperty('attachments');
  });

  it('get object defaults that are never shared between records or with the definition', () => {
    const first = v.create({});
    const second = v.create({});
    expect(first.settings).toEqual({ theme: 'light', flags: ['a'] });
    expect(first.settings).not.toBe(second.settings);
    (first.settings as { flags: string[] }).flags.push('mutated');
    expect(v.create({}).settings).toEqual({ theme: 'light', flags: ['a'] });
    expect(second.settings).toEqual({ theme: 'light', flags: ['a'] });
  });

  it('keep undeclared nested keys', () => {
    expect(v.create({ address: { city: 'X', note: { a: 1 } } }).address).toEqual({ city: 'X', country: 'NL', note: { a: 1 } });
  });

  it('are replaced whole on update, so their required fields still apply', () => {
    expect(fieldErrors(() => v.patch({ address: { street: 'Main' } }))).toEqual([{ name: 'address.city', message: 'Field required' }]);
  });
});

describe('schemas using $ref and combinators', () => {
  const v = validator({
    definitions: {
      Address: { type: 'object', properties: { city: { type: 'string' }, zip: { type: 'integer' } }, required: ['city'] },
      Node: { type: 'object', properties: { label: { type: 'string' }, children: { type: 'array', items: { $ref: '#/definitions/Node' } } } },
    },
    properties: {
      home: { $ref: '#/definitions/Address' },
      tree: { $ref: '#/definitions/Node' },
      contact: { anyOf: [{ type: 'string', format: 'email' }, { type: 'integer' }] },
      exactly: { oneOf: [{ type: 'string' }, { type: 'number' }] },
    },
  });

  it('validate and coerce through references, recursive ones included', () => {
    expect(v.create({ home: { city: 'Oslo', zip: '123' }, tree: { label: 1, children: [{ label: 'b', children: [] }] } })).toEqual({
      home: { city: 'Oslo', zip: 123 },
      tree: { label: '1', children: [{ label: 'b', children: [] }] },
    });
    expect(fieldErrors(() => v.create({ home: { zip: 1 }, tree: { children: [{ label: {} }] } }))).toEqual([
      { name: 'home.city', message: 'Field required' },
      { name: 'tree.children[0].label', message: 'Input should be a valid string' },
    ]);
  });

  it('check anyOf and oneOf', () => {
    expect(v.create({ contact: 'a@b.co', exactly: 'x' })).toEqual({ contact: 'a@b.co', exactly: 'x' });
    expect(fieldErrors(() => v.create({ contact: true })).map((e) => e.name)).toEqual(['contact']);
  });
});

describe('a custom User entity', () => {
  const users = compileValidator(
    normaliseEntityDefinition(
      { name: 'User', properties: { department: { type: 'string' }, level: { type: 'integer', default: 1 } }, required: ['department'] },
      'user.jsonc',
    ),
  );

  it('does not enforce its required fields on create, so sign-up is never blocked', () => {
    expect(users.create({})).toEqual({ level: 1 });
    expect(users.create({ department: null })).toEqual({ department: null, level: 1 });
  });

  it('still checks the types of the fields it declares', () => {
    expect(fieldErrors(() => users.create({ department: {} }))).toEqual([{ name: 'department', message: 'Input should be a valid string' }]);
  });

  it('rejects clearing a required field on update', () => {
    expect(users.patch({ level: '3' })).toEqual({ level: 3 });
    expect(fieldErrors(() => users.patch({ department: null }))).toEqual([{ name: 'department', message: 'Field required' }]);
  });
});

describe('compiled validators', () => {
  it('are reused for the same definition and for identical re-parsed definitions', () => {
    const raw = { name: 'Cached', properties: { a: { type: 'string' } } };
    const def = normaliseEntityDefinition(raw, 'a.jsonc');
    const first = compileValidator(def);
    expect(compileValidator(def)).toBe(first);
    expect(compileValidator(normaliseEntityDefinition(structuredClone(raw), 'b.jsonc'))).toBe(first);
    const changed = normaliseEntityDefinition({ ...raw, properties: { a: { type: 'number' } } }, 'a.jsonc');
    expect(compileValidator(changed)).not.toBe(first);
  });

  it('report every problem of a record at once', () => {
    const errors = fieldErrors(() => tasks.create({ status: 'x', priority: 'y', estimate: 'z', labels: [1, {}] }));
    expect(errors.map((e) => e.name)).toEqual(['title', 'status', 'priority', 'labels[1]', 'estimate']);
  });
});
