// Tests for reading entity files: JSONC syntax, the top-level rules, field rules and the User entity.
// Every rejection must name the file and the offending field so an author can fix it without guessing.

import { describe, expect, it } from 'vitest';
import {
  BUILTIN_FIELDS,
  EntityDefinitionError,
  isUserEntity,
  normaliseEntityDefinition,
  parseEntityDefinition,
} from './index.js';

function rejection(fn: () => unknown): EntityDefinitionError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(EntityDefinitionError);
    return err as EntityDefinitionError;
  }
  throw new Error('expected an EntityDefinitionError');
}

const define = (raw: unknown, source = 'task.jsonc') => normaliseEntityDefinition(raw, source);
const task = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  define({ name: 'Task', type: 'object', properties, ...extra });

describe('an entity file written in JSONC', () => {
  it('is read with comments and trailing commas', () => {
    const def = parseEntityDefinition(
      `// A task on a board
      {
        "name": "Task", /* PascalCase */
        "type": "object",
        "properties": {
          "title": { "type": "string", }, // trailing comma above
        },
        "required": ["title",],
      }`,
      'task.jsonc',
    );
    expect(def.name).toBe('Task');
    expect(def.properties).toEqual({ title: { type: 'string' } });
    expect(def.required).toEqual(['title']);
  });

  it('tolerates a byte-order mark', () => {
    expect(parseEntityDefinition('\uFEFF{"name": "Task"}', 'task.jsonc').name).toBe('Task');
  });

  it('with a syntax error is rejected with the file name, line and column', () => {
    const err = rejection(() => parseEntityDefinition('{\n  "name": "Task"\n  "type": "object"\n}', 'task.jsonc'));
    expect(err.source).toBe('task.jsonc');
    expect(err.message).toMatch(/^task\.jsonc: invalid JSON at line 3, column 3: ',' expected/);
  });

  it('that is empty or not an object is rejected', () => {
    expect(rejection(() => parseEntityDefinition('', 'empty.jsonc')).message).toMatch(/empty\.jsonc: is empty/);
    expect(rejection(() => parseEntityDefinition('  // nothing\n', 'c.jsonc')).message).toMatch(/is empty/);
    expect(rejection(() => parseEntityDefinition('[1, 2]', 'list.jsonc')).message).toMatch(/must be a JSON object/);
    expect(rejection(() => parseEntityDefinition('"Task"', 's.jsonc')).message).toMatch(/must be a JSON object/);
  });

  it('cannot smuggle a prototype through a "__proto__" key', () => {
    const err = rejection(() =>
      parseEntityDefinition('{"name": "Task", "rls": {"__proto__": {"polluted": true}}}', 'task.jsonc'),
    );
    expect(err.message).toMatch(/"__proto__" is not allowed \(line 1, column 26\)/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('nested absurdly deep is rejected, not a crash', () => {
    const text = `{"name": "Task", "x": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expect(rejection(() => parseEntityDefinition(text, 'deep.jsonc')).message).toMatch(/deep\.jsonc: /);
  });
});

describe('the top level of an entity definition', () => {
  it('defaults type to object, properties to {} and required to []', () => {
    const def = define({ name: 'Note' });
    expect(def.properties).toEqual({});
    expect(def.required).toEqual([]);
    expect(def.title).toBeUndefined();
  });

  it('keeps title, description, rls, indexes and unknown keys (in raw)', () => {
    const rls = { read: { created_by: '{{user.email}}' }, create: true };
    const def = define({
      name: 'Note',
      title: 'Note',
      description: 'A note',
      rls,
      indexes: [['title']],
      'x-ui': { icon: 'note' },
      properties: { title: { type: 'string' } },
    });
    expect(def.title).toBe('Note');
    expect(def.description).toBe('A note');
    expect(def.rls).toEqual(rls);
    expect(def.indexes).toEqual([['title']]);
    expect(def.raw['x-ui']).toEqual({ icon: 'note' });
    expect(def.raw.name).toBe('Note');
  });

  it('rejects a type other than object', () => {
    expect(rejection(() => define({ name: 'Task', type: 'array' })).message).toBe(
      'task.jsonc: "type" must be "object", got the string "array"',
    );
  });

  it('takes a missing name from the file name, as Base44 does', () => {
    expect(define({ properties: {} }).name).toBe('Task');
    expect(normaliseEntityDefinition({ properties: {} }, 'team-member.jsonc').name).toBe('TeamMember');
  });

  it('rejects a missing name when the source is not a usable file name', () => {
    expect(rejection(() => normaliseEntityDefinition({ properties: {} }, 'my file.jsonc')).message).toMatch(/missing "name"/);
  });

  it.each(['Team Member', 'Team-Member', '1Task', '_Task', 'Task;drop', 'T'.repeat(64), 'Tâsk'])(
    'rejects the entity name %j',
    (name) => {
      expect(rejection(() => define({ name })).message).toMatch(/task\.jsonc: (invalid entity name|missing "name")/);
    },
  );

  it.each(['Task', 'TeamMember', 'Order123', 'Team_Member', 'T'.repeat(63)])('accepts the entity name %j', (name) => {
    expect(define({ name }).name).toBe(name);
  });

  it('rejects the common mistake of wrapping the schema in a "schema" key, explaining the fix', () => {
    const err = rejection(() =>
      define({ name: 'Task', description: 'A task', schema: { type: 'object', properties: { title: { type: 'string' } } } }),
    );
    expect(err.message).toContain("Schema must have a 'type' field");
    expect(err.message).toContain('at the top level');
  });

  it('rejects properties that are not an object', () => {
    expect(rejection(() => define({ name: 'Task', properties: [] })).message).toMatch(/"properties" must be an object/);
  });

  it('rejects required that is not a list of names', () => {
    expect(rejection(() => task({ a: {} }, { required: 'a' })).message).toMatch(/"required" must be an array/);
    expect(rejection(() => task({ a: {} }, { required: [1] })).message).toMatch(/"required" must be an array/);
  });

  it('rejects required naming a field that is not declared', () => {
    expect(rejection(() => task({ title: { type: 'string' } }, { required: ['titel'] })).message).toBe(
      'task.jsonc: "required" names "titel", which is not a declared property',
    );
  });

  it('rejects a title or description that is not text', () => {
    expect(rejection(() => task({}, { title: 5 })).message).toMatch(/"title" must be a string/);
  });

  it('gives the same version to the same definition, whatever the key order', () => {
    const a = define({ name: 'Task', properties: { a: { type: 'string', maxLength: 3 }, b: { type: 'number' } } });
    const b = define({ properties: { b: { type: 'number' }, a: { maxLength: 3, type: 'string' } }, name: 'Task' });
    expect(a.version).toBe(b.version);
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('gives a new version when a field, rule or rls changes', () => {
    const base = { name: 'Task', properties: { a: { type: 'string' } } };
    const v = define(base).version;
    expect(define({ ...base, properties: { a: { type: 'number' } } }).version).not.toBe(v);
    expect(define({ ...base, rls: { read: false } }).version).not.toBe(v);
    expect(define({ ...base, required: ['a'] }).version).not.toBe(v);
  });

  it('is immutable and detached from the object it was made from', () => {
    const input = { name: 'Task', properties: { tags: { type: 'array', items: { type: 'string' } } } };
    const def = define(input);
    expect(Object.isFrozen(def)).toBe(true);
    expect(Object.isFrozen(def.properties.tags)).toBe(true);
    expect(Object.isFrozen(def.raw)).toBe(true);
    expect(() => {
      (def.required as string[]).push('x');
    }).toThrow();
    input.properties.tags.type = 'string';
    expect(def.properties.tags.type).toBe('array');
    expect(Object.isFrozen(input)).toBe(false);
  });

  it('is rejected when the input is not an object at all', () => {
    expect(rejection(() => define(null)).message).toMatch(/must be a JSON object, got null/);
    expect(rejection(() => define('Task')).message).toMatch(/must be a JSON object/);
  });
});

describe('field names in a definition', () => {
  it.each([
    "a'; drop table x;--",
    "data->>'x'",
    '$where',
    'address.city',
    'first name',
    'first-name',
    '1st',
    '"quoted"',
    '',
    'naïve',
  ])('rejects %j, naming it', (name) => {
    const err = rejection(() => task({ [name]: { type: 'string' } }));
    expect(err.message).toContain(`property ${JSON.stringify(name)} is not a valid field name`);
  });

  it('rejects bad names in nested objects too, with the dotted path', () => {
    const err = rejection(() => task({ address: { type: 'object', properties: { 'zip-code': { type: 'string' } } } }));
    expect(err.message).toContain('property "address.zip-code" is not a valid field name');
  });

  it('rejects "__proto__" as a field name', () => {
    const raw = JSON.parse('{"name": "Task", "properties": {"__proto__": {"type": "string"}}}') as unknown;
    expect(rejection(() => define(raw)).message).toMatch(/__proto__/);
  });

  it.each([...BUILTIN_FIELDS, '_id'])('rejects declaring the built-in field %s', (name) => {
    expect(rejection(() => task({ [name]: { type: 'string' } })).message).toBe(
      `task.jsonc: property "${name}" is a built-in field and cannot be declared`,
    );
  });

  it('accepts snake_case, camelCase and leading underscores', () => {
    const def = task({ board_id: {}, dueDate: {}, _internal: {}, constructor: {}, toString: {} });
    expect(Object.keys(def.properties)).toEqual(['board_id', 'dueDate', '_internal', 'constructor', 'toString']);
  });
});

describe('field schemas in a definition', () => {
  it.each(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null', 'binary'])('accept type %s', (type) => {
    expect(task({ f: { type } }).properties.f).toEqual({ type });
  });

  it('accept a union of types and a field without type', () => {
    expect(() => task({ f: { type: ['string', 'null'] }, g: { description: 'anything' } })).not.toThrow();
  });

  it('reject an unknown type, naming the field', () => {
    const err = rejection(() => task({ due: { type: 'datetime' } }));
    expect(err.message).toBe(
      'task.jsonc: property "due": unknown type "datetime" (expected string, number, integer, boolean, array, object, null or binary)',
    );
    expect(rejection(() => task({ f: { type: ['string', 'text'] } })).message).toMatch(/"f": unknown type "text"/);
    expect(rejection(() => task({ f: { type: 5 } })).message).toMatch(/"f": "type" must be/);
  });

  it('reject an invalid regular expression in pattern, naming the field', () => {
    const err = rejection(() => task({ code: { type: 'string', pattern: '([a-z' } }));
    expect(err.message).toMatch(/^task\.jsonc: property "code": invalid regular expression in "pattern"/);
  });

  it('accept patterns written for plain JS regexes', () => {
    expect(() => task({ code: { type: 'string', pattern: '^[\\w\\-\\s\\.]+$' } })).not.toThrow();
  });

  it('reject a field schema that is not an object', () => {
    expect(rejection(() => task({ title: 'string' })).message).toBe(
      'task.jsonc: property "title": must be an object describing the field, got the string "string"',
    );
  });

  it.each([
    ['minLength', -1],
    ['maxLength', 1.5],
    ['minItems', '2'],
    ['minimum', 'zero'],
    ['multipleOf', 0],
    ['enum', 'a,b'],
    ['format', 5],
    ['uniqueItems', 'yes'],
    ['anyOf', []],
  ])('reject a malformed %s, naming the field', (keyword, value) => {
    expect(rejection(() => task({ f: { type: 'string', [keyword]: value } })).message).toMatch(
      new RegExp(`property "f": "${keyword}" must`),
    );
  });

  it('ignore annotations and unknown keywords', () => {
    expect(() =>
      task({
        status: {
          type: 'string',
          title: 'Status',
          enum: ['a', 'b'],
          enumNames: ['A', 'B'],
          'x-widget': 'select',
          rls: { read: true },
          readOnly: true,
          examples: ['a'],
          additionalProperties: false,
        },
      }),
    ).not.toThrow();
  });

  it('check nested objects and array items, naming the nested field', () => {
    const err = rejection(() =>
      task({ items: { type: 'array', items: { type: 'object', properties: { qty: { type: 'int' } } } } }),
    );
    expect(err.message).toMatch(/property "items\[\]\.qty": unknown type "int"/);
    expect(
      rejection(() => task({ a: { type: 'object', properties: { b: {} }, required: ['c'] } })).message,
    ).toMatch(/"a\.required" names "c"/);
  });

  it('accept $ref to the entity definitions and reject other references', () => {
    const definitions = { Address: { type: 'object', properties: { city: { type: 'string' } } } };
    expect(() => task({ home: { $ref: '#/definitions/Address' } }, { definitions })).not.toThrow();
    expect(rejection(() => task({ home: { $ref: '#/definitions/Place' } }, { definitions })).message).toMatch(
      /"home": "\$ref" points to "Place", which is not in the entity's "definitions"/,
    );
    expect(rejection(() => task({ home: { $ref: 'http://example.com/x.json' } })).message).toMatch(
      /"\$ref" must look like/,
    );
  });

  it('reject definitions that loop back to themselves for the same value', () => {
    expect(
      rejection(() => task({ root: { $ref: '#/definitions/Node' } }, { definitions: { Node: { $ref: '#/definitions/Node' } } }))
        .message,
    ).toMatch(/property "definitions\.Node": "\$ref" loops back to itself \(Node -> Node\)/);
    const viaAnyOf = { A: { anyOf: [{ type: 'string' }, { $ref: '#/definitions/B' }] }, B: { allOf: [{ $ref: '#/definitions/A' }] } };
    expect(rejection(() => task({}, { definitions: viaAnyOf })).message).toMatch(/loops back to itself \(A -> B -> A\)/);
  });

  it('accept recursion through properties or items (trees, threads)', () => {
    const definitions = {
      Node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/definitions/Node' } } } },
    };
    expect(() => task({ root: { $ref: '#/definitions/Node' } }, { definitions })).not.toThrow();
  });

  it('accept a boolean "required" on a field (draft-03 style) without enforcing it', () => {
    expect(() => task({ title: { type: 'string', required: true } })).not.toThrow();
  });
});

describe('a custom User entity', () => {
  it('may add fields', () => {
    const def = define({ name: 'User', properties: { department: { type: 'string' } }, required: ['department'] });
    expect(isUserEntity(def)).toBe(true);
    expect(isUserEntity(task({}))).toBe(false);
  });

  it.each(['email', 'full_name'])(
    'may not declare the base field %s',
    (field) => {
      expect(rejection(() => define({ name: 'User', properties: { [field]: { type: 'string' } } }, 'user.jsonc')).message).toBe(
        `user.jsonc: User schema cannot contain base fields: ${field}`,
      );
    },
  );

  it('may narrow other user fields, such as role', () => {
    expect(() => define({ name: 'User', properties: { role: { type: 'string', enum: ['admin', 'user', 'manager'] } } })).not.toThrow();
  });

  it('lists every base field it redeclares', () => {
    const err = rejection(() =>
      define({ name: 'User', properties: { email: { type: 'string' }, full_name: { type: 'string' }, team: {} } }),
    );
    expect(err.message).toMatch(/User schema cannot contain base fields: email, full_name$/);
  });

  it('rule applies only to the entity named User', () => {
    expect(() => define({ name: 'Contact', properties: { email: { type: 'string' }, role: {} } })).not.toThrow();
  });
});
