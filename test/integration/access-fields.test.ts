// Field-level security on Employee (test/fixtures/secure-app): salary is readable and writable by the `hr` role
// only; notes is readable only on rows the caller created. A hidden field must read as absent through every door —
// records, projections, filters, counts, sorts, cursors, distinct values and aggregates — so that its value
// cannot be inferred; writing it without permission answers 403 naming the field and changes nothing.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, expectCoded, failure, ids, type Page, type Rec, type SdkError, signUpAccount, sorted } from '../support/sdk.js';
import { databases, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/secure-app');
/** Not in creation order, so that an order by salary differs from the order by id. */
const SALARIES = [52_000, 91_000, 33_000, 74_000, 18_000];
const SERVICE_NOTE = 'service-only note';

/** 403 forbidden whose message names the field. */
async function expectFieldForbidden(promise: Promise<unknown>, field: string): Promise<SdkError> {
  const error = await failure(promise);
  expectCoded(error, [403], ['forbidden']);
  expect(error.message).toContain(field);
  return error;
}

/** A call that may be refused or may succeed; a refusal must be a coded 403. */
async function refusedOrDone(promise: Promise<unknown>): Promise<void> {
  await promise.then(
    () => undefined,
    (error: SdkError) => expectCoded(error, [403], ['forbidden']),
  );
}

describe.each(databases())('on %s, field-level security', (kind) => {
  let server: TestServer;
  let alice: Account;
  let bob: Account;
  let hank: Account;
  /** Created by the service role, with salaries and notes (created_by is empty, so no one's notes). */
  const salaried: Rec[] = [];
  /** Created by alice, without salary, with her notes. */
  let alicesOwn: Rec[] = [];
  let total = 0;

  const as = (account?: Account) => server.client(account?.token);
  const Employee = (account?: Account) => as(account).entities.Employee;
  const stored = (id: string) => server.service.entities.Employee.get(id) as Promise<Rec>;

  const account = (email: string, role: string) => signUpAccount(server, email, role);

  /** Service-role salaries by id: the truth the other callers must not be able to learn. */
  async function salariesNow(): Promise<Record<string, unknown>> {
    const rows = (await server.service.entities.Employee.list('-created_date', 500)) as Rec[];
    return Object.fromEntries(rows.map((r) => [r.id as string, r.salary ?? null]));
  }

  beforeAll(async () => {
    server = await startTestServer(kind, FIXTURE);
    alice = await account('alice@example.com', 'user');
    bob = await account('bob@example.com', 'user');
    hank = await account('hank@example.com', 'hr');
    for (const [i, salary] of SALARIES.entries()) {
      salaried.push(
        (await server.service.entities.Employee.create({
          name: `Worker ${i}`,
          department: i % 2 ? 'eng' : 'sales',
          salary,
          notes: SERVICE_NOTE,
        })) as Rec,
      );
    }
    alicesOwn = [
      (await Employee(alice).create({ name: 'Alice hire 1', department: 'sales', notes: 'alice private 1' })) as Rec,
      (await Employee(alice).create({ name: 'Alice hire 2', department: 'eng', notes: 'alice private 2' })) as Rec,
    ];
    total = salaried.length + alicesOwn.length;
  });
  afterAll(() => server?.close());

  it('the seed is what the suite assumes (service role view)', async () => {
    expect(await server.service.entities.Employee.count()).toBe(total);
    for (const [i, record] of salaried.entries()) expect(await stored(record.id as string)).toMatchObject({ salary: SALARIES[i], notes: SERVICE_NOTE });
    for (const record of alicesOwn) expect(record.created_by).toBe('alice@example.com');
    expect(await as(hank).auth.me()).toMatchObject({ role: 'hr' });
  });

  describe('reading records', () => {
    it('alice lists Employee: every record, none with a salary key', async () => {
      const rows = (await Employee(alice).list()) as Rec[];
      expect(rows).toHaveLength(total);
      for (const row of rows) expect(row).not.toHaveProperty('salary');
    });

    it('alice gets one record: no salary key', async () => {
      const record = (await Employee(alice).get(salaried[1].id as string)) as Rec;
      expect(record).toMatchObject({ id: salaried[1].id, name: 'Worker 1' });
      expect(record).not.toHaveProperty('salary');
    });

    it('hank (hr) sees the salaries', async () => {
      const rows = (await Employee(hank).list()) as Rec[];
      const byId = Object.fromEntries(rows.map((r) => [r.id as string, r]));
      for (const [i, record] of salaried.entries()) expect(byId[record.id as string]).toMatchObject({ salary: SALARIES[i] });
      expect(await Employee(hank).get(salaried[1].id as string)).toMatchObject({ salary: SALARIES[1] });
    });

    it('bob, another plain user, sees no salary either', async () => {
      const rows = (await Employee(bob).list()) as Rec[];
      expect(rows).toHaveLength(total);
      for (const row of rows) expect(row).not.toHaveProperty('salary');
    });

    it('notes is visible only on the rows alice created', async () => {
      const rows = (await Employee(alice).list()) as Rec[];
      const mine = new Set(ids(alicesOwn));
      for (const row of rows) {
        if (mine.has(row.id as string)) expect(row.notes).toMatch(/^alice private/);
        else expect(row).not.toHaveProperty('notes');
      }
      expect(await Employee(alice).get(alicesOwn[0].id as string)).toMatchObject({ notes: 'alice private 1' });
      expect(await Employee(alice).get(salaried[0].id as string)).not.toHaveProperty('notes');
    });

    it("bob and hank do not see alice's notes, nor the service's", async () => {
      for (const who of [bob, hank]) {
        const rows = (await Employee(who).list()) as Rec[];
        for (const row of rows) expect(row).not.toHaveProperty('notes');
      }
    });

    it('a fields projection naming salary still leaves it out', async () => {
      const onlySalary = (await Employee(alice).list(undefined, undefined, undefined, ['salary'])) as Rec[];
      expect(onlySalary).toHaveLength(total);
      for (const row of onlySalary) expect(row).not.toHaveProperty('salary');
      const named = (await Employee(alice).filter({}, 'name', 50, 0, ['name', 'salary', 'notes'])) as Rec[];
      for (const row of named) {
        expect(row.name).toEqual(expect.any(String));
        expect(row).not.toHaveProperty('salary');
      }
      const notes = named.filter((r) => 'notes' in r).map((r) => r.id as string);
      expect(sorted(notes)).toEqual(sorted(ids(alicesOwn)));
      const hanks = (await Employee(hank).list('name', 50, 0, ['salary'])) as Rec[];
      expect(hanks.filter((r) => typeof r.salary === 'number')).toHaveLength(SALARIES.length);
    });

    it('cursor pages hide salary on every page', async () => {
      const Emp = Employee(alice);
      const pages: Page[] = [(await Emp.list({ sort: 'name', limit: 3 })) as Page];
      while (pages[pages.length - 1].has_more) {
        pages.push((await Emp.list({ cursor: pages[pages.length - 1].next_cursor, limit: 3 })) as Page);
        if (pages.length > 10) throw new Error('the walk does not end');
      }
      const items = pages.flatMap((p) => p.items);
      expect(items).toHaveLength(total);
      for (const item of items) expect(item).not.toHaveProperty('salary');
    });
  });

  describe('alice cannot infer salary', () => {
    it('filter({salary: {$gt: 0}}) finds nothing', async () => {
      expect(await Employee(alice).filter({ salary: { $gt: 0 } })).toEqual([]);
      expect(await Employee(alice).filter({ salary: SALARIES[0] })).toEqual([]);
      expect(await Employee(alice).filter({ salary: { $in: SALARIES } })).toEqual([]);
      expect(await Employee(alice).filter({ salary: { $exists: true } })).toEqual([]);
      expect(await Employee(alice).filter({ $or: [{ salary: { $gte: 60_000 } }, { name: 'nobody' }] })).toEqual([]);
      expect(((await Employee(hank).filter({ salary: { $gt: 0 } })) as Rec[]).length).toBe(SALARIES.length);
    });

    it('filter({salary: null}) finds every record, as if the field were absent', async () => {
      const rows = (await Employee(alice).filter({ salary: null })) as Rec[];
      expect(rows).toHaveLength(total);
      expect(await Employee(alice).filter({ salary: { $exists: false } })).toHaveLength(total);
      expect(await Employee(alice).filter({ salary: { $ne: 52_000 } })).toHaveLength(total);
      expect(sorted(ids((await Employee(hank).filter({ salary: null })) as Rec[]))).toEqual(sorted(ids(alicesOwn)));
    });

    it('count({salary: {$gte: 1}}) is 0', async () => {
      expect(await Employee(alice).count({ salary: { $gte: 1 } })).toBe(0);
      expect(await Employee(alice).count({ salary: { $lt: 50_000 } })).toBe(0);
      expect(await Employee(hank).count({ salary: { $gte: 1 } })).toBe(SALARIES.length);
    });

    it('sorting by salary orders alice\'s rows as if salary were absent (by id alone)', async () => {
      const byId = ids((await Employee(alice).list('id', 50)) as Rec[]);
      const byIdDesc = ids((await Employee(alice).list('-id', 50)) as Rec[]);
      expect(ids((await Employee(alice).list('salary', 50)) as Rec[])).toEqual(byId);
      expect(ids((await Employee(alice).list('-salary', 50)) as Rec[])).toEqual(byIdDesc);
      // The seed makes salary order differ from id order, so hank's salary sort must differ too.
      const hanks = ids((await Employee(hank).list('salary', 50)) as Rec[]);
      expect(hanks).toEqual(ids((await server.service.entities.Employee.list('salary', 50)) as Rec[]));
      expect(hanks).not.toEqual(byId);
    });

    it("sorting by notes orders the rows alice did not create as if notes were absent", async () => {
      const byId = ids((await Employee(alice).list('id', 50)) as Rec[]);
      const mine = new Set(ids(alicesOwn));
      const expected = [...byId.filter((id) => !mine.has(id)), ...[...alicesOwn].sort((a, b) => String(a.notes).localeCompare(String(b.notes))).map((r) => r.id as string)];
      expect(ids((await Employee(alice).list('notes', 50)) as Rec[])).toEqual(expected);
      expect(ids((await Employee(hank).list('notes', 50)) as Rec[])).toEqual(ids((await Employee(hank).list('id', 50)) as Rec[]));
    });

    it('a forged cursor position on salary tells alice nothing', async () => {
      const first = (await Employee(alice).list({ sort: 'salary', limit: 2 })) as Page;
      expect(first.next_cursor).toEqual(expect.any(String));
      // The cursor is readable by its holder: the position it saves must not be a salary.
      const state = JSON.parse(Buffer.from(first.next_cursor!, 'base64url').toString('utf8')) as Rec;
      expect(SALARIES).not.toContain(state.key);
      for (const salary of SALARIES) expect(String(state.walk)).not.toContain(String(salary));
      // Keyset bounds compare the masked value: whatever salary alice puts in the cursor, the same rows follow.
      const pages: string[][] = [];
      for (const key of [0, 40_000, 80_000, 1_000_000]) {
        const forged = Buffer.from(JSON.stringify({ ...state, key, id: '000000000000000000000000' })).toString('base64url');
        const result = await Employee(alice)
          .list({ cursor: forged, limit: 50 })
          .then(
            (page) => ids((page as Page).items),
            (error: SdkError) => {
              expectCoded(error, [400], ['bad_request']);
              return ['<refused>'];
            },
          );
        pages.push(result);
      }
      for (const page of pages) expect(page).toEqual(pages[0]);
    });

    it("list({distinct: 'salary'}) has no items", async () => {
      const page = (await Employee(alice).list({ distinct: 'salary' })) as Page<unknown>;
      expect(page.items).toEqual([]);
      const hanks = (await Employee(hank).list({ distinct: 'salary' })) as Page<unknown>;
      expect(hanks.items).toEqual([...SALARIES].sort((a, b) => a - b));
    });

    it("aggregate({groupBy: 'salary'}) is one group, salary null, counting every record", async () => {
      const { rows } = (await Employee(alice).aggregate({ groupBy: 'salary' })) as { rows: Rec[] };
      expect(rows).toHaveLength(1);
      expect(rows[0].salary ?? null).toBeNull();
      expect(rows[0].count).toBe(total);
    });

    it("aggregate({sum: 'salary'}) is 0 for alice, and the other measures reveal nothing", async () => {
      const { rows } = (await Employee(alice).aggregate({ sum: 'salary', avg: 'salary', min: 'salary', max: 'salary', countDistinct: 'salary' })) as {
        rows: Rec[];
      };
      expect(rows).toHaveLength(1);
      expect(rows[0].sum_salary).toBe(0);
      expect(rows[0].count_distinct_salary).toBe(0);
      for (const measure of ['avg_salary', 'min_salary', 'max_salary']) expect(SALARIES).not.toContain(rows[0][measure]);
      const grouped = (await Employee(alice).aggregate({ groupBy: 'department', sum: 'salary' })) as { rows: Rec[] };
      for (const row of grouped.rows) expect(row.sum_salary).toBe(0);
      const having = (await Employee(alice).aggregate({ groupBy: 'department', sum: 'salary', having: { sum_salary: { $gt: 0 } } })) as {
        rows: Rec[];
      };
      expect(having.rows).toEqual([]);
      const hanks = (await Employee(hank).aggregate({ sum: 'salary' })) as { rows: Rec[] };
      expect(hanks.rows[0].sum_salary).toBe(SALARIES.reduce((a, b) => a + b, 0));
    });
  });

  describe('alice cannot infer notes on rows she did not create', () => {
    it('filter and count on notes match only her rows', async () => {
      expect(await Employee(alice).filter({ notes: SERVICE_NOTE })).toEqual([]);
      expect(await Employee(alice).count({ notes: { $regex: 'service' } })).toBe(0);
      expect(ids((await Employee(alice).filter({ notes: 'alice private 1' })) as Rec[])).toEqual([alicesOwn[0].id]);
      expect(await Employee(alice).filter({ notes: null })).toHaveLength(salaried.length);
    });

    it('distinct and aggregate over notes list only her values', async () => {
      const page = (await Employee(alice).list({ distinct: 'notes' })) as Page<unknown>;
      expect(page.items).toEqual(['alice private 1', 'alice private 2']);
      const { rows } = (await Employee(alice).aggregate({ groupBy: 'notes' })) as { rows: Rec[] };
      const groups = rows.map((r) => `${String(r.notes ?? null)}:${String(r.count)}`).sort();
      expect(groups).toEqual(['alice private 1:1', 'alice private 2:1', `null:${salaried.length}`]);
    });

    it('bob finds none of her notes', async () => {
      expect(await Employee(bob).filter({ notes: 'alice private 1' })).toEqual([]);
      expect(((await Employee(bob).list({ distinct: 'notes' })) as Page<unknown>).items).toEqual([]);
    });
  });

  describe('writing salary', () => {
    it('alice creating with a salary answers 403 naming salary, and writes nothing', async () => {
      const before = await server.service.entities.Employee.count();
      try {
        await expectFieldForbidden(Employee(alice).create({ name: 'Self-raise', salary: 1 }), 'salary');
        expect(await server.service.entities.Employee.count()).toBe(before);
      } finally {
        await server.service.entities.Employee.deleteMany({ name: 'Self-raise' });
      }
    });

    it('alice creating without a salary answers 201', async () => {
      const response = await server.fetch(`/api/apps/${server.appId}/entities/Employee`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
        body: JSON.stringify({ name: 'Plain hire', department: 'ops' }),
      });
      expect(response.status).toBe(201);
      const body = (await response.json()) as Rec;
      expect(body).toMatchObject({ name: 'Plain hire', created_by: 'alice@example.com' });
      expect(body).not.toHaveProperty('salary');
      await server.service.entities.Employee.delete(body.id as string);
    });

    it('alice updating salary answers 403 naming salary, on her own row and on others', async () => {
      await expectFieldForbidden(Employee(alice).update(alicesOwn[0].id as string, { salary: 100_000 }), 'salary');
      await expectFieldForbidden(Employee(alice).update(salaried[0].id as string, { salary: 1 }), 'salary');
      await expectFieldForbidden(Employee(alice).update(salaried[0].id as string, { name: 'Worker 0', salary: null }), 'salary');
      expect((await stored(alicesOwn[0].id as string)).salary ?? null).toBeNull();
      expect(await stored(salaried[0].id as string)).toMatchObject({ name: 'Worker 0', salary: SALARIES[0] });
    });

    it('bulk doors do not let alice set salaries either', async () => {
      const before = await salariesNow();
      await refusedOrDone(Employee(alice).updateMany({}, { $set: { salary: 1 } }));
      await refusedOrDone(Employee(alice).updateMany({ id: salaried[1].id }, { $inc: { salary: 1000 } }));
      await refusedOrDone(Employee(alice).updateMany({ id: salaried[2].id }, { $unset: { salary: '' } }));
      await refusedOrDone(Employee(alice).bulkUpdate([{ id: salaried[3].id as string, salary: 2 }]));
      await refusedOrDone(Employee(alice).upsert([{ name: 'Worker 4', salary: 3 }], { key: 'name' }));
      const file = new File(['name,salary\nImported,999999\n'], 'employees.csv', { type: 'text/csv' });
      await refusedOrDone(Employee(alice).importEntities(file));
      try {
        expect(await salariesNow()).toMatchObject(before);
        expect(await server.service.entities.Employee.count({ salary: { $in: [1, 2, 3, 999_999] } })).toBe(0);
      } finally {
        await server.service.entities.Employee.deleteMany({ name: { $in: ['Imported'] } });
        await server.service.entities.Employee.deleteMany({ name: 'Worker 4', created_by: 'alice@example.com' });
        for (const [i, record] of salaried.entries()) {
          await server.service.entities.Employee.update(record.id as string, { salary: SALARIES[i] });
        }
      }
    });

    it("the records alice's writes answer with are masked like her reads", async () => {
      const target = salaried[0];
      try {
        const one = (await Employee(alice).update(target.id as string, { department: 'masked-1' })) as Rec;
        expect(one).not.toHaveProperty('salary');
        expect(one).not.toHaveProperty('notes');
        const bulk = (await Employee(alice).bulkUpdate([{ id: target.id as string, department: 'masked-2' }])) as Rec[];
        expect(bulk).toHaveLength(1);
        expect(bulk[0]).not.toHaveProperty('salary');
        expect(bulk[0]).not.toHaveProperty('notes');
        const upserted = (await Employee(alice).upsert([{ name: 'Worker 0', department: 'masked-3' }], { key: 'name' })) as { records: Rec[] };
        for (const record of upserted.records) {
          expect(record).not.toHaveProperty('salary');
          expect(record).not.toHaveProperty('notes');
        }
        expect(await stored(target.id as string)).toMatchObject({ salary: SALARIES[0], notes: SERVICE_NOTE });
      } finally {
        await server.service.entities.Employee.update(target.id as string, { department: target.department });
        await server.service.entities.Employee.deleteMany({ name: 'Worker 0', created_by: 'alice@example.com' });
      }
    });

    it('$rename cannot write salary: renaming another field onto it answers 403 naming salary', async () => {
      const own = alicesOwn[0];
      const other = salaried[1];
      // A number in a field alice may write, so that only the field rule (not the schema's type) stands in the way.
      await server.service.entities.Employee.update(own.id as string, { bonus: 7 });
      await server.service.entities.Employee.update(other.id as string, { bonus: 8 });
      try {
        await expectFieldForbidden(Employee(alice).updateMany({ id: own.id }, { $rename: { bonus: 'salary' } }), 'salary');
        await expectFieldForbidden(Employee(alice).updateMany({ id: other.id }, { $rename: { bonus: 'salary' } }), 'salary');
        await expectFieldForbidden(Employee(alice).updateMany({ id: other.id }, { $rename: { salary: 'bonus' } }), 'salary');
        expect((await stored(own.id as string)).salary ?? null).toBeNull();
        expect(await stored(other.id as string)).toMatchObject({ salary: SALARIES[1], bonus: 8 });
      } finally {
        await server.service.entities.Employee.update(own.id as string, { salary: null, bonus: null });
        await server.service.entities.Employee.update(other.id as string, { salary: SALARIES[1], bonus: null });
      }
    });

    it('update operators cannot tell a row whose notes alice cannot read from a row without notes', async () => {
      const withNotes = salaried[3];
      const without = (await server.service.entities.Employee.create({ name: 'No notes', salary: 1 })) as Rec;
      try {
        const updates: Record<string, Rec>[] = [{ $inc: { notes: 1 } }, { $push: { notes: 'x' } }, { $min: { notes: 'a' } }];
        for (const update of updates) {
          const outcome = (id: unknown) =>
            Employee(alice)
              .updateMany({ id }, update)
              .then(
                (value) => `ok ${JSON.stringify(value)}`,
                (error: SdkError) => `error ${String(error.status)} ${String(error.code)}`,
              );
          const [hidden, absent] = [await outcome(withNotes.id), await outcome(without.id)];
          expect(hidden, `${JSON.stringify(update)} on a row with hidden notes vs one without`).toBe(absent);
          await server.service.entities.Employee.update(withNotes.id as string, { notes: SERVICE_NOTE });
          await server.service.entities.Employee.update(without.id as string, { notes: null });
        }
      } finally {
        await server.service.entities.Employee.update(withNotes.id as string, { notes: SERVICE_NOTE });
        await server.service.entities.Employee.delete(without.id as string);
      }
    });

    it('error messages of writes do not echo a value alice cannot read', async () => {
      const target = salaried[3];
      try {
        const updates: Record<string, Rec>[] = [{ $inc: { notes: 1 } }, { $push: { notes: 'x' } }, { $mul: { notes: 2 } }, { $addToSet: { notes: 'x' } }];
        for (const update of updates) {
          const outcome = await Employee(alice).updateMany({ id: target.id }, update).then(
            () => undefined,
            (error: SdkError) => error,
          );
          if (outcome) {
            expect(outcome.status).not.toBe(500);
            expect(JSON.stringify({ message: outcome.message, data: outcome.data })).not.toContain(SERVICE_NOTE);
          }
        }
      } finally {
        await server.service.entities.Employee.update(target.id as string, { notes: SERVICE_NOTE });
      }
    });

    it('$rename cannot move a hidden value into a field alice can read', async () => {
      const target = salaried[2];
      try {
        await refusedOrDone(Employee(alice).updateMany({ id: target.id }, { $rename: { notes: 'department' } }));
        const read = (await Employee(alice).get(target.id as string)) as Rec;
        expect(JSON.stringify(read)).not.toContain(SERVICE_NOTE);
        const listed = (await Employee(alice).filter({ id: target.id })) as Rec[];
        expect(JSON.stringify(listed)).not.toContain(SERVICE_NOTE);
        expect(await Employee(alice).filter({ department: SERVICE_NOTE })).toEqual([]);
      } finally {
        await server.service.entities.Employee.update(target.id as string, { department: target.department, notes: SERVICE_NOTE });
      }
    });

    it("alice writing back a record she read keeps the salary she could not see", async () => {
      const target = salaried[4];
      const read = (await Employee(alice).get(target.id as string)) as Rec;
      expect(read).not.toHaveProperty('salary');
      const { id: _id, created_date: _c, updated_date: _u, created_by: _b, created_by_id: _bi, is_sample: _s, ...data } = read;
      const updated = (await Employee(alice).update(target.id as string, { ...data, department: 'ops' })) as Rec;
      expect(updated).toMatchObject({ id: target.id, department: 'ops' });
      expect(updated).not.toHaveProperty('salary');
      expect(await stored(target.id as string)).toMatchObject({ department: 'ops', salary: SALARIES[4], notes: SERVICE_NOTE });
      await server.service.entities.Employee.update(target.id as string, { department: target.department });
    });

    it('hank can create with a salary and update it', async () => {
      const created = (await Employee(hank).create({ name: 'HR hire', salary: 60_000, notes: 'hank private' })) as Rec;
      expect(created).toMatchObject({ name: 'HR hire', salary: 60_000, notes: 'hank private' });
      const updated = (await Employee(hank).update(created.id as string, { salary: 65_000 })) as Rec;
      expect(updated).toMatchObject({ salary: 65_000 });
      expect(await stored(created.id as string)).toMatchObject({ salary: 65_000 });
      expect(await Employee(alice).get(created.id as string)).not.toHaveProperty('notes');
      await server.service.entities.Employee.delete(created.id as string);
    });

    it("hank can set the salary on alice's record, and alice still cannot see it", async () => {
      try {
        expect(await Employee(hank).update(alicesOwn[1].id as string, { salary: 42_000 })).toMatchObject({ salary: 42_000 });
        const read = (await Employee(alice).get(alicesOwn[1].id as string)) as Rec;
        expect(read).not.toHaveProperty('salary');
        expect(read.notes).toBe('alice private 2');
        expect(await Employee(alice).count({ salary: 42_000 })).toBe(0);
      } finally {
        await server.service.entities.Employee.update(alicesOwn[1].id as string, { salary: null });
      }
    });

    it('the service role sees and writes salary', async () => {
      const record = await stored(salaried[2].id as string);
      expect(record).toMatchObject({ salary: SALARIES[2], notes: SERVICE_NOTE });
      const bumped = (await server.service.entities.Employee.update(salaried[2].id as string, { salary: SALARIES[2] + 1 })) as Rec;
      expect(bumped.salary).toBe(SALARIES[2] + 1);
      await server.service.entities.Employee.update(salaried[2].id as string, { salary: SALARIES[2] });
    });
  });
});
