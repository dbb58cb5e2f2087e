// Connectors: OAuth-style tokens the operator provisions per app, handed to the service role
// (`connectors.getConnection`) or attached server-side to a proxied call (`connectors.callApi`).

import { badRequest } from '../errors.js';
import { isPlainObject } from '../query/index.js';
import type { OpenIntegration } from './integration-registry.js';
import { decodeBody, isSuccess, type FailurePhase, type UpstreamResponse } from './upstream.js';

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);
// Headers an app may not set on a proxied call: the connector's credentials and what the HTTP client owns.
const REFUSED_HEADERS = new Set(['authorization', 'cookie', 'host', 'content-length', 'connection', 'transfer-encoding', 'proxy-authorization']);
const SENSITIVE_HEADER = /authorization|cookie|token|secret|key|password/i;
// Response headers worth handing back: rate-limit counters and request ids, as Base44's proxy does.
const EXPOSED_HEADER = /^(x-)?ratelimit|^retry-after$|^x-request-id$/i;

export interface ConnectorCall {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
  /** What the trace keeps: the app's request, sensitive header values masked. */
  traced: Record<string, unknown>;
}

export interface ConnectorAnswer {
  success: boolean;
  phase: 'responded' | FailurePhase;
  status_code: number | null;
  data: unknown;
  data_base64: string | null;
  content_type: string | null;
  headers: Record<string, string>;
  credits_charged: number;
}

export function connectionOf(integration: OpenIntegration) {
  return {
    access_token: integration.credentials.access_token ?? '',
    integration_type: integration.slug,
    connection_config: integration.connectionConfig,
  };
}

function stringRecord(name: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isPlainObject(value)) throw badRequest(`${name} must be an object`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string' || /[\r\n\0]/.test(item)) throw badRequest(`${name}.${key.slice(0, 100)} must be a single-line string`);
  }
  return value as Record<string, string>;
}

/** `callApi(type, {method, host?, path, query, headers, body})` → the request to send, within the connector's API. */
export function planConnectorCall(integration: OpenIntegration, request: unknown, credentials: Record<string, string>): ConnectorCall {
  if (!isPlainObject(request)) throw badRequest('The request must be an object');
  const method = request.method ?? 'GET';
  if (typeof method !== 'string' || !METHODS.has(method)) throw badRequest('method must be one of GET, POST, PUT, PATCH, DELETE or HEAD');
  if (!integration.baseUrl) throw badRequest(`Connector ${integration.slug} has no base_url: set one to call its API through callApi`);
  const base = new URL(integration.baseUrl);
  if (request.host !== undefined && request.host !== null && request.host !== base.hostname) {
    throw badRequest(`Connector ${integration.slug} declares one host, ${base.hostname}`);
  }
  const path = request.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//')) throw badRequest('path must be relative to the API root, starting with /');
  const url = new URL(`${base.href.replace(/\/+$/, '')}${path}`);
  if (url.origin !== base.origin) throw badRequest('path must stay within the connector\'s API');
  if (request.query !== undefined && request.query !== null && !isPlainObject(request.query)) throw badRequest('query must be an object');
  for (const [name, value] of Object.entries(request.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined && item !== null) url.searchParams.append(name, String(item));
  }
  const appHeaders = stringRecord('headers', request.headers);
  // Lower-cased, so a credential header always replaces the app's header of the same name rather than joining it.
  const forwarded = Object.fromEntries(
    Object.entries(appHeaders)
      .map(([name, value]) => [name.toLowerCase(), value])
      .filter(([name]) => !REFUSED_HEADERS.has(name)),
  );
  const takesBody = method !== 'GET' && method !== 'HEAD' && request.body !== undefined && request.body !== null;
  const traced = {
    method,
    path: `${url.pathname}${url.search}`,
    headers: Object.fromEntries(Object.entries(appHeaders).map(([name, value]) => [name, SENSITIVE_HEADER.test(name) ? '********' : value])),
    body: takesBody ? request.body : null,
  };
  return { method, url: url.href, headers: { ...forwarded, ...credentials }, body: takesBody ? request.body : undefined, traced };
}

export function connectorAnswer(response: UpstreamResponse): ConnectorAnswer {
  const decoded = decodeBody(response);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (EXPOSED_HEADER.test(name)) headers[name] = value;
  });
  return {
    success: isSuccess(response.status),
    phase: 'responded',
    status_code: response.status,
    data: decoded.data,
    data_base64: decoded.dataBase64,
    content_type: decoded.dataBase64 === null ? null : decoded.contentType,
    headers,
    credits_charged: 0,
  };
}

export function connectorFailure(phase: FailurePhase, message: string): ConnectorAnswer {
  return { success: false, phase, status_code: null, data: { error: message }, data_base64: null, content_type: null, headers: {}, credits_charged: 0 };
}
