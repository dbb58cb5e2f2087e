// Reads and writes entity records: each SDK entity method is one function here, one or two statements each.
// Filters, sorts and updates come compiled from query/; the caller's view (access rules) is compiled into every statement.

import { badRequest, HttpError, notFound, validationFailed } from '../errors.js';
import {
  AggregatePlan,
  FieldResolver,
  SqlParams,
  Sort,
  after,
  applyUpdate,
  compileAggregate,
  compileDistinct,
  compileFilter,
  compileSort,
  compileUpdate,
  decodeCursor,
  describeWalk,
  encodeCursor,
  orderBy,
  project,
  sortKeyOf,
  splitPath,
} from '../query/index.js';
import type { RecordValidator } from '../schema/index.js';
import { Database, Row, Sql } from './database.js';
import { newId } from './ids.js';
import { zonelessUtc } from './timestamps.js';
import { logChanges } from './outbox.js';

/** Everything the repository needs to know about one entity of one app. */
export interface EntityTable {
  appId: string;
  name: string;
  /** Quoted `"app_<id>"."<Entity>"`. */
  ref: string;
  fields: FieldResolver;
  validator: RecordValidator;
}

/** A SQL predicate over the entity's rows; its values are bound through `params`. */
export type Scope = (params: SqlParams) => string;

/**
 * What one caller may see and touch of an entity for one operation; absent parts mean "everything".
 * Access rules become this view, so they are part of each statement rather than a filter applied afterwards.
 */
export interface CallerView {
  /** Rows the caller may act on, ANDed into every statement. */
  rows?: Scope;
  /** The caller's view of fields for filters, sorts, distinct and aggregates: unreadable fields read as absent. */
  fields?: (params: SqlParams) => FieldResolver;
  /** Replaces the `data` column (`column`) in returned records, leaving out fields the caller may not read on each row. */
  data?: (params: SqlParams, column: string) => string;
  /** Throws when the caller may not create this record (built-ins included). */
  checkCreate?: (record: Record<string, unknown>, givenFields: string[]) => void;
  /**
   * Throws when the caller may not change these fields of this stored record. `readsCurrent` is set for
   * update operators, whose outcome depends on the stored values (`$inc`, `$rename`...).
   */
  checkUpdate?: (stored: EntityRecord, changedFields: string[], readsCurrent: boolean) => void;
}

const EVERYTHING: CallerView = {};

export interface Creator {
  id: string;
  email: string;
}

export type EntityRecord = Record<string, unknown> & { id: string };

export const MAX_BATCH = 500;

// Apps do `new Date(created_date + 'Z')`, so timestamps leave zone-less, in UTC, with microseconds.
// The formatted timestamps get their own names: an output column called created_date would capture
// `ORDER BY created_date` and sort every matching row by text instead of walking the index.
const columns = (data = 'data') =>
  `id, ${zonelessUtc('created_date')} AS created_text, ${zonelessUtc('updated_date')} AS updated_text, ` +
  `created_by, created_by_id, ${data} AS data`;
/** The select list of a record as the repository reads it (the benchmark's raw-driver ceiling uses it too). */
export const RECORD_COLUMNS = columns();
const COLUMNS = RECORD_COLUMNS;
/** A record as the API returns it (toRecord's shape), as one JSON value: what the outbox keeps. */
const RECORD_JSON =
  `jsonb_build_object('id', id, 'created_date', ${zonelessUtc('created_date')}, 'updated_date', ${zonelessUtc('updated_date')}, ` +
  `'created_by', created_by, 'created_by_id', created_by_id, 'is_sample', false) || data`;
/** The stored columns a writing statement hands to the outbox and to the caller's select list; `table` qualifies them. */
const written = (table = '') =>
  `${table}id, ${table}created_date, ${table}updated_date, ${table}created_by, ${table}created_by_id, ${table}data`;

/** Returned columns as this caller may see them. */
function visibleColumns(view: CallerView, params: SqlParams): string {
  return columns(view.data?.(params, 'data'));
}

