// Compiles the SDK's `aggregate(spec)` into one grouped SQL statement over readable rows.
// Every output column is jsonb, so `having` and `sort` reuse the filter compiler on the grouped rows.

import { badRequest } from '../errors.js';
import { SqlParams } from './params.js';
import { FieldRef, FieldResolver, splitPath } from './fields.js';
import { compileFilter, isPlainObject } from './filter.js';

export const MAX_AGGREGATE_ROWS = 1000;
const MAX_GROUP_FIELDS = 4;
const SPEC_KEYS = new Set(['query', 'groupBy', 'dateBucket', 'count', 'sum', 'avg', 'min', 'max', 'countDistinct', 'having', 'sort', 'limit']);
const BUCKET_UNITS = new Set(['day', 'week', 'month', 'year']);
const BUCKET_FORMAT: Record<string, string> = { day: 'YYYY-MM-DD', week: 'YYYY-MM-DD', month: 'YYYY-MM', year: 'YYYY' };
const BUCKET_PREFIX: Record<string, number> = { day: 10, month: 7, year: 4 };

export interface AggregatePlan {
  /** Filter on the source rows; callers AND their own predicates (access rules) into it. */
  where: string;
  /** Builds the statement once the caller's final WHERE and table are known. */
  statement(table: string, where: string): string;
  limit: number;
}

function fieldList(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((f) => typeof f === 'string')) throw badRequest(`${name} takes a field name or a list of field names`);
  return list as string[];
}

const number = (ref: FieldRef) =>
  ref.type === 'json' ? `CASE WHEN jsonb_typeof(${ref.sql}) = 'number' THEN (${ref.sql})::numeric END` : null;

const formattedTimestamp = (sql: string, format = 'YYYY-MM-DD"T"HH24:MI:SS.US') =>
  `to_char(${sql} AT TIME ZONE 'UTC', '${format}')`;

function extreme(fn: 'min' | 'max', ref: FieldRef): string {
  if (ref.type === 'column') {
    return ref.column === 'timestamp' ? `to_jsonb(${formattedTimestamp(`${fn}(${ref.sql})`)})` : `to_jsonb(${fn}(${ref.sql}))`;
  }
  // Numbers compare as numbers; otherwise strings (dates written as ISO text) compare as text.
  return (
    `COALESCE(to_jsonb(${fn}(${number(ref)})::float8), ` +
    `to_jsonb(${fn}(CASE WHEN jsonb_typeof(${ref.sql}) = 'string' THEN ${ref.sql} #>> '{}' END)))`
  );
}

