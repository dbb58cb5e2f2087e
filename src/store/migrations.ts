// Versioned migrations of the platform schema `homebase`, applied once, in order, under a lock.
// Nodes starting together on one PostgreSQL wait for each other instead of racing.

import { Database } from './database.js';

const MIGRATIONS: string[] = [
  `CREATE TABLE homebase.apps (
     id text PRIMARY KEY,
     name text NOT NULL,
     config jsonb NOT NULL DEFAULT '{}',
     created_date timestamptz NOT NULL DEFAULT now()
   );
   CREATE TABLE homebase.credentials (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     user_id text NOT NULL,
     password_hash text NOT NULL,
     updated_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, user_id)
   );`,
  // Sessions make access tokens revocable (logout, password change); one-time codes serve OTP, reset and invites.
  `CREATE TABLE homebase.sessions (
     id text PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     user_id text NOT NULL,
     created_date timestamptz NOT NULL DEFAULT now(),
     expires_date timestamptz NOT NULL,
     revoked_date timestamptz
   );
   CREATE INDEX sessions_by_user ON homebase.sessions (app_id, user_id);
   CREATE TABLE homebase.auth_codes (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     purpose text NOT NULL,
     code_hash text NOT NULL,
     email text NOT NULL,
     role text,
     attempts int NOT NULL DEFAULT 0,
     created_date timestamptz NOT NULL DEFAULT now(),
     expires_date timestamptz NOT NULL,
     used_date timestamptz,
     PRIMARY KEY (app_id, purpose, code_hash)
   );
   CREATE INDEX auth_codes_by_email ON homebase.auth_codes (app_id, purpose, lower(email), created_date DESC);`,
  // The outbox: every committed record change, written by the statement that makes it (store/outbox.ts).
  // A position is taken only once the transaction has an id, which lets readers tell a gap still in flight
  // from one a rollback left.
  `CREATE SEQUENCE homebase.outbox_position;
   CREATE FUNCTION homebase.next_outbox_position() RETURNS bigint LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_current_xact_id(); RETURN nextval('homebase.outbox_position'); END $$;
   CREATE TABLE homebase.outbox (
     position bigint PRIMARY KEY DEFAULT homebase.next_outbox_position(),
     app_id text NOT NULL,
     entity text NOT NULL,
     record_id text NOT NULL,
     type text NOT NULL CHECK (type IN ('create', 'update', 'delete')),
     data jsonb NOT NULL,
     old_data jsonb,
     created_date timestamptz NOT NULL DEFAULT now()
   );
   ALTER SEQUENCE homebase.outbox_position OWNED BY homebase.outbox.position;`,
  // Backend functions (src/store/functions.ts): immutable deployments and the live one per function, secrets sealed
  // with AES-256-GCM, invocation records and log lines (pruned after the retention period).
  `CREATE TABLE homebase.function_deployments (
     id text PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     function_name text NOT NULL,
     entry text NOT NULL,
     files jsonb NOT NULL,
     automations jsonb NOT NULL DEFAULT '[]',
     content_hash text NOT NULL,
     state text NOT NULL CHECK (state IN ('dummy', 'erroring', 'under_dev', 'potential_release', 'under_user_test', 'release', 'reverted')),
     source text NOT NULL CHECK (source IN ('project', 'api')),
     created_date timestamptz NOT NULL DEFAULT clock_timestamp()
   );
   CREATE INDEX function_deployments_by_name ON homebase.function_deployments (app_id, function_name, created_date DESC);
   CREATE TABLE homebase.functions (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     name text NOT NULL,
     live_deployment_id text NOT NULL REFERENCES homebase.function_deployments(id) ON DELETE CASCADE,
     updated_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, name)
   );
   CREATE TABLE homebase.secrets (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     name text NOT NULL,
     sealed_value text NOT NULL,
     updated_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, name)
   );
   CREATE TABLE homebase.function_invocations (
     id text PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     function_name text NOT NULL,
     deployment_id text NOT NULL,
     started_date timestamptz NOT NULL,
     duration_ms int NOT NULL,
     status int NOT NULL,
     outcome text NOT NULL,
     caller jsonb NOT NULL
   );
   CREATE INDEX function_invocations_by_name ON homebase.function_invocations (app_id, function_name, started_date DESC);
   CREATE TABLE homebase.function_logs (
     seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     function_name text NOT NULL,
     invocation_id text,
     time timestamptz NOT NULL,
     level text NOT NULL,
     message text NOT NULL
   );
   CREATE INDEX function_logs_by_name ON homebase.function_logs (app_id, function_name, seq);
   CREATE INDEX function_logs_by_time ON homebase.function_logs (time);`,
  // What apps report from the browser: page views (appLogs.logUserInApp) and analytics events, kept a week.
  `CREATE TABLE homebase.app_events (
     id bigserial PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     kind text NOT NULL,
     name text NOT NULL,
     user_id text,
     properties jsonb,
     created_date timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX app_events_by_app ON homebase.app_events (app_id, kind, created_date DESC);`,
  // Uploaded files (src/store/files.ts): the bytes are in the file store under `<app id>/<key>`; this is who may read them.
  `CREATE TABLE homebase.files (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     key text NOT NULL,
     visibility text NOT NULL CHECK (visibility IN ('public', 'private')),
     content_type text NOT NULL,
     size bigint NOT NULL CHECK (size >= 0),
     original_name text NOT NULL,
     created_by text,
     created_by_id text,
     created_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, key)
   );`,
  // External integrations the operator sets up per app (src/store/integrations.ts), credentials sealed, and the
  // trace of every call through them (kept a week).
  `CREATE TABLE homebase.app_integrations (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     slug text NOT NULL,
     kind text NOT NULL CHECK (kind IN ('custom', 'connector')),
     base_url text,
     openapi jsonb,
     sealed_credentials text,
     connection_config jsonb,
     created_date timestamptz NOT NULL DEFAULT now(),
     updated_date timestamptz NOT NULL DEFAULT now(),
     PRIMARY KEY (app_id, slug)
   );
   CREATE TABLE homebase.integration_calls (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     slug text NOT NULL,
     kind text NOT NULL CHECK (kind IN ('custom', 'installable', 'connector')),
     operation text NOT NULL,
     caller jsonb NOT NULL,
     input jsonb,
     output jsonb,
     status_code int,
     outcome text NOT NULL,
     duration_ms int NOT NULL,
     created_date timestamptz NOT NULL DEFAULT now()
   );
   CREATE INDEX integration_calls_by_app ON homebase.integration_calls (app_id, created_date DESC);
   CREATE INDEX integration_calls_by_time ON homebase.integration_calls (created_date);`,
  // Automations (src/store/automations.ts): their own durable place in the outbox (starting at what was already
  // there), per-automation state, and the run queue with one row per attempt.
  `CREATE TABLE homebase.automation_cursor (
     consumer text PRIMARY KEY,
     last_position bigint NOT NULL,
     pending jsonb NOT NULL DEFAULT '{}'
   );
   INSERT INTO homebase.automation_cursor (consumer, last_position) SELECT 'automations', COALESCE(max(position), 0) FROM homebase.outbox;
   CREATE TABLE homebase.automation_state (
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     function_name text NOT NULL,
     name text NOT NULL,
     active_override boolean,
     schedule_hash text,
     anchor_date timestamptz,
     last_tick timestamptz,
     tick_count int NOT NULL DEFAULT 0,
     PRIMARY KEY (app_id, function_name, name)
   );
   CREATE TABLE homebase.automation_runs (
     id text PRIMARY KEY,
     app_id text NOT NULL REFERENCES homebase.apps(id) ON DELETE CASCADE,
     function_name text NOT NULL,
     automation text NOT NULL,
     trigger text NOT NULL CHECK (trigger IN ('entity', 'schedule', 'manual')),
     position bigint,
     record_key text,
     tick timestamptz,
     missed_since timestamptz,
     body jsonb NOT NULL,
     status text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'dead')),
     attempt int NOT NULL DEFAULT 0,
     due_date timestamptz NOT NULL DEFAULT now(),
     created_date timestamptz NOT NULL DEFAULT now(),
     started_date timestamptz,
     finished_date timestamptz,
     duration_ms int,
     http_status int,
     error text,
     invocation_id text,
     UNIQUE (app_id, function_name, automation, tick)
   );
   CREATE INDEX automation_runs_due ON homebase.automation_runs (due_date) WHERE status IN ('queued', 'running');
   CREATE INDEX automation_runs_open_by_record ON homebase.automation_runs (app_id, function_name, automation, record_key, position)
     WHERE status IN ('queued', 'running');
   CREATE INDEX automation_runs_history ON homebase.automation_runs (app_id, function_name, automation, created_date DESC);
   CREATE TABLE homebase.automation_attempts (
     run_id text NOT NULL REFERENCES homebase.automation_runs(id) ON DELETE CASCADE,
     attempt int NOT NULL,
     status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'lost')),
     started_date timestamptz NOT NULL DEFAULT now(),
     finished_date timestamptz,
     duration_ms int,
     http_status int,
     error text,
     invocation_id text,
     PRIMARY KEY (run_id, attempt)
   );`,
  // Claims take each automation's oldest due runs (src/store/automations.ts claimRuns): one index serves both the
  // list of automations with due runs and each one's next runs. A record's change names the run it waits for, so a
  // claim checks one row instead of searching the record's open runs.
  `ALTER TABLE homebase.automation_runs ADD COLUMN after_run_id text;
   DROP INDEX homebase.automation_runs_due;
   CREATE INDEX automation_runs_due_by_automation ON homebase.automation_runs (app_id, function_name, automation, due_date, id)
     WHERE status IN ('queued', 'running');`,
  // Attempt counters of the rate limits (src/store/attempts.ts), shared by every node; keys are hashes.
  `CREATE TABLE homebase.attempt_windows (
     key bytea PRIMARY KEY,
     ends_date timestamptz NOT NULL,
     hits int NOT NULL
   );
   CREATE INDEX attempt_windows_by_end ON homebase.attempt_windows (ends_date);`,
];

const LOCK_KEY = 4_401_044; // any constant shared by all nodes

export async function migrate(db: Database): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await tx.query('CREATE SCHEMA IF NOT EXISTS homebase');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS homebase.migrations (version int PRIMARY KEY, applied_date timestamptz NOT NULL DEFAULT now())',
    );
    const [{ version }] = await tx.query<{ version: number }>(
      'SELECT COALESCE(max(version), 0)::int AS version FROM homebase.migrations',
    );
    for (let next = version; next < MIGRATIONS.length; next++) {
      for (const statement of MIGRATIONS[next].split(/;\s*$/m).filter((s) => s.trim())) await tx.query(statement);
      await tx.query('INSERT INTO homebase.migrations (version) VALUES ($1)', [next + 1]);
    }
  });
}
