// Database access for the rest of Homebase: adapters, migrations, entity tables and records.

export type { Database, Sql, Row } from './database.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { redisAnnouncer } from './commit-announcer.js';
export type { CommitAnnouncer } from './commit-announcer.js';
export { migrate } from './migrations.js';
export { ensureAppSchema, ensureEntityTable, tableRef } from './entity-tables.js';
export { EntityRepository, MAX_BATCH, RECORD_COLUMNS } from './entity-repository.js';
export type { EntityTable, EntityRecord, Scope, CallerView, Creator, Page } from './entity-repository.js';
export { savePasswordHash, findAccount, findPasswordHash } from './credentials.js';
export { createSession, findSession, revokeSession, revokeUserSessions, pruneSessions } from './sessions.js';
export type { SessionState } from './sessions.js';
export { issueCode, liveCode, hasLiveCode, attemptEmailCode, pruneCodes } from './auth-codes.js';
export { countAttempt, forgetAttempts, pruneAttempts } from './attempts.js';
export type { CodePurpose } from './auth-codes.js';
export { upsertApp } from './apps.js';
export { newId, isId } from './ids.js';
export { outboxCursor, outboxHasChangesOf, readOutbox, pruneOutbox, keepOutboxPruned } from './outbox.js';
export { OutboxFollower } from './outbox-follower.js';
export type { OutboxEvent, OutboxCursor, ChangeType } from './outbox.js';
export * as functionStore from './functions.js';
export type {
  Deployment,
  DeploymentSummary,
  DeploymentState,
  DeploymentSource,
  FunctionFile,
  Caller,
  InvocationRecord,
  StoredLogLine,
} from './functions.js';
export { AppEventLog } from './app-events.js';
export type { AppEvent, AppEventKind } from './app-events.js';
export * as fileRecords from './files.js';
export type { FileRecord, FileVisibility, UsageTotals } from './files.js';
export { SecretBox, deriveSealingKey } from './sealing.js';
export * as integrationStore from './integrations.js';
export type { CallKind, IntegrationCall, IntegrationKind, StoredIntegration, TracedCall } from './integrations.js';
export * as automationStore from './automations.js';
export type { AutomationState, ClaimedRun, RunAttempt, RunRecord, RunStatus, RunTrigger, RunTotals } from './automations.js';
