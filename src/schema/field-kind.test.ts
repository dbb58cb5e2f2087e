// Tests for the kind of value a filter path points at, which the query compiler uses to pick operators.
// Covers plain fields, built-ins, dotted paths into objects and arrays, unions, enums and $ref.

import { describe, expect, it } from 'vitest';
import { fieldKind, normaliseEntityDefinition, type EntityDefinition } from './index.js';

const def = normaliseEntityDefinition(
  {
    name: 'Order',
    definitions: {
      Money: { type: 'object', properties: { amount: { type: 'number' }, currency: { type: 'string' } } },
    },
    properties: {
      title: { type: 'string' },
      file: { type: 'binary' },
      qty: { type: 'integer' },
      price: { type: 'number' },
      paid: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
      meta: { type: 'object' },
      maybe_text: { type: ['string', 'null'] },
      text_or_number: { type: ['string', 'number'] },
      int_or_number: { type: ['integer', 'number'] },
      status: { enum: ['open', 'closed', null] },
      level: { enum: [1, 2] },
      mixed: { enum: ['a', 1] },
      anything: { description: 'no type' },
      only_null: { type: 'null' },
      implicit_object: { properties: { a: { type: 'string' } } },
      implicit_array: { items: { type: 'number' } },
      choice: { anyOf: [{ type: 'string' }, { type: 'null' }] },
      total: { $ref: '#/definitions/Money' },
      address: {
        type: 'object',
        properties: {
          city: { type: 'string' },
          geo: { type: 'object', properties: { lat: { type: 'number' } } },
        },
      },
      lines: {
        type: 'array',
        items: { type: 'object', properties: { sku: { type: 'string' }, qty: { type: 'integer' }, tags: { type: 'array' } } },
      },
    },
  },
  'order.jsonc',
);

describe('the kind of a field', () => {
  it.each([
    ['title', 'string'],
    ['file', 'string'],
    ['qty', 'number'],
    ['price', 'number'],
    ['paid', 'boolean'],
    ['tags', 'array'],
    ['meta', 'object'],
    ['implicit_object', 'object'],
    ['implicit_array', 'array'],
  ])('%s is %s', (path, kind) => {
    expect(fieldKind(def, path)).toBe(kind);
  });

  it.each([
    ['id', 'string'],
    ['created_date', 'string'],
    ['updated_date', 'string'],
    ['created_by', 'string'],
    ['created_by_id', 'string'],
    ['is_sample', 'boolean'],
  ])('of the built-in %s is %s', (path, kind) => {
    expect(fieldKind(def, path)).toBe(kind);
  });

  it('ignores null in unions and is unknown for mixed unions', () => {
    expect(fieldKind(def, 'maybe_text')).toBe('string');
    expect(fieldKind(def, 'int_or_number')).toBe('number');
    expect(fieldKind(def, 'text_or_number')).toBe('unknown');
    expect(fieldKind(def, 'choice')).toBe('string');
    expect(fieldKind(def, 'only_null')).toBe('unknown');
  });

  it('comes from enum values when there is no type', () => {
    expect(fieldKind(def, 'status')).toBe('string');
    expect(fieldKind(def, 'level')).toBe('number');
    expect(fieldKind(def, 'mixed')).toBe('unknown');
  });

  it('is unknown for untyped and undeclared fields', () => {
    expect(fieldKind(def, 'anything')).toBe('unknown');
    expect(fieldKind(def, 'nope')).toBe('unknown');
    expect(fieldKind(def, 'toString')).toBe('unknown');
    expect(fieldKind(def, '__proto__')).toBe('unknown');
    expect(fieldKind(def, '')).toBe('unknown');
  });
});

describe('the kind at a dotted path', () => {
  it('follows nested object properties', () => {
    expect(fieldKind(def, 'address.city')).toBe('string');
    expect(fieldKind(def, 'address.geo')).toBe('object');
    expect(fieldKind(def, 'address.geo.lat')).toBe('number');
    expect(fieldKind(def, 'address.zip')).toBe('unknown');
    expect(fieldKind(def, 'title.length')).toBe('unknown');
    expect(fieldKind(def, 'id.x')).toBe('unknown');
  });

  it('looks inside array items, by index or by field name', () => {
    expect(fieldKind(def, 'tags.0')).toBe('string');
    expect(fieldKind(def, 'lines.sku')).toBe('string');
    expect(fieldKind(def, 'lines.qty')).toBe('number');
    expect(fieldKind(def, 'lines.2.qty')).toBe('number');
    expect(fieldKind(def, 'lines.tags')).toBe('array');
    expect(fieldKind(def, 'lines.0')).toBe('object');
  });

  it('follows $ref into the entity definitions', () => {
    expect(fieldKind(def, 'total')).toBe('object');
    expect(fieldKind(def, 'total.amount')).toBe('number');
    expect(fieldKind(def, 'total.currency')).toBe('string');
  });

  it('terminates on self-referencing definitions (which normalising rejects, but a hand-made one may hold)', () => {
    const tree: EntityDefinition = {
      name: 'Tree',
      properties: { root: { $ref: '#/definitions/Node' } },
      required: [],
      raw: { definitions: { Node: { $ref: '#/definitions/Node' } } },
      version: 'hand-made',
    };
    expect(fieldKind(tree, 'root')).toBe('unknown');
    expect(fieldKind(tree, 'root.a.b')).toBe('unknown');
  });
});