function toRecord(row: Row): EntityRecord {
  return {
    id: row.id as string,
    created_date: row.created_text,
    updated_date: row.updated_text,
    created_by: row.created_by ?? null,
    created_by_id: row.created_by_id ?? null,
    is_sample: false,
    ...(row.data as Record<string, unknown>),
  };
}

function fieldsOf(record: EntityRecord): Record<string, unknown> {
  const { id: _id, created_date: _c, updated_date: _u, created_by: _b, created_by_id: _bi, is_sample: _s, ...fields } = record;
  return fields;
}

function where(table: EntityTable, query: unknown, view: CallerView, params: SqlParams): string {
  const filter = compileFilter(query, view.fields?.(params) ?? table.fields, params);
  return view.rows ? `(${filter}) AND (${view.rows(params)})` : filter;
}

function idFilter(id: string, view: CallerView, params: SqlParams): string {
  return `id = ${params.add(id)}${view.rows ? ` AND (${view.rows(params)})` : ''}`;
}

/** Re-throws a validation failure with each field name prefixed, so a batch error names its record. */
function validateEach<T>(items: T[], validate: (item: T, index: number) => Record<string, unknown>, label: (index: number) => string) {
  return items.map((item, index) => {
    try {
      return validate(item, index);
    } catch (error) {
      if (error instanceof HttpError && error.extra?.errors) {
        throw validationFailed(error.extra.errors.map((e) => ({ ...e, name: `${label(index)}.${e.name}` })));
      }
      throw error;
    }
  });
}

export interface ListOptions {
  query?: unknown;
  sort?: unknown;
  limit: number;
  skip: number;
  fields?: string[];
}

export interface PageOptions {
  query?: unknown;
  sort?: unknown;
  fields?: string[];
  limit: number;
  cursor?: string;
}

export interface DistinctOptions {
  query?: unknown;
  field?: string;
  limit: number;
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
  has_more: boolean;
}

interface RecordWalk {
  q: unknown;
  sort: string;
  fields: string[] | null;
}

interface DistinctWalk {
  q: unknown;
  distinct: string;
}

/** Restores the walk a cursor carries; a request may repeat its parts but not change them. */
function resumeWalk<W extends object>(cursor: string | undefined, requested: Partial<W>): { walk: W; state?: ReturnType<typeof decodeCursor> } {
  if (!cursor) return { walk: requested as W };
  const state = decodeCursor(cursor);
  let walk: W;
  try {
    walk = JSON.parse(state.walk) as W;
  } catch {
    throw badRequest('Invalid cursor');
  }
  for (const [key, value] of Object.entries(requested)) {
    if (value !== undefined && value !== null && describeWalk({ v: value }) !== describeWalk({ v: (walk as Record<string, unknown>)[key] })) {
      throw badRequest(`The cursor belongs to another ${key === 'q' ? 'query' : key}; start a new walk without a cursor`);
    }
  }
  return { walk, state };
}

export class EntityRepository {
  constructor(private readonly db: Database) {}

  async list(table: EntityTable, options: ListOptions, view: CallerView = EVERYTHING): Promise<Record<string, unknown>[]> {
    const params = new SqlParams();
    const filter = where(table, options.query, view, params);
    const sort = compileSort(options.sort, view.fields?.(params) ?? table.fields);
    const rows = await this.db.query(
      `SELECT ${visibleColumns(view, params)} FROM ${table.ref} WHERE ${filter} ORDER BY ${orderBy(sort)} ` +
        `LIMIT ${params.add(options.limit)} OFFSET ${params.add(options.skip)}`,
      params.values,
    );
    return rows.map((row) => project(toRecord(row), options.fields));
  }

