// Access rules: Base44's `rls` grammar (entity- and field-level) compiled into row filters, per caller.

import { describe, expect, it } from 'vitest';
import { compileFilter, entityFields, matchesFilter, SqlParams } from '../query/index.js';
import { normaliseEntityDefinition } from '../schema/index.js';
import { AccessRuleError, AccessUser, EntityAccess, RowFilter, compileAccess, maskRecord } from './index.js';

const task = (rls: unknown, properties: Record<string, unknown> = { title: { type: 'string' } }) =>
  normaliseEntityDefinition({ name: 'Task', type: 'object', properties, ...(rls !== undefined && { rls }) }, 'task.jsonc');
const access = (rls: unknown, properties?: Record<string, unknown>) => compileAccess(task(rls, properties));

const ann: AccessUser = {
  id: 'u-ann', email: 'ann@x.io', role: 'user', full_name: 'Ann', department: 'sales', level: 3, manager: true,
  teams: ['red', 'blue'], permissions: ['export', 'import'], nickname: null,
};
const admin: AccessUser = { id: 'u-root', email: 'root@x.io', role: 'admin' };
const hr: AccessUser = { id: 'u-hr', email: 'hr@x.io', role: 'hr', department: 'people' };

/** The filter for `op`, checked to compile as SQL (a row filter must never turn into a 400). */
function filterOf(a: EntityAccess, op: 'create' | 'read' | 'update' | 'delete', user: AccessUser | null): RowFilter {
  const filter = a.rowFilter(op, user);
  if (typeof filter !== 'boolean') compileFilter(filter, entityFields(), new SqlParams());
  return filter;
}
const read = (rule: unknown, user: AccessUser | null = ann) => filterOf(access({ read: rule }), 'read', user);

function ruleError(fn: () => unknown): AccessRuleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AccessRuleError);
    return error as AccessRuleError;
  }
  throw new Error('expected an AccessRuleError');
}

describe('rule values', () => {
  it('no rls: everything for everyone, no rules', () => {
    const a = access(undefined);
    for (const op of ['create', 'read', 'update', 'delete'] as const) {
      expect(filterOf(a, op, null)).toBe(true);
      expect(filterOf(a, op, ann)).toBe(true);
    }
    expect(a.hasRules).toBe(false);
    expect(a.ruleFields).toEqual([]);
  });
  it('true lets everyone in, anonymous callers included', () => {
    expect(read(true, null)).toBe(true);
    expect(read(true)).toBe(true);
    expect(access({ read: true, create: true }).hasRules).toBe(false);
  });
  it('false lets nobody in', () => {
    expect(read(false, null)).toBe(false);
    expect(read(false, admin)).toBe(false);
    expect(access({ read: false }).hasRules).toBe(true);
  });
  it.each([null, '', {}])('%j is no restriction, even for anonymous callers', (rule) => {
    expect(read(rule, null)).toBe(true);
    expect(read(rule)).toBe(true);
  });
  it('an operation left out is unrestricted', () => {
    const a = access({ read: false });
    expect(filterOf(a, 'create', null)).toBe(true);
    expect(filterOf(a, 'update', ann)).toBe(true);
  });
  it('a condition never matches an anonymous caller', () => {
    expect(read({ created_by: '{{user.email}}' }, null)).toBe(false);
    expect(read({ user_condition: { role: 'admin' } }, null)).toBe(false);
    expect(read({ $or: [{ 'data.public': true }] }, null)).toBe(false);
  });
});

describe('write is the shorthand for create, update and delete', () => {
  it('applies to the three, not to read', () => {
    const a = access({ write: { created_by: '{{user.email}}' } });
    for (const op of ['create', 'update', 'delete'] as const) expect(filterOf(a, op, ann)).toEqual({ created_by: 'ann@x.io' });
    expect(filterOf(a, 'read', ann)).toBe(true);
  });
  it('a specific key wins over write, even when it is null', () => {
    const a = access({ write: false, update: { created_by: '{{user.email}}' }, delete: null });
    expect(filterOf(a, 'create', ann)).toBe(false);
    expect(filterOf(a, 'update', ann)).toEqual({ created_by: 'ann@x.io' });
    expect(filterOf(a, 'delete', ann)).toBe(true);
  });
});

