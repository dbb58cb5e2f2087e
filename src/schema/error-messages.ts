// Translates ajv errors into the field errors Base44 clients show: one message per field, worded like
// Base44's own ("Field required", "Input should be a valid string"), fields named "address.city" / "tags[2]".

import type { ErrorObject } from 'ajv';
import type { FieldError } from '../errors.js';

/** A body with thousands of bad array items would otherwise produce an equally huge error response. */
export const MAX_FIELD_ERRORS = 100;

const TYPE_WORDS: Record<string, string> = {
  string: 'string',
  number: 'number',
  integer: 'integer',
  boolean: 'boolean',
  array: 'array',
  object: 'object',
};

function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  let path = '';
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    // Declared field names never start with a digit, so an all-digit segment is an array index.
    path += /^\d+$/.test(segment) ? `[${segment}]` : path === '' ? segment : `.${segment}`;
  }
  return path;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function typeMessage(type: unknown): string {
  const list = (Array.isArray(type) ? type : String(type).split(',')).filter((t) => t !== 'null');
  // An integer-or-number union reads as "number"; the stricter word only when integer stands alone.
  const words = [...new Set(list.map((t) => (t === 'integer' && list.includes('number') ? 'number' : TYPE_WORDS[t] ?? t)))];
  if (words.length === 0) return 'Input should be null';
  return `Input should be a valid ${words.join(' or ')}`;
}

function messageFor(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return typeMessage(p.type);
    case 'enum':
      return `Input should be one of: ${(p.allowedValues as unknown[]).map(show).join(', ')}`;
    case 'const':
      return `Input should be ${show(p.allowedValue)}`;
    case 'format':
      return `Input should be a valid ${String(p.format)}`;
    case 'minLength':
      return `String should have at least ${plural(Number(p.limit), 'character')}`;
    case 'maxLength':
      return `String should have at most ${plural(Number(p.limit), 'character')}`;
    case 'pattern':
      return `String should match pattern '${String(p.pattern)}'`;
    case 'minimum':
      return `Input should be greater than or equal to ${String(p.limit)}`;
    case 'maximum':
      return `Input should be less than or equal to ${String(p.limit)}`;
    case 'exclusiveMinimum':
      return `Input should be greater than ${String(p.limit)}`;
    case 'exclusiveMaximum':
      return `Input should be less than ${String(p.limit)}`;
    case 'multipleOf':
      return `Input should be a multiple of ${String(p.multipleOf)}`;
    case 'minItems':
      return `List should have at least ${plural(Number(p.limit), 'item')}`;
    case 'maxItems':
      return `List should have at most ${plural(Number(p.limit), 'item')}`;
    case 'uniqueItems': {
      const [first, second] = [Number(p.i), Number(p.j)].sort((a, b) => a - b);
      return `List should not contain duplicates (items ${first} and ${second} are identical)`;
    }
    case 'anyOf':
      return 'Input does not match any of the allowed schemas';
    case 'oneOf':
      return 'Input should match exactly one of the allowed schemas';
    case 'not':
      return 'Input is not allowed';
    default:
      return error.message ?? 'Input is invalid';
  }
}

export function toFieldErrors(errors: readonly ErrorObject[]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // The `if` error only says "the else branch failed"; that branch reported the real problem already.
    if (error.keyword === 'if') continue;
    let name = pointerToPath(error.instancePath);
    let message: string;
    if (error.keyword === 'required') {
      const missing = String((error.params as { missingProperty: unknown }).missingProperty);
      name = name === '' ? missing : `${name}.${missing}`;
      message = 'Field required';
    } else if (error.data === null && name !== '' && !name.endsWith(']')) {
      // Optional fields accept null, so a field rejecting null is a required one being cleared.
      message = 'Field required';
    } else {
      message = messageFor(error);
    }
    if (seen.has(name)) continue;
    seen.add(name);
    out.push({ name, message });
    if (out.length >= MAX_FIELD_ERRORS) break;
  }
  return out;
}
