// Row-level security, attacked through every door the SDK opens: list, filter, get, count, aggregate, distinct,
// cursor pages, update, delete, updateMany, deleteMany, bulkUpdate, upsert and importEntities — as owners,
// strangers, admins, anonymous callers and the service role, on the rule patterns of Base44's docs
// (test/fixtures/secure-app). Rules are compiled into the query: pages stay full, counts count only readable
// rows, and a row the caller may not read answers exactly like a row that does not exist.

import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Account, expectCoded, failure, ids, MISSING_ID, type Page, type Rec, type SdkError, signUpAccount, sorted } from '../support/sdk.js';
import { databases, REPO_ROOT, startTestServer, TestServer } from '../support/server.js';

const FIXTURE = path.join(REPO_ROOT, 'test/fixtures/secure-app');
const SQL_DEPARTMENT = "sales' OR 1=1 --";
const JSON_DEPARTMENT = '{"$ne": null}';
const TEMPLATE_DEPARTMENT = '{{user.role}}';

async function expectNotFound(promise: Promise<unknown>): Promise<SdkError> {
  const error = await failure(promise);
  expectCoded(error, [404], ['not_found']);
  return error;
}

async function expectForbidden(promise: Promise<unknown>): Promise<SdkError> {
  const error = await failure(promise);
  expectCoded(error, [403], ['forbidden']);
  return error;
}

/** A write by an anonymous caller to a row they cannot read: 404 like a missing row, or 401 (sign in first). */
async function expectHiddenFromAnonymous(promise: Promise<unknown>): Promise<SdkError> {
  const error = await failure(promise);
  expectCoded(error, [401, 404], ['unauthorized', 'not_found']);
  return error;
}