export function compileAggregate(spec: unknown, fields: FieldResolver, params: SqlParams): AggregatePlan {
  if (!isPlainObject(spec)) throw badRequest('An aggregate spec must be a JSON object');
  const unknown = Object.keys(spec).filter((k) => !SPEC_KEYS.has(k));
  if (unknown.length > 0) throw badRequest(`Unknown aggregate option ${unknown[0].slice(0, 40)}`);

  const outputs: { name: string; sql: string }[] = [];
  const groups: string[] = [];
  const groupNames = fieldList('groupBy', spec.groupBy);
  if (groupNames.length > MAX_GROUP_FIELDS) throw badRequest(`groupBy takes at most ${MAX_GROUP_FIELDS} fields`);
  for (const name of groupNames) {
    const ref = fields.resolve(name);
    const sql =
      ref.type === 'column'
        ? `to_jsonb(${ref.column === 'timestamp' ? formattedTimestamp(ref.sql) : ref.sql})`
        : `COALESCE(${ref.sql}, 'null'::jsonb)`;
    outputs.push({ name, sql });
    groups.push(sql);
  }
  if (spec.dateBucket !== undefined) {
    const bucket = spec.dateBucket;
    if (!isPlainObject(bucket) || typeof bucket.field !== 'string' || !BUCKET_UNITS.has(bucket.unit as string)) {
      throw badRequest('dateBucket takes {field, unit: day|week|month|year}');
    }
    const unit = bucket.unit as string;
    const ref = fields.resolve(bucket.field);
    let sql: string;
    if (ref.type === 'column' && ref.column === 'timestamp') {
      // Truncated in UTC (not the session's time zone): buckets are UTC days, weeks, months, years.
      sql = `to_jsonb(to_char(date_trunc('${unit}', ${ref.sql} AT TIME ZONE 'UTC'), '${BUCKET_FORMAT[unit]}'))`;
    } else if (ref.type === 'json' && unit in BUCKET_PREFIX) {
      sql =
        `CASE WHEN jsonb_typeof(${ref.sql}) = 'string' AND (${ref.sql} #>> '{}') ~ '^\\d{4}-\\d{2}-\\d{2}' ` +
        `THEN to_jsonb(left(${ref.sql} #>> '{}', ${BUCKET_PREFIX[unit]})) ELSE 'null'::jsonb END`;
    } else {
      throw badRequest(`dateBucket unit ${unit} is not available for ${bucket.field}`);
    }
    outputs.push({ name: bucket.field, sql });
    groups.push(sql);
  }
  if (spec.count !== false) outputs.push({ name: 'count', sql: 'to_jsonb(count(*))' });
  const measures: [string, (ref: FieldRef) => string][] = [
    ['sum', (ref) => `to_jsonb(COALESCE(sum(${number(ref) ?? 'NULL::numeric'}), 0)::float8)`],
    ['avg', (ref) => `to_jsonb(avg(${number(ref) ?? 'NULL::numeric'})::float8)`],
    ['min', (ref) => extreme('min', ref)],
    ['max', (ref) => extreme('max', ref)],
  ];
  for (const [measure, sql] of measures) {
    for (const name of fieldList(measure, spec[measure])) {
      outputs.push({ name: `${measure}_${name}`, sql: sql(fields.resolve(name)) });
    }
  }
  for (const name of fieldList('countDistinct', spec.countDistinct)) {
    // Like distinct, null is no value: JSON null is not counted (SQL NULL, a missing field, never is).
    const ref = fields.resolve(name);
    const value = ref.type === 'json' ? `NULLIF(${ref.sql}, 'null'::jsonb)` : ref.sql;
    outputs.push({ name: `count_distinct_${name}`, sql: `to_jsonb(count(DISTINCT ${value}))` });
  }
  if (outputs.length === 0) throw badRequest('An aggregate needs a group, count or measure');
  const names = new Set(outputs.map((o) => o.name));
  if (names.size !== outputs.length) throw badRequest('Two aggregate outputs share one name');

  const limit = spec.limit === undefined ? MAX_AGGREGATE_ROWS : spec.limit;
  if (!Number.isInteger(limit) || (limit as number) < 1 || (limit as number) > MAX_AGGREGATE_ROWS) {
    throw badRequest(`limit must be an integer from 1 to ${MAX_AGGREGATE_ROWS}`);
  }

  const where = compileFilter(spec.query, fields, params);
  const rowFields: FieldResolver = {
    resolve(path) {
      if (!names.has(path)) throw badRequest(`Unknown aggregate output ${path.slice(0, 60)}`);
      return { type: 'json', kind: 'unknown', sql: `agg."${path}"` };
    },
  };
  const having = spec.having === undefined ? 'TRUE' : compileFilter(spec.having, rowFields, params);
  let order = groups.length > 0 ? outputs.filter((o) => groups.includes(o.sql)).map((o) => `agg."${o.name}" ASC`) : [];
  if (spec.sort !== undefined) {
    if (typeof spec.sort !== 'string') throw badRequest('sort takes an output name, optionally prefixed with -');
    const descending = spec.sort.startsWith('-');
    const name = spec.sort.replace(/^[-+]/, '');
    rowFields.resolve(name);
    order = [`agg."${name}" ${descending ? 'DESC' : 'ASC'} NULLS LAST`, ...order];
  }
  // Output names are field paths checked by splitPath or fixed prefixes, so quoting them is safe.
  outputs.forEach((o) => splitPath(o.name));
  const select = outputs.map((o) => `${o.sql} AS "${o.name}"`).join(', ');
  const groupBy = groups.length > 0 ? ` GROUP BY ${groups.map((_, i) => i + 1).join(', ')}` : '';
  return {
    where,
    limit: limit as number,
    statement: (table, finalWhere) =>
      `SELECT * FROM (SELECT ${select} FROM ${table} WHERE ${finalWhere}${groupBy}) AS agg WHERE ${having}` +
      `${order.length > 0 ? ` ORDER BY ${order.join(', ')}` : ''} LIMIT ${params.add((limit as number) + 1)}`,
  };
}

/** Distinct values of one field, array elements counted one by one, ascending, after a cursor. */
export function compileDistinct(
  field: unknown,
  fields: FieldResolver,
  params: SqlParams,
): { select(table: string, where: string, after: unknown, limit: number): string } {
  if (typeof field !== 'string') throw badRequest('distinct takes one field name');
  const ref = fields.resolve(field);
  const elements = (sql: string) =>
    `jsonb_array_elements(CASE WHEN jsonb_typeof(${sql}) = 'array' THEN ${sql} ELSE jsonb_build_array(${sql}) END)`;
  const source =
    ref.type === 'column'
      ? (table: string) =>
          `(SELECT to_jsonb(${ref.column === 'timestamp' ? formattedTimestamp(ref.sql) : ref.sql}) AS value, * FROM ${table}) AS src`
      : ref.candidates !== undefined
        ? (table: string) =>
            `${table} CROSS JOIN LATERAL ${ref.candidates} AS candidate(value) ` +
            `CROSS JOIN LATERAL ${elements('candidate.value')} AS src(value)`
        : (table: string) => `${table} CROSS JOIN LATERAL ${elements(ref.sql)} AS src(value)`;
  return {
    select: (table, where, after, limit) =>
      `SELECT DISTINCT src.value FROM ${source(table)} WHERE (${where}) AND src.value IS NOT NULL ` +
      `AND src.value <> 'null'::jsonb${after === undefined ? '' : ` AND src.value > ${params.json(after)}`} ` +
      `ORDER BY src.value LIMIT ${params.add(limit + 1)}`,
  };
}