  async page(table: EntityTable, options: PageOptions, view: CallerView = EVERYTHING): Promise<Page<Record<string, unknown>>> {
    const sortText = typeof options.sort === 'string' && options.sort !== '' ? options.sort : undefined;
    const { walk, state } = resumeWalk<RecordWalk>(options.cursor, {
      q: options.query,
      sort: sortText,
      fields: options.fields,
    });
    const params = new SqlParams();
    const sort = compileSort(walk.sort, view.fields?.(params) ?? table.fields);
    let filter = where(table, walk.q, view, params);
    if (state) {
      if (typeof state.id !== 'string') throw badRequest('Invalid cursor');
      filter = `${filter} AND ${after(sort, state.key, state.id, params)}`;
    }
    const rows = await this.db.query(
      `SELECT ${visibleColumns(view, params)} FROM ${table.ref} WHERE ${filter} ORDER BY ${orderBy(sort)} ` +
        `LIMIT ${params.add(options.limit + 1)}`,
      params.values,
    );
    const records = rows.slice(0, options.limit).map(toRecord);
    const hasMore = rows.length > options.limit;
    const last = records[records.length - 1];
    const canonical: RecordWalk = { q: walk.q ?? null, sort: `${sort.descending ? '-' : ''}${sort.field}`, fields: walk.fields ?? null };
    return {
      items: records.map((r) => project(r, walk.fields ?? undefined)),
      has_more: hasMore,
      next_cursor: hasMore && last ? this.cursorAfter(canonical, sort, last) : null,
    };
  }

  private cursorAfter(walk: RecordWalk, sort: Sort, last: EntityRecord): string {
    // The key comes from the record as the caller sees it, so a cursor never carries a hidden value.
    return encodeCursor({ walk: describeWalk(walk as unknown as Record<string, unknown>), key: sortKeyOf(sort, last), id: last.id });
  }

  async distinct(table: EntityTable, options: DistinctOptions, view: CallerView = EVERYTHING): Promise<Page<unknown>> {
    const { walk, state } = resumeWalk<DistinctWalk>(options.cursor, { q: options.query, distinct: options.field });
    const params = new SqlParams();
    const fields = view.fields?.(params) ?? table.fields;
    const filter = where(table, walk.q, view, params);
    const statement = compileDistinct(walk.distinct, fields, params).select(table.ref, filter, state?.key, options.limit);
    const rows = await this.db.query<{ value: unknown }>(statement, params.values);
    const values = rows.slice(0, options.limit).map((r) => r.value);
    const hasMore = rows.length > options.limit;
    const canonical: DistinctWalk = { q: walk.q ?? null, distinct: walk.distinct };
    return {
      items: values,
      has_more: hasMore,
      next_cursor: hasMore
        ? encodeCursor({ walk: describeWalk(canonical as unknown as Record<string, unknown>), key: values[values.length - 1] })
        : null,
    };
  }