describe.each(databases())('on %s, row-level security', (kind) => {
  let server: TestServer;
  let alice: Account;
  let bob: Account;
  let carol: Account;
  let hank: Account;
  /** Signed in, never given a department. */
  let dora: Account;
  let sqli: Account;
  let jsoni: Account;
  let tmpl: Account;

  let aliceNotes: Rec[] = [];
  let bobNotes: Rec[] = [];
  let carolNotes: Rec[] = [];
  /** Seed Docs by label. */
  const docs: Record<string, Rec> = {};
  let reports: Rec[] = [];
  let locked: Rec;
  let aliceTasks: Rec[] = [];
  let bobTasks: Rec[] = [];

  const as = (account?: Account) => server.client(account?.token);
  const entitiesPath = (rest: string) => `/api/apps/${server.appId}/entities/${rest}`;

  /** Raw HTTP as `account` (or anonymous), to see status codes the SDK hides; checks the error envelope. */
  async function raw(account: Account | undefined, method: string, rest: string, body?: unknown): Promise<{ status: number; body: Rec }> {
    const response = await server.fetch(entitiesPath(rest), {
      method,
      headers: { 'content-type': 'application/json', ...(account && { authorization: `Bearer ${account.token}` }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: Rec;
    try {
      parsed = JSON.parse(text) as Rec;
    } catch {
      parsed = { unparsed: text };
    }
    expect(response.status).not.toBe(500);
    if (response.status >= 400) expect(parsed).toMatchObject({ message: expect.any(String), code: expect.any(String) });
    return { status: response.status, body: parsed };
  }

  const account = (email: string, role?: string, department?: string) => signUpAccount(server, email, role, department);

  /** Service-role view of one record. */
  const stored = (entity: string, id: string) => server.service.entities[entity].get(id) as Promise<Rec>;

  beforeAll(async () => {
    server = await startTestServer(kind, FIXTURE);
    alice = await account('alice@example.com', 'user', 'sales');
    bob = await account('bob@example.com', 'user', 'eng');
    carol = await account('carol@example.com', 'admin');
    hank = await account('hank@example.com', 'hr');
    dora = await account('dora@example.com', 'user');
    sqli = await account('sqli@example.com', 'user', SQL_DEPARTMENT);
    jsoni = await account('jsoni@example.com', 'user', JSON_DEPARTMENT);
    tmpl = await account('tmpl@example.com', 'user', TEMPLATE_DEPARTMENT);

    // Notes: bob's first, then alice's, then carol's — so the newest rows are never bob's and a
    // "limit, then filter" implementation would hand bob short or empty pages.
    bobNotes = (await as(bob).entities.Note.bulkCreate(
      Array.from({ length: 30 }, (_, i) => ({ title: `bob note ${i}`, body: `bob body ${i}`, tag: i % 2 ? 'b-blue' : 'shared' })),
    )) as Rec[];
    aliceNotes = (await as(alice).entities.Note.bulkCreate(
      Array.from({ length: 30 }, (_, i) => ({
        title: i === 0 ? 'alice-only title' : `alice note ${i}`,
        body: `alice secret ${i}`,
        tag: ['a-red', 'a-green', 'shared'][i % 3],
      })),
    )) as Rec[];
    carolNotes = [
      (await as(carol).entities.Note.create({ title: 'carol note 1', tag: 'c-gold' })) as Rec,
      (await as(carol).entities.Note.create({ title: 'carol note 2', tag: 'c-gold' })) as Rec,
    ];

    const Doc = server.service.entities.Doc;
    const seedDocs: [string, Rec][] = [
      ['sales1', { title: 'Sales plan', department: 'sales' }],
      ['sales2', { title: 'Sales targets', department: 'sales' }],
      ['sales3', { title: 'Sales leads', department: 'sales' }],
      ['eng1', { title: 'Eng roadmap', department: 'eng' }],
      ['eng2', { title: 'Eng oncall', department: 'eng' }],
      ['missing', { title: 'No department' }],
      ['null', { title: 'Null department', department: null }],
      ['sqlLiteral', { title: 'SQL-looking department', department: SQL_DEPARTMENT }],
      ['jsonLiteral', { title: 'JSON-looking department', department: JSON_DEPARTMENT }],
      ['templateLiteral', { title: 'Template-looking department', department: TEMPLATE_DEPARTMENT }],
      ['roleValue', { title: 'Department named like a role', department: 'user' }],
    ];
    for (const [label, data] of seedDocs) docs[label] = (await Doc.create(data)) as Rec;

    reports = (await server.service.entities.AdminReport.bulkCreate([
      { title: 'Q1', figure: 1 },
      { title: 'Q2', figure: 2 },
    ])) as Rec[];
    locked = (await server.service.entities.Locked.create({ title: 'Vault' })) as Rec;

    aliceTasks = [
      (await as(alice).entities.SharedTask.create({ title: 'alice task 1' })) as Rec,
      (await as(alice).entities.SharedTask.create({ title: 'alice task 2' })) as Rec,
    ];
    bobTasks = [(await as(bob).entities.SharedTask.create({ title: 'bob task 1' })) as Rec];
  });
  afterAll(() => server?.close());

  it('the seed is what the suite assumes (service role view)', async () => {
    expect(aliceNotes).toHaveLength(30);
    expect(bobNotes).toHaveLength(30);
    for (const note of aliceNotes) expect(note.created_by).toBe('alice@example.com');
    for (const note of bobNotes) expect(note.created_by).toBe('bob@example.com');
    expect(await server.service.entities.Note.count()).toBe(62);
    expect(await server.service.entities.Doc.count()).toBe(11);
    expect(await as(alice).auth.me()).toMatchObject({ department: 'sales' });
    expect(await as(bob).auth.me()).toMatchObject({ department: 'eng' });
    expect(await as(hank).auth.me()).toMatchObject({ role: 'hr' });
  });

  describe('owner-only Note: reads are filtered in the database', () => {
    it('list() by bob returns only his notes', async () => {
      const rows = (await as(bob).entities.Note.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(sorted(ids(bobNotes)));
    });

    it("list('-created_date', 20) by bob is a full page of his notes, though the newest rows are others'", async () => {
      const rows = (await as(bob).entities.Note.list('-created_date', 20)) as Rec[];
      expect(rows).toHaveLength(20);
      for (const row of rows) expect(row.created_by).toBe('bob@example.com');
    });

    it('skip counts only his rows', async () => {
      const all = (await as(bob).entities.Note.list('title', 30)) as Rec[];
      const page = (await as(bob).entities.Note.list('title', 10, 20)) as Rec[];
      expect(page).toHaveLength(10);
      for (const row of [...all, ...page]) expect(row.created_by).toBe('bob@example.com');
      expect(ids(page)).toEqual(ids(all).slice(20, 30));
    });

    it('count() by bob is 30, count of alice-only values is 0', async () => {
      expect(await as(bob).entities.Note.count()).toBe(30);
      expect(await as(bob).entities.Note.count({ tag: 'a-red' })).toBe(0);
      expect(await as(bob).entities.Note.count({ created_by: 'alice@example.com' })).toBe(0);
      expect(await as(bob).entities.Note.count({ tag: 'shared' })).toBe(15);
    });

    it("filter on alice's values finds nothing for bob", async () => {
      expect(await as(bob).entities.Note.filter({ created_by: 'alice@example.com' })).toEqual([]);
      expect(await as(bob).entities.Note.filter({ title: 'alice-only title' })).toEqual([]);
      expect(await as(bob).entities.Note.filter({ id: aliceNotes[3].id })).toEqual([]);
      expect(await as(bob).entities.Note.filter({ id: { $in: ids(aliceNotes) } })).toEqual([]);
      expect(await as(bob).entities.Note.filter({ body: { $regex: 'secret' } })).toEqual([]);
    });

    it('a query that matches everything is still ANDed with the rule', async () => {
      const everything = { $or: [{ tag: { $exists: true } }, { tag: { $exists: false } }] };
      const rows = (await as(bob).entities.Note.filter(everything)) as Rec[];
      expect(sorted(ids(rows))).toEqual(sorted(ids(bobNotes)));
      const nor = (await as(bob).entities.Note.filter({ $nor: [{ created_by: 'bob@example.com' }] })) as Rec[];
      expect(nor).toEqual([]);
      const shared = (await as(bob).entities.Note.filter({ tag: 'shared' })) as Rec[];
      expect(shared).toHaveLength(15);
      for (const row of shared) expect(row.created_by).toBe('bob@example.com');
    });

    it("get of alice's note by bob answers 404 not_found, like a missing id", async () => {
      const hidden = await expectNotFound(as(bob).entities.Note.get(aliceNotes[0].id as string));
      const missing = await expectNotFound(as(bob).entities.Note.get(MISSING_ID));
      expect(hidden.message.replace(aliceNotes[0].id as string, '<id>')).toBe(missing.message.replace(MISSING_ID, '<id>'));
    });

    it('get of his own note works', async () => {
      const read = (await as(bob).entities.Note.get(bobNotes[0].id as string)) as Rec;
      expect(read).toMatchObject({ id: bobNotes[0].id, title: 'bob note 0' });
    });

    it('a cursor walk by bob returns exactly his 30 notes, in full pages', async () => {
      const Note = as(bob).entities.Note;
      const pages: Page[] = [(await Note.list({ sort: '-created_date', limit: 7 })) as Page];
      while (pages[pages.length - 1].has_more) {
        pages.push((await Note.list({ cursor: pages[pages.length - 1].next_cursor, limit: 7 })) as Page);
        if (pages.length > 20) throw new Error('the walk does not end');
      }
      expect(pages.map((p) => p.items.length)).toEqual([7, 7, 7, 7, 2]);
      const seen = pages.flatMap((p) => ids(p.items));
      expect(new Set(seen).size).toBe(30);
      expect(sorted(seen)).toEqual(sorted(ids(bobNotes)));
    });

    it('a filtered cursor walk by bob stays inside his rows', async () => {
      const Note = as(bob).entities.Note;
      const first = (await Note.filter({ tag: 'shared' }, { sort: 'title', limit: 10 })) as Page;
      expect(first.items).toHaveLength(10);
      expect(first.has_more).toBe(true);
      const second = (await Note.list({ cursor: first.next_cursor, limit: 10 })) as Page;
      expect(second.items).toHaveLength(5);
      expect(second.has_more).toBe(false);
      for (const row of [...first.items, ...second.items]) expect(row.created_by).toBe('bob@example.com');
    });

    it('aggregate by bob counts only his rows', async () => {
      const Note = as(bob).entities.Note;
      expect(((await Note.aggregate({})) as { rows: Rec[] }).rows).toEqual([{ count: 30 }]);
      const byCreator = (await Note.aggregate({ groupBy: 'created_by' })) as { rows: Rec[] };
      expect(byCreator.rows).toEqual([{ created_by: 'bob@example.com', count: 30 }]);
      const byTag = (await Note.aggregate({ groupBy: 'tag' })) as { rows: Rec[] };
      expect([...byTag.rows].sort((a, b) => String(a.tag).localeCompare(String(b.tag)))).toEqual([
        { tag: 'b-blue', count: 15 },
        { tag: 'shared', count: 15 },
      ]);
      const aliceQuery = (await Note.aggregate({ query: { created_by: 'alice@example.com' } })) as { rows: Rec[] };
      expect(aliceQuery.rows).toEqual([{ count: 0 }]);
      const distinctTitles = (await Note.aggregate({ countDistinct: 'title' })) as { rows: Rec[] };
      expect(distinctTitles.rows[0]).toMatchObject({ count_distinct_title: 30 });
    });

    it('distinct by bob lists only his values', async () => {
      const tags = (await as(bob).entities.Note.list({ distinct: 'tag' })) as Page<unknown>;
      expect(tags.items).toEqual(['b-blue', 'shared']);
      const creators = (await as(bob).entities.Note.list({ distinct: 'created_by' })) as Page<unknown>;
      expect(creators.items).toEqual(['bob@example.com']);
      const filtered = (await as(bob).entities.Note.filter({ tag: 'a-red' }, { distinct: 'title' })) as Page<unknown>;
      expect(filtered.items).toEqual([]);
    });

    it('alice sees her 30 and only hers', async () => {
      expect(await as(alice).entities.Note.count()).toBe(30);
      const tags = (await as(alice).entities.Note.list({ distinct: 'tag' })) as Page<unknown>;
      expect(tags.items).toEqual(['a-green', 'a-red', 'shared']);
    });
  });

  describe('anonymous callers: conditions are false for them', () => {
    it('anonymous Note list is empty, not an error', async () => {
      expect(await as().entities.Note.list()).toEqual([]);
      expect(await as().entities.Note.filter({ tag: 'shared' })).toEqual([]);
      expect(await as().entities.Note.count()).toBe(0);
    });

    it('anonymous get of a note answers 404', async () => {
      await expectNotFound(as().entities.Note.get(aliceNotes[1].id as string));
    });

    it('anonymous Doc list is empty', async () => {
      expect(await as().entities.Doc.list()).toEqual([]);
    });

    it('anonymous update and delete of a note answer 404 (or 401) and change nothing', async () => {
      const target = aliceNotes[2];
      await expectHiddenFromAnonymous(as().entities.Note.update(target.id as string, { title: 'anon was here' }));
      await expectHiddenFromAnonymous(as().entities.Note.delete(target.id as string));
      expect((await stored('Note', target.id as string)).title).toBe(target.title);
    });
  });

  describe('department templates (Doc)', () => {
    const docIds = (...labels: string[]) => sorted(labels.map((label) => docs[label].id as string));

    it('alice (sales) sees the sales docs only', async () => {
      const rows = (await as(alice).entities.Doc.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(docIds('sales1', 'sales2', 'sales3'));
      expect(await as(alice).entities.Doc.count()).toBe(3);
    });

    it('bob (eng) sees the eng docs only', async () => {
      const rows = (await as(bob).entities.Doc.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(docIds('eng1', 'eng2'));
    });

    it('a user without a department sees no doc, not the docs without a department', async () => {
      expect(await as(dora).entities.Doc.list()).toEqual([]);
      expect(await as(dora).entities.Doc.count()).toBe(0);
      expect(await as(dora).entities.Doc.filter({ department: null })).toEqual([]);
      await expectNotFound(as(dora).entities.Doc.get(docs.missing.id as string));
    });

    it('a user without a department cannot create a doc without one', async () => {
      try {
        await expectForbidden(as(dora).entities.Doc.create({ title: 'Dora doc' }));
      } finally {
        await server.service.entities.Doc.deleteMany({ title: 'Dora doc' });
      }
    });

    it('Doc create by alice: eng is refused with 403, sales is allowed', async () => {
      const before = await server.service.entities.Doc.count();
      try {
        await expectForbidden(as(alice).entities.Doc.create({ title: 'Sneaky', department: 'eng' }));
        expect(await server.service.entities.Doc.count()).toBe(before);
      } finally {
        await server.service.entities.Doc.deleteMany({ title: 'Sneaky' });
      }
      const created = (await as(alice).entities.Doc.create({ title: 'Sales memo', department: 'sales' })) as Rec;
      expect(created).toMatchObject({ title: 'Sales memo', department: 'sales', created_by: 'alice@example.com' });
      await server.service.entities.Doc.delete(created.id as string);
    });

    it("bob's update and delete of a sales doc answer 404 and change nothing", async () => {
      await expectNotFound(as(bob).entities.Doc.update(docs.sales1.id as string, { title: 'eng owns this' }));
      await expectNotFound(as(bob).entities.Doc.delete(docs.sales1.id as string));
      expect(await stored('Doc', docs.sales1.id as string)).toMatchObject({ title: 'Sales plan', department: 'sales' });
    });
  });

  describe('injection through rules and templates', () => {
    it(`a department of ${JSON.stringify(SQL_DEPARTMENT)} matches only that literal text`, async () => {
      const rows = (await as(sqli).entities.Doc.list()) as Rec[];
      expect(ids(rows)).toEqual([docs.sqlLiteral.id]);
      expect(await as(sqli).entities.Doc.count()).toBe(1);
    });

    it(`a department of ${JSON.stringify(JSON_DEPARTMENT)} is a string, not an operator`, async () => {
      const rows = (await as(jsoni).entities.Doc.list()) as Rec[];
      expect(ids(rows)).toEqual([docs.jsonLiteral.id]);
      expect(await as(jsoni).entities.Doc.count()).toBe(1);
    });

    it('a department that looks like a template is not substituted again', async () => {
      const rows = (await as(tmpl).entities.Doc.list()) as Rec[];
      expect(ids(rows)).toEqual([docs.templateLiteral.id]);
    });

    it('a department set to a list or an operator object through updateMe grants no department', async () => {
      const list = await account('list-dept@example.com', 'user');
      await as(list).auth.updateMe({ department: ['sales', 'eng'] }).catch((error: SdkError) => expectCoded(error, [400, 422], ['bad_request', 'validation_failed']));
      expect(await as(list).entities.Doc.list()).toEqual([]);
      const object = await account('object-dept@example.com', 'user');
      await as(object).auth.updateMe({ department: { $ne: null } }).catch((error: SdkError) => expectCoded(error, [400, 422], ['bad_request', 'validation_failed']));
      expect(await as(object).entities.Doc.list()).toEqual([]);
      const inDept = { $in: ['sales', 'eng'] };
      await as(object).auth.updateMe({ department: inDept }).catch((error: SdkError) => expectCoded(error, [400, 422], ['bad_request', 'validation_failed']));
      expect(await as(object).entities.Doc.list()).toEqual([]);
    });

    it('bob cannot take over alice\'s email to match created_by', async () => {
      await as(bob).auth.updateMe({ email: 'alice@example.com' }).catch(() => undefined);
      expect(await as(bob).auth.me()).toMatchObject({ email: 'bob@example.com' });
      expect(await as(bob).entities.Note.filter({ created_by: 'alice@example.com' })).toEqual([]);
    });

    it('injected departments create nothing in other departments', async () => {
      try {
        await expectForbidden(as(sqli).entities.Doc.create({ title: 'injected', department: 'sales' }));
        await expectForbidden(as(jsoni).entities.Doc.create({ title: 'injected', department: 'eng' }));
        // An operator where a string belongs: refused by the rule or by the schema, never stored.
        const error = await failure(as(jsoni).entities.Doc.create({ title: 'injected', department: { $ne: null } }));
        expectCoded(error, [403, 422], ['forbidden', 'validation_failed']);
        expect(await server.service.entities.Doc.count({ title: 'injected' })).toBe(0);
      } finally {
        await server.service.entities.Doc.deleteMany({ title: 'injected' });
      }
    });
  });

  describe('writes to rows the caller cannot read do not reveal them', () => {
    it("bob's update of alice's note answers 404 and leaves it unchanged", async () => {
      const target = aliceNotes[4];
      const error = await expectNotFound(as(bob).entities.Note.update(target.id as string, { title: 'pwned', tag: 'x' }));
      const missing = await expectNotFound(as(bob).entities.Note.update(MISSING_ID, { title: 'pwned' }));
      expect(error.message.replace(target.id as string, '<id>')).toBe(missing.message.replace(MISSING_ID, '<id>'));
      expect(await stored('Note', target.id as string)).toEqual(target);
    });

    it("bob's delete of alice's note answers 404 and the note stays", async () => {
      const target = aliceNotes[5];
      await expectNotFound(as(bob).entities.Note.delete(target.id as string));
      expect(await stored('Note', target.id as string)).toEqual(target);
    });

    it("bulkUpdate with one of alice's ids answers 404 and changes nothing", async () => {
      const mine = bobNotes[0];
      const theirs = aliceNotes[6];
      await expectNotFound(
        as(bob).entities.Note.bulkUpdate([
          { id: mine.id as string, title: 'bulk changed' },
          { id: theirs.id as string, title: 'bulk pwned' },
        ]),
      );
      expect(await stored('Note', theirs.id as string)).toEqual(theirs);
      expect((await stored('Note', mine.id as string)).title).toBe(mine.title);
    });

    it("updateMany and deleteMany aimed at alice's rows touch nothing", async () => {
      const updated = await as(bob).entities.Note.updateMany({ created_by: 'alice@example.com' }, { $set: { tag: 'pwned' } });
      expect(updated).toMatchObject({ success: true, updated: 0 });
      const deleted = await as(bob).entities.Note.deleteMany({ id: { $in: ids(aliceNotes) } });
      expect(deleted).toEqual({ success: true, deleted: 0 });
      expect(await server.service.entities.Note.count({ created_by: 'alice@example.com' })).toBe(30);
      expect(await server.service.entities.Note.count({ tag: 'pwned' })).toBe(0);
    });

    it('upsert by bob keyed on a title only alice has creates his own record', async () => {
      const target = aliceNotes[0];
      const result = (await as(bob).entities.Note.upsert([{ title: 'alice-only title', body: 'bob was here' }], { key: 'title' })) as {
        created: number;
        updated: number;
        records: Rec[];
      };
      expect(result).toMatchObject({ created: 1, updated: 0 });
      expect(result.records).toHaveLength(1);
      expect(result.records[0]).toMatchObject({ title: 'alice-only title', body: 'bob was here', created_by: 'bob@example.com' });
      expect(result.records[0].id).not.toBe(target.id);
      expect(await stored('Note', target.id as string)).toEqual(target);
      await server.service.entities.Note.delete(result.records[0].id as string);
    });

    it("upsert by bob keyed on id with alice's id neither touches nor reveals her note", async () => {
      const target = aliceNotes[9];
      const before = await server.service.entities.Note.count();
      const outcome = await as(bob)
        .entities.Note.upsert([{ id: target.id as string, title: 'upsert by id', body: 'bob' }], { key: 'id' })
        .then(
          (value) => ({ value: value as { records: Rec[] } }),
          (error: SdkError) => ({ error }),
        );
      if ('error' in outcome) {
        expectCoded(outcome.error, [400, 403, 404, 422], ['bad_request', 'forbidden', 'not_found', 'validation_failed']);
      } else {
        expect(JSON.stringify(outcome.value)).not.toContain('alice');
        for (const record of outcome.value.records) expect(record.created_by).toBe('bob@example.com');
      }
      expect(await stored('Note', target.id as string)).toEqual(target);
      await server.service.entities.Note.deleteMany({ title: 'upsert by id' });
      expect(await server.service.entities.Note.count()).toBe(before);
    });

    it("updateMany({}) by bob changes only bob's rows", async () => {
      const bobCount = await server.service.entities.Note.count({ created_by: 'bob@example.com' });
      const result = await as(bob).entities.Note.updateMany({}, { $set: { tag: 'x' } });
      expect(result).toMatchObject({ success: true, updated: bobCount });
      expect(await server.service.entities.Note.count({ created_by: 'bob@example.com', tag: 'x' })).toBe(bobCount);
      expect(await server.service.entities.Note.count({ tag: 'x' })).toBe(bobCount);
      for (const note of aliceNotes.slice(0, 3)) expect(await stored('Note', note.id as string)).toEqual(note);
    });

    // Runs last among the Note tests: it empties bob's notes.
    it("deleteMany({}) by bob deletes only bob's rows", async () => {
      const bobCount = await server.service.entities.Note.count({ created_by: 'bob@example.com' });
      const result = await as(bob).entities.Note.deleteMany({});
      expect(result).toEqual({ success: true, deleted: bobCount });
      expect(await server.service.entities.Note.count({ created_by: 'bob@example.com' })).toBe(0);
      expect(await server.service.entities.Note.count({ created_by: 'alice@example.com' })).toBe(30);
      expect(await server.service.entities.Note.count({ created_by: 'carol@example.com' })).toBe(2);
    });
  });

  describe('create rules', () => {
    it('AdminReport create by alice answers 403 forbidden and writes nothing', async () => {
      const before = await server.service.entities.AdminReport.count();
      await expectForbidden(as(alice).entities.AdminReport.create({ title: 'alice report' }));
      expect(await server.service.entities.AdminReport.count()).toBe(before);
    });

    it('AdminReport create by carol (admin) answers 201', async () => {
      const { status, body } = await raw(carol, 'POST', 'AdminReport', { title: 'carol report', figure: 3 });
      expect(status).toBe(201);
      expect(body).toMatchObject({ title: 'carol report', created_by: 'carol@example.com' });
      reports.push(body);
    });

    it('AdminReport is invisible to alice and visible to carol', async () => {
      expect(await as(alice).entities.AdminReport.list()).toEqual([]);
      expect(await as(alice).entities.AdminReport.count()).toBe(0);
      await expectNotFound(as(alice).entities.AdminReport.get(reports[0].id as string));
      await expectNotFound(as(alice).entities.AdminReport.update(reports[0].id as string, { title: 'x' }));
      await expectNotFound(as(alice).entities.AdminReport.delete(reports[0].id as string));
      const rows = (await as(carol).entities.AdminReport.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(sorted(ids((await server.service.entities.AdminReport.list()) as Rec[])));
      expect(ids(rows)).toEqual(expect.arrayContaining(ids(reports)));
    });

    it('importEntities of AdminReport by alice answers 403 and imports nothing', async () => {
      const before = await server.service.entities.AdminReport.count();
      const file = new File(['title,figure\nimported,9\n'], 'reports.csv', { type: 'text/csv' });
      await expectForbidden(as(alice).entities.AdminReport.importEntities(file));
      expect(await server.service.entities.AdminReport.count()).toBe(before);
    });

    it('bulkCreate of AdminReport by alice answers 403 and writes nothing', async () => {
      const before = await server.service.entities.AdminReport.count();
      await expectForbidden(as(alice).entities.AdminReport.bulkCreate([{ title: 'b1' }, { title: 'b2' }]));
      expect(await server.service.entities.AdminReport.count()).toBe(before);
    });

    it('Locked create answers 403 for alice, carol and anonymous', async () => {
      await expectForbidden(as(alice).entities.Locked.create({ title: 'a' }));
      await expectForbidden(as(carol).entities.Locked.create({ title: 'c' }));
      await expectForbidden(as().entities.Locked.create({ title: 'anon' }));
      expect(await server.service.entities.Locked.count()).toBe(1);
    });

    it('Locked reads are empty and writes answer 404 for everyone but the service role', async () => {
      for (const who of [alice, carol]) {
        expect(await as(who).entities.Locked.list()).toEqual([]);
        await expectNotFound(as(who).entities.Locked.get(locked.id as string));
        await expectNotFound(as(who).entities.Locked.update(locked.id as string, { title: 'x' }));
        await expectNotFound(as(who).entities.Locked.delete(locked.id as string));
      }
      expect(await as().entities.Locked.list()).toEqual([]);
      await expectNotFound(as().entities.Locked.get(locked.id as string));
      await expectHiddenFromAnonymous(as().entities.Locked.update(locked.id as string, { title: 'x' }));
      await expectHiddenFromAnonymous(as().entities.Locked.delete(locked.id as string));
      expect(await stored('Locked', locked.id as string)).toEqual(locked);
    });

    it('ContactMessage: anonymous create succeeds, alice sees none, carol sees all', async () => {
      const anon = (await as().entities.ContactMessage.create({ email: 'visitor@example.com', message: 'hello' })) as Rec;
      expect(anon).toMatchObject({ message: 'hello' });
      expect(anon.id).toMatch(/^[0-9a-f]{24}$/);
      const mine = (await as(alice).entities.ContactMessage.create({ email: 'alice@example.com', message: 'hi' })) as Rec;
      expect(mine.created_by).toBe('alice@example.com');
      expect(await as(alice).entities.ContactMessage.list()).toEqual([]);
      expect(await as().entities.ContactMessage.list()).toEqual([]);
      await expectNotFound(as(alice).entities.ContactMessage.get(mine.id as string));
      const all = (await as(carol).entities.ContactMessage.list()) as Rec[];
      expect(sorted(ids(all))).toEqual(sorted([anon.id as string, mine.id as string]));
    });
  });

  describe('cursors carry no privileges', () => {
    it("bob continuing carol's SharedTask walk sees only his own rows", async () => {
      const first = (await as(carol).entities.SharedTask.list({ sort: 'title', limit: 1 })) as Page;
      expect(first.has_more).toBe(true);
      const replay = await as(bob)
        .entities.SharedTask.list({ cursor: first.next_cursor, limit: 50 })
        .then(
          (page) => (page as Page).items,
          (error: SdkError) => {
            expectCoded(error, [400], ['bad_request']);
            return [] as Rec[];
          },
        );
      for (const row of replay) expect(row.created_by).toBe('bob@example.com');
    });

    it("bob continuing carol's distinct walk sees only his own values", async () => {
      const first = (await as(carol).entities.SharedTask.list({ distinct: 'title', limit: 1 })) as Page<unknown>;
      expect(first.has_more).toBe(true);
      const replay = await as(bob)
        .entities.SharedTask.list({ cursor: first.next_cursor, limit: 50 })
        .then(
          (page) => (page as Page<unknown>).items,
          (error: SdkError) => {
            expectCoded(error, [400], ['bad_request']);
            return [] as unknown[];
          },
        );
      for (const value of replay) expect(bobTasks.map((t) => t.title)).toContain(value);
    });
  });

  describe('admins are subject to the rules unless a rule names them', () => {
    it('carol lists Note and sees only her own notes', async () => {
      const rows = (await as(carol).entities.Note.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(sorted(ids(carolNotes)));
      await expectNotFound(as(carol).entities.Note.get(aliceNotes[7].id as string));
    });

    it('carol (no department) sees no Doc', async () => {
      expect(await as(carol).entities.Doc.list()).toEqual([]);
    });

    it('carol lists SharedTask and sees every task (the read rule names admin)', async () => {
      const rows = (await as(carol).entities.SharedTask.list()) as Rec[];
      expect(sorted(ids(rows))).toEqual(sorted(ids([...aliceTasks, ...bobTasks])));
      expect(await as(carol).entities.SharedTask.count()).toBe(3);
    });

    it('alice and bob each see their own SharedTasks only', async () => {
      expect(sorted(ids((await as(alice).entities.SharedTask.list()) as Rec[]))).toEqual(sorted(ids(aliceTasks)));
      expect(ids((await as(bob).entities.SharedTask.list()) as Rec[])).toEqual(ids(bobTasks));
      await expectNotFound(as(bob).entities.SharedTask.get(aliceTasks[0].id as string));
    });

    it("carol's update and delete of alice's SharedTask answer 404 (owner-only rules)", async () => {
      const target = aliceTasks[0];
      await expectNotFound(as(carol).entities.SharedTask.update(target.id as string, { status: 'closed' }));
      await expectNotFound(as(carol).entities.SharedTask.delete(target.id as string));
      expect(await stored('SharedTask', target.id as string)).toEqual(target);
    });

    it("carol's updateMany({}) on SharedTask changes nothing she does not own", async () => {
      const result = await as(carol).entities.SharedTask.updateMany({}, { $set: { status: 'closed' } });
      expect(result).toMatchObject({ success: true, updated: 0 });
      expect(await server.service.entities.SharedTask.count({ status: 'closed' })).toBe(0);
    });

    it('alice can update her own SharedTask', async () => {
      const updated = (await as(alice).entities.SharedTask.update(aliceTasks[1].id as string, { status: 'closed' })) as Rec;
      expect(updated).toMatchObject({ id: aliceTasks[1].id, status: 'closed' });
      await server.service.entities.SharedTask.update(aliceTasks[1].id as string, { status: 'open' });
    });
  });

  describe('the service role bypasses every rule', () => {
    it('sees every note', async () => {
      const count = await server.service.entities.Note.count();
      const rows = (await server.service.entities.Note.list('-created_date', 500)) as Rec[];
      expect(rows).toHaveLength(count);
      expect(ids(rows)).toEqual(expect.arrayContaining([...ids(aliceNotes), ...ids(carolNotes)]));
    });

    it('sees every Doc and every AdminReport', async () => {
      const allDocs = (await server.service.entities.Doc.list()) as Rec[];
      expect(ids(allDocs)).toEqual(expect.arrayContaining(Object.values(docs).map((d) => d.id as string)));
      const allReports = (await server.service.entities.AdminReport.list()) as Rec[];
      expect(ids(allReports)).toEqual(expect.arrayContaining(ids(reports)));
    });

    it('Locked works: create, read, update, delete', async () => {
      const Locked = server.service.entities.Locked;
      const created = (await Locked.create({ title: 'service only' })) as Rec;
      expect(await Locked.get(created.id as string)).toMatchObject({ title: 'service only' });
      expect(await Locked.update(created.id as string, { title: 'changed' })).toMatchObject({ title: 'changed' });
      expect(await Locked.delete(created.id as string)).toEqual({ success: true });
      const left = ids((await Locked.list()) as Rec[]);
      expect(left).toContain(locked.id);
      expect(left).not.toContain(created.id);
    });
  });

  describe('the built-in User entity', () => {
    it('bob cannot get alice by id', async () => {
      const error = await failure(as(bob).entities.User.get(alice.user.id as string));
      expectCoded(error, [403, 404], ['forbidden', 'not_found']);
    });

    it('bob lists only himself, whatever he asks for', async () => {
      expect(ids((await as(bob).entities.User.list()) as Rec[])).toEqual([bob.user.id]);
      expect(await as(bob).entities.User.filter({ email: 'alice@example.com' })).toEqual([]);
      expect(await as(bob).entities.User.filter({ role: 'admin' })).toEqual([]);
      expect(await as(bob).entities.User.count()).toBe(1);
    });

    it('bob cannot update alice', async () => {
      const error = await failure(as(bob).entities.User.update(alice.user.id as string, { department: 'eng' }));
      expectCoded(error, [403, 404], ['forbidden', 'not_found']);
      expect(await stored('User', alice.user.id as string)).toMatchObject({ department: 'sales' });
    });

    it('updateMe({role: "admin"}) does not make bob an admin', async () => {
      await as(bob).auth.updateMe({ role: 'admin' }).catch(() => undefined);
      expect(await as(bob).auth.me()).toMatchObject({ role: 'user' });
      expect(await stored('User', bob.user.id as string)).toMatchObject({ role: 'user' });
      expect(ids((await as(bob).entities.User.list()) as Rec[])).toEqual([bob.user.id]);
    });

    it('carol (admin) lists every user', async () => {
      const users = (await as(carol).entities.User.list()) as Rec[];
      expect(users.map((u) => u.email)).toEqual(
        expect.arrayContaining([alice, bob, carol, hank, dora, sqli, jsoni, tmpl].map((a) => a.email)),
      );
    });

    it("carol can update bob's department", async () => {
      try {
        const updated = (await as(carol).entities.User.update(bob.user.id as string, { department: 'eng-platform' })) as Rec;
        expect(updated).toMatchObject({ id: bob.user.id, department: 'eng-platform' });
        expect(await stored('User', bob.user.id as string)).toMatchObject({ department: 'eng-platform' });
      } finally {
        await server.service.entities.User.update(bob.user.id as string, { department: 'eng' });
      }
    });

    it('rules read the caller as stored now: moved out of eng, bob no longer sees eng docs', async () => {
      try {
        await server.service.entities.User.update(bob.user.id as string, { department: 'eng-platform' });
        expect(await as(bob).entities.Doc.list()).toEqual([]);
      } finally {
        await server.service.entities.User.update(bob.user.id as string, { department: 'eng' });
      }
      expect(ids((await as(bob).entities.Doc.list()) as Rec[]).sort()).toEqual([docs.eng1.id as string, docs.eng2.id as string].sort());
    });
  });

  describe('no door answers 500', () => {
    it('hostile calls by a signed-in stranger answer coded errors or empty results', async () => {
      const note = aliceNotes[8].id as string;
      const calls: [string, string, unknown?][] = [
        ['GET', `Note/${note}`],
        ['PUT', `Note/${note}`, { title: 'x' }],
        ['DELETE', `Note/${note}`],
        ['PUT', 'Note/bulk', [{ id: note, title: 'x' }]],
        ['PATCH', 'Note/update-many', { query: { id: note }, data: { $set: { title: 'x' } } }],
        ['POST', 'Note/upsert', { records: [{ title: 'alice note 9', tag: 'x' }], key: 'title' }],
        ['POST', 'AdminReport', { title: 'x' }],
        ['POST', 'AdminReport/bulk', [{ title: 'x' }]],
        ['POST', 'Locked', { title: 'x' }],
        ['PUT', `Locked/${locked.id as string}`, { title: 'x' }],
        ['POST', 'Note/aggregate', { groupBy: 'created_by' }],
        ['GET', `User/${alice.user.id as string}`],
        ['GET', `Note?q=${encodeURIComponent(JSON.stringify({ $where: 'true' }))}`],
        ['GET', `Note?q=${encodeURIComponent(JSON.stringify({ $expr: { $eq: [1, 1] } }))}`],
        ['GET', `Note/count?q=${encodeURIComponent(JSON.stringify({ created_by: { $regex: '.*' } }))}`],
        ['POST', 'Note/aggregate', { query: { $where: 'true' }, groupBy: 'created_by' }],
        ['PATCH', 'Note/update-many', { query: {}, data: { $rename: { title: 'created_by' } } }],
        ['PUT', `Note/${note}`, { $set: { title: 'x' } }],
        ['PUT', `User/${alice.user.id as string}`, { role: 'admin' }],
      ];
      for (const [method, rest, body] of calls) {
        const { status } = await raw(bob, method, rest, body);
        expect(status, `${method} ${rest}`).toBeLessThan(500);
      }
      expect((await stored('Note', note)).title).toBe(aliceNotes[8].title);
      expect(await server.service.entities.Note.count({ created_by: 'alice@example.com' })).toBe(30);
    });
  });
});
