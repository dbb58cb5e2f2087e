// The filter language's grammar, limits and MongoDB rules, read once for both of its back ends: the SQL compiler
// (filter.ts) and the in-memory matcher (matcher.ts). A back end says only what each test means on its side, so the
// two cannot disagree on what a query is, which inputs are refused, or how null, arrays and negations combine.

import { badRequest } from '../errors.js';

const MAX_DEPTH = 16;
const MAX_CONDITIONS = 1000;

const FIELD_OPERATORS = new Set([
  '$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin', '$exists',
  '$regex', '$options', '$all', '$size', '$elemMatch', '$not',
]);

export type RangeOperator = '>' | '>=' | '<' | '<=';
const RANGE_OPERATORS: Record<string, RangeOperator> = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' };

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Limits shared by a query and every `$elemMatch` walked inside it. */
export interface WalkBudget {
  conditions: number;
}

/** Where a field's values come from: a built-in column or a path in the JSON data. */
export interface WalkedRef {
  type: 'column' | 'json';
}

/**
 * Walks a filter and builds a `T` (an SQL expression, a predicate) through the back end's methods. Every check that
 * answers a 400 for a malformed query is made here, before the back end sees the condition.
 */
export abstract class FilterWalker<T, R extends WalkedRef> {
  constructor(
    private readonly fields: { resolve(path: string): R },
    protected readonly budget: WalkBudget,
  ) {}

  protected abstract and(parts: T[]): T;
  protected abstract or(parts: T[]): T;
  /** Negation that holds where the test is unknown, so that `$ne` and `$nin` match missing fields. */
  protected abstract not(part: T): T;
  /** MongoDB's `null`: the field is null, missing, or an array holding null. */
  protected abstract isNull(ref: R): T;
  /** Equality with a non-null value; an array value is compared whole. */
  protected abstract equalsValue(ref: R, value: unknown): T;
  /** Equality with one of `values` (none of them null, at least one). */
  protected abstract inValues(ref: R, values: unknown[]): T;
  protected abstract range(ref: R, operator: RangeOperator, value: unknown): T;
  protected abstract exists(ref: R): T;
  protected abstract regex(ref: R, pattern: string, options: string): T;
  protected abstract size(ref: R, size: number): T;
  protected abstract never(): T;
  /** `$elemMatch` on an array field: `condition` holds for one of its elements (`operators`: on the element itself). */
  protected abstract elemMatchValue(ref: R, condition: Record<string, unknown>, operators: boolean, depth: number): T;

  query(query: unknown, depth: number): T {
    if (!isPlainObject(query)) throw badRequest('A query must be a JSON object');
    this.checkDepth(depth);
    const parts = Object.entries(query).map(([key, value]) => {
      this.countCondition();
      switch (key) {
        case '$and':
          return this.and(this.subqueries(key, value, depth));
        case '$or':
          return this.or(this.subqueries(key, value, depth));
        case '$nor':
          return this.not(this.or(this.subqueries(key, value, depth)));
        default:
          if (key.startsWith('$')) throw badRequest(`Unsupported query operator ${key.slice(0, 40)}`);
          return this.field(this.fields.resolve(key), value, depth);
      }
    });
    return this.and(parts);
  }