  async count(table: EntityTable, query: unknown, view: CallerView = EVERYTHING): Promise<number> {
    const params = new SqlParams();
    const filter = where(table, query, view, params);
    const [row] = await this.db.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM ${table.ref} WHERE ${filter}`,
      params.values,
    );
    return row.count;
  }

  async aggregate(table: EntityTable, spec: unknown, view: CallerView = EVERYTHING): Promise<{ rows: Row[]; truncated: boolean }> {
    const params = new SqlParams();
    const plan: AggregatePlan = compileAggregate(spec, view.fields?.(params) ?? table.fields, params);
    const filter = view.rows ? `(${plan.where}) AND (${view.rows(params)})` : plan.where;
    const rows = await this.db.query(plan.statement(table.ref, filter), params.values);
    return { rows: rows.slice(0, plan.limit), truncated: rows.length > plan.limit };
  }

  async get(table: EntityTable, id: string, view: CallerView = EVERYTHING): Promise<EntityRecord> {
    const params = new SqlParams();
    const columns = visibleColumns(view, params);
    const [row] = await this.db.query(`SELECT ${columns} FROM ${table.ref} WHERE ${idFilter(id, view, params)}`, params.values);
    if (!row) throw notFound(`${table.name} ${id} not found`);
    return toRecord(row);
  }

  async create(table: EntityTable, input: unknown, creator: Creator | null, view: CallerView = EVERYTHING): Promise<EntityRecord> {
    const [record] = await this.insert(this.db, table, [input], [table.validator.create(input)], creator, view);
    return record;
  }

  async bulkCreate(
    table: EntityTable,
    inputs: unknown,
    creator: Creator | null,
    view: CallerView = EVERYTHING,
    tx: Sql = this.db,
  ): Promise<EntityRecord[]> {
    if (!Array.isArray(inputs)) throw badRequest('bulkCreate takes an array of records');
    if (inputs.length === 0) return [];
    const fields = validateEach(inputs, (input) => table.validator.create(input), (i) => `[${i}]`);
    return this.insert(tx, table, inputs, fields, creator, view);
  }

  /** Inserts validated records in one statement, after the caller's create checks. */
  private async insert(
    tx: Sql,
    table: EntityTable,
    inputs: unknown[],
    fields: Record<string, unknown>[],
    creator: Creator | null,
    view: CallerView,
  ): Promise<EntityRecord[]> {
    const rows = fields.map((data, i) => {
      const row = { id: newId(), created_by: creator?.email ?? null, created_by_id: creator?.id ?? null, data };
      view.checkCreate?.({ ...data, id: row.id, created_by: row.created_by, created_by_id: row.created_by_id }, givenFields(inputs[i]));
      return row;
    });
    const params = new SqlParams();
    const source = params.json(rows);
    const inserted = await tx.query(
      `WITH written AS (INSERT INTO ${table.ref} (id, created_by, created_by_id, data) ` +
        `SELECT id, created_by, created_by_id, data FROM jsonb_to_recordset(${source}) ` +
        `AS input(id text, created_by text, created_by_id text, data jsonb) RETURNING ${written()}), ` +
        `${logChanges(params, table.appId, table.name, 'create', RECORD_JSON)} SELECT ${visibleColumns(view, params)} FROM written`,
      params.values,
    );
    return inOrder(rows.map((r) => r.id), inserted.map(toRecord));
  }

  async update(table: EntityTable, id: string, input: unknown, view: CallerView = EVERYTHING): Promise<EntityRecord> {
    const patch = table.validator.patch(input);
    if (view.checkUpdate) {
      return this.db.transaction(async (tx) => (await this.patchAll(tx, table, [{ id, patch }], view))[0]);
    }
    const params = new SqlParams();
    const statement = updateStatement(table, params, {
      target: idFilter(id, view, params),
      set: `data = ${table.ref}.data || ${params.json(patch)}`,
      select: visibleColumns(view, params),
    });
    const [row] = await this.db.query(statement, params.values);
    if (!row) throw notFound(`${table.name} ${id} not found`);
    return toRecord(row);
  }

  async bulkUpdate(table: EntityTable, inputs: unknown, view: CallerView = EVERYTHING): Promise<EntityRecord[]> {
    if (!Array.isArray(inputs)) throw badRequest('bulkUpdate takes an array of {id, ...fields}');
    if (inputs.length > MAX_BATCH) throw badRequest(`bulkUpdate takes at most ${MAX_BATCH} records`);
    if (inputs.length === 0) return [];
    const ids = inputs.map((input, i) => {
      const id = (input as { id?: unknown } | null)?.id;
      if (typeof id !== 'string' || id === '') throw badRequest(`Record [${i}] has no id`);
      return id;
    });
    if (new Set(ids).size !== ids.length) throw badRequest('bulkUpdate lists the same id twice');
    const patches = validateEach(inputs, (input) => table.validator.patch(input), (i) => `[${i}]`);
    return this.db.transaction((tx) => this.patchAll(tx, table, ids.map((id, i) => ({ id, patch: patches[i] })), view));
  }

  async updateMany(
    table: EntityTable,
    query: unknown,
    update: unknown,
    view: CallerView = EVERYTHING,
  ): Promise<{ success: true; updated: number; has_more: boolean }> {
    const plan = compileUpdate(update);
    return this.db.transaction(async (tx) => {
      const params = new SqlParams();
      const filter = where(table, query, view, params);
      const rows = await tx.query(
        `SELECT ${COLUMNS} FROM ${table.ref} WHERE ${filter} ORDER BY id LIMIT ${params.add(MAX_BATCH + 1)} FOR UPDATE`,
        params.values,
      );
      const batch = rows.slice(0, MAX_BATCH).map(toRecord);
      if (batch.length > 0) {
        const now = new Date().toISOString();
        const data = validateEach(
          batch,
          (record) => {
            view.checkUpdate?.(record, plan.fields, true);
            return table.validator.patch(applyUpdate(fieldsOf(record), plan, now));
          },
          (i) => batch[i].id,
        );
        const changes = new SqlParams();
        const payload = changes.json(batch.map((r, i) => ({ id: r.id, data: data[i] })));
        const statement = updateStatement(table, changes, {
          target: `id IN (SELECT c.id FROM jsonb_to_recordset(${payload}) AS c(id text))`,
          set: 'data = change.data',
          changes: `jsonb_to_recordset(${payload}) AS change(id text, data jsonb)`,
          select: 'id',
        });
        await tx.query(statement, changes.values);
      }
      return { success: true, updated: batch.length, has_more: rows.length > MAX_BATCH };
    });
  }

  async delete(table: EntityTable, id: string, view: CallerView = EVERYTHING): Promise<void> {
    const params = new SqlParams();
    const rows = await this.db.query(
      `WITH written AS (DELETE FROM ${table.ref} WHERE ${idFilter(id, view, params)} RETURNING ${written()}), ` +
        `${logChanges(params, table.appId, table.name, 'delete', RECORD_JSON)} SELECT id FROM written`,
      params.values,
    );
    if (rows.length === 0) throw notFound(`${table.name} ${id} not found`);
  }

  async deleteMany(table: EntityTable, query: unknown, view: CallerView = EVERYTHING): Promise<number> {
    if (query === undefined || query === null) throw badRequest('deleteMany takes a query object');
    const params = new SqlParams();
    const filter = where(table, query, view, params);
    const [row] = await this.db.query<{ deleted: number }>(
      `WITH written AS (DELETE FROM ${table.ref} WHERE ${filter} RETURNING ${written()}), ` +
        `${logChanges(params, table.appId, table.name, 'delete', RECORD_JSON)} SELECT count(*)::int AS deleted FROM written`,
      params.values,
    );
    return row.deleted;
  }

  /**
   * Creates or updates records by a key of their own. `view` is the caller's update view; `createView` checks the
   * records it creates. Records the caller cannot update are invisible here, so their keys create new records.
   */
  async upsert(
    table: EntityTable,
    inputs: unknown,
    key: unknown,
    creator: Creator | null,
    view: CallerView = EVERYTHING,
    createView: CallerView = EVERYTHING,
  ): Promise<{ created: number; updated: number; records: EntityRecord[] }> {
    if (!Array.isArray(inputs)) throw badRequest('upsert takes an array of records');
    if (inputs.length > MAX_BATCH) throw badRequest(`upsert takes at most ${MAX_BATCH} records`);
    const keys = Array.isArray(key) ? key : [key];
    if (keys.length === 0 || !keys.every((k): k is string => typeof k === 'string')) {
      throw badRequest('upsert needs key: a field name or a list of field names');
    }
    keys.forEach((k) => {
      if (splitPath(k).length !== 1 || table.fields.resolve(k).type !== 'json') throw badRequest(`${k} cannot be an upsert key`);
    });
    const patches = validateEach(inputs, (input) => table.validator.patch(input), (i) => `[${i}]`);
    // The last record with a given key wins, as the SDK documents.
    const byKey = new Map<string, Record<string, unknown>>();
    patches.forEach((patch, index) => {
      const values = keys.map((k) => patch[k]);
      if (values.some((v) => v === undefined || v === null)) throw badRequest(`Record [${index}] has no value for the key ${keys.join(', ')}`);
      byKey.set(JSON.stringify(values), patch);
    });
    return this.db.transaction(async (tx) => {
      // Serialises upserts on one table, so two concurrent calls cannot both create the same key.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`upsert:${table.ref}`]);
      const params = new SqlParams();
      const probes = params.json([...byKey.keys()].map((k) => Object.fromEntries(keys.map((name, i) => [name, JSON.parse(k)[i]]))));
      const scoped = view.rows ? ` AND (${view.rows(params)})` : '';
      const existing = await tx.query(
        `SELECT ${COLUMNS} FROM ${table.ref} WHERE data @> ANY(ARRAY(SELECT jsonb_array_elements(${probes})))${scoped} ` +
          `ORDER BY created_date, id`,
        params.values,
      );
      const found = new Map<string, EntityRecord>();
      for (const record of existing.map(toRecord)) {
        const k = JSON.stringify(keys.map((name) => record[name]));
        if (!found.has(k)) found.set(k, record);
      }
      const updates = [...byKey].filter(([k]) => found.has(k)).map(([k, patch]) => ({ id: found.get(k)!.id, patch }));
      const creates = [...byKey].filter(([k]) => !found.has(k)).map(([, patch]) => patch);
      const updated = updates.length > 0 ? await this.patchAll(tx, table, updates, view) : [];
      const created = await this.bulkCreate(table, creates, creator, createView, tx);
      return { created: created.length, updated: updated.length, records: [...updated, ...created] };
    });
  }

  /** Merges validated patches into existing records, all or none: a missing (or hidden) record is a 404. */
  private async patchAll(tx: Sql, table: EntityTable, changes: { id: string; patch: Record<string, unknown> }[], view: CallerView) {
    const ids = changes.map((c) => c.id);
    if (view.checkUpdate) {
      const params = new SqlParams();
      const list = params.json(ids);
      const scoped = view.rows ? ` AND (${view.rows(params)})` : '';
      const stored = await tx.query(
        `SELECT ${COLUMNS} FROM ${table.ref} WHERE id IN (SELECT jsonb_array_elements_text(${list}))${scoped} FOR UPDATE`,
        params.values,
      );
      const byId = new Map(stored.map((row) => [row.id as string, toRecord(row)]));
      for (const change of changes) {
        const record = byId.get(change.id);
        if (record) view.checkUpdate(record, Object.keys(change.patch), false);
      }
    }
    const params = new SqlParams();
    const payload = params.json(changes);
    const scoped = view.rows ? ` AND (${view.rows(params)})` : '';
    const statement = updateStatement(table, params, {
      target: `id IN (SELECT c.id FROM jsonb_to_recordset(${payload}) AS c(id text))${scoped}`,
      set: `data = ${table.ref}.data || change.patch`,
      changes: `jsonb_to_recordset(${payload}) AS change(id text, patch jsonb)`,
      select: visibleColumns(view, params),
    });
    const rows = await tx.query(statement, params.values);
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((r) => r.id));
      throw notFound(`${table.name} not found: ${ids.filter((id) => !found.has(id)).join(', ')}`);
    }
    return inOrder(ids, rows.map(toRecord));
  }
}

interface UpdateParts {
  /** Selects the rows to change, over the table's own columns. */
  target: string;
  /** The SET list, besides updated_date; it reads the stored row through the table's name and `change`, if given. */
  set: string;
  /** A FROM item named `change`, with an `id` column, joined to the row it changes. */
  changes?: string;
  /** The select list over the changed rows. */
  select: string;
}

/**
 * One UPDATE statement that also logs each change, with the record it replaced, to the outbox. The target rows are
 * locked before they are read, so the previous record is the one this update replaces even under concurrent writes.
 */
function updateStatement(table: EntityTable, params: SqlParams, parts: UpdateParts): string {
  const ref = table.ref;
  return (
    `WITH written AS (UPDATE ${ref} SET ${parts.set}, updated_date = now() ` +
    `FROM (SELECT id AS old_id, ${RECORD_JSON} AS old_record FROM ${ref} WHERE ${parts.target} FOR UPDATE) old` +
    `${parts.changes ? `, ${parts.changes}` : ''} WHERE ${ref}.id = old.old_id${parts.changes ? ` AND change.id = ${ref}.id` : ''} ` +
    `RETURNING ${written(`${ref}.`)}, old.old_record), ` +
    `${logChanges(params, table.appId, table.name, 'update', RECORD_JSON, 'old_record')} SELECT ${parts.select} FROM written`
  );
}

/** The top-level fields a client sent, which field-level create rules judge. */
function givenFields(input: unknown): string[] {
  return typeof input === 'object' && input !== null && !Array.isArray(input) ? Object.keys(input) : [];
}

function inOrder(ids: string[], records: EntityRecord[]): EntityRecord[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id)!).filter(Boolean);
}
