// Row filters from random rules, for random callers, over random records (seeded, deterministic): the SQL the store
// runs (`compileFilter` on PGlite and PostgreSQL), the in-memory `matchesFilter`, and a direct reading of the rule must all agree.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRecordsTableOn, type RecordsTable, type SeedRecord } from '../../test/support/pglite.js';
import { prng, type Rng } from '../../test/support/random.js';
import { flatRecord } from '../../test/support/records.js';
import { databases } from '../../test/support/server.js';
import { compileFilter, compileMatcher, entityFields, isPlainObject, matchesFilter, SqlParams } from '../query/index.js';
import { normaliseEntityDefinition } from '../schema/index.js';
import { AccessUser, RowFilter, compileAccess } from './index.js';

// Hundreds of generated cases against a real database: minutes on a loaded 2-core machine, not the default 30 s.
const PROPERTY_TEST_TIMEOUT_MS = 180_000;

const EMAILS = ['ann@x.io', 'bob@x.io', 'cat@x.io', 'dan@x.io'];
const USERS: (AccessUser | null)[] = [
  { id: 'id-ann@x.io', email: 'ann@x.io', role: 'user', department: 'sales', level: 3, teams: ['red', 'blue'], permissions: ['export'] },
  { id: 'id-bob@x.io', email: 'bob@x.io', role: 'admin', department: null, level: '3', teams: 'red', permissions: [] },
  { id: 'id-cat@x.io', email: 'cat@x.io', role: 'hr' },
  { id: 'id-dan@x.io', email: 'dan@x.io', role: 'user', department: 'ops', level: 5, teams: [], flag: true },
  null,
];
const STATUSES = ['open', 'closed', 'draft', null];
const DEPARTMENTS = ['sales', 'ops', 'people', null];
const INSTANTS = ['2025-01-01T10:00:00.000000', '2025-01-02T03:04:05.123456', '2025-02-01T00:00:00.000001'];

function genRecords(rng: Rng, count: number): SeedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const data: Record<string, unknown> = {};
    const maybe = (key: string, value: () => unknown) => {
      if (rng.chance(0.8)) data[key] = value();
    };
    maybe('status', () => rng.pick(STATUSES));
    maybe('owner', () => rng.pick([...EMAILS, ...EMAILS.map((e) => `id-${e}`), null]));
    maybe('priority', () => rng.pick([1, 2, 3, 5, '3', null]));
    maybe('tags', () => Array.from({ length: rng.int(3) }, () => rng.pick(['red', 'blue', 'green', 'sales'])));
    maybe('members', () => Array.from({ length: rng.int(3) }, () => `id-${rng.pick(EMAILS)}`));
    maybe('meta', () => ({ dept: rng.pick(DEPARTMENTS), level: rng.int(6) }));
    maybe('items', () =>
      Array.from({ length: rng.int(3) }, () => ({ user_id: `id-${rng.pick(EMAILS)}`, role: rng.pick(['editor', 'viewer', 'owner']) })),
    );
    maybe('public', () => rng.chance(0.5));
    maybe('department', () => rng.pick(DEPARTMENTS));
    maybe('path', () => rng.pick(['team-sales', 'team-ops', 'team-']));
    return {
      id: `r${String(i).padStart(3, '0')}`,
      created_date: rng.pick(INSTANTS),
      created_by: rng.chance(0.15) ? null : rng.pick(EMAILS),
      data,
    };
  });
}


/** Values a field's conditions compare with: its own values, and the templates that name matching attributes. */
const DOMAINS: Record<string, unknown[]> = {
  status: ['open', 'closed', 'draft', null, '{{user.missing}}'],
  owner: ['{{user.email}}', '{{user.id}}', 'ann@x.io', 'id-bob@x.io', null],
  priority: [1, 2, 3, '3', '{{user.level}}', null],
  tags: ['red', 'blue', '{{user.teams}}', '{{user.department}}'],
  members: ['{{user.id}}', 'id-ann@x.io'],
  'meta.dept': ['{{user.department}}', '{{user.data.department}}', 'sales', 'ops', null],
  'meta.level': [0, 2, 5, '{{user.level}}'],
  items: [null],
  public: [true, false],
  department: ['{{user.department}}', 'sales', 'ops', null, '{{user.role}}'],
  path: ['team-{{user.data.department}}', 'team-sales', 'team-{{user.missing}}'],
};

