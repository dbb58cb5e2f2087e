// Reads numbers and flags from query strings, where every value arrives as text.

import { badRequest } from '../errors.js';

/** An integer parameter; values above `max` are capped, as the SDK documents its limits. */
export function integerParam(name: string, value: unknown, fallback: number, max: number, min = 0): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number < min) throw badRequest(`${name} must be an integer of at least ${min}`);
  return Math.min(number, max);
}

export function stringParam(name: string, value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once, as text`);
  return value;
}
