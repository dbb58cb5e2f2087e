// One JSON POST to an operator-configured provider (OpenAI-compatible APIs), with a time limit.
// Failures become coded errors (502, or 504 on timeout) whose text is the provider's own, with keys cut out.

import { gatewayTimeout, upstreamFailed } from '../errors.js';

export interface ProviderEndpoint {
  /** Named in error messages: "LLM provider", "Image provider". */
  label: string;
  /** The API root including its version, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  apiKey?: string;
  timeoutMs: number;
}

const MAX_MESSAGE_CHARS = 300;

const SECRET_SHAPES: [RegExp, string][] = [
  [/\bBearer\s+\S+/gi, 'Bearer [redacted]'],
  // Provider key prefixes, also when the provider echoes them half-masked ("sk-abc***xyz").
  [/\b(?:sk|pk|rk|key|api[-_]?key)[-_][^\s'",;]{3,}/gi, '[redacted]'],
  [/([?&](?:key|api_key|apikey|token|access_token)=)[^&\s'"]+/gi, '$1[redacted]'],
  [/\b[A-Za-z0-9_-]{32,}\b/g, '[redacted]'],
];

/** The provider's message, fit to show to an app: no key (configured or key-shaped), one line, bounded. */
export function sanitizeProviderMessage(message: string, secrets: (string | undefined)[]): string {
  let text = message;
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  for (const [shape, replacement] of SECRET_SHAPES) text = text.replace(shape, replacement);
  text = text.replace(/\p{Cc}+/gu, ' ').replace(/\s+/g, ' ').trim();
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** `error.message` of OpenAI-style bodies, `message`/`detail` of others, else the body text. */
export function providerMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const candidates = [typeof parsed.error === 'object' ? parsed.error?.message : parsed.error, parsed.message, parsed.detail];
    const found = candidates.find((value) => typeof value === 'string' && value.trim() !== '');
    if (typeof found === 'string') return found;
  } catch {
    // Not JSON: the text itself is the message.
  }
  return body;
}

function requestFailure(endpoint: ProviderEndpoint, error: unknown): Error {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return gatewayTimeout(`The ${endpoint.label} did not answer within ${Math.round(endpoint.timeoutMs / 1000)} s`);
  }
  // undici puts the reason (ECONNREFUSED, ENOTFOUND…) in `cause`; the address stays in the server log only.
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const reason = typeof cause?.code === 'string' ? ` (${cause.code})` : '';
  return upstreamFailed(`The ${endpoint.label} could not be reached${reason}`);
}

export async function postJson(endpoint: ProviderEndpoint, path: string, body: unknown): Promise<unknown> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (endpoint.apiKey) headers.authorization = `Bearer ${endpoint.apiKey}`;
  let status: number;
  let text: string;
  try {
    // One signal for the whole exchange: a provider that sends headers and then stalls is a timeout too.
    const response = await fetch(`${endpoint.baseUrl.replace(/\/+$/, '')}${path}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(endpoint.timeoutMs),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    throw requestFailure(endpoint, error);
  }
  if (status < 200 || status > 299) {
    const message = sanitizeProviderMessage(providerMessage(text), [endpoint.apiKey]);
    throw upstreamFailed(`The ${endpoint.label} answered ${status}${message ? `: ${message}` : ''}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw upstreamFailed(`The ${endpoint.label} answered with something other than JSON`);
  }
}

export async function readCapped(response: Response, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = response.body?.getReader();
  if (!reader) return Buffer.alloc(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

/** Bytes at a URL the provider handed back (a generated image), within the same time limit and a size cap. */
export async function download(endpoint: ProviderEndpoint, url: string, maxBytes: number): Promise<Buffer> {
  if (!/^https?:\/\//i.test(url)) throw upstreamFailed(`The ${endpoint.label} answered with an unusable URL`);
  let response: Response;
  let data: Buffer | undefined;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(endpoint.timeoutMs) });
    data = response.ok ? await readCapped(response, maxBytes) : undefined;
  } catch (error) {
    throw requestFailure(endpoint, error);
  }
  if (!response.ok) throw upstreamFailed(`The ${endpoint.label}'s file could not be downloaded (${response.status})`);
  if (!data) throw upstreamFailed(`The ${endpoint.label}'s file is larger than ${maxBytes} bytes`);
  return data;
}
