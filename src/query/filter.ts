// Compiles the SDK's Mongo-style filter language into one parameterised SQL boolean expression.
// Semantics follow MongoDB: equality on an array field means "contains", `$ne`/`$nin` match missing fields.

import { badRequest } from '../errors.js';
import { SqlParams } from './params.js';
import { FieldRef, FieldResolver, valueFields } from './fields.js';
import { toPostgresRegex } from './regex.js';
import { timestampValue } from './timestamps.js';
import { FilterWalker, RangeOperator, WalkBudget, isPlainObject } from './filter-walker.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type ColumnRef = Extract<FieldRef, { type: 'column' }>;
type JsonRef = Extract<FieldRef, { type: 'json' }>;

export { isPlainObject };

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

/** The walk's limits plus the count of subquery aliases, shared with every `$elemMatch` compiled inside. */
interface SqlBudget extends WalkBudget {
  aliases: number;
}

class FilterCompiler extends FilterWalker<string, FieldRef> {
  constructor(
    private readonly params: SqlParams,
    fields: FieldResolver,
    protected override readonly budget: SqlBudget = { conditions: 0, aliases: 0 },
  ) {
    super(fields, budget);
  }

  protected and(parts: string[]): string {
    return joinAll(parts, 'AND');
  }

  protected or(parts: string[]): string {
    return joinAll(parts, 'OR');
  }

  protected not(part: string): string {
    return negate(part);
  }

  protected never(): string {
    return 'FALSE';
  }

  private alias(): string {
    return `elem${++this.budget.aliases}`;
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

  protected exists(ref: FieldRef): string {
    return this.at(ref, (r) => `${r.sql} IS NOT NULL`);
  }

  protected isNull(ref: FieldRef): string {
    if (ref.type === 'column') return `${ref.sql} IS NULL`;
    const nullish = (r: JsonRef) =>
      `(${r.sql} IS NULL OR ${r.sql} = 'null'::jsonb${mayBeArray(r) ? ` OR ${r.sql} @> '[null]'::jsonb` : ''})`;
    // Through arrays: no element holds a non-null value there.
    if (ref.candidates !== undefined) return negate(this.at(ref, (r) => `NOT ${nullish(r as JsonRef)}`));
    return nullish(ref);
  }

  protected equalsValue(ref: FieldRef, value: unknown): string {
    return this.at(ref, (r) => this.equalsAt(r, value as Exclude<Json, null>));
  }

  private equalsAt(ref: FieldRef, value: Exclude<Json, null>): string {
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

  protected inValues(ref: FieldRef, values: unknown[]): string {
    return this.at(ref, (r) => this.inValuesAt(r, values as Exclude<Json, null>[]));
  }

  private inValuesAt(ref: FieldRef, values: Exclude<Json, null>[]): string {
    if (ref.type === 'column') {
      const cast = ref.column === 'timestamp' ? '::timestamptz' : '';
      const list = this.params.json(values.map((v) => this.columnLiteral(ref, v)));
      return `${ref.sql} IN (SELECT (jsonb_array_elements_text(${list}))${cast})`;
    }
    const list = this.params.json(values);
    const member = (sql: string) => `${sql} IN (SELECT jsonb_array_elements(${list}))`;
    return mayBeArray(ref) ? `(${member(ref.sql)} OR ${this.anyElement(ref.sql, member)})` : member(ref.sql);
  }

  protected range(ref: FieldRef, operator: RangeOperator, value: unknown): string {
    return this.at(ref, (r) => this.rangeAt(r, operator, value));
  }

  private rangeAt(ref: FieldRef, sqlOperator: RangeOperator, value: unknown): string {
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

  protected regex(ref: FieldRef, pattern: string, options: string): string {
    if (ref.type === 'column' && ref.column === 'timestamp') throw badRequest(`$regex does not apply to ${ref.sql}`);
    const bound = this.params.add(toPostgresRegex(pattern, options));
    return this.at(ref, (r) => {
      if (r.type === 'column') return `${r.sql} ~ ${bound}`;
      const test = (sql: string) => `(jsonb_typeof(${sql}) = 'string' AND (${sql} #>> '{}') ~ ${bound})`;
      return mayBeArray(r) ? `(${test(r.sql)} OR ${this.anyElement(r.sql, test)})` : test(r.sql);
    });
  }

  protected size(ref: FieldRef, size: number): string {
    const bound = this.params.add(size);
    return this.at(ref, (r) => {
      const array = `CASE WHEN jsonb_typeof(${r.sql}) = 'array' THEN ${r.sql} END`;
      return `(jsonb_array_length(${array}) = ${bound}::int)`;
    });
  }

  protected elemMatchValue(ref: FieldRef, condition: Record<string, unknown>, operators: boolean, depth: number): string {
    return this.at(ref, (r) => {
      const alias = this.alias();
      const inner = new FilterCompiler(this.params, valueFields(alias), this.budget);
      const predicate = operators
        ? inner.operators({ type: 'json', kind: 'unknown', sql: alias }, condition, depth + 1)
        : inner.query(condition, depth + 1);
      return `EXISTS (SELECT 1 FROM ${elementsOf(r.sql)} AS ${alias} WHERE ${predicate})`;
    });
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
