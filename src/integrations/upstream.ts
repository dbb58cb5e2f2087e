// One HTTP exchange with an app's external API (custom integrations, connectors): time-limited, size-capped,
// redirects handed back rather than followed (they would carry the credentials to wherever they point).

import { readCapped } from './provider-http.js';

export interface UpstreamRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Sent as JSON when defined. */
  body?: unknown;
}

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  body: Buffer;
}

/** How far a failed exchange got: only `not_sent` proves the upstream did not act on it. */
export type FailurePhase = 'not_sent' | 'timed_out' | 'sent_unconfirmed';

export class UpstreamFailure extends Error {
  constructor(
    readonly phase: FailurePhase,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamFailure';
  }
}

export interface ExchangeLimits {
  timeoutMs: number;
  maxResponseBytes: number;
}

// Failures before any byte left: the connection was never made.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function failureOf(error: unknown, limits: ExchangeLimits): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new UpstreamFailure('timed_out', `The API did not answer within ${Math.round(limits.timeoutMs / 100) / 10} s`);
  }
  const code = (error as { cause?: { code?: unknown } }).cause?.code;
  if (typeof code === 'string') {
    return new UpstreamFailure(NOT_SENT_CODES.has(code) ? 'not_sent' : 'sent_unconfirmed', `The API could not be reached (${code})`);
  }
  if (error instanceof TypeError) return new UpstreamFailure('not_sent', 'The API could not be reached');
  return new UpstreamFailure('sent_unconfirmed', 'The exchange with the API failed');
}

export async function exchange(request: UpstreamRequest, limits: ExchangeLimits): Promise<UpstreamResponse> {
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  try {
    // One signal for the whole exchange: an API that sends headers and then stalls is a timeout too.
    const response = await fetch(request.url, {
      method: request.method.toUpperCase(),
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
    const body = await readCapped(response, limits.maxResponseBytes);
    if (!body) throw new UpstreamFailure('sent_unconfirmed', `The API's answer is larger than ${limits.maxResponseBytes} bytes`);
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    throw failureOf(error, limits);
  }
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript)\b)/i;

export interface DecodedBody {
  /** Parsed JSON, else text; null for an empty or binary body. */
  data: unknown;
  /** A binary body, base64-encoded. */
  dataBase64: string | null;
  contentType: string | null;
}

/** JSON when the body parses as JSON, text when it is text, base64 when it is neither. */
export function decodeBody(response: UpstreamResponse): DecodedBody {
  const contentType = response.headers.get('content-type');
  if (response.body.length === 0) return { data: null, dataBase64: null, contentType };
  const text = response.body.toString('utf8');
  try {
    return { data: JSON.parse(text), dataBase64: null, contentType };
  } catch {
    // Not JSON: text or bytes, below.
  }
  const looksText = contentType ? TEXT_TYPE.test(contentType) : !text.includes('\uFFFD');
  if (looksText) return { data: text, dataBase64: null, contentType };
  return { data: null, dataBase64: response.body.toString('base64'), contentType };
}

export const isSuccess = (status: number) => status >= 200 && status <= 299;
