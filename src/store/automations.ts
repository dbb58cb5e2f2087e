// Automations' platform tables: the durable outbox cursor, per-automation state (pause overrides, schedule progress)
// and the run queue with its attempts. Workers on any node claim due runs with SKIP LOCKED under a renewable lease.

import { Sql } from './database.js';
import type { OutboxCursor } from './outbox.js';
import { isoUtc } from './timestamps.js';

export type RunTrigger = 'entity' | 'schedule' | 'manual';
export type RunStatus = 'queued' | 'running' | 'succeeded' | 'dead';
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'lost';

const CONSUMER = 'automations';
const OPEN = `('queued', 'running')`;
const LOST = 'the node running this attempt stopped before it finished';

/** The automations' own place in the outbox, locked until the transaction ends: one dispatcher at a time. */
export async function lockAutomationCursor(tx: Sql): Promise<OutboxCursor> {
  const [row] = await tx.query<{ last: number; pending: Record<string, string> }>(
    `SELECT last_position::float8 AS last, pending FROM homebase.automation_cursor WHERE consumer = $1 FOR UPDATE`,
    [CONSUMER],
  );
  return { last: row.last, pending: new Map(Object.entries(row.pending).map(([position, xmax]) => [Number(position), BigInt(xmax)])) };
}

export async function saveAutomationCursor(tx: Sql, cursor: OutboxCursor): Promise<void> {
  const pending = Object.fromEntries([...cursor.pending].map(([position, xmax]) => [position, xmax.toString()]));
  await tx.query(`UPDATE homebase.automation_cursor SET last_position = $2, pending = $3::text::jsonb WHERE consumer = $1`, [
    CONSUMER,
    cursor.last,
    JSON.stringify(pending),
  ]);
}

/** The oldest change still in the outbox, to tell whether pruning overtook the cursor. */
export async function oldestOutboxPosition(db: Sql): Promise<number | undefined> {
  const [row] = await db.query<{ position: number | null }>('SELECT min(position)::float8 AS position FROM homebase.outbox');
  return row.position ?? undefined;
}

/** How a claim names an automation in `inFlight`. */
export const automationKey = (appId: string, functionName: string, automation: string) => `${appId}\u0001${functionName}\u0001${automation}`;

export interface EntityRunInput {
  id: string;
  appId: string;
  position: number;
  /** `Entity:record id`: one record's runs of one automation go in commit order. */
  recordKey: string;
  /** A create is its record's first change: nothing to wait for. */
  isCreate: boolean;
  functionName: string;
  automation: string;
  functionArgs: Record<string, unknown>;
}

/**
 * Queues one run per matched change (given in commit order), its body built from the outbox row: Base44's entity
 * payload over the automation's `function_args`. Records (or previous records) over `maxPayloadBytes` of JSON are
 * left out. Each run names the run it must wait for: the latest still open for the same automation and record.
 */