describe('the documented examples', () => {
  it('project-format §3.4: owner or admin', () => {
    const a = access({
      create: true,
      read: { $or: [{ created_by: '{{user.email}}' }, { user_condition: { role: 'admin' } }] },
      update: { created_by: '{{user.email}}' },
      delete: { user_condition: { role: 'admin' } },
    });
    expect(filterOf(a, 'create', null)).toBe(true);
    expect(filterOf(a, 'read', ann)).toEqual({ created_by: 'ann@x.io' });
    expect(filterOf(a, 'read', admin)).toBe(true);
    expect(filterOf(a, 'read', null)).toBe(false);
    expect(filterOf(a, 'update', admin)).toEqual({ created_by: 'root@x.io' });
    expect(filterOf(a, 'delete', ann)).toBe(false);
    expect(filterOf(a, 'delete', admin)).toBe(true);
    expect(a.ruleFields).toEqual(['created_by']);
  });
  it('seed: owner-only access', () => {
    expect(read({ created_by: '{{user.email}}' })).toEqual({ created_by: 'ann@x.io' });
  });
  it('seed: department-based access', () => {
    expect(read({ 'data.department': '{{user.data.department}}' })).toEqual({ department: 'sales' });
    expect(read({ 'data.department': '{{user.data.department}}' }, admin)).toBe(false);
  });
  it('seed: admin-only access', () => {
    expect(read({ user_condition: { role: 'admin' } }, admin)).toBe(true);
    expect(read({ user_condition: { role: 'admin' } })).toBe(false);
  });
  it('seed: complete RLS configuration (Task)', () => {
    const a = access({
      create: true,
      read: { created_by: '{{user.email}}' },
      update: { created_by: '{{user.email}}' },
      delete: { created_by: '{{user.email}}' },
    });
    expect(filterOf(a, 'create', null)).toBe(true);
    for (const op of ['read', 'update', 'delete'] as const) expect(filterOf(a, op, hr)).toEqual({ created_by: 'hr@x.io' });
  });
  it('seed: public create, admin-only management', () => {
    const admins = { user_condition: { role: 'admin' } };
    const a = access({ create: true, read: admins, update: admins, delete: admins });
    expect(filterOf(a, 'create', null)).toBe(true);
    for (const op of ['read', 'update', 'delete'] as const) {
      expect(filterOf(a, op, admin)).toBe(true);
      expect(filterOf(a, op, ann)).toBe(false);
      expect(filterOf(a, op, null)).toBe(false);
    }
  });
  it('seed: logged-in users only (a template inside user_condition)', () => {
    const a = access({
      create: { user_condition: { id: '{{user.id}}' } },
      read: true,
      update: { created_by: '{{user.email}}' },
      delete: { created_by: '{{user.email}}' },
    });
    expect(filterOf(a, 'create', ann)).toBe(true);
    expect(filterOf(a, 'create', null)).toBe(false);
    expect(filterOf(a, 'read', null)).toBe(true);
  });
  it('seed: entity field filtering with the data. prefix', () => {
    expect(read({ 'data.status': 'published' })).toEqual({ status: 'published' });
    expect(read({ 'data.completed': true })).toEqual({ completed: true });
    expect(read({ 'data.completed': false })).toEqual({ completed: false });
    expect(read({ 'data.count': 0, 'data.note': '' })).toEqual({ count: 0, note: '' });
  });
  it('seed: field-level security (Employee.salary for hr)', () => {
    const employee = compileAccess(
      normaliseEntityDefinition(
        {
          name: 'Employee',
          type: 'object',
          properties: {
            name: { type: 'string', description: 'Employee name' },
            salary: {
              type: 'number',
              rls: { read: { user_condition: { role: 'hr' } }, update: { user_condition: { role: 'hr' } } },
            },
            department: { type: 'string' },
          },
          required: ['name'],
        },
        'employee.jsonc',
      ),
    );
    expect(employee.hasRules).toBe(true);
    expect(filterOf(employee, 'read', ann)).toBe(true);
    expect(employee.fieldReadFilters(hr)).toEqual(new Map([['salary', true]]));
    expect(employee.fieldReadFilters(ann)).toEqual(new Map([['salary', false]]));
    expect(employee.fieldReadFilters(null)).toEqual(new Map([['salary', false]]));
    const record = { id: 'e1', name: 'Bo', salary: 100, department: 'ops' };
    expect(maskRecord(record, employee.fieldReadFilters(ann))).toEqual({ id: 'e1', name: 'Bo', department: 'ops' });
    expect(maskRecord(record, employee.fieldReadFilters(hr))).toEqual(record);
    expect(employee.deniedWriteFields('update', ann, record, ['name', 'salary'])).toEqual(['salary']);
    expect(employee.deniedWriteFields('update', hr, record, ['name', 'salary'])).toEqual([]);
    expect(employee.deniedWriteFields('create', ann, record, ['salary'])).toEqual([]);
  });
});

