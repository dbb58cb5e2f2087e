// Access rules (Base44 `rls`, entity- and field-level) compiled into row filters in the filter language, per caller.
// Pure: the store ANDs `compileFilter(rowFilter)` into its statements; realtime and write checks use `matchesFilter`.

import { isPlainObject, matchesFilter } from '../query/index.js';
import type { EntityDefinition } from '../schema/index.js';
import { AccessRuleError, keyPath } from './errors.js';
import { Rule, RuleContext, RuleError, compileRule, ruleFilter } from './rules.js';
import type { RowFilter } from './rules.js';
import type { AccessUser } from './templates.js';

export { AccessRuleError } from './errors.js';
export type { AccessUser } from './templates.js';
export type { RowFilter } from './rules.js';

export type Operation = 'create' | 'read' | 'update' | 'delete';

export interface EntityAccess {
  /** Row filter for `op` for this caller. `write` is the shorthand for create+update+delete (a specific key wins over write). */
  rowFilter(op: Operation, user: AccessUser | null): RowFilter;
  /** Top-level fields carrying a field-level `read` rule, each with the row filter under which this caller may read it. */
  fieldReadFilters(user: AccessUser | null): Map<string, RowFilter>;
  /** Fields among `fields` the caller may not write for `op` ('create' | 'update'), judged on `record` (the new record for create, the stored record for update). */
  deniedWriteFields(op: 'create' | 'update', user: AccessUser | null, record: Record<string, unknown>, fields: string[]): string[];
  /** Record fields any rule of this entity reads (for automatic expression indexes): built-ins and entity fields, top-level names. */
  readonly ruleFields: string[];
  readonly hasRules: boolean;
  /** Whether some field has an update (or write) rule: updates must then be judged against the stored record. */
  readonly guardsFieldUpdates: boolean;
  /** Whether some field has a read rule: update operators must then not touch fields hidden on a row. */
  readonly hidesFields: boolean;
  /** Top-level caller attributes the rules read (`email`, `role`, `department`...), through templates or user_condition. */
  readonly userFields: string[];
}

export interface AccessOptions {
  /** The app's id, for rules on `app_id` (without it such a condition holds for nobody). */
  appId?: string;
}

const OPERATIONS = ['create', 'read', 'update', 'delete', 'write'] as const;
type RuleKey = (typeof OPERATIONS)[number];
/** The rules one `rls` object sets, by key (a key left out is absent). */
type RuleSet = Partial<Record<RuleKey, Rule>>;

/** The rule deciding `op`: its own key, else `write` for create/update/delete, else none (everyone may). */
function ruleFor(rules: RuleSet, op: Operation): Rule | undefined {
  return rules[op] ?? (op === 'read' ? undefined : rules.write);
}

function restricts(rule: Rule | undefined): boolean {
  return rule !== undefined && rule.kind !== 'allow';
}

function compileRuleSet(raw: unknown, path: string, ctx: RuleContext): RuleSet | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw)) throw new RuleError(path, 'rls must be an object of create, read, update, delete and write rules');
  const rules: RuleSet = {};
  for (const key of OPERATIONS) {
    if (Object.hasOwn(raw, key) && raw[key] !== undefined) rules[key] = compileRule(raw[key], keyPath(path, key), ctx);
  }
  return rules;
}

/** Field-level rules are read on top-level properties only; one deeper would be silently ignored, so it is refused. */
function refuseNestedRules(schema: unknown, path: string): void {
  if (!isPlainObject(schema)) return;
  if (Object.hasOwn(schema, 'rls')) {
    throw new RuleError(path, 'field-level rules (rls) apply to top-level properties only');
  }
  if (isPlainObject(schema.properties)) {
    for (const [name, sub] of Object.entries(schema.properties)) refuseNestedRules(sub, keyPath(`${path}.properties`, name));
  }
  const items = Array.isArray(schema.items) ? schema.items : [schema.items];
  items.forEach((item, i) => refuseNestedRules(item, Array.isArray(schema.items) ? `${path}.items[${i}]` : `${path}.items`));
}

class CompiledAccess implements EntityAccess {
  readonly ruleFields: string[];
  readonly hasRules: boolean;
  readonly guardsFieldUpdates: boolean;
  readonly hidesFields: boolean;

  constructor(
    private readonly rules: RuleSet,
    private readonly fieldRules: Map<string, RuleSet>,
    fields: Set<string>,
    readonly userFields: string[],
  ) {
    this.ruleFields = [...fields];
    this.hasRules =
      OPERATIONS.some((key) => restricts(rules[key])) ||
      [...fieldRules.values()].some((set) => OPERATIONS.some((key) => restricts(set[key])));
    this.guardsFieldUpdates = [...fieldRules.values()].some((set) => restricts(ruleFor(set, 'update')));
    this.hidesFields = [...fieldRules.values()].some((set) => restricts(set.read));
  }