function genScalar(rng: Rng, field = 'status'): unknown {
  return rng.pick(DOMAINS[field] ?? DOMAINS.status);
}

function genFieldCondition(rng: Rng, field: string): unknown {
  if (field === 'items' && rng.chance(0.6)) {
    return { $elemMatch: rng.chance(0.5) ? { user_id: '{{user.id}}' } : { user_id: '{{user.id}}', role: { $in: ['editor', 'owner'] } } };
  }
  if ((field === 'members' || field === 'tags') && rng.chance(0.3)) {
    return rng.pick([
      { $elemMatch: { $in: ['{{user.id}}', 'red'] } },
      { $all: ['{{user.id}}'] },
      { $all: '{{user.teams}}' },
      { $size: rng.int(3) },
      { $in: '{{user.teams}}' },
    ]);
  }
  if (rng.chance(0.4)) return genScalar(rng, field);
  const ops: Record<string, unknown> = {};
  for (let i = 0; i < 1 + rng.int(2); i++) {
    const op = rng.pick(['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$exists']);
    switch (op) {
      case '$in':
      case '$nin':
        ops[op] = rng.chance(0.25) ? rng.pick(['{{user.teams}}', '{{user.department}}', '{{user.missing}}']) : Array.from({ length: rng.int(3) }, () => genScalar(rng, field));
        break;
      case '$exists':
        ops[op] = rng.chance(0.5);
        break;
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte':
        ops[op] = rng.pick([2, 3, 'm', 'open', 'sales', '{{user.level}}', '{{user.department}}', true]);
        break;
      default:
        ops[op] = genScalar(rng, field);
    }
  }
  return ops;
}

function genBuiltin(rng: Rng): [string, unknown] {
  switch (rng.int(5)) {
    case 0:
      return ['created_by', rng.pick(['{{user.email}}', 'ann@x.io', null, { $ne: '{{user.email}}' }, { $in: ['{{user.email}}', 'bob@x.io', null] }, { $nin: [null] }])];
    case 1:
      return ['created_by_id', rng.pick(['{{user.id}}', { $in: ['id-ann@x.io', '{{user.id}}'] }, { $exists: true }])];
    case 2:
      return [rng.pick(['id', '_id']), rng.pick(['r001', { $in: ['r001', 'r002', 'r010'] }, { $gt: 'r050' }])];
    case 3:
      return ['created_date', rng.pick([{ $gt: '2025-01-02' }, { $lte: '2025-01-02T03:04:05.123456' }, '2025-01-02T04:04:05.123456+01:00'])];
    default:
      return [rng.pick(['is_deleted', 'environment', 'deleted_date', 'entity_name']), rng.pick([false, true, 'prod', null, 'Task', { $ne: 'prod' }, { $in: [null, false] }])];
  }
}

const USER_ATTRIBUTES: Record<string, unknown[]> = {
  role: ['admin', 'user', 'hr', '{{user.role}}'],
  email: ['ann@x.io', '{{user.email}}'],
  id: ['{{user.id}}', 'id-dan@x.io'],
  'data.department': ['sales', 'ops', null, '{{user.data.department}}'],
  department: ['sales', null],
  level: [3, '3', 5],
  permissions: ['export'],
  teams: ['red', '{{user.missing}}'],
  'data.missing': [null, 'x'],
};
const FIELD_KEYS = ['data.status', 'status', 'data.owner', 'owner', 'priority', 'tags', 'members', 'data.meta.dept', 'meta.level', 'items', 'public', 'department', 'data.path'];

