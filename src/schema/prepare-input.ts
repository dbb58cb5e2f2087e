// Turns a client-supplied record body into the object that gets validated and stored: a fresh copy with
// built-ins stripped, scalars coerced the way Base44 coerces them, and (on create) schema defaults filled in.

import { badRequest } from '../errors.js';
import { BUILTIN_FIELDS } from './definition.js';
import { isPlainObject, type JsonObject } from './json-values.js';
import type { Shape } from './property-schema.js';

export const MAX_INPUT_DEPTH = 64;

/** Top-level keys a client can never set; `_id` is Base44's storage key, stripped the same way. */
export const STRIPPED_KEYS: ReadonlySet<string> = new Set([...BUILTIN_FIELDS, '_id']);

export interface PrepareOptions {
  readonly applyDefaults: boolean;
  /** Patch semantics: an `undefined` required field is an explicit removal, reported like null. */
  readonly undefinedIsNull: boolean;
  readonly definitions: ReadonlyMap<string, Shape>;
}

export interface RecordShape {
  readonly properties: ReadonlyMap<string, Shape>;
  readonly nonNullable: ReadonlySet<string>;
  readonly defaulted: readonly (readonly [string, Shape])[];
}

const NUMERIC = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const OMIT = Symbol('omit');

function tooDeep(): Error {
  return badRequest(`The record is nested too deeply (more than ${MAX_INPUT_DEPTH} levels)`);
}

export function prepareRecord(input: unknown, shape: RecordShape, options: PrepareOptions): JsonObject {
  if (!isPlainObject(input)) {
    const got = input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input;
    throw badRequest(`The record must be a JSON object, got ${got}`);
  }
  return prepareObject(input, shape, options, 1, true);
}

function prepareObject(
  input: JsonObject,
  shape: RecordShape | null,
  options: PrepareOptions,
  depth: number,
  isRecord: boolean,
): JsonObject {
  const out: JsonObject = {};
  for (const key of Object.keys(input)) {
    // Skipped rather than copied: assigning "__proto__" on a plain object would swap its prototype.
    if (key === '__proto__' || (isRecord && STRIPPED_KEYS.has(key))) continue;
    const property = shape?.properties.get(key);
    const value = prepareProperty(input[key], property, shape?.nonNullable.has(key) ?? false, options, depth);
    if (value !== OMIT) out[key] = value;
  }
  // The record's own defaults are filled in after validation (fillDefaults); nested ones belong to the value.
  if (options.applyDefaults && shape !== null && !isRecord) fillDefaults(out, shape, options, depth);
  return out;
}

/**
 * Fills absent fields from schema defaults. Walking the default copies it, so records never share (or
 * mutate) the definition's default object, and coerces it like client input.
 */
export function fillDefaults(out: JsonObject, shape: RecordShape, options: PrepareOptions, depth = 1): JsonObject {
  for (const [key, property] of shape.defaulted) {
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      out[key] = prepareValue(property.defaultValue, property, options, depth + 1);
    }
  }
  return out;
}

function prepareProperty(
  value: unknown,
  shape: Shape | undefined,
  nonNullable: boolean,
  options: PrepareOptions,
  depth: number,
): unknown {
  if (value === undefined) return options.undefinedIsNull && nonNullable && depth === 1 ? null : OMIT;
  if (value === '' && !nonNullable && shape !== undefined && resolve(shape, options).emptyStringIsNull) return null;
  return prepareValue(value, shape, options, depth + 1);
}

/** Follows `$ref` to the shape that carries the types, items and properties. */
function resolve(shape: Shape, options: PrepareOptions): Shape {
  let current = shape;
  // Bounded: a definition referring to itself must not loop here.
  for (let hops = 0; current.ref !== null && hops < 16; hops++) {
    if (current.types !== null || current.properties !== null || current.items !== null) break;
    const target = options.definitions.get(current.ref);
    if (target === undefined) break;
    current = target;
  }
  return current;
}

function prepareValue(value: unknown, shape: Shape | undefined, options: PrepareOptions, depth: number): unknown {
  const resolved = shape === undefined ? undefined : resolve(shape, options);
  if (typeof value !== 'object' || value === null) {
    return resolved?.types ? coerce(value, resolved.types) : value;
  }
  // Internal callers (backend functions through the SDK) may hand over Dates; store what JSON would.
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (depth > MAX_INPUT_DEPTH) throw tooDeep();
  if (Array.isArray(value)) {
    const items = resolved?.items ?? null;
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const itemShape = items === null ? undefined : Array.isArray(items) ? (items as Shape[])[i] : (items as Shape);
      const item: unknown = value[i];
      out[i] = item === undefined ? null : prepareValue(item, itemShape, options, depth + 1);
    }
    return out;
  }
  return prepareObject(value as JsonObject, resolved?.properties ? (resolved as RecordShape) : null, options, depth, false);
}

/**
 * Base44 coerces where it can: numeric strings into numbers, "true"/"false" into booleans, numbers into
 * strings. Values the schema already accepts are left alone, and arrays/objects are never produced.
 */
export function coerce(value: unknown, types: ReadonlySet<string>): unknown {
  if (typeof value === 'string') {
    if (types.has('string')) return value;
    if ((types.has('number') || types.has('integer')) && NUMERIC.test(value)) {
      const n = Number(value);
      if (Number.isFinite(n) && (types.has('number') || Number.isInteger(n))) return n;
    }
    if (types.has('boolean')) {
      const lower = value.trim().toLowerCase();
      if (lower === 'true') return true;
      if (lower === 'false') return false;
    }
    return value;
  }
  if (typeof value === 'number') {
    if (types.has('number') || (types.has('integer') && Number.isInteger(value))) return value;
    if (types.has('string')) return String(value);
    if (types.has('boolean') && (value === 0 || value === 1)) return value === 1;
  }
  return value;
}
