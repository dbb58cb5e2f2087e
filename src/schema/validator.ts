// Compiles an entity definition into create/patch validators (ajv), cached per definition version.
// A compiled validator is reused for every write, so the per-record cost is one copy plus one ajv call.

import { Ajv, type ValidateFunction } from 'ajv';
import { validationFailed } from '../errors.js';
import { definitionError } from './definition-error.js';
import { isUserEntity, type EntityDefinition } from './definition.js';
import { toFieldErrors } from './error-messages.js';
import { ajvFormats } from './formats.js';
import { isPlainObject, type JsonObject } from './json-values.js';
import { fillDefaults, prepareRecord, type PrepareOptions, type RecordShape } from './prepare-input.js';
import { buildDefinitions, buildProperties, propertiesSchema, type Shape } from './property-schema.js';

export interface RecordValidator {
  create(input: unknown): Record<string, unknown>;
  patch(input: unknown): Record<string, unknown>;
}

const ajv = new Ajv({
  allErrors: true,
  // Sanitised schemas still mix keywords freely (e.g. `items` next to a union type); strict mode would refuse them.
  strict: false,
  // Without this, a field named like an Object.prototype member ("constructor") would be read from the prototype.
  ownProperties: true,
  // Gives errors their `data`, needed to tell "required field cleared with null" apart from a wrong type.
  verbose: true,
  // App patterns are written for JS regexes without the u flag (e.g. "[\w\-\s]").
  unicodeRegExp: false,
  // Each definition's schema is compiled once and dropped with it; nothing is addressed by $id.
  addUsedSchema: false,
  formats: ajvFormats(),
});

interface Compiled {
  readonly validator: RecordValidator;
  readonly schemas: readonly object[];
}

// Keyed by name and version so re-parsed but identical definitions share one compiled validator.
const byVersion = new Map<string, Compiled>();
const byDefinition = new WeakMap<EntityDefinition, RecordValidator>();
const MAX_CACHED = 1000;

export function compileValidator(def: EntityDefinition): RecordValidator {
  const known = byDefinition.get(def);
  if (known !== undefined) return known;
  const key = `${def.name}\u0000${def.version}`;
  let compiled = byVersion.get(key);
  if (compiled !== undefined) {
    byVersion.delete(key);
  } else {
    compiled = build(def);
    if (byVersion.size >= MAX_CACHED) evictOldest();
  }
  byVersion.set(key, compiled);
  byDefinition.set(def, compiled.validator);
  return compiled.validator;
}

function evictOldest(): void {
  const oldest = byVersion.keys().next();
  if (oldest.done === true) return;
  const entry = byVersion.get(oldest.value);
  byVersion.delete(oldest.value);
  for (const schema of entry?.schemas ?? []) ajv.removeSchema(schema);
}

function rootSchema(
  shape: RecordShape,
  enforced: readonly string[],
  definitions: ReadonlyMap<string, Shape>,
): JsonObject {
  const schema: JsonObject = { type: 'object', properties: propertiesSchema(shape.properties, shape.nonNullable) };
  if (enforced.length > 0) schema.required = [...enforced];
  if (definitions.size > 0) {
    schema.definitions = Object.fromEntries([...definitions].map(([name, s]) => [name, s.schema]));
  }
  return schema;
}

function compile(def: EntityDefinition, schema: JsonObject): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw definitionError(def.name, `the schema cannot be compiled: ${(err as Error).message}`);
  }
}

function build(def: EntityDefinition): Compiled {
  const ctx = {
    source: def.name,
    definitionNames: new Set(isPlainObject(def.raw.definitions) ? Object.keys(def.raw.definitions) : []),
  };
  const { properties, required } = buildProperties(def.properties, def.required, '', ctx, 0);
  const definitions = buildDefinitions(def.raw.definitions, ctx);
  const defaulted = [...properties].filter(([, shape]) => shape.hasDefault);
  const nonNullable = new Set(required.filter((name) => !properties.get(name)?.nullable));
  const strict: RecordShape = { properties, nonNullable, defaulted };
  // Apps mark User fields required, but sign-up creates users without them and must not be blocked.
  const user = isUserEntity(def);
  const createShape: RecordShape = user ? { properties, nonNullable: new Set(), defaulted } : strict;

  // Top-level defaults are filled in after validation, as a pydantic model (Base44's messages are pydantic's)
  // would: a field with a default is never missing, and a default that misfits its own schema never blocks a create.
  const enforced = user ? [] : required.filter((name) => !properties.get(name)?.hasDefault);
  const createSchema = rootSchema(createShape, enforced, definitions);
  const patchSchema = rootSchema(strict, [], definitions);
  const validateCreate = compile(def, createSchema);
  const validatePatch = compile(def, patchSchema);
  const createOptions: PrepareOptions = { applyDefaults: true, undefinedIsNull: false, definitions };
  const patchOptions: PrepareOptions = { applyDefaults: false, undefinedIsNull: true, definitions };

  const validator: RecordValidator = {
    create(input) {
      const record = prepareRecord(input, createShape, createOptions);
      if (!validateCreate(record)) throw validationFailed(toFieldErrors(validateCreate.errors ?? []));
      return fillDefaults(record, createShape, createOptions);
    },
    patch(input) {
      const record = prepareRecord(input, strict, patchOptions);
      if (!validatePatch(record)) throw validationFailed(toFieldErrors(validatePatch.errors ?? []));
      return record;
    },
  };
  return { validator, schemas: [createSchema, patchSchema] };
}
