// Database access for the rest of Homebase: adapters, migrations, entity tables and records.

export type { Database, Sql, Row } from './database.js';
export { openPglite } from './pglite.js';
export { openPostgres } from './postgres.js';
export { migrate } from './migrations.js';
export { ensureAppSchema, ensureEntityTable, tableRef } from './entity-tables.js';
export { EntityRepository, MAX_BATCH, RECORD_COLUMNS } from './entity-repository.js';
export type { EntityTable, EntityRecord, Scope, CallerView, Creator, Page } from './entity-repository.js';
export { savePasswordHash, findLogin } from './credentials.js';
export { upsertApp } from './apps.js';
export { newId, isId } from './ids.js';
