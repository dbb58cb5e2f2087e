// The one error family every module throws; the HTTP layer turns it into the body the SDK reads.
// Codes are stable (design.md §13): clients and tests match on them, never on message text.

export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'validation_failed'
  | 'payload_too_large'
  | 'rate_limited'
  | 'not_subscribed'
  | 'not_configured'
  | 'upstream_failed'
  | 'function_timeout'
  | 'function_unavailable'
  | 'gateway_timeout'
  | 'internal';

export interface FieldError {
  name: string;
  message: string;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra?: { reason?: string; errors?: FieldError[] },
    /** Response headers the error implies (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export const badRequest = (message: string) => new HttpError(400, 'bad_request', message);
export const unauthorized = (message = 'Authentication required') => new HttpError(401, 'unauthorized', message);
export const forbidden = (message = 'Permission denied') => new HttpError(403, 'forbidden', message);
export const notFound = (message: string) => new HttpError(404, 'not_found', message);
export const conflict = (message: string) => new HttpError(409, 'conflict', message);
export const payloadTooLarge = (message: string) => new HttpError(413, 'payload_too_large', message);

export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, 'rate_limited', message, undefined, { 'retry-after': String(retryAfterSeconds) });

export const upstreamFailed = (message: string) => new HttpError(502, 'upstream_failed', message);
export const gatewayTimeout = (message: string) => new HttpError(504, 'gateway_timeout', message);
export const notConfigured = (message: string) => new HttpError(503, 'not_configured', message);
/** An integration or connector the app has not been set up with (seed 003: apps show their own message for it). */
export const notSubscribed = (message: string) => new HttpError(403, 'not_subscribed', message);

export function validationFailed(errors: FieldError[]): HttpError {
  const message = errors.map((e) => `Error in field ${e.name}: ${e.message}`).join('; ');
  return new HttpError(422, 'validation_failed', message, { errors });
}
