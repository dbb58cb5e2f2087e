// App schemas are compiled as they are written by hand or by a model, and their problems read as field paths.

import { describe, expect, it } from 'vitest';
import { HttpError } from '../errors.js';
import { compileSchema, readSchema } from './json-schema.js';

const compile = (schema: unknown) => compileSchema(readSchema(schema, 'json_schema'), 'json_schema');

describe('an app schema', () => {
  it('reports problems by field path', () => {
    const check = compile({ type: 'object', properties: { lines: { type: 'array', items: { type: 'object', properties: { qty: { type: 'number' } } } } }, required: ['lines'] });
    expect(check({ lines: [{ qty: 1 }, { qty: 'x' }] })).toEqual(['lines[1].qty: must be number']);
    expect(check({})).toEqual(["(root): must have required property 'lines'"]);
  });

  it('tolerates draft-03 `required: true`, a 2020-12 `$schema` and unchecked formats, but not a property called required', () => {
    const check = compile({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { when: { type: 'string', format: 'date', required: true }, required: { type: 'boolean' } },
      required: ['required'],
    });
    expect(check({ when: '01/15/2026', required: true })).toEqual([]);
    expect(check({ when: '2026-01-15' })).toEqual(["(root): must have required property 'required'"]);
  });

  it('that is not a schema is a 400 naming the parameter', () => {
    for (const schema of [{ type: 'text' }, 'a string', [1]]) {
      expect(() => compile(schema)).toThrow(HttpError);
      expect(() => compile(schema)).toThrow(/json_schema/);
    }
  });
});