describe('condition keys', () => {
  it('a condition object is the AND of its keys', () => {
    expect(read({ created_by: '{{user.email}}', 'data.status': 'open' })).toEqual({ created_by: 'ann@x.io', status: 'open' });
  });
  it('built-ins are written bare; _id is id', () => {
    expect(read({ id: 'r1', created_by_id: '{{user.id}}' })).toEqual({ id: 'r1', created_by_id: 'u-ann' });
    expect(read({ _id: { $in: ['r1', 'r2'] } })).toEqual({ id: { $in: ['r1', 'r2'] } });
    expect(read({ created_date: { $gte: '2025-01-01' }, updated_date: { $lt: '2026-01-01T00:00:00Z' } })).toEqual({
      created_date: { $gte: '2025-01-01' },
      updated_date: { $lt: '2026-01-01T00:00:00Z' },
    });
  });
  it('any other key is an entity field, with or without data.', () => {
    expect(read({ status: 'open', 'data.meta.level': { $gt: 2 } })).toEqual({ status: 'open', 'meta.level': { $gt: 2 } });
  });
  it('keys of the stored document that never vary are decided at once', () => {
    expect(read({ is_deleted: false })).toBe(true);
    expect(read({ is_deleted: true })).toBe(false);
    expect(read({ deleted_date: null })).toBe(true);
    expect(read({ environment: 'prod' })).toBe(true);
    expect(read({ environment: { $in: ['dev', 'preview'] } })).toBe(false);
    expect(read({ entity_name: 'Task' })).toBe(true);
    expect(read({ entity_name: { $ne: 'Task' } })).toBe(false);
  });
  it('app_id compares with the app given, and holds for nobody without one', () => {
    const rls = { read: { app_id: 'app1' } };
    expect(compileAccess(task(rls), { appId: 'app1' }).rowFilter('read', ann)).toBe(true);
    expect(compileAccess(task(rls), { appId: 'app2' }).rowFilter('read', ann)).toBe(false);
    expect(compileAccess(task(rls)).rowFilter('read', ann)).toBe(false);
    expect(compileAccess(task({ read: { app_id: { $ne: 'x' } } })).rowFilter('read', ann)).toBe(false);
  });
  it('field operators pass through', () => {
    const rule = {
      'data.tags': { $all: ['a', 'b'], $size: 2 },
      'data.priority': { $gte: 1, $lte: 5, $ne: 3 },
      'data.status': { $nin: ['archived', null] },
      'data.owner': { $exists: true, $eq: '{{user.email}}' },
      'data.items': { $elemMatch: { user_id: '{{user.id}}', role: { $in: ['editor', 'owner'] } } },
      'data.scores': { $elemMatch: { $gt: 90 } },
    };
    expect(read(rule)).toEqual({
      tags: { $all: ['a', 'b'], $size: 2 },
      priority: { $gte: 1, $lte: 5, $ne: 3 },
      status: { $nin: ['archived', null] },
      owner: { $exists: true, $eq: 'ann@x.io' },
      items: { $elemMatch: { user_id: 'u-ann', role: { $in: ['editor', 'owner'] } } },
      scores: { $elemMatch: { $gt: 90 } },
    });
  });
  it('$or, $and and $nor combine, folding what is decided per caller', () => {
    const rule = { $or: [{ created_by: '{{user.email}}' }, { user_condition: { role: 'admin' } }, { 'data.public': true }] };
    expect(read(rule)).toEqual({ $or: [{ created_by: 'ann@x.io' }, { public: true }] });
    expect(read(rule, admin)).toBe(true);
    expect(read({ $and: [{ user_condition: { role: 'user' } }, { 'data.a': 1 }, { 'data.a': { $ne: 2 } }] })).toEqual({
      $and: [{ a: 1 }, { a: { $ne: 2 } }],
    });
    expect(read({ $nor: [{ user_condition: { role: 'guest' } }] })).toBe(true);
    expect(read({ $nor: [{ user_condition: { role: 'user' } }] })).toBe(false);
    expect(read({ $nor: [{ 'data.hidden': true }, { user_condition: { role: 'guest' } }] })).toEqual({ $nor: [{ hidden: true }] });
    expect(read({ $or: [{ user_condition: { role: 'guest' } }, { user_condition: { role: 'admin' } }] })).toBe(false);
  });
});

