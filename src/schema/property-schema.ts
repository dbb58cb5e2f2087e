// Checks the field schemas of an entity definition and turns them into "shapes": an ajv-ready schema that
// keeps only validation keywords, plus what record preparation needs (types to coerce to, defaults, nesting).

import { definitionError, type EntityDefinitionError } from './definition-error.js';
import { CHECKED_FORMATS } from './formats.js';
import { describeValue, hasOwn, isPlainObject, type JsonObject } from './json-values.js';

export type JsonSchema = JsonObject | boolean;

export interface Shape {
  /** Sanitised ajv schema of this node; children of objects are already wrapped for null where optional. */
  readonly schema: JsonSchema;
  /** JSON types the value may have (`integer` kept apart from `number`), or null when any type is allowed. */
  readonly types: ReadonlySet<string> | null;
  readonly properties: ReadonlyMap<string, Shape> | null;
  /** Declared properties that may not be null: required and not marked `nullable`. */
  readonly nonNullable: ReadonlySet<string>;
  readonly defaulted: readonly (readonly [string, Shape])[];
  readonly items: Shape | readonly Shape[] | null;
  /** Name in the entity's `definitions` this node refers to. */
  readonly ref: string | null;
  readonly nullable: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  /** "" from an empty number/checkbox input is read as "no value" for optional fields of these types. */
  readonly emptyStringIsNull: boolean;
}

export interface ShapeContext {
  readonly source: string;
  readonly definitionNames: ReadonlySet<string>;
}

// `binary` is documented by Base44 for files; the value stored is the file URL.
const TYPE_ALIASES = new Map([['binary', 'string']]);
const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const COUNT_KEYWORDS = ['minLength', 'maxLength', 'minItems', 'maxItems'] as const;
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const;
// Nested names end up in SQL JSON paths and dotted query paths, so the rule is the same at every level.
export const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REF = /^#\/definitions\/([^/]+)$/;
const MAX_SCHEMA_DEPTH = 32;

/** Wraps a schema so null passes: optional fields accept null in Base44 (apps clear fields that way). */
export function allowNull(schema: JsonSchema): JsonSchema {
  if (schema === true || (typeof schema === 'object' && Object.keys(schema).length === 0)) return schema;
  // if/else rather than adding "null" to `type`: it also covers enum, const, $ref and anyOf without rewriting them.
  return { if: { type: 'null' }, else: schema };
}

/** Makes a required field reject null even when its schema has no `type` that would. */
function rejectNull(schema: JsonSchema): JsonSchema {
  if (schema === false || (typeof schema === 'object' && schema.type !== undefined)) return schema;
  const notNull = { not: { type: 'null' } };
  if (schema === true) return notNull;
  return schema.not === undefined ? { ...schema, ...notNull } : { allOf: [notNull, schema] };
}

/** The `properties` keyword for an object: optional members accept null, required ones never do. */
export function propertiesSchema(
  properties: ReadonlyMap<string, Shape>,
  nonNullable: ReadonlySet<string>,
): JsonObject {
  const out: JsonObject = {};
  for (const [name, shape] of properties) {
    out[name] = nonNullable.has(name) ? rejectNull(shape.schema) : allowNull(shape.schema);
  }
  return out;
}

export function checkPropertyName(name: string, path: string, ctx: ShapeContext): void {
  if (!PROPERTY_NAME.test(name)) {
    throw definitionError(
      ctx.source,
      `property ${JSON.stringify(path)} is not a valid field name: use letters, digits and underscores, not starting with a digit`,
    );
  }
  if (name === '__proto__') {
    throw definitionError(ctx.source, `property ${JSON.stringify(path)} uses a reserved name`);
  }
}

/** Builds the shapes of an object's `properties` and checks its `required` against them. */
export function buildProperties(
  rawProperties: unknown,
  rawRequired: unknown,
  path: string,
  ctx: ShapeContext,
  depth: number,
): { properties: Map<string, Shape>; required: string[] } {
  const where = path === '' ? '' : `${path}.`;
  if (rawProperties !== undefined && rawProperties !== null && !isPlainObject(rawProperties)) {
    throw definitionError(ctx.source, `"${where}properties" must be an object mapping field names to schemas`);
  }
  const properties = new Map<string, Shape>();
  for (const [name, raw] of Object.entries(rawProperties ?? {})) {
    checkPropertyName(name, `${where}${name}`, ctx);
    properties.set(name, buildShape(raw, `${where}${name}`, ctx, depth + 1));
  }
  const required: string[] = [];
  if (rawRequired !== undefined && rawRequired !== null) {
    if (!Array.isArray(rawRequired) || rawRequired.some((r) => typeof r !== 'string')) {
      throw definitionError(ctx.source, `"${where}required" must be an array of field names`);
    }
    for (const name of rawRequired as string[]) {
      if (!properties.has(name)) {
        throw definitionError(ctx.source, `"${where}required" names ${JSON.stringify(name)}, which is not a declared property`);
      }
      if (!required.includes(name)) required.push(name);
    }
  }
  return { properties, required };
}

