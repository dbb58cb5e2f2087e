// The `fields` parameter: which fields of each record the caller wants back.
// The id always comes back, since apps key their lists on it.

import { badRequest } from '../errors.js';
import { splitPath } from './fields.js';

export function parseFields(fields: unknown): string[] | undefined {
  if (fields === undefined || fields === null || fields === '') return undefined;
  const list = Array.isArray(fields) ? fields : typeof fields === 'string' ? fields.split(',') : null;
  if (!list) throw badRequest('fields must be a comma-separated list of field names');
  const names = list.map((f) => (typeof f === 'string' ? f.trim() : f)).filter((f) => f !== '');
  names.forEach(splitPath);
  return names.length > 0 ? [...new Set(names as string[])] : undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The part of `value` at `path`, in its original shape; undefined when absent. As in MongoDB,
 * a path continues into each object of an array (`items.name` keeps `[{name}, …]`).
 */
function pick(value: unknown, path: string[]): unknown {
  if (path.length === 0) return value;
  if (Array.isArray(value)) {
    return value.filter((element) => isObject(element) || Array.isArray(element)).map((element) => pick(element, path) ?? {});
  }
  if (!isObject(value) || !Object.hasOwn(value, path[0])) return undefined;
  const inner = pick(value[path[0]], path.slice(1));
  return inner === undefined ? undefined : { [path[0]]: inner };
}

/** Combines two picks of one record (`meta.a` and `meta.b`, or `items.name` and `items.qty`). */
function merge(a: unknown, b: unknown): unknown {
  if (isObject(a) && isObject(b)) {
    const out: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = Object.hasOwn(out, key) ? merge(out[key], value) : value;
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return a.map((element, i) => merge(element, b[i]));
  return b;
}

export function project(record: Record<string, unknown>, fields: string[] | undefined): Record<string, unknown> {
  if (!fields) return record;
  let picked: Record<string, unknown> = { id: record.id };
  for (const field of fields) {
    const part = pick(record, field.split('.'));
    if (part !== undefined) picked = merge(picked, part) as Record<string, unknown>;
  }
  return picked;
}
