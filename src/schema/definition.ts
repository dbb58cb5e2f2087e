// Parsing and normalising Base44 entity definitions (`base44/entities/*.jsonc`) into immutable objects.
// Everything an author can get wrong is reported here, once, so later stages can trust a definition.

import { createHash } from 'node:crypto';
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { definitionError } from './definition-error.js';
import { deepFreeze, describeValue, hasOwn, isPlainObject, stableStringify, type JsonObject } from './json-values.js';
import { buildDefinitions, buildProperties } from './property-schema.js';

export type PropertySchema = Record<string, unknown>;

export interface EntityDefinition {
  name: string;
  title?: string;
  description?: string;
  properties: Record<string, PropertySchema>;
  required: string[];
  rls?: unknown;
  indexes?: unknown;
  raw: Record<string, unknown>;
  version: string;
}

export const BUILTIN_FIELDS: readonly string[] = Object.freeze([
  'id',
  'created_date',
  'updated_date',
  'created_by',
  'created_by_id',
  'is_sample',
]);

/** Fields of the built-in user record that a custom `User` definition may not redeclare (as Base44's CLI rules). */
export const USER_BASE_FIELDS: readonly string[] = Object.freeze(['email', 'full_name']);

// The name becomes a quoted SQL table name; the CLI accepts \w+, so underscores stay allowed.
const ENTITY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
// `_id` is the storage key Base44 strips from bodies; a field with that name could never be written.
const RESERVED_FIELDS = new Set([...BUILTIN_FIELDS, '_id']);
const MAX_FILE_DEPTH = 64;

export function isUserEntity(def: EntityDefinition): boolean {
  return def.name === 'User';
}

const PARSE_PROBLEMS: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'end of file expected',
  InvalidCommentToken: 'invalid comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

function position(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/**
 * Converts the syntax tree to values ourselves instead of using jsonc-parser's `parse`, which assigns
 * keys with `obj[key] = value` and so lets a `"__proto__"` key replace an object's prototype.
 */
function treeToValue(node: Node, text: string, fileName: string, depth: number): unknown {
  if (node.type !== 'object' && node.type !== 'array') return node.value;
  if (depth > MAX_FILE_DEPTH) {
    throw definitionError(fileName, `nested deeper than ${MAX_FILE_DEPTH} levels at ${position(text, node.offset)}`);
  }
  const children = node.children ?? [];
  if (node.type === 'array') return children.map((child) => treeToValue(child, text, fileName, depth + 1));
  const object: JsonObject = {};
  for (const property of children) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode === undefined || valueNode === undefined) continue;
    const key = String(keyNode.value);
    if (key === '__proto__') {
      throw definitionError(fileName, `the key "__proto__" is not allowed (${position(text, keyNode.offset)})`);
    }
    object[key] = treeToValue(valueNode, text, fileName, depth + 1);
  }
  return object;
}

export function parseEntityDefinition(fileText: string, fileName: string): EntityDefinition {
  const text = fileText.replace(/^\uFEFF/, '');
  const errors: ParseError[] = [];
  let tree: Node | undefined;
  try {
    tree = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  } catch (err) {
    // jsonc-parser recurses per nesting level; absurd nesting surfaces as a RangeError.
    const reason = err instanceof RangeError ? 'nested far too deeply' : (err as Error).message;
    throw definitionError(fileName, `cannot be parsed: ${reason}`);
  }
  if (errors.length > 0) {
    const first = errors[0];
    const code = printParseErrorCode(first.error);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
    throw definitionError(
      fileName,
      `invalid JSON at ${position(text, first.offset)}: ${PARSE_PROBLEMS[code] ?? code}${more}`,
    );
  }
  if (tree === undefined) throw definitionError(fileName, 'is empty; expected an entity definition object');
  return normaliseEntityDefinition(treeToValue(tree, text, fileName, 1), fileName);
}

