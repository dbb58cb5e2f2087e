// Backend functions' platform tables: immutable deployments, the live one per function, sealed secrets,
// invocation records and their log lines (kept for a bounded time).

import { Sql } from './database.js';
import { isoUtc } from './timestamps.js';

export type DeploymentState = 'dummy' | 'erroring' | 'under_dev' | 'potential_release' | 'under_user_test' | 'release' | 'reverted';
export type DeploymentSource = 'project' | 'api';

export interface FunctionFile {
  path: string;
  content: string;
}

export interface DeploymentSummary {
  id: string;
  name: string;
  entry: string;
  state: DeploymentState;
  source: DeploymentSource;
  contentHash: string;
  createdDate: string;
}

export interface Deployment extends DeploymentSummary {
  files: FunctionFile[];
  automations: unknown[];
}

const DEPLOYMENT_SUMMARY = `d.id, d.function_name, d.entry, d.state, d.source, d.content_hash, ${isoUtc('d.created_date')} AS created`;

type SummaryRow = { id: string; function_name: string; entry: string; state: DeploymentState; source: DeploymentSource; content_hash: string; created: string };
type DeploymentRow = SummaryRow & { files: FunctionFile[]; automations: unknown[] };

const summary = (row: SummaryRow): DeploymentSummary => ({
  id: row.id,
  name: row.function_name,
  entry: row.entry,
  state: row.state,
  source: row.source,
  contentHash: row.content_hash,
  createdDate: row.created,
});
const deployment = (row: DeploymentRow): Deployment => ({ ...summary(row), files: row.files, automations: row.automations });

export async function insertDeployment(db: Sql, appId: string, d: Omit<Deployment, 'createdDate'>): Promise<void> {
  await db.query(
    `INSERT INTO homebase.function_deployments (id, app_id, function_name, entry, files, automations, content_hash, state, source)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7, $8, $9)`,
    [d.id, appId, d.name, d.entry, JSON.stringify(d.files), JSON.stringify(d.automations), d.contentHash, d.state, d.source],
  );
}

export async function setLiveDeployment(db: Sql, appId: string, name: string, deploymentId: string): Promise<void> {
  await db.query(
    `INSERT INTO homebase.functions (app_id, name, live_deployment_id) VALUES ($1, $2, $3)
     ON CONFLICT (app_id, name) DO UPDATE SET live_deployment_id = EXCLUDED.live_deployment_id, updated_date = now()`,
    [appId, name, deploymentId],
  );
}

/** Every function of an app with its live deployment, files included. */
export async function liveDeployments(db: Sql, appId: string): Promise<Deployment[]> {
  const rows = await db.query<DeploymentRow>(
    `SELECT ${DEPLOYMENT_SUMMARY}, d.files, d.automations
     FROM homebase.functions f JOIN homebase.function_deployments d ON d.id = f.live_deployment_id
     WHERE f.app_id = $1 ORDER BY f.name`,
    [appId],
  );
  return rows.map(deployment);
}

export async function findDeployment(db: Sql, appId: string, id: string): Promise<Deployment | undefined> {
  const [row] = await db.query<DeploymentRow>(
    `SELECT ${DEPLOYMENT_SUMMARY}, d.files, d.automations FROM homebase.function_deployments d WHERE d.app_id = $1 AND d.id = $2`,
    [appId, id],
  );
  return row && deployment(row);
}

/** A function's deployments, newest first, without their files. */
export async function listDeployments(db: Sql, appId: string, name: string): Promise<DeploymentSummary[]> {
  const rows = await db.query<SummaryRow>(
    `SELECT ${DEPLOYMENT_SUMMARY} FROM homebase.function_deployments d
     WHERE d.app_id = $1 AND d.function_name = $2 ORDER BY d.created_date DESC, d.id DESC`,
    [appId, name],
  );
  return rows.map(summary);
}

export async function setDeploymentState(db: Sql, appId: string, id: string, state: DeploymentState): Promise<boolean> {
  const rows = await db.query('UPDATE homebase.function_deployments SET state = $3 WHERE app_id = $1 AND id = $2 RETURNING id', [
    appId,
    id,
    state,
  ]);
  return rows.length > 0;
}

