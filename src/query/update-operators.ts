// Applies MongoDB update operators (`updateMany`) to one record's fields, purely in memory.
// Running them in JS rather than SQL lets every updated record be validated against its schema.

import { isDeepStrictEqual } from 'node:util';
import { badRequest } from '../errors.js';
import { builtinColumn, splitPath } from './fields.js';
import { isPlainObject } from './filter.js';

type Fields = Record<string, unknown>;
type Container = Fields | unknown[];
type Apply = (fields: Fields, path: string[], operand: unknown, now: string) => void;

/** How far past an array's end `$set: {"list.N": …}` may write (MongoDB pads the gap with nulls). */
const MAX_ARRAY_GAP = 1000;
const INDEX = /^\d+$/;

function get(node: Container, segment: string): unknown {
  if (Array.isArray(node)) return INDEX.test(segment) ? node[Number(segment)] : undefined;
  return Object.hasOwn(node, segment) ? node[segment] : undefined;
}

function put(node: Container, segment: string, value: unknown, path: string[]): void {
  if (!Array.isArray(node)) {
    node[segment] = value;
    return;
  }
  const index = INDEX.test(segment) ? Number(segment) : NaN;
  if (!Number.isSafeInteger(index) || index > node.length + MAX_ARRAY_GAP) {
    throw badRequest(`Cannot write ${path.join('.')}: ${segment} is not an index of the array there`);
  }
  while (node.length < index) node.push(null);
  node[index] = value;
}

/** The object or array holding the path's last segment; `create` makes missing (or null) objects on the way. */
function parent(fields: Fields, path: string[], create: boolean): Container | undefined {
  let node: Container = fields;
  for (const segment of path.slice(0, -1)) {
    let next = get(node, segment);
    if (!isPlainObject(next) && !Array.isArray(next)) {
      if (!create) return undefined;
      if (next !== undefined && next !== null) {
        throw badRequest(`Cannot write ${path.join('.')}: ${segment} holds a ${typeof next}, not an object`);
      }
      next = {};
      put(node, segment, next, path);
    }
    node = next as Container;
  }
  return node;
}

const leaf = (path: string[]) => path[path.length - 1];
const read = (fields: Fields, path: string[]) => {
  const node = parent(fields, path, false);
  return node === undefined ? undefined : get(node, leaf(path));
};
const write = (fields: Fields, path: string[], value: unknown) => put(parent(fields, path, true)!, leaf(path), value, path);

function remove(fields: Fields, path: string[]): void {
  const node = parent(fields, path, false);
  if (node === undefined) return;
  const segment = leaf(path);
  if (Array.isArray(node)) {
    // MongoDB keeps array positions: an unset element becomes null.
    if (INDEX.test(segment) && Number(segment) < node.length) node[Number(segment)] = null;
  } else if (Object.hasOwn(node, segment)) {
    delete node[segment];
  }
}

function number(operator: string, operand: unknown): number {
  if (typeof operand !== 'number' || !Number.isFinite(operand)) throw badRequest(`${operator} takes a number`);
  return operand;
}

function numericField(operator: string, fields: Fields, path: string[]): number | undefined {
  const current = read(fields, path);
  if (current === undefined || current === null) return undefined;
  if (typeof current !== 'number') throw badRequest(`Cannot apply ${operator} to the non-numeric field ${path.join('.')}`);
  return current;
}

function arrayField(operator: string, fields: Fields, path: string[]): unknown[] {
  const current = read(fields, path);
  if (current === undefined || current === null) return [];
  if (!Array.isArray(current)) throw badRequest(`Cannot apply ${operator} to the non-array field ${path.join('.')}`);
  return [...current];
}

const hasModifiers = (operand: unknown): operand is Record<string, unknown> =>
  isPlainObject(operand) && Object.keys(operand).some((k) => k.startsWith('$'));

/** The values `$push`/`$addToSet` add: `{$each: [...]}` or the one operand. */
function each(operator: string, operand: unknown, allowed: string[]): unknown[] {
  if (!hasModifiers(operand)) return [operand];
  const unknown = Object.keys(operand).find((k) => !allowed.includes(k));
  if (unknown !== undefined || !Array.isArray(operand.$each)) {
    throw badRequest(`${operator} takes a value or {${allowed.join(', ')}} with $each an array`);
  }
  return operand.$each;
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw badRequest('$min and $max compare numbers with numbers and strings with strings');
}

// `$pull` conditions, as MongoDB reads them: a value (deep equality), operators on each element
// (`{$gte: 6}`, `{$in: [...]}`), or a query on each object element (`{name: "x"}` matches `{name: "x", qty: 1}`).