  rowFilter(op: Operation, user: AccessUser | null): RowFilter {
    const rule = ruleFor(this.rules, op);
    return rule === undefined ? true : ruleFilter(rule, user);
  }

  fieldReadFilters(user: AccessUser | null): Map<string, RowFilter> {
    const filters = new Map<string, RowFilter>();
    for (const [field, set] of this.fieldRules) {
      if (set.read) filters.set(field, ruleFilter(set.read, user));
    }
    return filters;
  }

  deniedWriteFields(op: 'create' | 'update', user: AccessUser | null, record: Record<string, unknown>, fields: string[]): string[] {
    const denied: string[] = [];
    for (const field of fields) {
      const set = this.fieldRules.get(field.split('.')[0]);
      const rule = set && ruleFor(set, op);
      if (!rule || denied.includes(field)) continue;
      const filter = ruleFilter(rule, user);
      if (filter === true) continue;
      if (filter === false || !matchesFilter(filter, record)) denied.push(field);
    }
    return denied;
  }
}

const TEMPLATE_ATTRIBUTE = /\{\{\s*user\.(?:data\.)?([A-Za-z0-9_]+)/g;

/** The caller attributes an entity's rules read: names in `{{user.…}}` templates and `user_condition` keys. */
function callerAttributes(definition: EntityDefinition): string[] {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (typeof node === 'string') {
      for (const match of node.matchAll(TEMPLATE_ATTRIBUTE)) names.add(match[1]);
    } else if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (isPlainObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'user_condition' && isPlainObject(value)) {
          Object.keys(value).forEach((attribute) => names.add(attribute.replace(/^data\./, '').split('.')[0]));
        }
        visit(value);
      }
    }
  };
  visit(definition.rls);
  Object.values(definition.properties).forEach((schema) => visit(isPlainObject(schema) ? schema.rls : undefined));
  return [...names];
}

function build(definition: EntityDefinition, options: AccessOptions): EntityAccess {
  const ctx: RuleContext = { entityName: definition.name, appId: options.appId, fields: new Set(), conditions: 0 };
  try {
    const rules = compileRuleSet(definition.rls, 'rls', ctx) ?? {};
    const fieldRules = new Map<string, RuleSet>();
    for (const [name, schema] of Object.entries(definition.properties)) {
      if (!isPlainObject(schema)) continue;
      const path = keyPath('properties', name);
      const set = compileRuleSet(schema.rls, `${path}.rls`, ctx);
      if (set) fieldRules.set(name, set);
      if (isPlainObject(schema.properties)) {
        for (const [sub, subSchema] of Object.entries(schema.properties)) refuseNestedRules(subSchema, keyPath(`${path}.properties`, sub));
      }
      const items = Array.isArray(schema.items) ? schema.items : [schema.items];
      items.forEach((item) => refuseNestedRules(item, `${path}.items`));
    }
    return new CompiledAccess(rules, fieldRules, ctx.fields, callerAttributes(definition));
  } catch (error) {
    if (error instanceof RuleError) throw new AccessRuleError(definition.name, error.path, error.message);
    throw error;
  }
}

// Compiled once per definition version (and app): definitions are immutable and their version hashes their text.
const MAX_CACHED = 1000;
const byVersion = new Map<string, EntityAccess>();
const byObject = new WeakMap<EntityDefinition, EntityAccess>();

/** Validates and compiles once per definition version (cached); throws AccessRuleError on any invalid rule — never falls open. */
export function compileAccess(definition: EntityDefinition, options: AccessOptions = {}): EntityAccess {
  const versioned = typeof definition.version === 'string' && definition.version !== '';
  const key = `${definition.name}\u0000${definition.version}\u0000${options.appId ?? ''}`;
  const cached = versioned ? byVersion.get(key) : options.appId === undefined ? byObject.get(definition) : undefined;
  if (cached) return cached;
  const access = build(definition, options);
  if (versioned) {
    if (byVersion.size >= MAX_CACHED) byVersion.delete(byVersion.keys().next().value!);
    byVersion.set(key, access);
  } else if (options.appId === undefined) {
    byObject.set(definition, access);
  }
  return access;
}

/** Removes from `record` the fields this caller may not read (evaluating row-dependent read rules with matchesFilter). */
export function maskRecord(record: Record<string, unknown>, readFilters: Map<string, RowFilter>): Record<string, unknown> {
  let masked: Record<string, unknown> | undefined;
  for (const [field, filter] of readFilters) {
    if (filter === true || !Object.hasOwn(record, field)) continue;
    // Rules are judged on the record as stored, never on a partly masked copy.
    if (filter !== false && matchesFilter(filter, record)) continue;
    masked ??= { ...record };
    delete masked[field];
  }
  return masked ?? record;
}
