// The outbox: committed record changes in commit-safe order, for realtime now and automations later.
// Writers log changes in the statement that makes them (entity-repository.ts); readers walk positions with gap tracking.

import type { SqlParams } from '../query/index.js';
import { Sql } from './database.js';

export const OUTBOX_CHANNEL = 'homebase_outbox';
/** How every outbox write begins: the adapters spot it to announce the commit to followers. */
export const OUTBOX_INSERT = 'INSERT INTO homebase.outbox';

export type ChangeType = 'create' | 'update' | 'delete';

/** One committed change; `data` is the record as the API returns it (for a delete, as it was). */
export interface OutboxEvent {
  position: number;
  appId: string;
  entity: string;
  recordId: string;
  type: ChangeType;
  data: Record<string, unknown>;
  /** When the change's transaction started, in ms since the epoch. */
  time: number;
}

/**
 * What a reader has seen: every position up to `last`, except `pending` — positions taken by transactions that
 * had not committed when they were first noticed, each with the snapshot's xmax at that moment. Positions are
 * taken in order but committed in any order, so a gap below a visible row may still fill in.
 */
export interface OutboxCursor {
  last: number;
  pending: Map<number, bigint>;
}

// A rollback of a very large batch leaves as many gaps; past this many, the oldest are given up.
const MAX_PENDING = 100_000;

const EVENT_COLUMNS =
  `position::float8 AS position, app_id, entity, record_id, type, data, ` +
  `(extract(epoch FROM created_date) * 1000)::float8 AS time`;

/** A cursor starting after everything committed so far. */
export async function outboxCursor(db: Sql): Promise<OutboxCursor> {
  const [row] = await db.query<{ last: number }>('SELECT COALESCE(max(position), 0)::float8 AS last FROM homebase.outbox');
  return { last: row.last, pending: new Map() };
}

type EventRow = {
  xmin: string;
  xmax: string;
  position: number | null;
  app_id: string;
  entity: string;
  record_id: string;
  type: ChangeType;
  data: Record<string, unknown>;
  time: number;
};

/**
 * Reads the next committed changes after `cursor` (at most `limit` new ones, plus any pending gap that committed)
 * and advances it. One statement, so the rows and the snapshot that decides the gaps agree.
 */
export async function readOutbox(db: Sql, cursor: OutboxCursor, limit: number): Promise<{ events: OutboxEvent[]; more: boolean }> {
  const pending = [...cursor.pending.keys()];
  const rows = await db.query<EventRow>(
    `WITH snapshot AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS xmin, pg_snapshot_xmax(pg_current_snapshot())::text AS xmax)
     SELECT snapshot.xmin, snapshot.xmax, changes.* FROM snapshot LEFT JOIN (
       (SELECT ${EVENT_COLUMNS} FROM homebase.outbox WHERE position > $1 ORDER BY position LIMIT $2)
       UNION ALL
       (SELECT ${EVENT_COLUMNS} FROM homebase.outbox WHERE position = ANY($3::text::bigint[]))
     ) changes ON true ORDER BY changes.position`,
    [cursor.last, limit, `{${pending.join(',')}}`],
  );
  const xmin = BigInt(rows[0].xmin);
  const xmax = BigInt(rows[0].xmax);
  const events: OutboxEvent[] = [];
  let fresh = 0;
  for (const row of rows) {
    if (row.position === null) continue;
    if (cursor.pending.has(row.position)) {
      cursor.pending.delete(row.position);
    } else {
      fresh++;
      for (let gap = Math.max(cursor.last + 1, row.position - MAX_PENDING); gap < row.position; gap++) cursor.pending.set(gap, xmax);
      cursor.last = row.position;
    }
    events.push({
      position: row.position,
      appId: row.app_id,
      entity: row.entity,
      recordId: row.record_id,
      type: row.type,
      data: row.data,
      time: row.time,
    });
  }
  // A gap's writer had its transaction id before the gap was seen, so below that snapshot's xmax. Once no
  // transaction that old is running (xmin has passed it) and the row is still absent, it was rolled back.
  for (const [position, seenXmax] of cursor.pending) if (xmin >= seenXmax) cursor.pending.delete(position);
  while (cursor.pending.size > MAX_PENDING) cursor.pending.delete(cursor.pending.keys().next().value!);
  return { events, more: fresh === limit };
}

/**
 * Whether a change after `cursor` (or at one of its pending positions) has one of the `kinds` (`appId:Entity:type`):
 * a cheap look, without locks, before doing the work that reads and moves a cursor.
 */
export async function outboxHasChangesOf(db: Sql, cursor: OutboxCursor, kinds: string[]): Promise<boolean> {
  if (kinds.length === 0) return false;
  const rows = await db.query(
    `SELECT 1 FROM homebase.outbox
     WHERE (position > $1 OR position = ANY($2::text::bigint[]))
       AND app_id || ':' || entity || ':' || type IN (SELECT jsonb_array_elements_text($3::text::jsonb))
     LIMIT 1`,
    [cursor.last, `{${[...cursor.pending.keys()].join(',')}}`, JSON.stringify(kinds)],
  );
  return rows.length > 0;
}

/**
 * Drops changes older than `retentionSeconds`. It walks positions from the oldest and stops at the first
 * recent row, so it needs no index on dates and never removes a change younger than the retention.
 */
export async function pruneOutbox(db: Sql, retentionSeconds: number): Promise<number> {
  // Changes the automations have not queued runs for yet stay, however old: an automation never misses a commit.
  const [row] = await db.query<{ pruned: number }>(
    `WITH expired AS (
       SELECT COALESCE(
         (SELECT position FROM homebase.outbox WHERE created_date >= now() - make_interval(secs => $1::int) ORDER BY position LIMIT 1),
         (SELECT max(position) + 1 FROM homebase.outbox)) AS position
     ), unqueued AS (
       SELECT LEAST(last_position + 1, (SELECT min(key::bigint) FROM jsonb_object_keys(pending) AS key)) AS position
       FROM homebase.automation_cursor
     ), pruned AS (
       DELETE FROM homebase.outbox
       WHERE position < (SELECT position FROM expired) AND position < COALESCE((SELECT min(position) FROM unqueued), 'Infinity'::float8)
       RETURNING 1
     )
     SELECT count(*)::int AS pruned FROM pruned`,
    [retentionSeconds],
  );
  return row.pruned;
}

/**
 * A CTE named `logged` writing each row of the CTE `written` to the outbox as a `type` change. It is part of the
 * statement that makes the change, so it commits or rolls back with it, at no extra round trip. `record` (and
 * `old`, the previous record of an update) are SQL expressions over `written`'s columns.
 */
export function logChanges(params: SqlParams, appId: string, entity: string, type: ChangeType, record: string, old?: string): string {
  return (
    `logged AS (${OUTBOX_INSERT} (app_id, entity, record_id, type, data${old ? ', old_data' : ''}) ` +
    `SELECT ${params.add(appId)}, ${params.add(entity)}, id, '${type}', ${record}${old ? `, ${old}` : ''} FROM written)`
  );
}

/** Prunes the outbox now and then (every few minutes at most); returns the function that stops it. */
export function keepOutboxPruned(db: Sql, retentionSeconds: number, onError: (error: Error) => void): () => void {
  const prune = () => void pruneOutbox(db, retentionSeconds).catch(onError);
  const timer = setInterval(prune, Math.min(retentionSeconds * 1000, 5 * 60 * 1000));
  timer.unref();
  return () => clearInterval(timer);
}