describe('user_condition', () => {
  it('compares the caller by equality: role, email, id', () => {
    expect(read({ user_condition: { role: 'user', email: 'ann@x.io', id: 'u-ann' } })).toBe(true);
    expect(read({ user_condition: { role: 'user', email: 'bob@x.io' } })).toBe(false);
  });
  it('reads custom fields as data.x or x, with their types', () => {
    expect(read({ user_condition: { 'data.department': 'sales' } })).toBe(true);
    expect(read({ user_condition: { department: 'sales', level: 3, manager: true } })).toBe(true);
    expect(read({ user_condition: { level: '3' } })).toBe(false);
  });
  it('an array attribute matches when it holds the value', () => {
    expect(read({ user_condition: { permissions: 'export' } })).toBe(true);
    expect(read({ user_condition: { 'data.permissions': 'delete' } })).toBe(false);
  });
  it('null matches an attribute that is null or absent', () => {
    expect(read({ user_condition: { nickname: null, missing: null } })).toBe(true);
    expect(read({ user_condition: { department: null } })).toBe(false);
  });
  it('takes templates, and a missing attribute makes it false', () => {
    expect(read({ user_condition: { email: '{{user.email}}' } })).toBe(true);
    expect(read({ user_condition: { department: '{{user.data.department}}' } }, admin)).toBe(false);
  });
});

