// Authorize: turns an entity's access rules and the caller into the view the repository compiles into
// each statement (rows, field masks, write checks). The service role sees everything.

import { AccessUser, EntityAccess, Operation, RowFilter } from '../access/index.js';
import { forbidden } from '../errors.js';
import { FieldRef, FieldResolver, SqlParams, compileFilter, matchesFilter } from '../query/index.js';
import type { CallerView, EntityRecord, EntityTable, Scope } from '../store/index.js';

export type ViewOperation = Operation;

function rowScope(filter: RowFilter, fields: FieldResolver): Scope | undefined {
  if (filter === true) return undefined;
  if (filter === false) return () => 'FALSE';
  return (params) => compileFilter(filter, fields, params);
}

function both(first: Scope | undefined, second: Scope | undefined): Scope | undefined {
  if (!first || !second) return first ?? second;
  return (params) => `(${first(params)}) AND (${second(params)})`;
}

/**
 * Fields the caller may not read are absent to their filters, sorts, distinct and aggregates:
 * statically hidden ones read as NULL, row-dependent ones only where the row allows.
 */
function maskedFields(base: FieldResolver, readFilters: Map<string, RowFilter>, params: SqlParams): FieldResolver {
  return {
    resolve(path): FieldRef {
      const ref = base.resolve(path);
      const filter = readFilters.get(path.split('.')[0]);
      if (ref.type === 'column' || filter === undefined || filter === true) return ref;
      if (filter === false) return { type: 'json', kind: ref.kind, sql: 'NULL::jsonb' };
      return { type: 'json', kind: ref.kind, sql: `(CASE WHEN ${compileFilter(filter, base, params)} THEN ${ref.sql} END)` };
    },
  };
}

/** `data` minus the fields this row hides from the caller, as one expression per row. */
function maskedData(base: FieldResolver, readFilters: Map<string, RowFilter>) {
  return (params: SqlParams, column: string): string => {
    const removed = [...readFilters]
      .filter(([, filter]) => filter !== true)
      .map(([field, filter]) =>
        filter === false
          ? `${params.add(field)}::text`
          : `CASE WHEN NOT COALESCE(${compileFilter(filter, base, params)}, false) THEN ${params.add(field)}::text END`,
      );
    return removed.length === 0 ? column : `(${column} - ARRAY[${removed.join(', ')}]::text[])`;
  };
}

/** The view of `table` for one operation by a caller other than the service role. */
export function callerView(table: EntityTable, access: EntityAccess, user: AccessUser | null, operation: ViewOperation): CallerView {
  if (!access.hasRules) return {};
  const base = table.fields;
  const readFilters = access.fieldReadFilters(user);
  const masking = [...readFilters.values()].some((filter) => filter !== true);
  const view: CallerView = masking
    ? { fields: (params) => maskedFields(base, readFilters, params), data: maskedData(base, readFilters) }
    : {};
  const read = rowScope(access.rowFilter('read', user), base);
  switch (operation) {
    case 'read':
      return { ...view, rows: read };
    case 'create':
      return {
        ...view,
        checkCreate: (record, given) => {
          if (!matchesFilter(access.rowFilter('create', user), record)) {
            throw forbidden(`You may not create this ${table.name}`);
          }
          refuseFields(access.deniedWriteFields('create', user, record, given));
        },
      };
    case 'update':
      // A row the caller cannot read cannot be changed either, and answers 404 as if absent.
      return {
        ...view,
        rows: both(read, rowScope(access.rowFilter('update', user), base)),
        // Only entities with field rules pay for judging each stored record before it changes.
        ...(access.guardsFieldUpdates || access.hidesFields
          ? {
              checkUpdate: (stored: EntityRecord, changed: string[], readsCurrent: boolean) => {
                refuseFields(access.deniedWriteFields('update', user, stored, changed));
                // Operators read what they change ($inc fails on text, $rename moves it): not on fields hidden here.
                if (readsCurrent) refuseFields(changed.filter((field) => !readable(readFilters.get(field), stored)));
              },
            }
          : {}),
      };
    case 'delete':
      return { ...view, rows: both(read, rowScope(access.rowFilter('delete', user), base)) };
  }
}

function readable(filter: RowFilter | undefined, record: Record<string, unknown>): boolean {
  return filter === undefined || filter === true || (filter !== false && matchesFilter(filter, record));
}

function refuseFields(fields: string[]): void {
  if (fields.length > 0) throw forbidden(`You may not set the field${fields.length > 1 ? 's' : ''} ${fields.join(', ')}`);
}
