// An app's external integrations (custom OpenAPI-described APIs and connectors) with their credentials sealed,
// and the trace of every call made through them, kept for a bounded number of days.

import { Sql } from './database.js';
import { isoUtc } from './timestamps.js';

export type IntegrationKind = 'custom' | 'connector';

export interface StoredIntegration {
  slug: string;
  kind: IntegrationKind;
  baseUrl: string | null;
  openapi: Record<string, unknown> | null;
  /** Credentials as JSON, sealed (src/store/sealing.ts); null when the integration needs none. */
  sealedCredentials: string | null;
  connectionConfig: Record<string, unknown> | null;
  createdDate: string;
  updatedDate: string;
}

export type CallKind = 'custom' | 'installable' | 'connector';

export interface IntegrationCall {
  slug: string;
  kind: CallKind;
  operation: string;
  caller: Record<string, unknown>;
  input: unknown;
  output: unknown;
  /** The upstream status, when one answered. */
  statusCode: number | null;
  /** `success`, `upstream_error`, or the error code the call ended with. */
  outcome: string;
  durationMs: number;
}

export interface TracedCall extends IntegrationCall {
  id: string;
  createdDate: string;
}


interface IntegrationRow {
  slug: string;
  kind: IntegrationKind;
  base_url: string | null;
  openapi: Record<string, unknown> | null;
  sealed_credentials: string | null;
  connection_config: Record<string, unknown> | null;
  created: string;
  updated: string;
}

const INTEGRATION_COLUMNS = `slug, kind, base_url, openapi, sealed_credentials, connection_config,
  ${isoUtc('created_date')} AS created, ${isoUtc('updated_date')} AS updated`;

const fromRow = (row: IntegrationRow): StoredIntegration => ({
  slug: row.slug,
  kind: row.kind,
  baseUrl: row.base_url,
  openapi: row.openapi,
  sealedCredentials: row.sealed_credentials,
  connectionConfig: row.connection_config,
  createdDate: row.created,
  updatedDate: row.updated,
});

export async function upsertIntegration(
  db: Sql,
  appId: string,
  integration: Omit<StoredIntegration, 'createdDate' | 'updatedDate'>,
): Promise<StoredIntegration> {
  const [row] = await db.query<IntegrationRow & Record<string, unknown>>(
    `INSERT INTO homebase.app_integrations (app_id, slug, kind, base_url, openapi, sealed_credentials, connection_config)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7::text::jsonb)
     ON CONFLICT (app_id, slug) DO UPDATE SET kind = EXCLUDED.kind, base_url = EXCLUDED.base_url, openapi = EXCLUDED.openapi,
       sealed_credentials = EXCLUDED.sealed_credentials, connection_config = EXCLUDED.connection_config, updated_date = now()
     RETURNING ${INTEGRATION_COLUMNS}`,
    [
      appId,
      integration.slug,
      integration.kind,
      integration.baseUrl,
      integration.openapi === null ? null : JSON.stringify(integration.openapi),
      integration.sealedCredentials,
      integration.connectionConfig === null ? null : JSON.stringify(integration.connectionConfig),
    ],
  );
  return fromRow(row);
}

export async function findIntegration(db: Sql, appId: string, slug: string): Promise<StoredIntegration | undefined> {
  const [row] = await db.query<IntegrationRow & Record<string, unknown>>(
    `SELECT ${INTEGRATION_COLUMNS} FROM homebase.app_integrations WHERE app_id = $1 AND slug = $2`,
    [appId, slug],
  );
  return row && fromRow(row);
}

export async function listIntegrations(db: Sql, appId: string): Promise<StoredIntegration[]> {
  const rows = await db.query<IntegrationRow & Record<string, unknown>>(
    `SELECT ${INTEGRATION_COLUMNS} FROM homebase.app_integrations WHERE app_id = $1 ORDER BY slug`,
    [appId],
  );
  return rows.map(fromRow);
}

export async function deleteIntegration(db: Sql, appId: string, slug: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM homebase.app_integrations WHERE app_id = $1 AND slug = $2 RETURNING slug', [appId, slug]);
  return rows.length > 0;
}

export async function insertCall(db: Sql, appId: string, call: IntegrationCall): Promise<void> {
  await db.query(
    `INSERT INTO homebase.integration_calls (app_id, slug, kind, operation, caller, input, output, status_code, outcome, duration_ms)
     VALUES ($1, $2, $3, $4, $5::text::jsonb, $6::text::jsonb, $7::text::jsonb, $8, $9, $10)`,
    [
      appId,
      call.slug,
      call.kind,
      call.operation,
      JSON.stringify(call.caller),
      JSON.stringify(call.input ?? null),
      JSON.stringify(call.output ?? null),
      call.statusCode,
      call.outcome,
      call.durationMs,
    ],
  );
}

export async function listCalls(db: Sql, appId: string, query: { slug?: string; limit: number }): Promise<TracedCall[]> {
  const rows = await db.query<{
    id: string;
    slug: string;
    kind: CallKind;
    operation: string;
    caller: Record<string, unknown>;
    input: unknown;
    output: unknown;
    status_code: number | null;
    outcome: string;
    duration_ms: number;
    created: string;
  }>(
    `SELECT id::text AS id, slug, kind, operation, caller, input, output, status_code, outcome, duration_ms, ${isoUtc('created_date')} AS created
     FROM homebase.integration_calls WHERE app_id = $1 AND ($2::text IS NULL OR slug = $2)
     ORDER BY created_date DESC, id DESC LIMIT $3`,
    [appId, query.slug ?? null, query.limit],
  );
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    kind: row.kind,
    operation: row.operation,
    caller: row.caller,
    input: row.input,
    output: row.output,
    statusCode: row.status_code,
    outcome: row.outcome,
    durationMs: row.duration_ms,
    createdDate: row.created,
  }));
}

export async function pruneCalls(db: Sql, keepDays: number): Promise<void> {
  await db.query('DELETE FROM homebase.integration_calls WHERE created_date < now() - make_interval(days => $1::int)', [keepDays]);
}