/** A detached copy of an API-supplied object, so freezing it never freezes the caller's value. */
function cloneDefinitionValue(value: unknown, source: string, path: string, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_FILE_DEPTH) throw definitionError(source, `nested deeper than ${MAX_FILE_DEPTH} levels at ${path}`);
  if (Array.isArray(value)) return value.map((v, i) => cloneDefinitionValue(v, source, `${path}[${i}]`, depth + 1));
  if (!isPlainObject(value)) throw definitionError(source, `${path} must be plain JSON`);
  const out: JsonObject = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') throw definitionError(source, `the key "__proto__" is not allowed (in ${path})`);
    if (value[key] === undefined) continue;
    out[key] = cloneDefinitionValue(value[key], source, path === '' ? key : `${path}.${key}`, depth + 1);
  }
  return out;
}

function optionalString(raw: JsonObject, key: string, source: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw definitionError(source, `"${key}" must be a string`);
  return value;
}

export function normaliseEntityDefinition(input: unknown, source: string): EntityDefinition {
  if (!isPlainObject(input)) {
    throw definitionError(source, `an entity definition must be a JSON object, got ${describeValue(input)}`);
  }
  const raw = cloneDefinitionValue(input, source, '', 1) as JsonObject;

  // The documented common mistake; Base44 answers it with "Schema must have a 'type' field".
  if (isPlainObject(raw.schema) && raw.properties === undefined && (hasOwn(raw.schema, 'properties') || hasOwn(raw.schema, 'type'))) {
    throw definitionError(
      source,
      `Invalid schema: Schema must have a 'type' field. Put "type" and "properties" at the top level of the entity, not inside a "schema" object`,
    );
  }

  if (raw.name === undefined || raw.name === null || raw.name === '') {
    // Base44 takes the name from the file when the definition has none: team-member.jsonc -> TeamMember.
    const fromFile = /^([A-Za-z][A-Za-z0-9_-]*)\.jsonc?$/.exec(source)?.[1];
    if (!fromFile) throw definitionError(source, 'missing "name" (the entity name, e.g. "Task")');
    raw.name = fromFile.replace(/(^|-)([a-z0-9])/g, (_m, _dash, letter: string) => letter.toUpperCase());
  }
  if (typeof raw.name !== 'string' || !ENTITY_NAME.test(raw.name)) {
    throw definitionError(
      source,
      `invalid entity name ${JSON.stringify(raw.name)}: use letters, digits and underscores, starting with a letter, at most 63 characters`,
    );
  }
  const name = raw.name;
  if (raw.type !== undefined && raw.type !== 'object') {
    throw definitionError(source, `"type" must be "object", got ${describeValue(raw.type)}`);
  }
  const title = optionalString(raw, 'title', source);
  const description = optionalString(raw, 'description', source);

  const rawProperties = raw.properties ?? {};
  if (!isPlainObject(rawProperties)) {
    throw definitionError(source, '"properties" must be an object mapping field names to schemas');
  }
  for (const field of Object.keys(rawProperties)) {
    if (RESERVED_FIELDS.has(field)) {
      throw definitionError(source, `property "${field}" is a built-in field and cannot be declared`);
    }
  }
  if (name === 'User') {
    const base = Object.keys(rawProperties).filter((field) => USER_BASE_FIELDS.includes(field));
    if (base.length > 0) throw definitionError(source, `User schema cannot contain base fields: ${base.join(', ')}`);
  }
  const definitionNames = new Set(isPlainObject(raw.definitions) ? Object.keys(raw.definitions) : []);
  const ctx = { source, definitionNames };
  // Built only to surface every schema problem now rather than on the first write.
  const { required } = buildProperties(rawProperties, raw.required, '', ctx, 0);
  buildDefinitions(raw.definitions, ctx);

  const version = createHash('sha1')
    .update(stableStringify({ ...raw, type: 'object', properties: rawProperties, required }))
    .digest('hex')
    .slice(0, 16);

  const def: EntityDefinition = {
    name,
    ...(title !== undefined && { title }),
    ...(description !== undefined && { description }),
    properties: rawProperties as Record<string, PropertySchema>,
    required,
    ...(raw.rls !== undefined && { rls: raw.rls }),
    ...(raw.indexes !== undefined && { indexes: raw.indexes }),
    raw,
    version,
  };
  return deepFreeze(def);
}