/** Removes a function and all its deployments; false when there was no such function. */
export async function deleteFunction(db: Sql, appId: string, name: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM homebase.functions WHERE app_id = $1 AND name = $2 RETURNING name', [appId, name]);
  await db.query('DELETE FROM homebase.function_deployments WHERE app_id = $1 AND function_name = $2', [appId, name]);
  return rows.length > 0;
}

export async function upsertSecrets(db: Sql, appId: string, sealed: { name: string; value: string }[]): Promise<void> {
  await db.query(
    `INSERT INTO homebase.secrets (app_id, name, sealed_value)
     SELECT $1, s.name, s.value FROM jsonb_to_recordset($2::text::jsonb) AS s(name text, value text)
     ON CONFLICT (app_id, name) DO UPDATE SET sealed_value = EXCLUDED.sealed_value, updated_date = now()`,
    [appId, JSON.stringify(sealed)],
  );
}

export async function sealedSecrets(db: Sql, appId: string): Promise<{ name: string; value: string }[]> {
  return db.query<{ name: string; value: string }>(
    'SELECT name, sealed_value AS value FROM homebase.secrets WHERE app_id = $1 ORDER BY name',
    [appId],
  );
}

export async function deleteSecret(db: Sql, appId: string, name: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM homebase.secrets WHERE app_id = $1 AND name = $2 RETURNING name', [appId, name]);
  return rows.length > 0;
}

export type Caller =
  | { kind: 'anonymous' }
  | { kind: 'service' }
  | { kind: 'user'; id: string; email: string }
  | { kind: 'invalid' }
  | { kind: 'automation'; name: string };

export interface InvocationRecord {
  id: string;
  functionName: string;
  deploymentId: string;
  startedDate: string;
  durationMs: number;
  status: number;
  outcome: 'ok' | 'error' | 'timeout' | 'crashed' | 'aborted' | 'unavailable';
  caller: Caller;
}

export async function insertInvocations(db: Sql, records: { appId: string; record: InvocationRecord }[]): Promise<void> {
  if (records.length === 0) return;
  await db.query(
    `INSERT INTO homebase.function_invocations
       (id, app_id, function_name, deployment_id, started_date, duration_ms, status, outcome, caller)
     SELECT r.id, r.app_id, r.function_name, r.deployment_id, r.started_date, r.duration_ms, r.status, r.outcome, r.caller
     FROM jsonb_to_recordset($1::text::jsonb) AS r(id text, app_id text, function_name text, deployment_id text,
       started_date timestamptz, duration_ms int, status int, outcome text, caller jsonb)`,
    [
      JSON.stringify(
        records.map(({ appId, record: r }) => ({
          id: r.id,
          app_id: appId,
          function_name: r.functionName,
          deployment_id: r.deploymentId,
          started_date: r.startedDate,
          duration_ms: r.durationMs,
          status: r.status,
          outcome: r.outcome,
          caller: r.caller,
        })),
      ),
    ],
  );
}

export interface InvocationQuery {
  limit: number;
  id?: string;
}

export async function listInvocations(db: Sql, appId: string, name: string, query: InvocationQuery): Promise<InvocationRecord[]> {
  const rows = await db.query<{
    id: string;
    function_name: string;
    deployment_id: string;
    started: string;
    duration_ms: number;
    status: number;
    outcome: InvocationRecord['outcome'];
    caller: Caller;
  }>(
    `SELECT id, function_name, deployment_id, ${isoUtc('started_date')} AS started, duration_ms, status, outcome, caller
     FROM homebase.function_invocations
     WHERE app_id = $1 AND function_name = $2 AND ($3::text IS NULL OR id = $3)
     ORDER BY started_date DESC, id DESC LIMIT $4`,
    [appId, name, query.id ?? null, query.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    functionName: row.function_name,
    deploymentId: row.deployment_id,
    startedDate: row.started,
    durationMs: row.duration_ms,
    status: row.status,
    outcome: row.outcome,
    caller: row.caller,
  }));
}

