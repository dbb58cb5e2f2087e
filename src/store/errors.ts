// Maps database errors caused by bad input (a malformed regex, an out-of-range value) to coded 4xx.
// Anything else stays an internal error: it is logged, and the client sees no internals.

import { HttpError } from '../errors.js';

const CLIENT_ERRORS: Record<string, [number, HttpError['code'], string]> = {
  '2201B': [400, 'bad_request', 'Invalid regular expression'],
  '22P02': [400, 'bad_request', 'Invalid value in query'],
  '22007': [400, 'bad_request', 'Invalid date or time in query'],
  '22008': [400, 'bad_request', 'Date or time out of range'],
  '22003': [400, 'bad_request', 'Number out of range'],
  '54001': [400, 'bad_request', 'Query is too complex'],
  '23505': [409, 'conflict', 'A record with the same unique value already exists'],
};

export function translateDatabaseError(error: unknown): unknown {
  const code = (error as { code?: unknown }).code;
  const known = typeof code === 'string' ? CLIENT_ERRORS[code] : undefined;
  if (!known) return error;
  const detail = (error as Error).message;
  return new HttpError(known[0], known[1], `${known[2]}: ${detail}`);
}
