// Applies MongoDB update operators (`updateMany`) to one record's fields, purely in memory.
// Running them in JS rather than SQL lets every updated record be validated against its schema.

import { isDeepStrictEqual } from 'node:util';
import { badRequest } from '../errors.js';
import { BUILTIN_COLUMNS, splitPath } from './fields.js';
import { isPlainObject } from './filter.js';

type Fields = Record<string, unknown>;
type Apply = (fields: Fields, path: string[], operand: unknown, now: string) => void;

function parent(fields: Fields, path: string[], create: boolean): Fields | undefined {
  let node: Fields = fields;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (isPlainObject(next)) {
      node = next;
    } else if (create) {
      node = node[segment] = {};
    } else {
      return undefined;
    }
  }
  return node;
}

const leaf = (path: string[]) => path[path.length - 1];
const read = (fields: Fields, path: string[]) => parent(fields, path, false)?.[leaf(path)];
const write = (fields: Fields, path: string[], value: unknown) => {
  parent(fields, path, true)![leaf(path)] = value;
};

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

function each(operand: unknown): unknown[] {
  if (isPlainObject(operand) && '$each' in operand) {
    if (!Array.isArray(operand.$each)) throw badRequest('$each takes an array');
    return operand.$each;
  }
  return [operand];
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw badRequest('$min and $max compare numbers with numbers and strings with strings');
}

function pullMatcher(condition: unknown): (element: unknown) => boolean {
  if (isPlainObject(condition) && Object.keys(condition).some((k) => k.startsWith('$'))) {
    const keys = Object.keys(condition);
    if (keys.length === 1 && Array.isArray(condition.$in)) {
      const values = condition.$in;
      return (element) => values.some((v) => isDeepStrictEqual(v, element));
    }
    throw badRequest('$pull takes a value or {$in: [...]}');
  }
  return (element) => isDeepStrictEqual(element, condition);
}

const OPERATORS: Record<string, Apply> = {
  $set: (fields, path, value) => write(fields, path, value),
  $unset: (fields, path) => {
    delete parent(fields, path, false)?.[leaf(path)];
  },
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
    if (typeof operand !== 'string') throw badRequest('$rename takes the new field name');
    const target = splitPath(operand);
    const value = read(fields, path);
    if (value === undefined) return;
    delete parent(fields, path, false)?.[leaf(path)];
    write(fields, target, value);
  },
  $currentDate: (fields, path, operand, now) => {
    if (operand !== true && !(isPlainObject(operand) && (operand.$type === 'date' || operand.$type === 'timestamp'))) {
      throw badRequest('$currentDate takes true or {$type: "date"}');
    }
    write(fields, path, now);
  },
  $addToSet: (fields, path, operand) => {
    const list = arrayField('$addToSet', fields, path);
    for (const value of each(operand)) if (!list.some((e) => isDeepStrictEqual(e, value))) list.push(value);
    write(fields, path, list);
  },
  $push: (fields, path, operand) => {
    const list = arrayField('$push', fields, path);
    const values = each(operand);
    const options = isPlainObject(operand) && '$each' in operand ? operand : {};
    const position = options.$position === undefined ? list.length : options.$position;
    if (!Number.isInteger(position)) throw badRequest('$position takes an integer');
    list.splice(position as number, 0, ...values);
    let result = list;
    if (options.$slice !== undefined) {
      if (!Number.isInteger(options.$slice)) throw badRequest('$slice takes an integer');
      const slice = options.$slice as number;
      result = slice >= 0 ? list.slice(0, slice) : list.slice(slice);
    }
    write(fields, path, result);
  },
  $pull: (fields, path, operand) => {
    const current = read(fields, path);
    if (!Array.isArray(current)) return;
    const matches = pullMatcher(operand);
    write(fields, path, current.filter((element) => !matches(element)));
  },
};

export interface UpdatePlan {
  steps: { apply: Apply; path: string[]; operand: unknown }[];
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
  const seen = new Set<string>();
  const steps: UpdatePlan['steps'] = [];
  for (const [operator, fields] of Object.entries(byOperator)) {
    const apply = OPERATORS[operator];
    if (!apply) throw badRequest(`Unsupported update operator ${operator.slice(0, 40)}`);
    if (!isPlainObject(fields) || Object.keys(fields).length === 0) {
      throw badRequest(`${operator} takes a non-empty object of fields`);
    }
    for (const [field, operand] of Object.entries(fields)) {
      const path = splitPath(field);
      if (path[0] in BUILTIN_COLUMNS || path[0] === 'is_sample') throw badRequest(`${field} is set by the server`);
      if (seen.has(field)) throw badRequest(`Field ${field} appears in more than one update operator`);
      seen.add(field);
      steps.push({ apply, path, operand });
    }
  }
  return { steps };
}

/** A new copy of `fields` with the plan applied; `now` is the server time for `$currentDate`. */
export function applyUpdate(fields: Fields, plan: UpdatePlan, now: string): Fields {
  const copy = structuredClone(fields);
  for (const step of plan.steps) step.apply(copy, step.path, step.operand, now);
  return copy;
}
