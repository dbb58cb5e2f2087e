// Seed-record shapes and helpers shared by the query and access unit tests that run filters on PGlite:
// the record rows they seed, the callers who created them, and the flat view of a record the store hands out.

import type { SeedRecord } from './pglite.js';

export type Data = Record<string, unknown>;
/** A seeded row: built-in columns beside the record's `data`. */
export interface SeedRow {
  id: string;
  created_date: string;
  created_by: string | null;
  data: Data;
}

export const ann = 'ann@x.io';
export const bob = 'bob@x.io';
export const carol = 'carol@x.io';
export const dan = 'dan@x.io';

/** The record as the store hands it out: flat, built-ins beside the fields. */
export function flatRecord(r: SeedRecord): Record<string, unknown> {
  return {
    id: r.id,
    created_date: r.created_date,
    updated_date: r.created_date,
    created_by: r.created_by ?? null,
    created_by_id: r.created_by ? `id-${r.created_by}` : null,
    is_sample: false,
    ...(r.data as Data),
  };
}