function genCondition(rng: Rng, depth: number): Record<string, unknown> {
  const condition: Record<string, unknown> = {};
  for (let i = 0; i < 1 + rng.int(depth === 0 ? 2 : 1) + (rng.chance(0.1) ? 1 : 0); i++) {
    const roll = rng.next();
    if (roll < 0.15) {
      condition.user_condition = Object.fromEntries(
        Array.from({ length: 1 + (rng.chance(0.2) ? 1 : 0) }, () => {
          const attr = rng.pick(Object.keys(USER_ATTRIBUTES));
          return [attr, rng.pick(USER_ATTRIBUTES[attr])];
        }),
      );
    } else if (roll < 0.32 && depth < 3) {
      condition[rng.pick(['$or', '$and', '$nor'])] = Array.from({ length: 1 + rng.int(3) }, () => genCondition(rng, depth + 1));
    } else if (roll < 0.5) {
      const [key, value] = genBuiltin(rng);
      condition[key] = value;
    } else {
      const key = rng.pick(FIELD_KEYS);
      condition[key] = genFieldCondition(rng, key.replace(/^data\./, ''));
    }
  }
  return condition;
}

function genRule(rng: Rng): unknown {
  return rng.chance(0.06) ? rng.pick([true, false, null, '', {}]) : genCondition(rng, 0);
}

// --- A direct reading of a rule for one caller and one record, with no compilation and no folding. ---------------

const MISSING = Symbol('missing');
const BUILTINS: Record<string, string> = { created_by: 'created_by', created_by_id: 'created_by_id', id: 'id', _id: 'id', created_date: 'created_date', updated_date: 'updated_date' };
const CONSTANTS: Record<string, unknown> = { is_deleted: false, deleted_date: null, environment: 'prod', entity_name: 'Task' };

function attribute(user: AccessUser, path: string): unknown {
  const segments = path.startsWith('data.') ? path.slice(5).split('.') : path.split('.');
  let value: unknown = user;
  for (const s of segments) value = isPlainObject(value) && Object.hasOwn(value, s) ? value[s] : undefined;
  return value;
}

function substitute(value: unknown, user: AccessUser): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => substitute(v, user));
    return out.includes(MISSING) ? MISSING : out;
  }
  if (typeof value !== 'string' || !value.includes('{{')) return value;
  const whole = /^\{\{\s*user\.([\w.]+)\s*\}\}$/.exec(value);
  if (whole) {
    const v = attribute(user, whole[1]);
    return v === undefined || v === null ? MISSING : v;
  }
  let missing = false;
  const text = value.replace(/\{\{\s*user\.([\w.]+)\s*\}\}/g, (_, path: string) => {
    const v = attribute(user, path);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') missing = true;
    return String(v);
  });
  return missing ? MISSING : text;
}

const isColumn = (field: string) => ['id', 'created_by', 'created_by_id', 'created_date', 'updated_date'].includes(field);

/** One field condition, templates substituted, as a filter; undefined when a comparison cannot hold. */
function fieldFilter(field: string, condition: unknown, user: AccessUser): Record<string, unknown> | undefined {
  if (!isPlainObject(condition)) {
    const v = substitute(condition, user);
    if (v === MISSING) return undefined;
    if (isColumn(field) && v !== null && typeof v !== 'string') return undefined;
    return { [field]: v !== null && typeof v === 'object' ? { $eq: v } : v };
  }
  const ops: Record<string, unknown> = {};
  for (const [op, operand] of Object.entries(condition)) {
    if (op === '$elemMatch') {
      const inner = isPlainObject(operand) && Object.keys(operand).every((k) => k.startsWith('$'))
        ? fieldFilter('v', operand, user)?.v
        : Object.entries(operand as object).reduce<Record<string, unknown> | undefined>((acc, [k, c]) => {
            const f = acc && fieldFilter(k, c, user);
            return f && acc ? { ...acc, ...f } : undefined;
          }, {});
      if (inner === undefined) return undefined;
      ops[op] = inner;
      continue;
    }
    let v = substitute(operand, user);
    if (v === MISSING) return undefined;
    if (['$in', '$nin', '$all'].includes(op) && typeof operand === 'string') v = Array.isArray(v) ? v : [v];
    if (['$gt', '$gte', '$lt', '$lte'].includes(op) && !['string', 'number', 'boolean'].includes(typeof v)) return undefined;
    if (isColumn(field) && (Array.isArray(v) ? v : [v]).some((x) => x !== null && typeof x !== 'string' && typeof x !== 'boolean')) {
      if (!['$exists', '$size'].includes(op)) return undefined;
    }
    ops[op] = v;
  }
  return { [field]: ops };
}

