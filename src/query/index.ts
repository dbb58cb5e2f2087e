// Pure compilers from the SDK's query language to parameterised PostgreSQL.
// No I/O here: callers (store/) run the SQL; every value travels as a bound parameter.

export { SqlParams } from './params.js';
export { BUILTIN_COLUMNS, entityFields, splitPath, unknownKinds } from './fields.js';
export type { FieldKinds, FieldResolver, FieldRef, ValueKind } from './fields.js';
export { compileFilter, parseQueryParam, isPlainObject } from './filter.js';
export { compileSort, orderBy, after, sortKeyOf, DEFAULT_SORT } from './sort.js';
export type { Sort } from './sort.js';
export { encodeCursor, decodeCursor, describeWalk } from './cursor.js';
export type { CursorState } from './cursor.js';
export { parseFields, project } from './projection.js';
export { compileUpdate, applyUpdate } from './update-operators.js';
export type { UpdatePlan } from './update-operators.js';
export { compileAggregate, compileDistinct, MAX_AGGREGATE_ROWS } from './aggregate.js';
export type { AggregatePlan } from './aggregate.js';
export { compileMatcher, matchesFilter, type Matcher } from './matcher.js';
