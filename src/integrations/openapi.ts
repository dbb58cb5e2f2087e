// PURE: the parts of an OpenAPI 3 document an integration call needs: its operations (by `method:path` or by
// operationId), their declared parameters, and the request path and query string built from an app's values.

import { badRequest } from '../errors.js';
import { isPlainObject } from '../query/index.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface OperationParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
}

export interface Operation {
  method: HttpMethod;
  /** The path template as the document writes it, e.g. `/repos/{owner}/{repo}`. */
  path: string;
  operationId?: string;
  parameters: OperationParameter[];
  hasRequestBody: boolean;
}

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const MAX_OPERATION_ID_CHARS = 2048;
const PLACEHOLDER = /\{([^{}/]+)\}/g;

/** Refuses anything that is not an OpenAPI 3 document with a `paths` object, naming what is wrong. */
export function checkOpenApiDocument(doc: unknown): OpenApiDocument {
  if (!isPlainObject(doc)) throw badRequest('openapi must be an OpenAPI 3 document (a JSON object)');
  if (typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.')) throw badRequest('openapi must be an OpenAPI 3.x document ("openapi": "3.x.y")');
  if (!isPlainObject(doc.paths)) throw badRequest('The OpenAPI document has no paths object');
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) throw badRequest(`OpenAPI path "${path.slice(0, 100)}" must start with /`);
    if (!isPlainObject(item)) throw badRequest(`OpenAPI path ${path.slice(0, 100)} must be an object`);
  }
  return doc as OpenApiDocument;
}

/** Follows a local `$ref` (`#/components/parameters/Owner`); anything else is taken as written. */
function resolveRef(doc: OpenApiDocument, value: unknown): unknown {
  if (!isPlainObject(value) || typeof value.$ref !== 'string' || !value.$ref.startsWith('#/')) return value;
  let node: unknown = doc;
  for (const segment of value.$ref.slice(2).split('/')) {
    if (!isPlainObject(node)) return undefined;
    node = node[segment.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function parametersOf(doc: OpenApiDocument, ...lists: unknown[]): OperationParameter[] {
  const byKey = new Map<string, OperationParameter>();
  // Operation-level parameters override path-level ones with the same name and location.
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const parameter = resolveRef(doc, raw);
      if (!isPlainObject(parameter) || typeof parameter.name !== 'string') continue;
      if (!['path', 'query', 'header', 'cookie'].includes(parameter.in as string)) continue;
      byKey.set(`${parameter.in as string}:${parameter.name}`, { name: parameter.name, in: parameter.in as OperationParameter['in'] });
    }
  }
  return [...byKey.values()];
}

export function listOperations(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isPlainObject(operation)) continue;
      operations.push({
        method,
        path,
        operationId: typeof operation.operationId === 'string' ? operation.operationId : undefined,
        parameters: parametersOf(doc, item.parameters, operation.parameters),
        hasRequestBody: operation.requestBody !== undefined,
      });
    }
  }
  return operations;
}

/** `get:/repos/{owner}/{repo}` → method and path template; the method is case-insensitive. */
export function parseOperationRef(reference: string): { method: HttpMethod; path: string } {
  const colon = reference.indexOf(':');
  const method = reference.slice(0, Math.max(colon, 0)).toLowerCase();
  const path = reference.slice(colon + 1);
  if (colon <= 0 || !(HTTP_METHODS as readonly string[]).includes(method) || !path.startsWith('/') || reference.length > MAX_OPERATION_ID_CHARS) {
    throw badRequest(`Operation "${reference.slice(0, 200)}" must be method:path, e.g. get:/contacts`);
  }
  return { method: method as HttpMethod, path };
}

export function findOperation(doc: OpenApiDocument, method: HttpMethod, path: string): Operation | undefined {
  return listOperations(doc).find((operation) => operation.method === method && operation.path === path);
}

export function findOperationById(doc: OpenApiDocument, operationId: string): Operation | undefined {
  return listOperations(doc).find((operation) => operation.operationId === operationId);
}

export function pathPlaceholders(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1]);
}

/** Fills `{name}` placeholders, each value encoded as one path segment; a missing value is the caller's error. */
export function fillPath(template: string, values: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === null || value === '') throw badRequest(`Path parameter ${name} is required`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw badRequest(`Path parameter ${name} must be a string or a number`);
    }
    const text = String(value);
    // Encoded or not, a dot segment would be resolved away by URL parsing and reach another upstream path.
    if (text === '.' || text === '..') throw badRequest(`Path parameter ${name} cannot be "${text}"`);
    return encodeURIComponent(text);
  });
}

/** A query string (`?a=1&b=x&b=y`, or empty): arrays repeat their key, objects travel as JSON, null is left out. */
export function queryString(values: Record<string, unknown>): string {
  const search = new URLSearchParams();
  const append = (name: string, value: unknown) => {
    if (value === undefined || value === null) return;
    search.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
  };
  for (const [name, value] of Object.entries(values)) {
    if (Array.isArray(value)) value.forEach((item) => append(name, item));
    else append(name, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The document's first server, when it is an absolute http(s) URL. */
export function documentServerUrl(doc: OpenApiDocument): string | undefined {
  const servers = doc.servers;
  if (!Array.isArray(servers) || !isPlainObject(servers[0])) return undefined;
  const url = servers[0].url;
  return typeof url === 'string' && /^https?:\/\//i.test(url) ? url : undefined;
}