describe('templates', () => {
  it('substitute every kind of caller attribute', () => {
    expect(read({ a: '{{user.id}}', b: '{{user.email}}', c: '{{user.role}}', d: '{{user.data.department}}', e: '{{user.department}}' })).toEqual({
      a: 'u-ann', b: 'ann@x.io', c: 'user', d: 'sales', e: 'sales',
    });
  });
  it('allow spaces inside the braces', () => {
    expect(read({ created_by: '{{ user.email }}' })).toEqual({ created_by: 'ann@x.io' });
  });
  it('keep the type of a value that is exactly one template', () => {
    expect(read({ 'data.level': '{{user.data.level}}', 'data.flag': '{{user.manager}}' })).toEqual({ level: 3, flag: true });
    expect(read({ 'data.level': { $gte: '{{user.level}}' } })).toEqual({ level: { $gte: 3 } });
  });
  it('an array attribute works under $in, $nin and $all, and is compared whole in plain equality', () => {
    expect(read({ 'data.team': { $in: '{{user.data.teams}}' } })).toEqual({ team: { $in: ['red', 'blue'] } });
    expect(read({ 'data.team': { $nin: '{{user.teams}}' } })).toEqual({ team: { $nin: ['red', 'blue'] } });
    expect(read({ 'data.tags': { $all: '{{user.teams}}' } })).toEqual({ tags: { $all: ['red', 'blue'] } });
    expect(read({ 'data.team': { $in: '{{user.department}}' } })).toEqual({ team: { $in: ['sales'] } });
    expect(read({ 'data.teams': '{{user.teams}}' })).toEqual({ teams: { $eq: ['red', 'blue'] } });
  });
  it('templates inside lists are substituted', () => {
    expect(read({ 'data.owner': { $in: ['{{user.email}}', '{{user.id}}', 'x'] } })).toEqual({ owner: { $in: ['ann@x.io', 'u-ann', 'x'] } });
  });
  it('a template inside a longer string interpolates', () => {
    expect(read({ 'data.path': 'team/{{user.data.department}}/{{user.level}}' })).toEqual({ path: 'team/sales/3' });
  });
  it('a missing attribute makes the comparison false, never "the field is missing"', () => {
    for (const condition of [
      { 'data.department': '{{user.data.department}}' },
      { 'data.department': { $ne: '{{user.data.department}}' } },
      { 'data.department': { $nin: ['{{user.data.department}}'] } },
      { 'data.department': { $in: '{{user.data.department}}' } },
      { 'data.path': 'team/{{user.data.department}}' },
      { 'data.department': { $eq: '{{user.nickname}}' } },
      { created_by: '{{user.data.missing}}' },
    ]) {
      expect(read(condition, admin)).toBe(false);
    }
    expect(read({ $or: [{ 'data.department': '{{user.data.department}}' }, { 'data.open': true }] }, admin)).toEqual({ open: true });
    expect(read({ $nor: [{ 'data.department': '{{user.data.department}}' }] }, admin)).toBe(true);
  });
  it('a value that cannot be compared (an object, a list on a built-in) makes the comparison false', () => {
    const mallory = { ...ann, department: { $ne: null }, list: ['a'], when: 'soon' };
    expect(read({ 'data.department': '{{user.department}}' }, mallory)).toEqual({ department: { $eq: { $ne: null } } });
    expect(read({ 'data.department': { $in: '{{user.department}}' } }, mallory)).toBe(false);
    expect(read({ created_by: '{{user.list}}' }, mallory)).toBe(false);
    expect(read({ created_by: '{{user.level}}' }, mallory)).toBe(false);
    expect(read({ created_date: { $gt: '{{user.when}}' } }, mallory)).toBe(false);
    expect(read({ 'data.n': { $gt: '{{user.list}}' } }, mallory)).toBe(false);
  });
  it('an injected operator object is compared as a value, never obeyed', () => {
    const filter = read({ 'data.department': '{{user.department}}' }, { ...ann, department: { $ne: null } });
    expect(matchesFilter(filter, { department: 'sales' })).toBe(false);
    expect(matchesFilter(filter, { department: { $ne: null } })).toBe(true);
  });
});

