// Compiles the SDK's one-field sort (`-field`, `+field`, `field`) into ORDER BY and keyset conditions.
// The record id breaks ties so that every order is total, which cursors need.

import { badRequest } from '../errors.js';
import { SqlParams } from './params.js';
import { FieldResolver } from './fields.js';
import { timestampValue } from './timestamps.js';

export interface Sort {
  field: string;
  descending: boolean;
  /** SQL expression sorted on; never NULL, so row comparisons work for keysets. */
  key: string;
  /** How a cursor's saved key value is bound back into SQL. */
  keyType: 'text' | 'timestamp' | 'json';
}

/** Objects only: SQL's `->'0'` does not index arrays, so neither may the cursor's key. */
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const DEFAULT_SORT = '-created_date';

export function compileSort(sort: unknown, fields: FieldResolver): Sort {
  const text = sort === undefined || sort === null || sort === '' ? DEFAULT_SORT : sort;
  if (typeof text !== 'string') throw badRequest('sort must be a field name, optionally prefixed with - or +');
  const descending = text.startsWith('-');
  const field = text.replace(/^[-+ ]/, '').trim();
  const ref = fields.resolve(field);
  if (ref.type === 'column') {
    const key = ref.column === 'text' && field !== 'id' ? `COALESCE(${ref.sql}, '')` : ref.sql;
    return { field, descending, key, keyType: ref.column };
  }
  // Missing and null sort together, lowest, as in MongoDB: jsonb orders null below every other type.
  return { field, descending, key: `COALESCE(${ref.sql}, 'null'::jsonb)`, keyType: 'json' };
}

export function orderBy(sort: Sort): string {
  const direction = sort.descending ? 'DESC' : 'ASC';
  return `${sort.key} ${direction}, id ${direction}`;
}

/**
 * Rows strictly after the cursor position `(key, id)` in the sort's direction.
 * `key` and `id` come from a client-held cursor, so they are checked here: a forged one is a 400.
 */
export function after(sort: Sort, key: unknown, id: string, params: SqlParams): string {
  if (typeof id !== 'string') throw badRequest('Invalid cursor');
  let bound: string;
  if (sort.keyType === 'json') {
    bound = params.json(key === undefined ? null : key);
  } else if (sort.keyType === 'timestamp') {
    const value = key instanceof Date ? key.toISOString() : key;
    bound = `${params.add(timestampValue(sort.field, value))}::text::timestamptz`;
  } else {
    if (key !== null && key !== undefined && typeof key !== 'string') throw badRequest('Invalid cursor');
    bound = params.add(key ?? '');
  }
  return `(${sort.key}, id) ${sort.descending ? '<' : '>'} (${bound}, ${params.add(id)})`;
}

/** The value a record holds at the sort field, as the cursor saves it. */
export function sortKeyOf(sort: Sort, record: Record<string, unknown>): unknown {
  const value = sort.field.split('.').reduce<unknown>(
    (node, segment) => (isRecord(node) && Object.hasOwn(node, segment) ? node[segment] : undefined),
    record,
  );
  return value === undefined ? null : value;
}
