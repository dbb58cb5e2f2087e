// Opaque page cursors: the query, sort and fields of a walk plus the position of its last item.
// A later page may repeat the same query but may not change it; that would silently mix two walks.

import { badRequest } from '../errors.js';
import { isPlainObject } from './filter.js';

export interface CursorState {
  /** Canonical JSON of the walk's query, sort and fields (or distinct field). */
  walk: string;
  /** Sort key (or distinct value) of the last item returned. */
  key: unknown;
  /** Id of the last record returned (absent for distinct walks). */
  id?: string;
}

export function encodeCursor(state: CursorState): string {
  return Buffer.from(JSON.stringify(state)).toString('base64url');
}

export function decodeCursor(cursor: unknown): CursorState {
  if (typeof cursor !== 'string' || cursor.length > 8192) throw badRequest('Invalid cursor');
  try {
    const state: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (isPlainObject(state) && typeof state.walk === 'string' && 'key' in state && (state.id === undefined || typeof state.id === 'string')) {
      return state as unknown as CursorState;
    }
  } catch {
    // falls through to the coded error below
  }
  throw badRequest('Invalid cursor');
}

/** Canonical description of a walk; compared between a cursor and the request that carries it. */
export function describeWalk(parts: Record<string, unknown>): string {
  return JSON.stringify(parts, (_key, value: unknown) =>
    isPlainObject(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
