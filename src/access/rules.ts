// Compiles one Base44 rule (`true`, `false`, or a condition object) into a function from the caller to a row filter
// in the filter language. Everything is checked here, once; per caller there is only substitution and simplification.

import { HttpError } from '../errors.js';
import { isPlainObject, matchesFilter, splitPath } from '../query/index.js';
import { builtinColumn } from '../query/fields.js';
import { jsonEquals } from '../query/matcher.js';
import { normalizeTimestamp } from '../query/timestamps.js';
import { keyPath, shown } from './errors.js';
import { AccessUser, MISSING, TemplateError, ValueOf, attributePath, compileValue, userAttribute } from './templates.js';

/** true = all rows, false = none, else a filter-language query over record fields. */
export type RowFilter = boolean | Record<string, unknown>;

/** A compiled rule: allow everyone, deny everyone, or a condition judged per signed-in caller. */
export type Rule =
  | { kind: 'allow' }
  | { kind: 'deny' }
  | { kind: 'condition'; filter: (user: AccessUser) => RowFilter };

export class RuleError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** Where the compiler is, and what it has seen. */
export interface RuleContext {
  entityName: string;
  appId?: string;
  /** Top-level record fields rules read. */
  fields: Set<string>;
  conditions: number;
}

type Cond = (user: AccessUser) => RowFilter;