function fail(ctx: ShapeContext, path: string, problem: string): EntityDefinitionError {
  return definitionError(ctx.source, `property "${path}": ${problem}`);
}

function parseTypes(raw: unknown, path: string, ctx: ShapeContext): Set<string> | null {
  if (raw === undefined || raw === null) return null;
  const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : null;
  if (list === null || list.some((t) => typeof t !== 'string')) {
    throw fail(ctx, path, '"type" must be a type name or an array of type names');
  }
  const types = new Set<string>();
  for (const name of list as string[]) {
    const type = TYPE_ALIASES.get(name) ?? name;
    if (!JSON_TYPES.has(type)) {
      throw fail(
        ctx,
        path,
        `unknown type ${JSON.stringify(name)} (expected string, number, integer, boolean, array, object, null or binary)`,
      );
    }
    types.add(type);
  }
  return types.size === 0 ? null : types;
}

function buildItems(raw: unknown, path: string, ctx: ShapeContext, depth: number): Shape | Shape[] | null {
  if (raw === undefined || raw === null) return null;
  if (Array.isArray(raw)) return raw.map((item, i) => buildShape(item, `${path}[${i}]`, ctx, depth + 1));
  return buildShape(raw, `${path}[]`, ctx, depth + 1);
}

/**
 * Validates one field schema and builds its shape. Unknown keywords (title, enumNames, rls, x-*) are
 * left out of the ajv schema so they can never break compilation; `additionalProperties` is dropped
 * on purpose because Base44 records keep fields their schema does not declare.
 */
export function buildShape(raw: unknown, path: string, ctx: ShapeContext, depth: number): Shape {
  if (depth > MAX_SCHEMA_DEPTH) throw fail(ctx, path, `schemas nested deeper than ${MAX_SCHEMA_DEPTH} levels`);
  if (typeof raw === 'boolean') return leafShape(raw);
  if (!isPlainObject(raw)) {
    throw fail(ctx, path, `must be an object describing the field, got ${describeValue(raw)}`);
  }
  const schema: JsonObject = {};
  const types = parseTypes(raw.type, path, ctx);
  if (types !== null) schema.type = types.size === 1 ? [...types][0] : [...types];

  let items = buildItems(raw.items, path, ctx, depth);
  if (raw.enum !== undefined && raw.enum !== null) {
    if (!Array.isArray(raw.enum)) throw fail(ctx, path, '"enum" must be an array of allowed values');
    // An enum on an array field is a common way of writing a multi-select: it constrains the items.
    const onItems =
      types !== null && types.size === 1 && types.has('array') && raw.enum.every((v) => !Array.isArray(v));
    if (onItems && items !== null && !Array.isArray(items) && !(isPlainObject(items.schema) && hasOwn(items.schema, 'enum'))) {
      items = { ...items, schema: { ...(items.schema as JsonObject), enum: [...raw.enum] } };
    } else if (onItems && items === null) {
      items = leafShape({ enum: [...raw.enum] });
    } else if (!onItems && raw.enum.length > 0) {
      // An empty enum would reject every value; it is read as "no choices declared yet".
      schema.enum = [...raw.enum];
    }
  }
  if (raw.const !== undefined) schema.const = raw.const;

  if (raw.format !== undefined && raw.format !== null) {
    if (typeof raw.format !== 'string') throw fail(ctx, path, '"format" must be a string');
    if (CHECKED_FORMATS.has(raw.format)) schema.format = raw.format;
  }
  for (const keyword of COUNT_KEYWORDS) {
    const value = raw[keyword];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw fail(ctx, path, `"${keyword}" must be a non-negative integer`);
    }
    schema[keyword] = value;
  }
  for (const keyword of NUMBER_KEYWORDS) {
    const value = raw[keyword];
    if (value === undefined || value === null) continue;
    // draft-04 style `exclusiveMinimum: true` turns `minimum` exclusive; still found in generated schemas.
    if (typeof value === 'boolean' && (keyword === 'exclusiveMinimum' || keyword === 'exclusiveMaximum')) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw fail(ctx, path, `"${keyword}" must be a number`);
    schema[keyword] = value;
  }
  for (const [flag, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (raw[flag] === true && typeof schema[bound] === 'number') {
      schema[flag] = schema[bound];
      delete schema[bound];
    }
  }
  if (raw.multipleOf !== undefined && raw.multipleOf !== null) {
    if (typeof raw.multipleOf !== 'number' || !(raw.multipleOf > 0) || !Number.isFinite(raw.multipleOf)) {
      throw fail(ctx, path, '"multipleOf" must be a positive number');
    }
    schema.multipleOf = raw.multipleOf;
  }
  if (raw.pattern !== undefined && raw.pattern !== null) {
    if (typeof raw.pattern !== 'string') throw fail(ctx, path, '"pattern" must be a string');
    try {
      // Same flags as ajv with unicodeRegExp off: app patterns are written for plain JS regexes.
      new RegExp(raw.pattern);
    } catch (err) {
      throw fail(ctx, path, `invalid regular expression in "pattern": ${(err as Error).message}`);
    }
    schema.pattern = raw.pattern;
  }
  if (raw.uniqueItems !== undefined && raw.uniqueItems !== null) {
    if (typeof raw.uniqueItems !== 'boolean') throw fail(ctx, path, '"uniqueItems" must be true or false');
    if (raw.uniqueItems) schema.uniqueItems = true;
  }
  if (items !== null) schema.items = Array.isArray(items) ? items.map((s) => s.schema) : (items as Shape).schema;

  let properties: Map<string, Shape> | null = null;
  let nonNullable: Set<string> = new Set();
  if ((raw.properties !== undefined && raw.properties !== null) || Array.isArray(raw.required)) {
    // A boolean `required: true` on a field (draft-03 style) is ignored rather than rejected.
    const built = buildProperties(raw.properties, raw.required, path, ctx, depth);
    properties = built.properties;
    nonNullable = new Set(built.required.filter((name) => !properties?.get(name)?.nullable));
    schema.properties = propertiesSchema(properties, nonNullable);
    if (built.required.length > 0) schema.required = built.required;
  }

  for (const keyword of ['anyOf', 'oneOf', 'allOf'] as const) {
    const value = raw[keyword];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value) || value.length === 0) {
      throw fail(ctx, path, `"${keyword}" must be a non-empty array of schemas`);
    }
    schema[keyword] = value.map((branch, i) => buildShape(branch, `${path}.${keyword}[${i}]`, ctx, depth + 1).schema);
  }

  let ref: string | null = null;
  if (raw.$ref !== undefined && raw.$ref !== null) {
    const match = typeof raw.$ref === 'string' ? REF.exec(raw.$ref) : null;
    if (match === null) throw fail(ctx, path, '"$ref" must look like "#/definitions/<name>"');
    const name = decodePointer(match[1]);
    if (!ctx.definitionNames.has(name)) {
      throw fail(ctx, path, `"$ref" points to ${JSON.stringify(name)}, which is not in the entity's "definitions"`);
    }
    ref = name;
    schema.$ref = raw.$ref;
  }

  const defaulted: [string, Shape][] = [];
  for (const [name, shape] of properties ?? []) if (shape.hasDefault) defaulted.push([name, shape]);
  return {
    schema,
    types,
    properties,
    nonNullable,
    defaulted,
    items,
    ref,
    nullable: raw.nullable === true,
    hasDefault: raw.default !== undefined,
    defaultValue: raw.default,
    emptyStringIsNull:
      types !== null && !types.has('string') && (types.has('number') || types.has('integer') || types.has('boolean')),
  };
}