type Matcher = (element: unknown) => boolean;

const equalsValue = (value: unknown, expected: unknown) =>
  isDeepStrictEqual(value, expected) ||
  (Array.isArray(value) && value.some((e) => isDeepStrictEqual(e, expected))) ||
  (expected === null && value === undefined);

function rangeMatcher(op: string, operand: unknown): Matcher {
  if (typeof operand !== 'number' && typeof operand !== 'string') throw badRequest(`${op} takes a number or string`);
  const test = (c: number) => (op === '$gt' ? c > 0 : op === '$gte' ? c >= 0 : op === '$lt' ? c < 0 : c <= 0);
  const one = (v: unknown) => typeof v === typeof operand && test(compare(v, operand));
  return (value) => one(value) || (Array.isArray(value) && value.some(one));
}

function operatorMatcher(op: string, operand: unknown): Matcher {
  switch (op) {
    case '$eq':
      return (value) => equalsValue(value, operand);
    case '$ne':
      return (value) => !equalsValue(value, operand);
    case '$in':
    case '$nin': {
      if (!Array.isArray(operand)) throw badRequest(`${op} takes an array`);
      const list = operand;
      const found = (value: unknown) => list.some((v) => equalsValue(value, v));
      return op === '$in' ? found : (value) => !found(value);
    }
    case '$gt':
    case '$gte':
    case '$lt':
    case '$lte':
      return rangeMatcher(op, operand);
    case '$exists':
      return (value) => (value !== undefined) === Boolean(operand);
    default:
      throw badRequest(`$pull does not support ${op.slice(0, 40)}`);
  }
}

function conditionMatcher(condition: unknown): Matcher {
  if (!hasModifiers(condition)) return (value) => equalsValue(value, condition);
  const tests = Object.entries(condition).map(([op, operand]) => operatorMatcher(op, operand));
  return (value) => tests.every((test) => test(value));
}

function pullMatcher(condition: unknown): Matcher {
  if (!isPlainObject(condition)) return (element) => isDeepStrictEqual(element, condition);
  const keys = Object.keys(condition);
  if (keys.length > 0 && keys.every((k) => k.startsWith('$'))) {
    const tests = keys.map((op) => operatorMatcher(op, condition[op]));
    return (element) => tests.every((test) => test(element));
  }
  if (keys.some((k) => k.startsWith('$'))) throw badRequest('$pull takes a value, operators, or field conditions');
  const fieldTests = keys.map((key) => {
    const path = splitPath(key);
    const test = conditionMatcher(condition[key]);
    return (element: Fields) =>
      test(path.reduce<unknown>((node, s) => (isPlainObject(node) && Object.hasOwn(node, s) ? node[s] : undefined), element));
  });
  return (element) => isPlainObject(element) && fieldTests.every((test) => test(element));
}

const OPERATORS: Record<string, Apply> = {
  $set: (fields, path, value) => write(fields, path, value),
  $unset: (fields, path) => remove(fields, path),
  $inc: (fields, path, operand) =>
    write(fields, path, (numericField('$inc', fields, path) ?? 0) + number('$inc', operand)),
  $mul: (fields, path, operand) =>
    write(fields, path, (numericField('$mul', fields, path) ?? 0) * number('$mul', operand)),
  $min: (fields, path, operand) => {
    const current = read(fields, path);
    if (current === undefined || current === null || compare(operand, current) < 0) write(fields, path, operand);
  },
  $max: (fields, path, operand) => {
    const current = read(fields, path);
    if (current === undefined || current === null || compare(operand, current) > 0) write(fields, path, operand);
  },
  $rename: (fields, path, operand) => {
    const value = read(fields, path);
    if (value === undefined) return;
    remove(fields, path);
    write(fields, splitPath(operand), value);
  },
  $currentDate: (fields, path, _operand, now) => write(fields, path, now),
  $addToSet: (fields, path, operand) => {
    const list = arrayField('$addToSet', fields, path);
    for (const value of each('$addToSet', operand, ['$each'])) {
      if (!list.some((e) => isDeepStrictEqual(e, value))) list.push(value);
    }
    write(fields, path, list);
  },
  $push: (fields, path, operand) => {
    const list = arrayField('$push', fields, path);
    const values = each('$push', operand, PUSH_MODIFIERS);
    const options = hasModifiers(operand) ? operand : {};
    const position = options.$position === undefined ? list.length : (options.$position as number);
    list.splice(position, 0, ...values);
    const slice = options.$slice as number | undefined;
    write(fields, path, slice === undefined ? list : slice >= 0 ? list.slice(0, slice) : list.slice(slice));
  },
  $pull: (fields, path, operand) => {
    const current = read(fields, path);
    if (!Array.isArray(current)) return;
    const matches = pullMatcher(operand);
    write(fields, path, current.filter((element) => !matches(element)));
  },
};