export async function insertEntityRuns(tx: Sql, runs: EntityRunInput[], maxPayloadBytes: number): Promise<void> {
  if (runs.length === 0) return;
  const chainKey = (r: { appId: string; functionName: string; automation: string; recordKey: string }) =>
    `${automationKey(r.appId, r.functionName, r.automation)}\u0001${r.recordKey}`;
  const open = await tx.query<{ app_id: string; function_name: string; automation: string; record_key: string; id: string }>(
    `SELECT DISTINCT ON (r.app_id, r.function_name, r.automation, r.record_key) r.app_id, r.function_name, r.automation, r.record_key, r.id
     FROM jsonb_to_recordset($1::text::jsonb) AS k(app_id text, function_name text, automation text, record_key text)
     JOIN homebase.automation_runs r ON r.app_id = k.app_id AND r.function_name = k.function_name AND r.automation = k.automation
       AND r.record_key = k.record_key AND r.status IN ${OPEN}
     ORDER BY r.app_id, r.function_name, r.automation, r.record_key, r.position DESC`,
    [
      JSON.stringify(
        runs.filter((r) => !r.isCreate).map((r) => ({ app_id: r.appId, function_name: r.functionName, automation: r.automation, record_key: r.recordKey })),
      ),
    ],
  );
  const latest = new Map(open.map((row) => [chainKey({ appId: row.app_id, functionName: row.function_name, automation: row.automation, recordKey: row.record_key }), row.id]));
  const after = runs.map((r) => {
    const previous = latest.get(chainKey(r));
    latest.set(chainKey(r), r.id);
    return previous ?? null;
  });
  await tx.query(
    `INSERT INTO homebase.automation_runs (id, app_id, function_name, automation, trigger, position, record_key, after_run_id, body, status)
     SELECT m.id, o.app_id, m.function_name, m.automation, 'entity', o.position, m.record_key, m.after_run_id,
       m.args || jsonb_build_object(
         'event', jsonb_build_object('type', o.type, 'entity_name', o.entity, 'entity_id', o.record_id),
         'data', CASE WHEN size.too_large THEN NULL ELSE o.data END,
         'old_data', CASE WHEN size.too_large THEN NULL ELSE o.old_data END,
         'payload_too_large', size.too_large),
       'queued'
     FROM jsonb_to_recordset($1::text::jsonb)
       AS m(id text, position bigint, app_id text, function_name text, automation text, record_key text, after_run_id text, args jsonb)
     JOIN homebase.outbox o ON o.position = m.position AND o.app_id = m.app_id
     CROSS JOIN LATERAL (SELECT octet_length(o.data::text) > $2 OR COALESCE(octet_length(o.old_data::text), 0) > $2 AS too_large) size`,
    [
      JSON.stringify(
        runs.map((r, i) => ({
          id: r.id,
          position: r.position,
          app_id: r.appId,
          function_name: r.functionName,
          automation: r.automation,
          record_key: r.recordKey,
          after_run_id: after[i],
          args: r.functionArgs,
        })),
      ),
      maxPayloadBytes,
    ],
  );
}

export interface ScheduledRunInput {
  id: string;
  appId: string;
  functionName: string;
  automation: string;
  body: Record<string, unknown>;
}

/** A run of a schedule's tick; false when that tick already has one. */
export async function insertTickRun(tx: Sql, run: ScheduledRunInput, tick: Date, missedSince: Date | undefined): Promise<boolean> {
  const rows = await tx.query(
    `INSERT INTO homebase.automation_runs (id, app_id, function_name, automation, trigger, tick, missed_since, body, status)
     VALUES ($1, $2, $3, $4, 'schedule', $5, $6, $7::text::jsonb, 'queued')
     ON CONFLICT (app_id, function_name, automation, tick) DO NOTHING RETURNING id`,
    [run.id, run.appId, run.functionName, run.automation, tick.toISOString(), missedSince?.toISOString() ?? null, JSON.stringify(run.body)],
  );
  return rows.length > 0;
}

export async function insertManualRun(db: Sql, run: ScheduledRunInput): Promise<void> {
  await db.query(
    `INSERT INTO homebase.automation_runs (id, app_id, function_name, automation, trigger, body, status)
     VALUES ($1, $2, $3, $4, 'manual', $5::text::jsonb, 'queued')`,
    [run.id, run.appId, run.functionName, run.automation, JSON.stringify(run.body)],
  );
}

export interface AutomationState {
  functionName: string;
  name: string;
  activeOverride: boolean | null;
  scheduleHash: string | null;
  anchor: Date | null;
  lastTick: Date | null;
  tickCount: number;
}

type StateRow = {
  function_name: string;
  name: string;
  active_override: boolean | null;
  schedule_hash: string | null;
  anchor: string | null;
  last_tick: string | null;
  tick_count: number;
};
const STATE_COLUMNS = `function_name, name, active_override, schedule_hash, ${isoUtc('anchor_date')} AS anchor, ${isoUtc('last_tick')} AS last_tick, tick_count`;
const state = (row: StateRow): AutomationState => ({
  functionName: row.function_name,
  name: row.name,
  activeOverride: row.active_override,
  scheduleHash: row.schedule_hash,
  anchor: row.anchor ? new Date(row.anchor) : null,
  lastTick: row.last_tick ? new Date(row.last_tick) : null,
  tickCount: row.tick_count,
});