export interface LogLine {
  appId: string;
  functionName: string;
  invocationId: string | null;
  time: string;
  level: string;
  message: string;
}

export async function insertLogLines(db: Sql, lines: LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await db.query(
    `INSERT INTO homebase.function_logs (app_id, function_name, invocation_id, time, level, message)
     SELECT l.app_id, l.function_name, l.invocation_id, l.time, l.level, l.message
     FROM jsonb_to_recordset($1::text::jsonb)
       AS l(app_id text, function_name text, invocation_id text, time timestamptz, level text, message text)`,
    [
      JSON.stringify(
        lines.map((l) => ({
          app_id: l.appId,
          function_name: l.functionName,
          invocation_id: l.invocationId,
          time: l.time,
          level: l.level,
          message: l.message,
        })),
      ),
    ],
  );
}

export interface LogQuery {
  since?: string;
  until?: string;
  level?: string;
  invocationId?: string;
  /** Only lines after this cursor (a line's `seq`), oldest first: what `--follow` polls with. */
  after?: number;
  limit: number;
  order: 'asc' | 'desc';
}

export interface StoredLogLine {
  seq: number;
  time: string;
  level: string;
  message: string;
  invocationId: string | null;
}

export async function queryLogLines(db: Sql, appId: string, name: string, q: LogQuery): Promise<StoredLogLine[]> {
  const rows = await db.query<{ seq: string; time: string; level: string; message: string; invocation_id: string | null }>(
    `SELECT seq::text AS seq, ${isoUtc('time')} AS time, level, message, invocation_id FROM homebase.function_logs
     WHERE app_id = $1 AND function_name = $2
       AND ($3::timestamptz IS NULL OR time >= $3::timestamptz) AND ($4::timestamptz IS NULL OR time <= $4::timestamptz)
       AND ($5::text IS NULL OR level = $5) AND ($6::text IS NULL OR invocation_id = $6) AND ($7::bigint IS NULL OR seq > $7)
     ORDER BY seq ${q.order === 'asc' ? 'ASC' : 'DESC'} LIMIT $8`,
    [appId, name, q.since ?? null, q.until ?? null, q.level ?? null, q.invocationId ?? null, q.after ?? null, q.limit],
  );
  return rows.map((r) => ({ seq: Number(r.seq), time: r.time, level: r.level, message: r.message, invocationId: r.invocation_id }));
}

/** The newest log line's `seq` (0 without any), of any app: where a tail starts. */
export async function lastLogSeq(db: Sql): Promise<number> {
  const [row] = await db.query<{ seq: string }>(`SELECT COALESCE(max(seq), 0)::text AS seq FROM homebase.function_logs`);
  return Number(row.seq);
}

/** Lines after `after` of the named functions (all of the app's when `names` is empty), oldest first. */
export async function logLinesAfter(db: Sql, appId: string, names: string[], after: number, limit: number): Promise<(StoredLogLine & { functionName: string })[]> {
  const rows = await db.query<{ seq: string; time: string; level: string; message: string; invocation_id: string | null; function_name: string }>(
    `SELECT seq::text AS seq, ${isoUtc('time')} AS time, level, message, invocation_id, function_name FROM homebase.function_logs
     WHERE app_id = $1 AND seq > $2 AND (cardinality($3::text[]) = 0 OR function_name = ANY($3::text[]))
     ORDER BY seq LIMIT $4`,
    [appId, after, names, limit],
  );
  return rows.map((r) => ({
    seq: Number(r.seq),
    time: r.time,
    level: r.level,
    message: r.message,
    invocationId: r.invocation_id,
    functionName: r.function_name,
  }));
}

/** Drops invocations and log lines older than the retention period. */
export async function pruneFunctionLogs(db: Sql, retentionDays: number): Promise<void> {
  await db.query(`DELETE FROM homebase.function_logs WHERE time < now() - make_interval(days => $1::int)`, [retentionDays]);
  await db.query(`DELETE FROM homebase.function_invocations WHERE started_date < now() - make_interval(days => $1::int)`, [retentionDays]);
}