describe('invalid rules are refused, naming the entity and the rule', () => {
  const cases: [string, unknown, string][] = [
    ['$where beside conditions', { read: { $or: [{ a: 1 }, { $where: 'sleep(1)' }] } }, 'Task: rls.read.$or[1]: unknown operator $where'],
    ['$expr', { read: { $expr: { $eq: [1, 1] } } }, 'Task: rls.read: unknown operator $expr'],
    ['$regex on a field', { read: { 'data.title': { $regex: '^a' } } }, 'Task: rls.read["data.title"]: unknown operator $regex'],
    ['$function', { update: { title: { $function: {} } } }, 'Task: rls.update.title: unknown operator $function'],
    ['$not', { read: { title: { $not: { $eq: 1 } } } }, 'Task: rls.read.title: unknown operator $not'],
    ['a hostile field name', { read: { "a'; drop": 1 } }, `Task: rls.read["a'; drop"]: invalid field name`],
    ['a hostile data. field', { read: { 'data.x y': 1 } }, 'Task: rls.read["data.x y"]: invalid field name'],
    ['operators in user_condition', { read: { user_condition: { role: { $ne: 'guest' } } } }, 'Task: rls.read.user_condition.role: user_condition compares by equality only'],
    ['a $ key in user_condition', { read: { user_condition: { $or: [] } } }, 'Task: rls.read.user_condition.$or: user_condition compares by equality only: no operators'],
    ['an empty user_condition', { read: { user_condition: {} } }, 'Task: rls.read.user_condition: user_condition takes a non-empty object'],
    ['an empty $or', { read: { $or: [] } }, 'Task: rls.read.$or: $or takes a non-empty array'],
    ['an $and that is no list', { read: { $and: { a: 1 } } }, 'Task: rls.read.$and: $and takes a non-empty array'],
    ['a list in $nor', { read: { $nor: [[{ a: 1 }]] } }, 'Task: rls.read.$nor[0]: a condition is an object'],
    ['a number rule', { read: 5 }, 'Task: rls.read: a rule is true, false, null or a condition object'],
    ['a string rule', { delete: 'admins' }, 'Task: rls.delete: a rule is true, false, null or a condition object'],
    ['a list rule', { write: [] }, 'Task: rls.write: a rule is true, false, null or a condition object'],
    ['rls that is no object', 'owner', 'Task: rls: rls must be an object'],
    ['a list as field condition', { read: { status: ['a', 'b'] } }, 'Task: rls.read.status: a list is not a field condition: use {"$in": [...]}'],
    ['an empty object as field condition', { read: { status: {} } }, 'Task: rls.read.status: an empty object is not a field condition'],
    ['an object value', { read: { meta: { a: 1 } } }, 'Task: rls.read.meta: objects are not compared in rules'],
    ['$in with a plain string', { read: { status: { $in: 'open' } } }, 'Task: rls.read.status.$in: $in takes a list'],
    ['$gt with a list', { read: { n: { $gt: [1] } } }, 'Task: rls.read.n.$gt: $gt takes a number, string or boolean'],
    ['$exists with a string', { read: { n: { $exists: 'yes' } } }, 'Task: rls.read.n.$exists: $exists takes true or false'],
    ['$size below zero', { read: { n: { $size: -1 } } }, 'Task: rls.read.n.$size: $size takes a non-negative integer'],
    ['$elemMatch on a built-in', { read: { created_by: { $elemMatch: { a: 1 } } } }, 'Task: rls.read.created_by.$elemMatch: $elemMatch applies to array fields'],
    ['a number for created_by', { read: { created_by: 5 } }, 'Task: rls.read.created_by: 5 must be a string'],
    ['a bad date', { read: { created_date: { $gt: 'soon' } } }, 'Task: rls.read.created_date.$gt: "soon" must be an ISO date or date-time'],
    ['an unknown template root', { read: { created_by: '{{foo}}' } }, 'Task: rls.read.created_by: unknown template {{foo}}'],
    ['a bare user template', { read: { created_by: '{{user}}' } }, 'Task: rls.read.created_by: unknown template {{user}}'],
    ['user.data without a field', { read: { created_by: 'x{{user.data}}' } }, 'Task: rls.read.created_by: unknown template {{user.data}}'],
    ['a template reaching the prototype', { read: { a: '{{user.__proto__}}' } }, 'Task: rls.read.a: unknown template'],
    ['a template in user_condition', { read: { user_condition: { id: '{{session.id}}' } } }, 'Task: rls.read.user_condition.id: unknown template'],
    ['user_condition inside $elemMatch', { read: { items: { $elemMatch: { user_condition: { role: 'a' } } } } }, 'Task: rls.read.items.$elemMatch.user_condition: user_condition cannot appear inside $elemMatch'],
  ];
  it.each(cases)('%s', (_, rls, message) => {
    const error = ruleError(() => access(rls));
    expect(error.entity).toBe('Task');
    expect(error.message.startsWith(message)).toBe(true);
  });
  it('__proto__ as a key (as JSON.parse makes it) is refused', () => {
    // The schema layer refuses such definitions already; the rules compiler does not rely on it.
    const raw = (rls: string) => compileAccess({ name: 'Task', properties: {}, required: [], rls: JSON.parse(rls), raw: {}, version: '' });
    expect(ruleError(() => raw('{"read": {"__proto__": {"a": 1}}}')).message).toContain('invalid field name');
    expect(ruleError(() => raw('{"read": {"data.__proto__": 1}}')).message).toContain('invalid field name');
    expect(ruleError(() => raw('{"read": {"user_condition": {"__proto__": 1}}}')).message).toContain('invalid caller attribute');
    expect(ruleError(() => raw('{"read": {"items": {"$elemMatch": {"__proto__": 1}}}}')).message).toContain('invalid field name');
  });
  it('field-level rules are checked too, under their property', () => {
    const error = ruleError(() => access(undefined, { salary: { type: 'number', rls: { read: { $where: '1' } } } }));
    expect(error.message).toBe('Task: properties.salary.rls.read: unknown operator $where');
    expect(error.rule).toBe('properties.salary.rls.read');
  });
  it('rls on a nested property is refused rather than ignored', () => {
    const error = ruleError(() => access(undefined, { meta: { type: 'object', properties: { secret: { type: 'string', rls: { read: false } } } } }));
    expect(error.message).toContain('properties.meta.properties.secret: field-level rules (rls) apply to top-level properties only');
    ruleError(() => access(undefined, { list: { type: 'array', items: { type: 'string', rls: { read: false } } } }));
  });
  it('rules nested too deep or too many are refused', () => {
    let deep: Record<string, unknown> = { a: 1 };
    for (let i = 0; i < 6; i++) deep = { $or: [deep] };
    expect(ruleError(() => access({ read: deep })).message).toContain('nested deeper than');
    const wide = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, i]));
    expect(ruleError(() => access({ read: wide })).message).toContain('more than');
  });
  it('the deepest and widest rules allowed still compile as SQL', () => {
    // Four levels ($or, $and, $elemMatch, $or), with keys that clash so that every level needs an $and of its own.
    let deep: Record<string, unknown> = { items: { $elemMatch: { a: '{{user.id}}', b: { $ne: 1 }, $or: [{ c: 1 }, { c: 2 }] } }, x: 1 };
    deep = { $or: [{ $and: [deep, { x: { $ne: 2 } }, { $or: [{ y: 1 }] }] }, { $and: [deep, deep] }], $and: [{ x: 3 }, { x: { $ne: 4 } }], x: 1 };
    const a = access({ read: deep });
    const filter = a.rowFilter('read', ann);
    expect(typeof filter).toBe('object');
    compileFilter(filter, entityFields(), new SqlParams());
  });
  it('extra keys in rls are allowed', () => {
    expect(access({ read: true, comment: 'public' }).rowFilter('read', null)).toBe(true);
  });
});