function directly(rule: unknown, user: AccessUser | null, record: Record<string, unknown>): boolean {
  if (rule === true || rule === null || rule === '' || (isPlainObject(rule) && Object.keys(rule).length === 0)) return true;
  if (rule === false || user === null) return false;
  const holds = (condition: Record<string, unknown>): boolean =>
    Object.entries(condition).every(([key, value]) => {
      if (key === 'user_condition') {
        return Object.entries(value as object).every(([attr, expected]) => {
          const wanted = substitute(expected, user);
          if (wanted === MISSING) return false;
          const actual = attribute(user, attr);
          if (wanted === null) return actual === undefined || actual === null;
          return Array.isArray(actual) ? actual.includes(wanted) : actual === wanted;
        });
      }
      if (key === '$or') return (value as Record<string, unknown>[]).some(holds);
      if (key === '$and') return (value as Record<string, unknown>[]).every(holds);
      if (key === '$nor') return !(value as Record<string, unknown>[]).some(holds);
      if (Object.hasOwn(CONSTANTS, key)) {
        const filter = fieldFilter(key, value, user);
        return filter !== undefined && matchesFilter(filter, { [key]: CONSTANTS[key] });
      }
      const field = BUILTINS[key] ?? key.replace(/^data\./, '');
      const filter = fieldFilter(field, value, user);
      return filter !== undefined && matchesFilter(filter, record);
    });
  return holds(rule as Record<string, unknown>);
}

// -------------------------------------------------------------------------------------------------------------------

const rng = prng(44);
const SEED = genRecords(rng, 150);
const RECORDS = SEED.map(flatRecord);

describe.each(databases())('on %s', (kind) => {
  let db: RecordsTable;

  beforeAll(async () => {
    db = await openRecordsTableOn(kind, SEED);
  });
  afterAll(() => db.close());

  it('row filters select the same records in SQL, in memory, and by reading the rule directly', async () => {
    const RULES = 800;
    const cases: { rule: unknown; user: AccessUser | null; filter: RowFilter }[] = [];
    for (let n = 0; n < RULES; n++) {
      const rule = genRule(rng);
      const access = compileAccess(normaliseEntityDefinition({ name: 'Task', type: 'object', properties: {}, rls: { read: rule } }, 't.json'));
      for (const user of USERS) cases.push({ rule, user, filter: access.rowFilter('read', user) });
    }
    let restricted = 0;
    const BATCH = 50;
    for (let start = 0; start < cases.length; start += BATCH) {
      const batch = cases.slice(start, start + BATCH);
      const params = new SqlParams();
      const columns = batch.map(({ filter }, i) => {
        const sql = typeof filter === 'boolean' ? String(filter) : compileFilter(filter, entityFields(), params);
        return `COALESCE(${sql}, false) AS m${i}`;
      });
      const rows = await db.query<Record<string, unknown>>(`SELECT id, ${columns.join(', ')} FROM t ORDER BY id COLLATE "C"`, params.values);
      batch.forEach(({ rule, user, filter }, i) => {
        const label = `${JSON.stringify(rule)} for ${user?.email ?? 'anonymous'} -> ${JSON.stringify(filter)}`;
        const sql = rows.filter((r) => r[`m${i}`] === true).map((r) => r.id);
        const memory = RECORDS.filter(compileMatcher(filter)).map((r) => r.id);
        const direct = RECORDS.filter((r) => directly(rule, user, r)).map((r) => r.id);
        expect(memory, label).toEqual(sql);
        expect(direct, label).toEqual(sql);
        if (sql.length > 0 && sql.length < RECORDS.length) restricted++;
      });
    }
    // Most filters should select some records but not all, or the comparison proves little.
    expect(restricted).toBeGreaterThan(cases.length * 0.25);
  }, PROPERTY_TEST_TIMEOUT_MS);
});
