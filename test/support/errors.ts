// Assertions on the coded errors modules throw.

import { expect } from 'vitest';
import { HttpError } from '../../src/errors.js';

/** Runs `fn`, expects it to throw a 400 `bad_request` HttpError, and returns that error. */
export function badRequestOf(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 400, code: 'bad_request' });
    return error as HttpError;
  }
  throw new Error('expected a 400 HttpError');
}
