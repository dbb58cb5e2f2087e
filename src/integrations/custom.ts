// Requests to an app's OpenAPI-described integrations, built from what the SDK sends: `custom.call(slug, 'get:/path',
// {payload, pathParams, queryParams})` and `integrations.<Pkg>.<operationId>(data)` (installable packages).

import { badRequest, notFound } from '../errors.js';
import { isPlainObject } from '../query/index.js';
import type { OpenIntegration } from './integration-registry.js';
import { Operation, OpenApiDocument, fillPath, findOperation, findOperationById, parseOperationRef, pathPlaceholders, queryString } from './openapi.js';

/** A request to the integration's API, before credentials are added, and the form of it the trace keeps. */
export interface PlannedRequest {
  method: string;
  /** Path and query string, appended to the integration's base URL. */
  pathAndQuery: string;
  body?: unknown;
}

const BODYLESS = new Set(['get', 'head']);

function documentOf(integration: OpenIntegration): OpenApiDocument {
  if (!integration.openapi) throw notFound(`Integration ${integration.slug} has no OpenAPI document, so it has no operations`);
  return integration.openapi;
}

function objectParam(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw badRequest(`${name} must be an object`);
  return value;
}

/** `custom.call`: the operation named `method:path`, path and query parameters, and the payload as JSON body. */
export function planCustomCall(integration: OpenIntegration, reference: string, body: unknown): PlannedRequest {
  const params = objectParam('The request body', body);
  const { method, path } = parseOperationRef(reference);
  const operation = findOperation(documentOf(integration), method, path);
  if (!operation) throw notFound(`Integration ${integration.slug} has no operation ${method}:${path.slice(0, 200)}`);
  const pathAndQuery = fillPath(operation.path, objectParam('path_params', params.path_params)) + queryString(objectParam('query_params', params.query_params));
  if (params.payload === undefined || params.payload === null) return { method, pathAndQuery };
  if (BODYLESS.has(method)) throw badRequest(`A ${method.toUpperCase()} operation takes no payload; use query_params`);
  return { method, pathAndQuery, body: params.payload };
}

/**
 * An installable package's endpoint: the operation with that operationId. The app passes one object; its keys
 * named after the operation's path and query parameters fill them, and the rest is the JSON body (the query string
 * for operations that take no body).
 */
export function planInstallableCall(integration: OpenIntegration, operationId: string, data: unknown): { operation: Operation; request: PlannedRequest } {
  const values = objectParam('The request body', data);
  const operation = findOperationById(documentOf(integration), operationId);
  if (!operation) throw notFound(`Integration ${integration.slug} has no operation ${operationId.slice(0, 200)}`);
  const placeholders = new Set(pathPlaceholders(operation.path));
  const queryNames = new Set(operation.parameters.filter((p) => p.in === 'query').map((p) => p.name));
  const query: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    if (placeholders.has(name)) continue;
    if (queryNames.has(name)) query[name] = value;
    else rest[name] = value;
  }
  const takesBody = operation.hasRequestBody || !['get', 'head', 'delete'].includes(operation.method);
  if (!takesBody) Object.assign(query, rest);
  const pathAndQuery = fillPath(operation.path, values) + queryString(query);
  const request = takesBody ? { method: operation.method, pathAndQuery, body: rest } : { method: operation.method, pathAndQuery };
  return { operation, request };
}

/** The integration's base URL and a path, joined without doubling or dropping the slash between them. */
export function joinUrl(baseUrl: string, pathAndQuery: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${pathAndQuery}`;
}
