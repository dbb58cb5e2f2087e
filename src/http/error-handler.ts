// Turns every thrown error into the body the SDK reads: top-level `message` and `detail`, a stable `code`.
// Client mistakes keep their 4xx; anything unexpected is logged with its request id and answered without internals.

import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, HttpError } from '../errors.js';

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'bad_request',
  422: 'validation_failed',
  429: 'rate_limited',
};

const ERROR_TYPE: Partial<Record<ErrorCode, string>> = {
  validation_failed: 'ValidationError',
  not_found: 'ObjectNotFoundError',
  internal: 'InternalServerError',
};

export function errorBody(request: FastifyRequest, status: number, code: ErrorCode, message: string, extra?: object) {
  return {
    message,
    detail: message,
    code,
    error_type: ERROR_TYPE[code] ?? 'HTTPException',
    request_id: request.id,
    ...(extra ? { extra_data: extra } : {}),
  };
}

export function handleError(error: FastifyError | HttpError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) {
    if (error.headers) reply.headers(error.headers);
    return reply.status(error.status).send(errorBody(request, error.status, error.code, error.message, error.extra));
  }
  const status = (error as FastifyError).statusCode;
  // Fastify's own client errors: malformed JSON, body too large, unsupported media type.
  if (status && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS[status] ?? 'bad_request';
    return reply.status(status).send(errorBody(request, status, code, error.message));
  }
  // Only the error's own facts: database errors carry the statement's parameters, which may hold user data.
  const { message, stack } = error;
  request.log.error({ error: { message, stack, code: (error as { code?: unknown }).code } }, 'unexpected error');
  return reply.status(500).send(errorBody(request, 500, 'internal', 'Internal server error'));
}
