// Answers "what kind of value lives at this field path" from an entity definition, for the query compiler.
// Paths are dotted ("address.city"); like Mongo, a name after an array field looks inside its items.

import type { EntityDefinition } from './definition.js';
import { hasOwn, isPlainObject, type JsonObject } from './json-values.js';

export type FieldKind = 'array' | 'object' | 'string' | 'number' | 'boolean' | 'unknown';

const BUILTIN_KINDS: Record<string, FieldKind> = {
  id: 'string',
  created_date: 'string',
  updated_date: 'string',
  created_by: 'string',
  created_by_id: 'string',
  is_sample: 'boolean',
};
const TYPE_KINDS = new Map<unknown, FieldKind>([
  ['string', 'string'],
  ['binary', 'string'],
  ['number', 'number'],
  ['integer', 'number'],
  ['boolean', 'boolean'],
  ['array', 'array'],
  ['object', 'object'],
]);
// Guards against `$ref` cycles and absurd nesting; real schemas are a few levels deep.
const MAX_HOPS = 32;

function resolve(schema: unknown, definitions: unknown, hops = 0): JsonObject | undefined {
  if (!isPlainObject(schema)) return undefined;
  if (typeof schema.$ref !== 'string' || hops >= MAX_HOPS || schema.type !== undefined) return schema;
  const match = /^#\/definitions\/([^/]+)$/.exec(schema.$ref);
  if (match === null || !isPlainObject(definitions)) return schema;
  const name = match[1].replace(/~1/g, '/').replace(/~0/g, '~');
  return hasOwn(definitions, name) ? resolve(definitions[name], definitions, hops + 1) : schema;
}

function single(kinds: Iterable<FieldKind>): FieldKind {
  const set = new Set(kinds);
  return set.size === 1 ? [...set][0] : 'unknown';
}

function valueKind(value: unknown): FieldKind | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object') return 'object';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return 'number';
  if (typeof value === 'boolean') return 'boolean';
  return 'unknown';
}

function kindOf(raw: unknown, definitions: unknown, hops: number): FieldKind {
  const schema = resolve(raw, definitions);
  if (schema === undefined || hops >= MAX_HOPS) return 'unknown';
  if (schema.type !== undefined) {
    const list = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t) => t !== 'null');
    // A union like ["string", "null"] is a string field; ["string", "number"] has no single kind.
    return list.length === 0 ? 'unknown' : single(list.map((t) => TYPE_KINDS.get(t) ?? 'unknown'));
  }
  if (isPlainObject(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  const values = Array.isArray(schema.enum) ? schema.enum : schema.const !== undefined ? [schema.const] : null;
  if (values !== null) {
    const kinds = values.map(valueKind).filter((k): k is FieldKind => k !== undefined);
    return kinds.length === 0 ? 'unknown' : single(kinds);
  }
  for (const keyword of ['anyOf', 'oneOf'] as const) {
    const branches = schema[keyword];
    if (Array.isArray(branches) && branches.length > 0) {
      return single(branches.map((b) => kindOf(b, definitions, hops + 1)).filter((k) => k !== 'unknown'));
    }
  }
  return 'unknown';
}

function child(raw: unknown, segment: string, definitions: unknown, hops: number): unknown {
  const schema = resolve(raw, definitions);
  if (schema === undefined || hops >= MAX_HOPS) return undefined;
  if (isPlainObject(schema.properties) && hasOwn(schema.properties, segment)) return schema.properties[segment];
  const items = resolve(schema.items, definitions);
  if (items !== undefined) return /^\d+$/.test(segment) ? items : child(items, segment, definitions, hops + 1);
  return undefined;
}

export function fieldKind(def: EntityDefinition, path: string): FieldKind {
  const segments = path.split('.');
  const [first, ...rest] = segments;
  if (!hasOwn(def.properties, first)) {
    return rest.length === 0 && hasOwn(BUILTIN_KINDS, first) ? BUILTIN_KINDS[first] : 'unknown';
  }
  const definitions = def.raw.definitions;
  let schema: unknown = def.properties[first];
  for (const [i, segment] of rest.entries()) {
    schema = child(schema, segment, definitions, i);
    if (schema === undefined) return 'unknown';
  }
  return kindOf(schema, definitions, 0);
}
