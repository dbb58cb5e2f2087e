// How compilers name the things a query can touch: built-in columns or paths into the `data` JSON.
// Every identifier that reaches SQL text passes through here and is checked against a strict pattern.

import { badRequest } from '../errors.js';

export type ColumnType = 'text' | 'timestamp';

/** Built-in record columns; everything else lives in `data`. */
export const BUILTIN_COLUMNS: Readonly<Record<string, ColumnType>> = {
  id: 'text',
  created_date: 'timestamp',
  updated_date: 'timestamp',
  created_by: 'text',
  created_by_id: 'text',
};

/** The built-in column named `path`, if any (own keys only: `toString` is a data field, not a column). */
export function builtinColumn(path: string): ColumnType | undefined {
  return Object.hasOwn(BUILTIN_COLUMNS, path) ? BUILTIN_COLUMNS[path] : undefined;
}

export type ValueKind = 'array' | 'object' | 'string' | 'number' | 'boolean' | 'unknown';

/** What the compilers know of an entity: the kind of value found at a field path. */
export type FieldKinds = (path: string) => ValueKind;
export const unknownKinds: FieldKinds = () => 'unknown';

/** A field as SQL sees it: a typed built-in column or a JSON expression. */
export type FieldRef =
  | { type: 'column'; column: ColumnType; sql: string }
  | {
      type: 'json';
      kind: ValueKind;
      sql: string;
      containment?: (value: unknown) => unknown;
      /**
       * Set when the path runs through an array (`items.name` with `items` an array): a set-returning
       * SQL expression of every value at the path, one per element, as MongoDB reads such paths.
       * `sql` is then only meaningful where no array is crossed.
       */
      candidates?: string;
    };

export interface FieldResolver {
  resolve(path: string): FieldRef;
}

const SEGMENT = /^[A-Za-z0-9_]{1,64}$/;
const MAX_SEGMENTS = 8;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export function splitPath(path: unknown): string[] {
  if (typeof path !== 'string' || path.length === 0) throw badRequest('A field name must be a non-empty string');
  const segments = path.split('.');
  if (segments.length > MAX_SEGMENTS || !segments.every((s) => SEGMENT.test(s) && !FORBIDDEN_SEGMENTS.has(s))) {
    throw badRequest(`Invalid field name: ${JSON.stringify(path).slice(0, 80)}`);
  }
  return segments;
}

/** `root->'a'->'b'`; segments are pre-validated, so quoting them as literals is safe. */
export function jsonPath(root: string, segments: string[]): string {
  return segments.reduce((sql, segment) => `${sql}->'${segment}'`, root);
}

/**
 * Every value at a path, stepping into each element of arrays met on the way (SQL/JSON lax mode);
 * an array at the end of the path is one value. Segments are pre-validated, so quoting them is safe.
 */
function laxPathValues(root: string, segments: string[]): string {
  return `jsonb_path_query(${root}, 'lax $${segments.map((s) => `."${s}"`).join('')}')`;
}

/** Wraps a value into the nested object shape `data @> ...` expects for a path. */
function nest(segments: string[], value: unknown): unknown {
  return segments.reduceRight<unknown>((inner, segment) => ({ [segment]: inner }), value);
}

/**
 * Resolves record fields: built-ins to columns, the rest into the `data` column.
 * Equality on an `indexed` field (one with an expression index on `data->'field'`) compares that
 * expression, which the index serves and has statistics for; other fields use containment on the GIN index.
 */
export function entityFields(kinds: FieldKinds = unknownKinds, indexed: ReadonlySet<string> = new Set()): FieldResolver {
  return {
    resolve(path) {
      const column = builtinColumn(path);
      if (column) return { type: 'column', column, sql: path };
      const segments = splitPath(path);
      const sql = jsonPath('data', segments);
      const throughArray = segments.slice(0, -1).some((_, i) => kinds(segments.slice(0, i + 1).join('.')) === 'array');
      if (throughArray) return { type: 'json', kind: kinds(path), sql, candidates: laxPathValues('data', segments) };
      if (indexed.has(path)) return { type: 'json', kind: kinds(path), sql };
      return { type: 'json', kind: kinds(path), sql, containment: (value) => nest(segments, value) };
    },
  };
}

/** Resolves paths inside one JSON value (array elements in `$elemMatch`). */
export function valueFields(root: string): FieldResolver {
  return {
    resolve(path) {
      return { type: 'json', kind: 'unknown', sql: jsonPath(root, splitPath(path)) };
    },
  };
}