export async function automationStates(db: Sql, appId: string): Promise<AutomationState[]> {
  const rows = await db.query<StateRow>(`SELECT ${STATE_COLUMNS} FROM homebase.automation_state WHERE app_id = $1`, [appId]);
  return rows.map(state);
}

/** Automations of the given apps paused or resumed at runtime, by automationKey(). */
export async function activeOverrides(db: Sql, appIds: string[]): Promise<Map<string, boolean>> {
  const rows = await db.query<{ app_id: string; function_name: string; name: string; active_override: boolean }>(
    `SELECT app_id, function_name, name, active_override FROM homebase.automation_state
     WHERE app_id IN (SELECT jsonb_array_elements_text($1::text::jsonb)) AND active_override IS NOT NULL`,
    [JSON.stringify(appIds)],
  );
  return new Map(rows.map((row) => [automationKey(row.app_id, row.function_name, row.name), row.active_override]));
}

export async function setActiveOverride(db: Sql, appId: string, functionName: string, name: string, active: boolean): Promise<void> {
  await db.query(
    `INSERT INTO homebase.automation_state (app_id, function_name, name, active_override) VALUES ($1, $2, $3, $4)
     ON CONFLICT (app_id, function_name, name) DO UPDATE SET active_override = EXCLUDED.active_override`,
    [appId, functionName, name, active],
  );
}

/** Starts counting a schedule from `anchor`, with no ticks yet, unless it is already counting this very schedule. */
export async function startSchedule(db: Sql, appId: string, functionName: string, name: string, scheduleHash: string, anchor: Date): Promise<void> {
  await db.query(
    `INSERT INTO homebase.automation_state (app_id, function_name, name, schedule_hash, anchor_date) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (app_id, function_name, name) DO UPDATE
       SET schedule_hash = EXCLUDED.schedule_hash, anchor_date = EXCLUDED.anchor_date, last_tick = NULL, tick_count = 0
       WHERE automation_state.schedule_hash IS DISTINCT FROM EXCLUDED.schedule_hash`,
    [appId, functionName, name, scheduleHash, anchor.toISOString()],
  );
}

/** One automation's state, locked until the transaction ends: one node at a time decides a schedule's tick. */
export async function lockState(tx: Sql, appId: string, functionName: string, name: string): Promise<AutomationState | undefined> {
  const [row] = await tx.query<StateRow>(
    `SELECT ${STATE_COLUMNS} FROM homebase.automation_state WHERE app_id = $1 AND function_name = $2 AND name = $3 FOR UPDATE`,
    [appId, functionName, name],
  );
  return row && state(row);
}

/** Records that a schedule is done with every tick up to `lastTick`; `ran` counts it towards `ends_after_count`. */
export async function advanceSchedule(tx: Sql, appId: string, functionName: string, name: string, lastTick: Date, ran: boolean): Promise<void> {
  await tx.query(
    `UPDATE homebase.automation_state SET last_tick = $4, tick_count = tick_count + $5
     WHERE app_id = $1 AND function_name = $2 AND name = $3`,
    [appId, functionName, name, lastTick.toISOString(), ran ? 1 : 0],
  );
}

export interface ClaimedRun {
  id: string;
  appId: string;
  functionName: string;
  automation: string;
  trigger: RunTrigger;
  attempt: number;
  body: Record<string, unknown>;
}

export interface ClaimOptions {
  limit: number;
  leaseSeconds: number;
  maxAttempts: number;
  /** Runs of one automation this node delivers at once at most, so that one busy automation never takes every slot. */
  perAutomation: number;
  /** Runs this node is delivering now, by automationKey(). */
  inFlight: Record<string, number>;
}

