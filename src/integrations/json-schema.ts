// The JSON schemas apps pass to InvokeLLM and ExtractDataFromUploadedFile, compiled with ajv and cached by text.
// Apps write them by hand (or a model does): draft-03 `required: true` and `$schema` lines are tolerated.

import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { badRequest } from '../errors.js';
import { isPlainObject } from '../query/index.js';

export type JsonSchema = Record<string, unknown>;

export interface SchemaCheck {
  /** Readable problems (`score: must be number`), empty when the value matches. */
  (value: unknown): string[];
}

const MAX_SCHEMA_CHARS = 100_000;
const MAX_CACHED = 500;
const MAX_REPORTED_ERRORS = 10;

const ajv = new Ajv({
  allErrors: true,
  // App schemas carry keywords ajv does not know (title, enumNames, x-*); strict mode would refuse them.
  strict: false,
  // Formats are hints to a model ("date"), not contracts: a CSV's "01/15/2026" must not fail a whole extraction.
  validateFormats: false,
  // Schemas of different apps may share an $id; nothing is looked up by it.
  addUsedSchema: false,
  // A property named like an Object.prototype member ("constructor") must not be read from the prototype.
  ownProperties: true,
  logger: false,
});

// Values that are data, not schemas: copied as they are.
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);
// Keywords whose value maps names to schemas: a property called "required" is a name there, not a keyword.
const NAME_MAPS = new Set(['properties', 'patternProperties', 'definitions', '$defs', 'dependentSchemas']);

function loosen(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(loosen);
  if (!isPlainObject(node)) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    // `$schema` may name a draft ajv is not set up for (2020-12); the keywords apps use read the same.
    if (key === '$schema' || (key === 'required' && !Array.isArray(value))) continue;
    if (DATA_KEYWORDS.has(key)) out[key] = value;
    else if (NAME_MAPS.has(key) && isPlainObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, loosen(schema)]));
    } else out[key] = loosen(value);
  }
  return out;
}

function fieldPath(instancePath: string): string {
  if (instancePath === '') return '(root)';
  return instancePath
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function describe(errors: ErrorObject[]): string[] {
  const described = errors.slice(0, MAX_REPORTED_ERRORS).map((e) => `${fieldPath(e.instancePath)}: ${e.message ?? 'is invalid'}`);
  if (errors.length > MAX_REPORTED_ERRORS) described.push(`and ${errors.length - MAX_REPORTED_ERRORS} more`);
  return described;
}

// Oldest first; an evicted validator is also dropped from ajv, which keeps every compiled schema otherwise.
const cache = new Map<string, { schema: object; validate: ValidateFunction }>();

/** The app's schema as ajv reads it, checked to be an object (400 naming `param` otherwise). */
export function readSchema(value: unknown, param: string): JsonSchema {
  if (!isPlainObject(value)) throw badRequest(`${param} must be a JSON schema object`);
  return loosen(value) as JsonSchema;
}

/** A cached validator of `schema` (from readSchema); an invalid schema is the app's mistake: 400 naming `param`. */
export function compileSchema(schema: JsonSchema, param: string): SchemaCheck {
  const text = JSON.stringify(schema);
  if (text.length > MAX_SCHEMA_CHARS) throw badRequest(`${param} is larger than ${MAX_SCHEMA_CHARS} characters`);
  let entry = cache.get(text);
  if (entry) {
    cache.delete(text);
  } else {
    try {
      entry = { schema, validate: ajv.compile(schema) };
    } catch (error) {
      throw badRequest(`${param} is not a valid JSON schema: ${(error as Error).message}`);
    }
    if (cache.size >= MAX_CACHED) {
      const [oldestText, oldest] = cache.entries().next().value!;
      cache.delete(oldestText);
      ajv.removeSchema(oldest.schema);
    }
  }
  cache.set(text, entry);
  const { validate } = entry;
  return (value) => (validate(value) ? [] : describe(validate.errors ?? []));
}