describe('field-level security', () => {
  const notes = {
    title: { type: 'string' },
    notes: { type: 'string', rls: { read: { created_by: '{{user.email}}' }, write: { created_by: '{{user.email}}' } } },
    score: { type: 'number', rls: { read: { 'data.status': 'published' }, update: false, create: { user_condition: { role: 'admin' } } } },
    status: { type: 'string', rls: { write: { user_condition: { role: 'admin' } }, create: true } },
    plain: { type: 'string', rls: {} },
  };
  const a = access({ read: true }, notes);

  it('gives each field with a read rule its filter for this caller', () => {
    expect(a.fieldReadFilters(ann)).toEqual(
      new Map<string, RowFilter>([
        ['notes', { created_by: 'ann@x.io' }],
        ['score', { status: 'published' }],
      ]),
    );
    expect(a.fieldReadFilters(null)).toEqual(
      new Map<string, RowFilter>([
        ['notes', false],
        ['score', false],
      ]),
    );
    expect(a.hasRules).toBe(true);
    expect(a.ruleFields.sort()).toEqual(['created_by', 'status']);
  });
  it('maskRecord hides fields row by row, judging each rule on the stored record', () => {
    const filters = a.fieldReadFilters(ann);
    const mine = { id: 'r1', created_by: 'ann@x.io', status: 'draft', notes: 'n', score: 1 };
    const theirs = { id: 'r2', created_by: 'bob@x.io', status: 'published', notes: 'n', score: 2 };
    expect(maskRecord(mine, filters)).toEqual({ id: 'r1', created_by: 'ann@x.io', status: 'draft', notes: 'n' });
    expect(maskRecord(theirs, filters)).toEqual({ id: 'r2', created_by: 'bob@x.io', status: 'published', score: 2 });
    expect(maskRecord({ id: 'r3' }, filters)).toEqual({ id: 'r3' });
    expect(theirs.notes).toBe('n');
  });
  it('maskRecord judges rules that read a hidden field on the record as stored', () => {
    const chained = access(undefined, {
      status: { type: 'string', rls: { read: false } },
      score: { type: 'number', rls: { read: { 'data.status': 'published' } } },
    });
    expect(maskRecord({ id: 'r', status: 'published', score: 5 }, chained.fieldReadFilters(ann))).toEqual({ id: 'r', score: 5 });
  });
  it('deniedWriteFields: write guards create and update, a specific key wins, rules see the record', () => {
    const mine = { id: 'r1', created_by: 'ann@x.io', status: 'draft' };
    const theirs = { id: 'r2', created_by: 'bob@x.io', status: 'draft' };
    expect(a.deniedWriteFields('update', ann, mine, ['title', 'notes', 'score', 'status', 'plain'])).toEqual(['score', 'status']);
    expect(a.deniedWriteFields('update', ann, theirs, ['notes'])).toEqual(['notes']);
    expect(a.deniedWriteFields('update', admin, theirs, ['notes', 'status'])).toEqual(['notes']);
    expect(a.deniedWriteFields('create', ann, mine, ['notes', 'score', 'status'])).toEqual(['score']);
    expect(a.deniedWriteFields('create', admin, { created_by: 'root@x.io' }, ['notes', 'score', 'status'])).toEqual([]);
    expect(a.deniedWriteFields('create', null, {}, ['title', 'notes', 'status'])).toEqual(['notes']);
    expect(a.deniedWriteFields('update', ann, mine, ['notes.x', 'title'])).toEqual([]);
    expect(a.deniedWriteFields('update', ann, theirs, ['notes.x', 'notes.x'])).toEqual(['notes.x']);
  });
});

