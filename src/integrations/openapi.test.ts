import { describe, expect, it } from 'vitest';
import { badRequestOf } from '../../test/support/errors.js';
import { checkOpenApiDocument, documentServerUrl, fillPath, findOperation, findOperationById, listOperations, parseOperationRef, queryString } from './openapi.js';

const doc = checkOpenApiDocument({
  openapi: '3.1.0',
  servers: [{ url: 'https://api.example.com/v2' }],
  components: { parameters: { Id: { name: 'id', in: 'path', required: true }, Team: { name: 'team/name', in: 'query' } } },
  paths: {
    '/users/{id}': {
      parameters: [{ $ref: '#/components/parameters/Id' }, { name: 'fields', in: 'query' }],
      get: { operationId: 'getUser', parameters: [{ name: 'fields', in: 'query', description: 'overrides the path-level one' }] },
      delete: {},
      summary: 'not an operation',
    },
    '/teams': { post: { operationId: 'createTeam', requestBody: {}, parameters: [{ $ref: '#/components/parameters/Team' }] } },
  },
});

describe('OpenAPI operations', () => {
  it('lists every method of every path, with path-level and referenced parameters merged', () => {
    expect(listOperations(doc).map((op) => `${op.method}:${op.path}`)).toEqual(['get:/users/{id}', 'delete:/users/{id}', 'post:/teams']);
    expect(findOperation(doc, 'get', '/users/{id}')?.parameters).toEqual([
      { name: 'id', in: 'path' },
      { name: 'fields', in: 'query' },
    ]);
    expect(findOperationById(doc, 'createTeam')).toMatchObject({ method: 'post', hasRequestBody: true, parameters: [{ name: 'team/name', in: 'query' }] });
    expect(findOperationById(doc, 'nope')).toBeUndefined();
    expect(documentServerUrl(doc)).toBe('https://api.example.com/v2');
  });

  it('refuses documents that are not OpenAPI 3 with paths', () => {
    badRequestOf(() => checkOpenApiDocument({ swagger: '2.0', paths: {} }));
    badRequestOf(() => checkOpenApiDocument({ openapi: '3.0.0' }));
    badRequestOf(() => checkOpenApiDocument({ openapi: '3.0.0', paths: { users: {} } }));
    badRequestOf(() => checkOpenApiDocument([]));
  });

  it('reads method:path references, the method in any case', () => {
    expect(parseOperationRef('GET:/users/{id}')).toEqual({ method: 'get', path: '/users/{id}' });
    expect(parseOperationRef('post:/a:b')).toEqual({ method: 'post', path: '/a:b' });
    for (const bad of ['getUser', ':/users', 'fetch:/users', 'get:users', '']) badRequestOf(() => parseOperationRef(bad));
  });
});

describe('request paths and query strings', () => {
  it('encodes each path value as one segment and refuses missing or dot-segment values', () => {
    expect(fillPath('/users/{id}/files/{name}', { id: 7, name: 'a b/../c?d' })).toBe('/users/7/files/a%20b%2F..%2Fc%3Fd');
    expect(badRequestOf(() => fillPath('/users/{id}', {})).message).toContain('id');
    badRequestOf(() => fillPath('/users/{id}', { id: '..' }));
    badRequestOf(() => fillPath('/users/{id}', { id: { nested: true } }));
  });

  it('repeats array values, sends objects as JSON and leaves out null', () => {
    expect(queryString({ tag: ['a', 'b c'], filter: { x: 1 }, gone: null, n: 0, ok: true })).toBe(
      '?tag=a&tag=b+c&filter=%7B%22x%22%3A1%7D&n=0&ok=true',
    );
    expect(queryString({})).toBe('');
  });
});