/**
 * Takes up to `limit` due runs for this node: queued ones whose time has come, and running ones whose lease ran
 * out (their node died; that attempt is recorded as lost, and a run out of attempts goes dead instead). Each
 * automation's oldest due runs come first, no more of them than it has room for on this node. A change waits while
 * an earlier change of the same record is still open for the same automation; paused automations' runs wait too,
 * except runs started by hand.
 */
export async function claimRuns(db: Sql, options: ClaimOptions): Promise<ClaimedRun[]> {
  const rows = await db.query<{
    id: string;
    app_id: string;
    function_name: string;
    automation: string;
    trigger: RunTrigger;
    attempt: number;
    body: Record<string, unknown>;
  }>(
    `WITH automations AS (
       SELECT a.app_id, a.function_name, a.automation,
         $5::int - COALESCE((SELECT busy.value::int FROM jsonb_each_text($6::text::jsonb) busy
                             WHERE busy.key = a.app_id || chr(1) || a.function_name || chr(1) || a.automation), 0) AS room
       FROM (SELECT DISTINCT app_id, function_name, automation FROM homebase.automation_runs
             WHERE status IN ${OPEN} AND due_date <= now()) a
     ), due AS (
       SELECT picked.id, picked.exhausted FROM automations a
       CROSS JOIN LATERAL (
         SELECT r.id, r.due_date, r.status = 'running' AND r.attempt >= $3 AS exhausted
         FROM homebase.automation_runs r
         WHERE r.app_id = a.app_id AND r.function_name = a.function_name AND r.automation = a.automation
           AND r.status IN ${OPEN} AND r.due_date <= now()
           AND (r.after_run_id IS NULL OR NOT EXISTS (
             SELECT 1 FROM homebase.automation_runs previous WHERE previous.id = r.after_run_id AND previous.status IN ${OPEN}))
           AND (r.trigger = 'manual' OR NOT EXISTS (
             SELECT 1 FROM homebase.automation_state s
             WHERE s.app_id = r.app_id AND s.function_name = r.function_name AND s.name = r.automation AND s.active_override = false))
         ORDER BY r.due_date, r.id
         LIMIT GREATEST(a.room, 0)
         FOR UPDATE OF r SKIP LOCKED
       ) picked
       ORDER BY picked.due_date, picked.id
       LIMIT $1
     ), claimed AS (
       UPDATE homebase.automation_runs r SET
         status = CASE WHEN due.exhausted THEN 'dead' ELSE 'running' END,
         attempt = CASE WHEN due.exhausted THEN r.attempt ELSE r.attempt + 1 END,
         due_date = CASE WHEN due.exhausted THEN r.due_date ELSE now() + make_interval(secs => $2) END,
         started_date = CASE WHEN due.exhausted THEN r.started_date ELSE now() END,
         finished_date = CASE WHEN due.exhausted THEN now() END,
         duration_ms = CASE WHEN due.exhausted THEN r.duration_ms END,
         error = CASE WHEN due.exhausted THEN $4 ELSE r.error END
       FROM due WHERE r.id = due.id
       RETURNING r.id, r.app_id, r.function_name, r.automation, r.trigger, r.attempt, r.body, r.status
     ), lost AS (
       UPDATE homebase.automation_attempts a SET status = 'lost', finished_date = now(), error = $4
       FROM claimed c WHERE a.run_id = c.id AND a.status = 'running'
     ), started AS (
       INSERT INTO homebase.automation_attempts (run_id, attempt, status) SELECT id, attempt, 'running' FROM claimed WHERE status = 'running'
     )
     SELECT id, app_id, function_name, automation, trigger, attempt, body FROM claimed WHERE status = 'running'`,
    [options.limit, options.leaseSeconds, options.maxAttempts, LOST, options.perAutomation, JSON.stringify(options.inFlight)],
  );
  return rows.map((r) => ({
    id: r.id,
    appId: r.app_id,
    functionName: r.function_name,
    automation: r.automation,
    trigger: r.trigger,
    attempt: r.attempt,
    body: r.body,
  }));
}