describe('compilation', () => {
  it('is cached per definition version', () => {
    const one = task({ read: { created_by: '{{user.email}}' } });
    const same = task({ read: { created_by: '{{user.email}}' } });
    const other = task({ read: { created_by_id: '{{user.id}}' } });
    expect(compileAccess(one)).toBe(compileAccess(same));
    expect(compileAccess(other)).not.toBe(compileAccess(one));
    expect(compileAccess(one, { appId: 'a' })).not.toBe(compileAccess(one));
  });
  it('ruleFields lists the top-level record fields rules read, built-ins included', () => {
    const a = access(
      {
        read: { $or: [{ _id: 'x' }, { 'data.meta.owner': '{{user.id}}' }, { is_deleted: false }, { user_condition: { role: 'a' } }] },
        update: { items: { $elemMatch: { user_id: '{{user.id}}' } } },
      },
      { title: { type: 'string', rls: { read: { 'data.level': { $gt: 1 } } } } },
    );
    expect(a.ruleFields.sort()).toEqual(['id', 'items', 'level', 'meta']);
  });
});

describe('the caller attributes rules read', () => {
  const userFields = (rls: unknown, properties: Record<string, unknown> = {}) =>
    compileAccess(normaliseEntityDefinition({ name: 'Thing', properties, rls }, 'thing.jsonc')).userFields.sort();

  it('are the names in templates and user_condition keys, data. prefixes dropped', () => {
    expect(userFields({ read: { created_by: '{{user.email}}' } })).toEqual(['email']);
    expect(userFields({ read: { 'data.team': '{{user.data.team}}', user_condition: { role: 'admin' } } })).toEqual(['role', 'team']);
    expect(userFields({ read: { $or: [{ created_by_id: '{{ user.id }}' }, { user_condition: { 'data.level': 3 } }] } })).toEqual(['id', 'level']);
  });

  it('include those of field-level rules, and none when there are no rules', () => {
    expect(userFields(undefined, { salary: { type: 'number', rls: { read: { user_condition: { role: 'hr' } } } } })).toEqual(['role']);
    expect(userFields(undefined)).toEqual([]);
  });
});