const PUSH_MODIFIERS = ['$each', '$position', '$slice'];

/** Operand checks done once, before any record is touched. */
const CHECKS: Record<string, (operand: unknown) => void> = {
  $inc: (operand) => number('$inc', operand),
  $mul: (operand) => number('$mul', operand),
  $min: (operand) => {
    if (typeof operand !== 'number' && typeof operand !== 'string') throw badRequest('$min takes a number or string');
  },
  $max: (operand) => {
    if (typeof operand !== 'number' && typeof operand !== 'string') throw badRequest('$max takes a number or string');
  },
  $currentDate: (operand) => {
    if (operand !== true && !(isPlainObject(operand) && (operand.$type === 'date' || operand.$type === 'timestamp'))) {
      throw badRequest('$currentDate takes true or {$type: "date"}');
    }
  },
  $addToSet: (operand) => each('$addToSet', operand, ['$each']),
  $push: (operand) => {
    each('$push', operand, PUSH_MODIFIERS);
    if (!hasModifiers(operand)) return;
    if (operand.$position !== undefined && !Number.isInteger(operand.$position)) throw badRequest('$position takes an integer');
    if (operand.$slice !== undefined && !Number.isInteger(operand.$slice)) throw badRequest('$slice takes an integer');
  },
  $pull: (operand) => pullMatcher(operand),
};

export interface UpdatePlan {
  steps: { apply: Apply; path: string[]; operand: unknown }[];
  /** Top-level fields the plan reads or writes, `$rename` targets included (access checks judge these). */
  fields: string[];
}

function checkWritable(field: string, path: string[]): void {
  if (builtinColumn(path[0]) !== undefined || path[0] === 'is_sample') throw badRequest(`${field} is set by the server`);
}

/** Two paths conflict when one is the other or lies inside it (`a` and `a.b`), as in MongoDB. */
function conflicts(a: string[], b: string[]): boolean {
  const n = Math.min(a.length, b.length);
  return a.slice(0, n).every((segment, i) => segment === b[i]);
}

/** Checks an update document once; a plain object without operators means `$set`. */
export function compileUpdate(update: unknown): UpdatePlan {
  if (!isPlainObject(update) || Object.keys(update).length === 0) {
    throw badRequest('An update must be a non-empty object of update operators, such as {"$set": {...}}');
  }
  const keys = Object.keys(update);
  const operatorKeys = keys.filter((k) => k.startsWith('$'));
  if (operatorKeys.length > 0 && operatorKeys.length !== keys.length) {
    throw badRequest('An update may not mix update operators with plain fields');
  }
  const byOperator = operatorKeys.length === 0 ? { $set: update } : update;
  const touched: { field: string; path: string[] }[] = [];
  const touch = (field: string, path: string[]) => {
    checkWritable(field, path);
    const other = touched.find((t) => conflicts(t.path, path));
    if (other) throw badRequest(`Fields ${other.field} and ${field} conflict: one path may appear in one update operator only`);
    touched.push({ field, path });
  };
  const steps: UpdatePlan['steps'] = [];
  for (const [operator, fields] of Object.entries(byOperator)) {
    const apply = Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator] : undefined;
    if (!apply) throw badRequest(`Unsupported update operator ${operator.slice(0, 40)}`);
    if (!isPlainObject(fields) || Object.keys(fields).length === 0) {
      throw badRequest(`${operator} takes a non-empty object of fields`);
    }
    for (const [field, operand] of Object.entries(fields)) {
      const path = splitPath(field);
      touch(field, path);
      if (operator === '$rename') {
        if (typeof operand !== 'string') throw badRequest('$rename takes the new field name');
        touch(operand, splitPath(operand));
      }
      CHECKS[operator]?.(operand);
      steps.push({ apply, path, operand });
    }
  }
  return { steps, fields: [...new Set(touched.map((t) => t.path[0]))] };
}

/** A new copy of `fields` with the plan applied; `now` is the server time for `$currentDate`. */
export function applyUpdate(fields: Fields, plan: UpdatePlan, now: string): Fields {
  const copy = structuredClone(fields);
  // Operands are copied too: one plan updates many records, which must not share objects.
  for (const step of plan.steps) step.apply(copy, step.path, structuredClone(step.operand), now);
  return copy;
}
