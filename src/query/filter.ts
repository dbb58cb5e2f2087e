// Compiles the SDK's Mongo-style filter language into one parameterised SQL boolean expression.
// Semantics follow MongoDB: equality on an array field means "contains", `$ne`/`$nin` match missing fields.

import { badRequest } from '../errors.js';
import { SqlParams } from './params.js';
import { FieldRef, FieldResolver, valueFields } from './fields.js';
import { toPostgresRegex } from './regex.js';
import { timestampValue } from './timestamps.js';

const MAX_DEPTH = 16;
const MAX_CONDITIONS = 1000;

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists',
  '$regex', '$options', '$all', '$size', '$elemMatch', '$not',
]);
const RANGE_SQL: Record<string, string> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ColumnRef = Extract<FieldRef, { type: 'column' }>;
type JsonRef = Extract<FieldRef, { type: 'json' }>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `NOT` that treats an unknown (NULL) predicate as false, so negations match missing fields. */
function negate(predicate: string): string {
  return `NOT COALESCE(${predicate}, false)`;
}

function joinAll(parts: string[], glue: 'AND' | 'OR'): string {
  if (parts.length === 0) return glue === 'AND' ? 'TRUE' : 'FALSE';
  return parts.length === 1 ? parts[0] : `(${parts.join(` ${glue} `)})`;
}

/** Rows of a JSON array's elements; none when the value is not an array (never an error). */
function elementsOf(sql: string): string {
  return `jsonb_array_elements(CASE WHEN jsonb_typeof(${sql}) = 'array' THEN ${sql} END)`;
}

/** Whether a field may hold an array, so that scalar conditions also test its elements (MongoDB). */
const mayBeArray = (ref: JsonRef) => ref.kind === 'array' || ref.kind === 'unknown';

/** Limits shared by a query and every `$elemMatch` compiled inside it. */
interface Budget {
  conditions: number;
  aliases: number;
}

class FilterCompiler {
  constructor(
    private readonly params: SqlParams,
    private readonly fields: FieldResolver,
    private readonly budget: Budget = { conditions: 0, aliases: 0 },
  ) {}