const FIELD_OPERATORS = new Set(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists', '$all', '$size', '$elemMatch']);
const LOGICAL = new Set(['$or', '$and', '$nor']);
/** Record built-ins a rule may compare (written bare); `_id` is Base44's storage name for `id`. */
const BUILTIN_KEYS: Record<string, string> = {
  created_by: 'created_by',
  created_by_id: 'created_by_id',
  id: 'id',
  _id: 'id',
  created_date: 'created_date',
  updated_date: 'updated_date',
};
/** Keys of Base44's stored document that are the same for every record Homebase serves. */
const CONSTANT_KEYS = new Set(['app_id', 'entity_name', 'is_deleted', 'deleted_date', 'environment']);
// Nesting ($or/$and/$nor entries, $elemMatch) and size limits keep every row filter inside compileFilter's limits.
const MAX_NESTING = 4;
const MAX_CONDITIONS = 200;

const ALLOW: Rule = { kind: 'allow' };
const DENY: Rule = { kind: 'deny' };

// ---------------------------------------------------------------------------------------------------------------
// Combining per-caller results: constants fold away, so a filter never holds `true`/`false`.

function mergeable(parts: Record<string, unknown>[]): Record<string, unknown>[] {
  const merged: Record<string, unknown>[] = [];
  for (const part of parts) {
    const target = merged.find((m) => Object.keys(part).every((k) => !Object.hasOwn(m, k)));
    if (target) Object.assign(target, part);
    else merged.push({ ...part });
  }
  return merged;
}

export function and(parts: RowFilter[]): RowFilter {
  const objects: Record<string, unknown>[] = [];
  for (const part of parts) {
    if (part === false) return false;
    if (part === true) continue;
    const keys = Object.keys(part);
    if (keys.length === 1 && keys[0] === '$and') objects.push(...(part.$and as Record<string, unknown>[]));
    else objects.push(part);
  }
  if (objects.length === 0) return true;
  const merged = mergeable(objects);
  return merged.length === 1 ? merged[0] : { $and: merged };
}

export function or(parts: RowFilter[]): RowFilter {
  const objects: Record<string, unknown>[] = [];
  for (const part of parts) {
    if (part === true) return true;
    if (part !== false) objects.push(part);
  }
  if (objects.length === 0) return false;
  return objects.length === 1 ? objects[0] : { $or: objects };
}

function nor(parts: RowFilter[]): RowFilter {
  const objects: Record<string, unknown>[] = [];
  for (const part of parts) {
    if (part === true) return false;
    if (part !== false) objects.push(part);
  }
  return objects.length === 0 ? true : { $nor: objects };
}

// ---------------------------------------------------------------------------------------------------------------

type Target =
  | { type: 'column'; column: 'text' | 'timestamp' }
  | { type: 'json' };

/** Checks a value (static, or one caller's) against what the comparison needs; undefined when it fits. */
type Check = (value: unknown) => string | undefined;

const isScalar = (v: unknown): v is string | number | boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
const hasOperatorKeys = (v: unknown) => isPlainObject(v) && Object.keys(v).some((k) => k.startsWith('$'));

function columnCheck(target: Target, allowNull: boolean): Check {
  if (target.type === 'json') return () => undefined;
  return (value) => {
    if (value === null) return allowNull ? undefined : 'cannot be null here';
    if (target.column === 'timestamp') return normalizeTimestamp(value) === undefined ? 'must be an ISO date or date-time' : undefined;
    return typeof value === 'string' ? undefined : 'must be a string';
  };
}

/** A comparison value for one caller, or `MISSING` when a template's attribute is absent or does not fit. */
function operand(ctx: RuleContext, path: string, raw: unknown, check: Check): ValueOf {
  let compiled: ReturnType<typeof compileValue>;
  try {
    compiled = compileValue(raw);
  } catch (error) {
    if (error instanceof TemplateError) throw new RuleError(path, error.message);
    throw error;
  }
  if (!compiled.templated) {
    const problem = check(raw);
    if (problem) throw new RuleError(path, `${shown(raw)} ${problem}`);
    return () => raw;
  }
  const { value } = compiled;
  return (user) => {
    const v = value(user);
    return v === MISSING || check(v) !== undefined ? MISSING : v;
  };
}

class RuleCompiler {
  constructor(private readonly ctx: RuleContext) {}

  private count(path: string): void {
    if (++this.ctx.conditions > MAX_CONDITIONS) throw new RuleError(path, `rules hold more than ${MAX_CONDITIONS} conditions`);
  }

  rule(raw: unknown, path: string): Rule {
    if (raw === true) return ALLOW;
    if (raw === false) return DENY;
    if (raw === null || raw === '') return ALLOW;
    if (!isPlainObject(raw)) throw new RuleError(path, `a rule is true, false, null or a condition object, not ${shown(raw)}`);
    if (Object.keys(raw).length === 0) return ALLOW;
    const filter = this.condition(raw, path, 0);
    return { kind: 'condition', filter };
  }

  /** A condition object: every key must hold. */
  private condition(raw: unknown, path: string, nesting: number): Cond {
    if (!isPlainObject(raw)) throw new RuleError(path, `a condition is an object, not ${shown(raw)}`);
    if (nesting > MAX_NESTING) throw new RuleError(path, `conditions are nested deeper than ${MAX_NESTING} levels`);
    const parts = Object.entries(raw).map(([key, value]) => this.key(key, value, path, nesting));
    if (parts.length === 1) return parts[0];
    return (user) => and(parts.map((p) => p(user)));
  }

  private key(key: string, value: unknown, parent: string, nesting: number): Cond {
    const path = keyPath(parent, key);
    this.count(path);
    if (key === 'user_condition') return this.userCondition(value, path);
    if (LOGICAL.has(key)) {
      if (!Array.isArray(value) || value.length === 0) throw new RuleError(path, `${key} takes a non-empty array of conditions`);
      const subs = value.map((sub, i) => this.condition(sub, `${path}[${i}]`, nesting + 1));
      const combine = key === '$or' ? or : key === '$and' ? and : nor;
      return (user) => combine(subs.map((s) => s(user)));
    }
    if (key.startsWith('$')) throw new RuleError(parent, `unknown operator ${key.slice(0, 40)}`);
    if (CONSTANT_KEYS.has(key)) return this.constant(key, value, path, nesting);
    const field = Object.hasOwn(BUILTIN_KEYS, key) ? BUILTIN_KEYS[key] : key.startsWith('data.') ? key.slice('data.'.length) : key;
    this.checkField(field, path);
    const column = builtinColumn(field);
    this.ctx.fields.add(field.split('.')[0]);
    return this.fieldCondition(field, value, path, nesting, column ? { type: 'column', column } : { type: 'json' });
  }

  private checkField(field: string, path: string): void {
    try {
      splitPath(field);
    } catch (error) {
      if (error instanceof HttpError) throw new RuleError(path, `invalid field name ${shown(field)}`);
      throw error;
    }
  }

  /** `user_condition`: equality on the caller's attributes, decided per caller. */
  private userCondition(raw: unknown, path: string): Cond {
    if (!isPlainObject(raw) || Object.keys(raw).length === 0) {
      throw new RuleError(path, 'user_condition takes a non-empty object of caller attributes');
    }
    const tests = Object.entries(raw).map(([attribute, expected]) => {
      const at = keyPath(path, attribute);
      if (attribute.startsWith('$')) throw new RuleError(at, `user_condition compares by equality only: no operators (${attribute.slice(0, 40)})`);
      const attributePathOf = attributePath(attribute);
      if (!attributePathOf) throw new RuleError(at, `invalid caller attribute ${shown(attribute)}`);
      if (expected !== null && !isScalar(expected)) {
        throw new RuleError(at, `user_condition compares by equality only: give a string, number, boolean or null, not ${shown(expected)}`);
      }
      const value = operand(this.ctx, at, expected, () => undefined);
      return (user: AccessUser): boolean => {
        const wanted = value(user);
        if (wanted === MISSING) return false;
        const actual = userAttribute(user, attributePathOf);
        if (wanted === null) return actual === undefined || actual === null;
        if (Array.isArray(actual) && !Array.isArray(wanted)) return actual.some((a) => jsonEquals(a, wanted));
        return jsonEquals(actual, wanted);
      };
    });
    return (user) => tests.every((t) => t(user));
  }

  /** Keys that are the same on every record (`is_deleted` is false...): decided per caller, never a filter. */
  private constant(key: string, value: unknown, path: string, nesting: number): Cond {
    const condition = this.fieldCondition(key, value, path, nesting, { type: 'json' });
    const constants: Record<string, unknown> = {
      app_id: this.ctx.appId,
      entity_name: this.ctx.entityName,
      is_deleted: false,
      deleted_date: null,
      environment: 'prod',
    };
    return (user) => {
      // Without a known app id a condition on it holds for nobody: a rule never falls open.
      if (key === 'app_id' && this.ctx.appId === undefined) return false;
      const filter = condition(user);
      return typeof filter === 'boolean' ? filter : matchesFilter(filter, { [key]: constants[key] });
    };
  }

  /** A field condition: a value (equality) or an object of operators. */
  private fieldCondition(field: string, raw: unknown, path: string, nesting: number, target: Target): Cond {
    const build = this.fieldOperators(raw, path, nesting, target);
    return (user) => {
      const ops = build(user);
      return ops === MISSING ? false : { [field]: ops };
    };
  }

  /** What goes under the field's key for one caller (MISSING when a comparison cannot hold). */
  private fieldOperators(raw: unknown, path: string, nesting: number, target: Target): ValueOf {
    if (raw === null || isScalar(raw)) {
      const value = operand(this.ctx, path, raw, columnCheck(target, true));
      return (user) => {
        const v = value(user);
        if (v === MISSING) return MISSING;
        // Lists and objects a template brings are compared whole, never read as operators or as any-of.
        return v !== null && typeof v === 'object' ? { $eq: v } : v;
      };
    }
    if (Array.isArray(raw)) throw new RuleError(path, 'a list is not a field condition: use {"$in": [...]}');
    if (!isPlainObject(raw)) throw new RuleError(path, `unsupported field condition ${shown(raw)}`);
    const keys = Object.keys(raw);
    if (keys.length === 0) throw new RuleError(path, 'an empty object is not a field condition');
    const ops = keys.map((op) => {
      const at = keyPath(path, op);
      if (!op.startsWith('$')) throw new RuleError(path, `objects are not compared in rules: ${shown(op)} is not an operator`);
      if (!FIELD_OPERATORS.has(op)) throw new RuleError(path, `unknown operator ${op.slice(0, 40)}`);
      this.count(at);
      return [op, this.operator(op, raw[op], at, nesting, target)] as const;
    });
    return (user) => {
      const out: Record<string, unknown> = {};
      for (const [op, value] of ops) {
        const v = value(user);
        if (v === MISSING) return MISSING;
        out[op] = v;
      }
      return out;
    };
  }

  private operator(op: string, raw: unknown, path: string, nesting: number, target: Target): ValueOf {
    switch (op) {
      case '$eq':
      case '$ne':
        if (raw !== null && !isScalar(raw) && !(Array.isArray(raw) && raw.every((v) => v === null || isScalar(v)))) {
          throw new RuleError(path, `${op} takes a string, number, boolean, null or a list of them`);
        }
        return operand(this.ctx, path, raw, (v) =>
          hasOperatorKeys(v) || (target.type === 'column' && Array.isArray(v)) ? 'cannot be compared here' : columnCheck(target, true)(v),
        );
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        if (!isScalar(raw)) throw new RuleError(path, `${op} takes a number, string or boolean`);
        const fits = columnCheck(target, false);
        return operand(this.ctx, path, raw, (v) => (isScalar(v) ? fits(v) : 'must be a number, string or boolean'));
      }
      case '$in':
      case '$nin':
      case '$all':
        return this.list(op, raw, path, target);
      case '$exists':
        if (typeof raw !== 'boolean') throw new RuleError(path, '$exists takes true or false');
        return () => raw;
      case '$size':
        if (!Number.isInteger(raw) || (raw as number) < 0) throw new RuleError(path, '$size takes a non-negative integer');
        return () => raw;
      default: // $elemMatch
        if (target.type === 'column') throw new RuleError(path, '$elemMatch applies to array fields');
        return this.elemMatch(raw, path, nesting + 1);
    }
  }

  /** `$in`/`$nin`/`$all`: a list (templates allowed in it), or one template naming a list attribute. */
  private list(op: string, raw: unknown, path: string, target: Target): ValueOf {
    const elementCheck = (v: unknown) =>
      hasOperatorKeys(v) || (target.type === 'column' && (Array.isArray(v) || isPlainObject(v)))
        ? 'cannot be compared here'
        : columnCheck(target, true)(v);
    const listCheck: Check = (v) => {
      if (!Array.isArray(v)) return 'must be a list';
      for (const element of v) {
        const problem = elementCheck(element);
        if (problem) return problem;
      }
      return undefined;
    };
    if (typeof raw === 'string') {
      const whole = /^\{\{[^{}]*\}\}$/.test(raw);
      if (!whole) throw new RuleError(path, `${op} takes a list, or one {{user...}} template naming a list`);
      const value = operand(this.ctx, path, raw, () => undefined);
      return (user) => {
        const v = value(user);
        if (v === MISSING) return MISSING;
        const list = Array.isArray(v) ? v : [v];
        return listCheck(list) === undefined ? list : MISSING;
      };
    }
    if (!Array.isArray(raw) || !raw.every((v) => v === null || isScalar(v))) {
      throw new RuleError(path, `${op} takes a list of strings, numbers, booleans or nulls`);
    }
    return operand(this.ctx, path, raw, listCheck);
  }

  /** `$elemMatch`: operators on each element, or conditions on the elements' fields. */
  private elemMatch(raw: unknown, path: string, nesting: number): ValueOf {
    if (!isPlainObject(raw)) throw new RuleError(path, '$elemMatch takes an object');
    if (nesting > MAX_NESTING) throw new RuleError(path, `conditions are nested deeper than ${MAX_NESTING} levels`);
    const keys = Object.keys(raw);
    if (keys.length > 0 && keys.every((k) => k.startsWith('$') && !LOGICAL.has(k))) {
      return this.fieldOperators(raw, path, nesting, { type: 'json' });
    }
    const inner = this.elementCondition(raw, path, nesting);
    return (user) => {
      const filter = inner(user);
      if (filter === false) return MISSING;
      return filter === true ? {} : filter;
    };
  }

  /** A condition on an array element's fields (no user_condition, no built-ins: the element is plain data). */
  private elementCondition(raw: unknown, path: string, nesting: number): Cond {
    if (!isPlainObject(raw)) throw new RuleError(path, `a condition is an object, not ${shown(raw)}`);
    if (nesting > MAX_NESTING) throw new RuleError(path, `conditions are nested deeper than ${MAX_NESTING} levels`);
    const parts = Object.entries(raw).map(([key, value]): Cond => {
      const at = keyPath(path, key);
      this.count(at);
      if (LOGICAL.has(key)) {
        if (!Array.isArray(value) || value.length === 0) throw new RuleError(at, `${key} takes a non-empty array of conditions`);
        const subs = value.map((sub, i) => this.elementCondition(sub, `${at}[${i}]`, nesting + 1));
        const combine = key === '$or' ? or : key === '$and' ? and : nor;
        return (user) => combine(subs.map((s) => s(user)));
      }
      if (key.startsWith('$')) throw new RuleError(path, `unknown operator ${key.slice(0, 40)}`);
      if (key === 'user_condition') throw new RuleError(at, 'user_condition cannot appear inside $elemMatch');
      this.checkField(key, at);
      return this.fieldCondition(key, value, at, nesting, { type: 'json' });
    });
    return (user) => and(parts.map((p) => p(user)));
  }
}

/** Compiles one rule; throws RuleError (path, message) when it is invalid. */
export function compileRule(raw: unknown, path: string, ctx: RuleContext): Rule {
  return new RuleCompiler(ctx).rule(raw, path);
}

/** The row filter a compiled rule gives this caller. */
export function ruleFilter(rule: Rule, user: AccessUser | null): RowFilter {
  switch (rule.kind) {
    case 'allow':
      return true;
    case 'deny':
      return false;
    default:
      // A condition never matches an anonymous caller.
      return user === null ? false : rule.filter(user);
  }
}