/** Keeps this node's runs in progress from looking abandoned. */
export async function renewLeases(db: Sql, runs: { id: string; attempt: number }[], leaseSeconds: number): Promise<void> {
  if (runs.length === 0) return;
  await db.query(
    `UPDATE homebase.automation_runs r SET due_date = now() + make_interval(secs => $2)
     FROM jsonb_to_recordset($1::text::jsonb) AS mine(id text, attempt int)
     WHERE r.id = mine.id AND r.attempt = mine.attempt AND r.status = 'running'`,
    [JSON.stringify(runs), leaseSeconds],
  );
}

export interface AttemptOutcome {
  runId: string;
  attempt: number;
  succeeded: boolean;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  invocationId: string | null;
  /** Seconds until the next attempt of a failed run; null makes it dead. */
  retryInSeconds: number | null;
}

/** Records how an attempt ended and what happens to its run. An attempt whose lease was taken over changes nothing. */
export async function finishAttempt(db: Sql, o: AttemptOutcome): Promise<void> {
  await db.query(
    `WITH attempt AS (
       UPDATE homebase.automation_attempts SET status = $3, finished_date = now(), duration_ms = $4, http_status = $5, error = $6, invocation_id = $7
       WHERE run_id = $1 AND attempt = $2
     )
     UPDATE homebase.automation_runs SET
       status = CASE WHEN $3 = 'succeeded' THEN 'succeeded' WHEN $8::float8 IS NULL THEN 'dead' ELSE 'queued' END,
       due_date = CASE WHEN $8::float8 IS NULL THEN due_date ELSE now() + make_interval(secs => $8::float8) END,
       finished_date = CASE WHEN $3 = 'succeeded' OR $8::float8 IS NULL THEN now() END,
       duration_ms = $4, http_status = $5, error = $6, invocation_id = $7
     WHERE id = $1 AND attempt = $2 AND status = 'running'`,
    [
      o.runId,
      o.attempt,
      o.succeeded ? 'succeeded' : 'failed',
      o.durationMs,
      o.httpStatus,
      o.error,
      o.invocationId,
      o.succeeded ? null : o.retryInSeconds,
    ],
  );
}

/** Gives up on a run without calling the function (it is no longer deployed). */
export async function killRun(db: Sql, runId: string, attempt: number, error: string): Promise<void> {
  await finishAttempt(db, { runId, attempt, succeeded: false, durationMs: 0, httpStatus: null, error, invocationId: null, retryInSeconds: null });
}

export interface RunAttempt {
  attempt: number;
  status: AttemptStatus;
  startedDate: string;
  finishedDate: string | null;
  durationMs: number | null;
  httpStatus: number | null;
  error: string | null;
  invocationId: string | null;
}

export interface RunRecord {
  id: string;
  functionName: string;
  automation: string;
  trigger: RunTrigger;
  status: RunStatus;
  attempt: number;
  /** The tick a schedule's run stands for, and the first tick it stands in for after downtime. */
  tick: string | null;
  missedSince: string | null;
  event: { type: string; entity_name: string; entity_id: string } | null;
  createdDate: string;
  /** When a queued run is next tried. */
  nextAttemptDate: string | null;
  startedDate: string | null;
  finishedDate: string | null;
  durationMs: number | null;
  httpStatus: number | null;
  error: string | null;
  invocationId: string | null;
  attempts?: RunAttempt[];
}

type RunRow = {
  id: string;
  function_name: string;
  automation: string;
  trigger: RunTrigger;
  status: RunStatus;
  attempt: number;
  tick: string | null;
  missed_since: string | null;
  event: RunRecord['event'];
  created: string;
  due: string;
  started: string | null;
  finished: string | null;
  duration_ms: number | null;
  http_status: number | null;
  error: string | null;
  invocation_id: string | null;
};
const RUN_COLUMNS =
  `id, function_name, automation, trigger, status, attempt, ${isoUtc('tick')} AS tick, ${isoUtc('missed_since')} AS missed_since, ` +
  `body->'event' AS event, ${isoUtc('created_date')} AS created, ${isoUtc('due_date')} AS due, ${isoUtc('started_date')} AS started, ` +
  `${isoUtc('finished_date')} AS finished, duration_ms, http_status, error, invocation_id`;