function leafShape(schema: JsonSchema): Shape {
  return {
    schema: schema === false ? { not: {} } : schema,
    types: null,
    properties: null,
    nonNullable: new Set(),
    defaulted: [],
    items: null,
    ref: null,
    nullable: false,
    hasDefault: false,
    defaultValue: undefined,
    emptyStringIsNull: false,
  };
}

function decodePointer(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Builds the shapes of the entity's top-level `definitions`, the targets of `$ref`. */
export function buildDefinitions(raw: unknown, ctx: ShapeContext): Map<string, Shape> {
  const definitions = new Map<string, Shape>();
  if (!isPlainObject(raw)) return definitions;
  for (const [name, schema] of Object.entries(raw)) {
    definitions.set(name, buildShape(schema, `definitions.${name}`, ctx, 1));
  }
  // A definition reaching itself again at the same value (via $ref, anyOf, oneOf or allOf, without going
  // through properties or items) would recurse forever while compiling or validating.
  const edges = new Map([...Object.entries(raw)].map(([name, schema]) => [name, sameValueRefs(schema, [])]));
  const visit = (name: string, trail: string[]): void => {
    if (trail.includes(name)) {
      throw fail(ctx, `definitions.${trail[0]}`, `"$ref" loops back to itself (${[...trail, name].join(' -> ')})`);
    }
    for (const next of edges.get(name) ?? []) visit(next, [...trail, name]);
  };
  for (const name of edges.keys()) visit(name, []);
  return definitions;
}

/** Definitions a schema refers to for the same value it describes. */
function sameValueRefs(schema: unknown, out: string[]): string[] {
  if (!isPlainObject(schema)) return out;
  const match = typeof schema.$ref === 'string' ? REF.exec(schema.$ref) : null;
  if (match !== null) out.push(decodePointer(match[1]));
  for (const keyword of ['anyOf', 'oneOf', 'allOf']) {
    const branches = schema[keyword];
    if (Array.isArray(branches)) for (const branch of branches) sameValueRefs(branch, out);
  }
  return out;
}