  /** The conditions of `{field: {$op: …}}` on `ref`, ANDed. */
  operators(ref: R, ops: Record<string, unknown>, depth: number): T {
    this.checkDepth(depth);
    const parts: T[] = [];
    for (const [op, operand] of Object.entries(ops)) {
      if (!FIELD_OPERATORS.has(op)) throw badRequest(`Unsupported query operator ${op.slice(0, 40)}`);
      this.countCondition();
      switch (op) {
        case '$eq':
          parts.push(this.equals(ref, operand, true));
          break;
        case '$ne':
          parts.push(this.not(this.equals(ref, operand, true)));
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte':
          parts.push(this.range(ref, RANGE_OPERATORS[op], operand));
          break;
        case '$in':
          parts.push(this.in(ref, this.list(op, operand)));
          break;
        case '$nin':
          parts.push(this.not(this.in(ref, this.list(op, operand))));
          break;
        case '$exists':
          if (typeof operand !== 'boolean' && typeof operand !== 'number') throw badRequest('$exists takes true or false');
          parts.push(operand ? this.exists(ref) : this.not(this.exists(ref)));
          break;
        case '$regex':
          parts.push(this.checkedRegex(ref, operand, ops.$options));
          break;
        case '$options':
          if (!('$regex' in ops)) throw badRequest('$options is only valid with $regex');
          break;
        case '$all':
          parts.push(this.all(ref, this.list(op, operand), depth));
          break;
        case '$size':
          if (!Number.isInteger(operand) || (operand as number) < 0) throw badRequest('$size takes a non-negative integer');
          parts.push(ref.type === 'column' ? this.never() : this.size(ref, operand as number));
          break;
        case '$elemMatch':
          parts.push(this.elemMatch(ref, operand, depth));
          break;
        case '$not':
          if (!isPlainObject(operand) || Object.keys(operand).length === 0) {
            throw badRequest('$not takes a non-empty object of operators');
          }
          parts.push(this.not(this.operators(ref, operand, depth + 1)));
          break;
      }
    }
    return this.and(parts);
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_DEPTH) throw badRequest(`Query is nested deeper than ${MAX_DEPTH} levels`);
  }

  private countCondition(): void {
    if (++this.budget.conditions > MAX_CONDITIONS) throw badRequest(`Query has more than ${MAX_CONDITIONS} conditions`);
  }

  private subqueries(operator: string, value: unknown, depth: number): T[] {
    if (!Array.isArray(value) || value.length === 0) throw badRequest(`${operator} takes a non-empty array of queries`);
    return value.map((sub) => this.query(sub, depth + 1));
  }

  private field(ref: R, condition: unknown, depth: number): T {
    if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
      return this.operators(ref, condition, depth + 1);
    }
    if (Array.isArray(condition)) return this.in(ref, condition);
    return this.equals(ref, condition);
  }

  private list(op: string, operand: unknown): unknown[] {
    if (!Array.isArray(operand)) throw badRequest(`${op} takes an array`);
    return operand;
  }

  /** A bare array value is any-of (the SDK's shorthand); under `$eq`, `$ne` and `$all` it is compared whole. */
  private equals(ref: R, value: unknown, exactArrays = false): T {
    if (value === undefined) throw badRequest('A query value cannot be undefined');
    if (value === null) return this.isNull(ref);
    if (Array.isArray(value) && !exactArrays) return this.in(ref, value);
    return this.equalsValue(ref, value);
  }

  private in(ref: R, values: unknown[]): T {
    if (values.length === 0) return this.never();
    const present = values.filter((v) => v !== null);
    const parts = present.length > 0 ? [this.inValues(ref, present)] : [];
    if (values.includes(null)) parts.push(this.isNull(ref));
    return this.or(parts);
  }

  private checkedRegex(ref: R, pattern: unknown, options: unknown): T {
    if (typeof pattern !== 'string') throw badRequest('$regex takes a string pattern');
    if (options !== undefined && (typeof options !== 'string' || !/^[imsx]*$/.test(options))) {
      throw badRequest('$options may only contain the flags i, m, s, x');
    }
    return this.regex(ref, pattern, (options as string | undefined) ?? '');
  }

  /** `$all` is the AND of equalities (MongoDB), so a scalar field equal to the only value matches too. */
  private all(ref: R, values: unknown[], depth: number): T {
    if (values.length === 0) return this.never();
    return this.and(
      values.map((value) => {
        if (isPlainObject(value) && Object.keys(value).some((k) => k.startsWith('$'))) {
          if (Object.keys(value).length === 1 && '$elemMatch' in value) return this.elemMatch(ref, value.$elemMatch, depth);
          throw badRequest('$all takes values or {$elemMatch: {...}} conditions');
        }
        return this.equals(ref, value, true);
      }),
    );
  }

  private elemMatch(ref: R, condition: unknown, depth: number): T {
    if (ref.type === 'column') throw badRequest('$elemMatch applies to array fields');
    if (!isPlainObject(condition)) throw badRequest('$elemMatch takes an object');
    const keys = Object.keys(condition);
    const operators = keys.length > 0 && keys.every((k) => k.startsWith('$') && FIELD_OPERATORS.has(k));
    return this.elemMatchValue(ref, condition, operators, depth);
  }
}