const run = (row: RunRow): RunRecord => ({
  id: row.id,
  functionName: row.function_name,
  automation: row.automation,
  trigger: row.trigger,
  status: row.status,
  attempt: row.attempt,
  tick: row.tick,
  missedSince: row.missed_since,
  event: row.event,
  createdDate: row.created,
  nextAttemptDate: row.status === 'queued' ? row.due : null,
  startedDate: row.started,
  finishedDate: row.finished,
  durationMs: row.duration_ms,
  httpStatus: row.http_status,
  error: row.error,
  invocationId: row.invocation_id,
});

export interface RunQuery {
  limit: number;
  status?: RunStatus;
  trigger?: RunTrigger;
}

/** An automation's runs, newest first. */
export async function listRuns(db: Sql, appId: string, functionName: string, automation: string, q: RunQuery): Promise<RunRecord[]> {
  const rows = await db.query<RunRow>(
    `SELECT ${RUN_COLUMNS} FROM homebase.automation_runs
     WHERE app_id = $1 AND function_name = $2 AND automation = $3 AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR trigger = $5)
     ORDER BY created_date DESC, id DESC LIMIT $6`,
    [appId, functionName, automation, q.status ?? null, q.trigger ?? null, q.limit],
  );
  return rows.map(run);
}

/** One run with each of its attempts. */
export async function findRun(db: Sql, appId: string, runId: string): Promise<RunRecord | undefined> {
  const [row] = await db.query<RunRow>(`SELECT ${RUN_COLUMNS} FROM homebase.automation_runs WHERE app_id = $1 AND id = $2`, [appId, runId]);
  if (!row) return undefined;
  const attempts = await db.query<{
    attempt: number;
    status: AttemptStatus;
    started: string;
    finished: string | null;
    duration_ms: number | null;
    http_status: number | null;
    error: string | null;
    invocation_id: string | null;
  }>(
    `SELECT attempt, status, ${isoUtc('started_date')} AS started, ${isoUtc('finished_date')} AS finished, duration_ms, http_status, error, invocation_id
     FROM homebase.automation_attempts WHERE run_id = $1 ORDER BY attempt`,
    [runId],
  );
  return {
    ...run(row),
    attempts: attempts.map((a) => ({
      attempt: a.attempt,
      status: a.status,
      startedDate: a.started,
      finishedDate: a.finished,
      durationMs: a.duration_ms,
      httpStatus: a.http_status,
      error: a.error,
      invocationId: a.invocation_id,
    })),
  };
}

export interface RunTotals {
  functionName: string;
  automation: string;
  open: number;
  dead: number;
  last: RunRecord;
}

/** Per automation of an app: its latest run and how many runs are open or dead. */
export async function runTotals(db: Sql, appId: string): Promise<RunTotals[]> {
  const rows = await db.query<RunRow & { open: number; dead: number }>(
    `SELECT latest.*, counts.open, counts.dead FROM (
       SELECT DISTINCT ON (function_name, automation) ${RUN_COLUMNS} FROM homebase.automation_runs
       WHERE app_id = $1 ORDER BY function_name, automation, created_date DESC, id DESC
     ) latest JOIN (
       SELECT function_name, automation, count(*) FILTER (WHERE status IN ${OPEN})::int AS open, count(*) FILTER (WHERE status = 'dead')::int AS dead
       FROM homebase.automation_runs WHERE app_id = $1 GROUP BY function_name, automation
     ) counts USING (function_name, automation)`,
    [appId],
  );
  return rows.map((row) => ({ functionName: row.function_name, automation: row.automation, open: row.open, dead: row.dead, last: run(row) }));
}

/** Drops finished runs (and their attempts) older than the retention period. */
export async function pruneRuns(db: Sql, retentionDays: number): Promise<void> {
  await db.query(
    `DELETE FROM homebase.automation_runs WHERE status IN ('succeeded', 'dead') AND finished_date < now() - make_interval(days => $1::int)`,
    [retentionDays],
  );
}