  query(query: unknown, depth: number): string {
    if (!isPlainObject(query)) throw badRequest('A query must be a JSON object');
    this.checkDepth(depth);
    const parts = Object.entries(query).map(([key, value]) => {
      this.countCondition();
      switch (key) {
        case '$and':
          return joinAll(this.subqueries(key, value, depth), 'AND');
        case '$or':
          return joinAll(this.subqueries(key, value, depth), 'OR');
        case '$nor':
          return negate(joinAll(this.subqueries(key, value, depth), 'OR'));
        default:
          if (key.startsWith('$')) throw badRequest(`Unsupported query operator ${key.slice(0, 40)}`);
          return this.field(this.fields.resolve(key), value, depth);
      }
    });
    return joinAll(parts, 'AND');
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) throw badRequest(`Query is nested deeper than ${MAX_DEPTH} levels`);
  }

  private countCondition(): void {
    if (++this.budget.conditions > MAX_CONDITIONS) throw badRequest(`Query has more than ${MAX_CONDITIONS} conditions`);
  }

  private alias(): string {
    return `elem${++this.budget.aliases}`;
  }

  private subqueries(operator: string, value: unknown, depth: number): string[] {
    if (!Array.isArray(value) || value.length === 0) throw badRequest(`${operator} takes a non-empty array of queries`);
    return value.map((sub) => this.query(sub, depth + 1));
  }

  private field(ref: FieldRef, condition: unknown, depth: number): string {
    if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
      return this.operators(ref, condition, depth + 1);
    }
    if (Array.isArray(condition)) return this.in(ref, condition);
    return this.equals(ref, condition as Json);
  }

  private operators(ref: FieldRef, ops: Record<string, unknown>, depth: number): string {
    this.checkDepth(depth);
    const parts: string[] = [];
    for (const [op, operand] of Object.entries(ops)) {
      if (!FIELD_OPERATORS.has(op)) throw badRequest(`Unsupported query operator ${op.slice(0, 40)}`);
      this.countCondition();
      switch (op) {
        case '$eq':
          parts.push(this.equals(ref, operand as Json, true));
          break;
        case '$ne':
          parts.push(negate(this.equals(ref, operand as Json, true)));
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte':
          parts.push(this.range(ref, RANGE_SQL[op], operand));
          break;
        case '$in':
          parts.push(this.in(ref, this.list(op, operand)));
          break;
        case '$nin':
          parts.push(negate(this.in(ref, this.list(op, operand))));
          break;
        case '$exists': {
          if (typeof operand !== 'boolean' && typeof operand !== 'number') throw badRequest('$exists takes true or false');
          const exists = this.at(ref, (r) => `${r.sql} IS NOT NULL`);
          parts.push(operand ? exists : negate(exists));
          break;
        }
        case '$regex':
          parts.push(this.regex(ref, operand, ops.$options));
          break;
        case '$options':
          if (!('$regex' in ops)) throw badRequest('$options is only valid with $regex');
          break;
        case '$all':
          parts.push(this.all(ref, this.list(op, operand), depth));
          break;
        case '$size':
          parts.push(this.size(ref, operand));
          break;
        case '$elemMatch':
          parts.push(this.elemMatch(ref, operand, depth));
          break;
        case '$not':
          if (!isPlainObject(operand) || Object.keys(operand).length === 0) {
            throw badRequest('$not takes a non-empty object of operators');
          }
          parts.push(negate(this.operators(ref, operand, depth + 1)));
          break;
      }
    }
    return joinAll(parts, 'AND');
  }

  private list(op: string, operand: unknown): Json[] {
    if (!Array.isArray(operand)) throw badRequest(`${op} takes an array`);
    return operand as Json[];
  }

  /** `EXISTS` an element of the array at `sql` for which `predicate(element)` holds. */
  private anyElement(sql: string, predicate: (element: string) => string): string {
    const alias = this.alias();
    return `EXISTS (SELECT 1 FROM ${elementsOf(sql)} AS ${alias} WHERE ${predicate(alias)})`;
  }

  /**
   * A positive test on the values at a field. Where the path runs through arrays there are several
   * values (one per element) and, as in MongoDB, the test passes when one of them passes it.
   */
  private at(ref: FieldRef, test: (ref: FieldRef) => string): string {
    if (ref.type === 'column' || ref.candidates === undefined) return test(ref);
    const alias = this.alias();
    return `EXISTS (SELECT 1 FROM ${ref.candidates} AS ${alias} WHERE ${test({ type: 'json', kind: ref.kind, sql: alias })})`;
  }

  /** MongoDB's `null`: the field is null, missing, or an array holding null. */
  private isNull(ref: FieldRef): string {
    if (ref.type === 'column') return `${ref.sql} IS NULL`;
    const nullish = (r: JsonRef) =>
      `(${r.sql} IS NULL OR ${r.sql} = 'null'::jsonb${mayBeArray(r) ? ` OR ${r.sql} @> '[null]'::jsonb` : ''})`;
    // Through arrays: no element holds a non-null value there.
    if (ref.candidates !== undefined) return negate(this.at(ref, (r) => `NOT ${nullish(r as JsonRef)}`));
    return nullish(ref);
  }

  private equals(ref: FieldRef, value: Json, exactArrays = false): string {
    if (value === undefined) throw badRequest('A query value cannot be undefined');
    if (value === null) return this.isNull(ref);
    if (Array.isArray(value) && !exactArrays) return this.in(ref, value);
    return this.at(ref, (r) => this.equalsValue(r, value));
  }

  /** Equality with a non-null value (an array value is compared whole). */
  private equalsValue(ref: FieldRef, value: Exclude<Json, null>): string {
    if (ref.type === 'column') return `${ref.sql} = ${this.columnValue(ref, value)}`;
    if (typeof value === 'object') {
      // Objects and arrays are equal only as a whole, or as one whole element of an array field.
      const bound = this.params.json(value);
      const exact = `${ref.sql} = ${bound}`;
      return mayBeArray(ref) ? `(${exact} OR ${this.anyElement(ref.sql, (e) => `${e} = ${bound}`)})` : exact;
    }
    if (!ref.containment) {
      const exact = `${ref.sql} = ${this.params.json(value)}`;
      return mayBeArray(ref) ? `(${exact} OR ${ref.sql} @> ${this.params.json([value])})` : exact;
    }
    // Containment on the whole `data` column is what the GIN index serves.
    // Only what is used is bound: PostgreSQL rejects a statement with a parameter it never reads.
    const scalar = () => `data @> ${this.params.json(ref.containment!(value))}`;
    const inArray = () => `data @> ${this.params.json(ref.containment!([value]))}`;
    if (ref.kind === 'array') return inArray();
    if (ref.kind !== 'unknown') return scalar();
    return `(${scalar()} OR ${inArray()})`;
  }

  private in(ref: FieldRef, values: Json[]): string {
    if (values.length === 0) return 'FALSE';
    const present = values.filter((v) => v !== null) as Exclude<Json, null>[];
    const parts = present.length > 0 ? [this.at(ref, (r) => this.inValues(r, present))] : [];
    if (values.includes(null)) parts.push(this.isNull(ref));
    return joinAll(parts, 'OR');
  }

  private inValues(ref: FieldRef, values: Exclude<Json, null>[]): string {
    if (ref.type === 'column') {
      const cast = ref.column === 'timestamp' ? '::timestamptz' : '';
      const list = this.params.json(values.map((v) => this.columnLiteral(ref, v)));
      return `${ref.sql} IN (SELECT (jsonb_array_elements_text(${list}))${cast})`;
    }
    const list = this.params.json(values);
    const member = (sql: string) => `${sql} IN (SELECT jsonb_array_elements(${list}))`;
    return mayBeArray(ref) ? `(${member(ref.sql)} OR ${this.anyElement(ref.sql, member)})` : member(ref.sql);
  }

  private range(ref: FieldRef, sqlOperator: string, value: unknown): string {
    return this.at(ref, (r) => this.rangeValue(r, sqlOperator, value));
  }

  private rangeValue(ref: FieldRef, sqlOperator: string, value: unknown): string {
    if (ref.type === 'column') return `${ref.sql} ${sqlOperator} ${this.columnValue(ref, value)}`;
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      // Type-bracketed as in MongoDB: numbers compare with numbers, strings with strings. Where the
      // schema already fixes the field's type the bracket is implied, and leaving it out keeps the
      // planner's estimate (from the field's statistics) intact.
      const jsonType = typeof value;
      const bound = this.params.json(value);
      const implied = ref.kind === jsonType;
      const test = (sql: string) =>
        implied ? `${sql} ${sqlOperator} ${bound}` : `(jsonb_typeof(${sql}) = '${jsonType}' AND ${sql} ${sqlOperator} ${bound})`;
      return mayBeArray(ref) ? `(${test(ref.sql)} OR ${this.anyElement(ref.sql, test)})` : test(ref.sql);
    }
    throw badRequest(`Range operators take a number, string or boolean, not ${JSON.stringify(value)?.slice(0, 40)}`);
  }

  private regex(ref: FieldRef, pattern: unknown, options: unknown): string {
    if (typeof pattern !== 'string') throw badRequest('$regex takes a string pattern');
    if (options !== undefined && (typeof options !== 'string' || !/^[imsx]*$/.test(options))) {
      throw badRequest('$options may only contain the flags i, m, s, x');
    }
    if (ref.type === 'column' && ref.column === 'timestamp') throw badRequest(`$regex does not apply to ${ref.sql}`);
    const bound = this.params.add(toPostgresRegex(pattern, options ?? ''));
    return this.at(ref, (r) => {
      if (r.type === 'column') return `${r.sql} ~ ${bound}`;
      const test = (sql: string) => `(jsonb_typeof(${sql}) = 'string' AND (${sql} #>> '{}') ~ ${bound})`;
      return mayBeArray(r) ? `(${test(r.sql)} OR ${this.anyElement(r.sql, test)})` : test(r.sql);
    });
  }

  /** `$all` is the AND of equalities (MongoDB), so a scalar field equal to the only value matches too. */
  private all(ref: FieldRef, values: Json[], depth: number): string {
    if (values.length === 0) return 'FALSE';
    return joinAll(
      values.map((value) => {
        if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
          if (Object.keys(value).length === 1 && '$elemMatch' in value) return this.elemMatch(ref, value.$elemMatch, depth);
          throw badRequest('$all takes values or {$elemMatch: {...}} conditions');
        }
        return this.equals(ref, value, true);
      }),
      'AND',
    );
  }

  private size(ref: FieldRef, size: unknown): string {
    if (!Number.isInteger(size) || (size as number) < 0) throw badRequest('$size takes a non-negative integer');
    if (ref.type === 'column') return 'FALSE';
    const bound = this.params.add(size);
    return this.at(ref, (r) => {
      const array = `CASE WHEN jsonb_typeof(${r.sql}) = 'array' THEN ${r.sql} END`;
      return `(jsonb_array_length(${array}) = ${bound}::int)`;
    });
  }

  private elemMatch(ref: FieldRef, condition: unknown, depth: number): string {
    if (ref.type === 'column') throw badRequest('$elemMatch applies to array fields');
    if (!isPlainObject(condition)) throw badRequest('$elemMatch takes an object');
    return this.at(ref, (r) => this.elemMatchValue(r.sql, condition, depth));
  }

  private elemMatchValue(sql: string, condition: Record<string, unknown>, depth: number): string {
    const alias = this.alias();
    const keys = Object.keys(condition);
    const inner = new FilterCompiler(this.params, valueFields(alias), this.budget);
    const predicate =
      keys.length > 0 && keys.every((k) => k.startsWith('$') && FIELD_OPERATORS.has(k))
        ? inner.operators({ type: 'json', kind: 'unknown', sql: alias }, condition, depth + 1)
        : inner.query(condition, depth + 1);
    return `EXISTS (SELECT 1 FROM ${elementsOf(sql)} AS ${alias} WHERE ${predicate})`;
  }

  /** A built-in column's comparison value, checked (timestamps normalised to carry a zone). */
  private columnLiteral(ref: ColumnRef, value: unknown): string {
    if (ref.column === 'timestamp') return timestampValue(ref.sql, value);
    if (typeof value !== 'string') {
      throw badRequest(`${ref.sql} is compared with a string, not ${JSON.stringify(value)?.slice(0, 40)}`);
    }
    return value;
  }

  private columnValue(ref: ColumnRef, value: unknown): string {
    const literal = this.columnLiteral(ref, value);
    return ref.column === 'timestamp' ? `${this.params.add(literal)}::text::timestamptz` : this.params.add(literal);
  }
}

/** SQL boolean expression for `query` (an empty query is `TRUE`); values go to `params`. */
export function compileFilter(query: unknown, fields: FieldResolver, params: SqlParams): string {
  if (query === undefined || query === null) return 'TRUE';
  return new FilterCompiler(params, fields).query(query, 0);
}

/** Parses the `q` query-string parameter: JSON text of an object. */
export function parseQueryParam(q: unknown): Record<string, unknown> | undefined {
  if (q === undefined || q === '') return undefined;
  if (typeof q !== 'string') throw badRequest("Invalid query parameter 'q': pass one JSON object");
  let parsed: unknown;
  try {
    parsed = JSON.parse(q);
  } catch {
    throw badRequest("Invalid query parameter 'q': not valid JSON");
  }
  if (!isPlainObject(parsed)) throw badRequest("Invalid query parameter 'q': must be a JSON object");
  return parsed;
}
