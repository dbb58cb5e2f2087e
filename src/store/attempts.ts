// Fixed-window attempt counters behind the rate limits, in the database so that every node counts together.
// Keys (which name emails and addresses) are stored as SHA-256 hashes.

import { createHash } from 'node:crypto';
import type { Sql } from './database.js';

const hashOf = (key: string) => createHash('sha256').update(key).digest();

/** Counts one attempt under `key` in its current window (a new one starts when the last has ended). */
export async function countAttempt(db: Sql, key: string, windowSeconds: number): Promise<{ hits: number; secondsLeft: number }> {
  const [row] = await db.query<{ hits: number; seconds_left: number }>(
    `INSERT INTO homebase.attempt_windows AS w (key, ends_date, hits) VALUES ($1, now() + make_interval(secs => $2), 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN w.ends_date <= now() THEN 1 ELSE w.hits + 1 END,
       ends_date = CASE WHEN w.ends_date <= now() THEN EXCLUDED.ends_date ELSE w.ends_date END
     RETURNING hits, extract(epoch FROM ends_date - now())::float8 AS seconds_left`,
    [hashOf(key), windowSeconds],
  );
  return { hits: row.hits, secondsLeft: row.seconds_left };
}

export async function forgetAttempts(db: Sql, key: string): Promise<void> {
  await db.query('DELETE FROM homebase.attempt_windows WHERE key = $1', [hashOf(key)]);
}

export async function pruneAttempts(db: Sql): Promise<void> {
  await db.query('DELETE FROM homebase.attempt_windows WHERE ends_date <= now()');
}
