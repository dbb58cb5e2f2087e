// Reading entities through the real SDK: list, filter (every operator), get, count, cursor pages,
// distinct values, aggregate, and the shape of every record the server returns.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, type Page, type Rec } from '../support/sdk.js';
import { databases, startTestServer, TestServer } from '../support/server.js';

const TEAM = 'seed-read';
const BOARD = 'cursor-board';
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;

const titles = (rows: Rec[]) => rows.map((r) => r.title as string).sort();
const byKey = (key: string) => (a: Rec, b: Rec) => String(a[key] ?? '').localeCompare(String(b[key] ?? ''));

describe.each(databases())('on %s, reading entities', (kind) => {
  let server: TestServer;
  /** Seed tasks by title. */
  const task: Record<string, Rec> = {};
  /** Seed teams in creation order. */
  const teams: Rec[] = [];
  let lists: Rec[] = [];

  beforeAll(async () => {
    server = await startTestServer(kind);
    const Task = server.service.entities.Task;
    // One by one, so each record has its own created_date.
    const seed: Rec[] = [
      {
        title: 'Alpha', status: 'todo', priority: 1, labels: ['bug', 'ui'], due_date: '2025-01-05',
        assignee_email: 'ann@example.com', position: 1.5,
        checklist: [{ text: 'write', done: true }, { text: 'test', done: false }],
      },
      {
        title: 'Bravo', status: 'in_progress', priority: 2, labels: ['bug'], due_date: '2025-01-20',
        assignee_email: 'bob@example.com', position: 2, checklist: [{ text: 'review', done: false }],
      },
      { title: 'Charlie', status: 'done', priority: 3, labels: ['ui', 'docs'], due_date: '2025-02-01', assignee_email: 'ann@example.com', position: 3 },
      { title: 'delta', status: 'todo', priority: 4, labels: [], description: 'Lower-case title', position: 4 },
      { title: 'Echo', status: 'done', priority: 5, labels: ['bug', 'ui', 'docs'], assignee_email: null, position: 5 },
    ];
    for (const data of seed) {
      const created = (await Task.create({ ...data, team_id: TEAM })) as Rec;
      task[data.title as string] = created;
    }
    // Teams: only the seed writes them in this file, so list() without a query sees exactly these.
    for (const name of ['Mango', 'Apple', 'Cherry', 'Banana', 'Date']) {
      teams.push((await server.service.entities.Team.create({ name, owner_email: `${name.toLowerCase()}@example.com` })) as Rec);
    }
    // Lists: 23 records in one statement (equal created_date) with many ties on position, for cursor walks.
    lists = (await server.service.entities.List.bulkCreate(
      Array.from({ length: 23 }, (_, i) => ({ board_id: BOARD, name: `L${i}`, position: i % 4 })),
    )) as Rec[];
    // Nested objects for dotted paths.
    const TaskTemplate = server.service.entities.TaskTemplate;
    await TaskTemplate.create({ team_id: TEAM, board_id: 'b', title: 'Weekly', recurrence: { unit: 'week', interval: 1, weekdays: [1, 3] } });
    await TaskTemplate.create({ team_id: TEAM, board_id: 'b', title: 'Bi-daily', recurrence: { unit: 'day', interval: 2 } });
    await TaskTemplate.create({ team_id: TEAM, board_id: 'b', title: 'Monthly', recurrence: { unit: 'month', interval: 1, day_of_month: 15 } });
    const FormSubmission = server.service.entities.FormSubmission;
    await FormSubmission.create({ form_id: 'f1', answers: { mood: 'good', score: 4, meta: { source: 'web' } } });
    await FormSubmission.create({ form_id: 'f1', answers: { mood: 'bad', score: 1, meta: { source: 'mobile' } } });
  });
  afterAll(() => server?.close());

  describe('list', () => {
    it('returns records newest first by default (-created_date)', async () => {
      const rows = (await server.service.entities.Team.list()) as Rec[];
      expect(rows.map((r) => r.name)).toEqual(['Date', 'Banana', 'Cherry', 'Apple', 'Mango']);
    });

    it('sorts ascending by a field name, with or without a + prefix', async () => {
      const plain = (await server.service.entities.Team.list('name')) as Rec[];
      const plus = (await server.service.entities.Team.list('+name')) as Rec[];
      expect(plain.map((r) => r.name)).toEqual(['Apple', 'Banana', 'Cherry', 'Date', 'Mango']);
      expect(plus.map((r) => r.name)).toEqual(['Apple', 'Banana', 'Cherry', 'Date', 'Mango']);
    });

    it('sorts descending with a - prefix', async () => {
      const rows = (await server.service.entities.Team.list('-name')) as Rec[];
      expect(rows.map((r) => r.name)).toEqual(['Mango', 'Date', 'Cherry', 'Banana', 'Apple']);
    });

    it('sorts ascending by created_date with +created_date', async () => {
      const rows = (await server.service.entities.Team.list('+created_date')) as Rec[];
      expect(rows.map((r) => r.id)).toEqual(teams.map((t) => t.id));
    });

    it('limit caps the number of records', async () => {
      const rows = (await server.service.entities.Team.list('name', 2)) as Rec[];
      expect(rows.map((r) => r.name)).toEqual(['Apple', 'Banana']);
    });

    it('skip starts after the given number of records', async () => {
      const rows = (await server.service.entities.Team.list('name', 2, 2)) as Rec[];
      expect(rows.map((r) => r.name)).toEqual(['Cherry', 'Date']);
      const rest = (await server.service.entities.Team.list('name', undefined, 3)) as Rec[];
      expect(rest.map((r) => r.name)).toEqual(['Date', 'Mango']);
    });

    it('a fields projection returns only the named fields, and always the id', async () => {
      const rows = (await server.service.entities.Team.list('name', 10, 0, ['name'])) as Rec[];
      expect(rows).toHaveLength(5);
      for (const row of rows) {
        expect(row.id).toEqual(expect.any(String));
        expect(row.name).toEqual(expect.any(String));
        expect(row).not.toHaveProperty('owner_email');
        expect(row).not.toHaveProperty('color');
      }
      expect(rows.map((r) => r.id)).toEqual([...teams].sort(byKey('name')).map((t) => t.id));
    });

    it('a projection of several fields returns each of them', async () => {
      const rows = (await server.service.entities.Team.list('name', 1, 0, ['name', 'owner_email'])) as Rec[];
      expect(rows[0]).toMatchObject({ name: 'Apple', owner_email: 'apple@example.com' });
      expect(rows[0]).not.toHaveProperty('color');
    });

    it('filter takes sort, limit, skip and fields like list', async () => {
      const rows = (await server.service.entities.Task.filter({ team_id: TEAM }, '-priority', 2, 1, ['title', 'priority'])) as Rec[];
      expect(rows.map((r) => r.title)).toEqual(['delta', 'Charlie']);
      expect(rows[0]).not.toHaveProperty('status');
    });

    it('sorts by a number field numerically', async () => {
      const rows = (await server.service.entities.Task.filter({ team_id: TEAM }, 'position')) as Rec[];
      expect(rows.map((r) => r.title)).toEqual(['Alpha', 'Bravo', 'Charlie', 'delta', 'Echo']);
    });
  });

  describe('filter', () => {
    const cases: [string, Rec, string[]][] = [
      ['an exact value matches equal records', { status: 'todo' }, ['Alpha', 'delta']],
      ['several fields must all match', { status: 'todo', priority: 1 }, ['Alpha']],
      ['a number matches an equal number', { priority: 3 }, ['Charlie']],
      ['$eq matches equal values', { status: { $eq: 'done' } }, ['Charlie', 'Echo']],
      ['$ne matches every other value', { status: { $ne: 'todo' } }, ['Bravo', 'Charlie', 'Echo']],
      ['$gt matches greater numbers', { priority: { $gt: 3 } }, ['Echo', 'delta']],
      ['$gte matches greater or equal numbers', { priority: { $gte: 3 } }, ['Charlie', 'Echo', 'delta']],
      ['$lt matches smaller numbers', { priority: { $lt: 2 } }, ['Alpha']],
      ['$lte matches smaller or equal numbers', { priority: { $lte: 2 } }, ['Alpha', 'Bravo']],
      ['$gt and $lt together bound a range', { priority: { $gt: 1, $lt: 4 } }, ['Bravo', 'Charlie']],
      ['$gte on a date string compares dates', { due_date: { $gte: '2025-01-20' } }, ['Bravo', 'Charlie']],
      ['$in matches any listed value', { status: { $in: ['in_progress', 'done'] } }, ['Bravo', 'Charlie', 'Echo']],
      ['$nin matches none of the listed values', { status: { $nin: ['todo', 'done'] } }, ['Bravo']],
      ['$exists true matches records that have the field', { due_date: { $exists: true } }, ['Alpha', 'Bravo', 'Charlie']],
      ['$exists false matches records without the field', { due_date: { $exists: false } }, ['Echo', 'delta']],
      ['$regex matches case-sensitively', { title: { $regex: '^[A-D]' } }, ['Alpha', 'Bravo', 'Charlie']],
      ['$regex with no match in the other case matches nothing', { title: { $regex: '^D' } }, []],
      ['$regex with $options i ignores case', { title: { $regex: '^d', $options: 'i' } }, ['delta']],
      ['$regex matches inside the text', { title: { $regex: 'ar' } }, ['Charlie']],
      ['a value on an array field matches records that contain the value', { labels: 'docs' }, ['Charlie', 'Echo']],
      ['an array value is shorthand for any of its values', { status: ['in_progress', 'done'] }, ['Bravo', 'Charlie', 'Echo']],
      ['an array value on an array field matches records containing any of them', { labels: ['docs', 'bug'] }, ['Alpha', 'Bravo', 'Charlie', 'Echo']],
      ['$in on an array field matches records containing any listed value', { labels: { $in: ['docs'] } }, ['Charlie', 'Echo']],
      ['$all matches arrays that contain every listed value', { labels: { $all: ['bug', 'ui'] } }, ['Alpha', 'Echo']],
      ['$size matches arrays of that length', { labels: { $size: 1 } }, ['Bravo']],
      ['$size 0 matches empty arrays', { labels: { $size: 0 } }, ['delta']],
      ['$elemMatch matches an array element meeting every condition', { checklist: { $elemMatch: { text: 'review', done: false } } }, ['Bravo']],
      ['$elemMatch does not mix conditions across elements', { checklist: { $elemMatch: { text: 'write', done: false } } }, []],
      ['$elemMatch with one condition', { checklist: { $elemMatch: { done: true } } }, ['Alpha']],
      ['field-level $not negates an operator', { priority: { $not: { $gt: 2 } } }, ['Alpha', 'Bravo']],
      ['field-level $not negates a $regex', { title: { $not: { $regex: '^[A-Z]' } } }, ['delta']],
      ['$and requires every subquery', { $and: [{ status: 'done' }, { priority: { $gt: 3 } }] }, ['Echo']],
      ['$or accepts any subquery', { $or: [{ status: 'in_progress' }, { priority: 5 }] }, ['Bravo', 'Echo']],
      ['$nor rejects every subquery', { $nor: [{ status: 'done' }, { labels: 'bug' }] }, ['delta']],
      ['$or nested in $and', { $and: [{ $or: [{ status: 'todo' }, { status: 'done' }] }, { labels: 'ui' }] }, ['Alpha', 'Charlie', 'Echo']],
      ['null matches records where the field is null or missing', { assignee_email: null }, ['Echo', 'delta']],
      ['null matches a field that was never set', { due_date: null }, ['Echo', 'delta']],
      ['$ne null matches records that have a value', { assignee_email: { $ne: null } }, ['Alpha', 'Bravo', 'Charlie']],
      ['$in with null also matches null and missing', { assignee_email: { $in: [null, 'bob@example.com'] } }, ['Bravo', 'Echo', 'delta']],
    ];

    it.each(cases)('%s', async (_name, query, expected) => {
      const rows = (await server.service.entities.Task.filter({ ...query, team_id: TEAM })) as Rec[];
      expect(titles(rows)).toEqual([...expected].sort());
    });

    it('matches on id', async () => {
      const rows = (await server.service.entities.Task.filter({ id: task.Bravo.id })) as Rec[];
      expect(titles(rows)).toEqual(['Bravo']);
    });

    it('$in on id matches each listed record', async () => {
      const rows = (await server.service.entities.Task.filter({ id: { $in: [task.Alpha.id, task.Echo.id, 'ffffffffffffffffffffffff'] } })) as Rec[];
      expect(titles(rows)).toEqual(['Alpha', 'Echo']);
    });

    it('created_date filters accept the zone-less form and the Z form', async () => {
      const last = task.Echo.created_date as string;
      const plain = (await server.service.entities.Task.filter({ team_id: TEAM, created_date: { $lt: last } })) as Rec[];
      const zoned = (await server.service.entities.Task.filter({ team_id: TEAM, created_date: { $lt: `${last}Z` } })) as Rec[];
      expect(titles(plain)).toEqual(['Alpha', 'Bravo', 'Charlie', 'delta'].sort());
      expect(titles(zoned)).toEqual(titles(plain));
      const exact = (await server.service.entities.Task.filter({ created_date: last })) as Rec[];
      expect(exact.map((r) => r.id)).toContain(task.Echo.id);
    });

    it('a dotted path matches a value inside a nested object', async () => {
      const rows = (await server.service.entities.TaskTemplate.filter({ 'recurrence.unit': 'week' })) as Rec[];
      expect(titles(rows)).toEqual(['Weekly']);
    });

    it('a dotted path takes operators', async () => {
      const rows = (await server.service.entities.TaskTemplate.filter({ 'recurrence.interval': { $gt: 1 } })) as Rec[];
      expect(titles(rows)).toEqual(['Bi-daily']);
      const deep = (await server.service.entities.FormSubmission.filter({ 'answers.meta.source': 'mobile' })) as Rec[];
      expect(deep.map((r) => (r.answers as Rec).mood)).toEqual(['bad']);
      const scored = (await server.service.entities.FormSubmission.filter({ 'answers.score': { $gte: 4 } })) as Rec[];
      expect(scored.map((r) => (r.answers as Rec).mood)).toEqual(['good']);
    });

    it('a dotted path into a missing object matches null', async () => {
      const rows = (await server.service.entities.TaskTemplate.filter({ 'recurrence.day_of_month': null })) as Rec[];
      expect(titles(rows)).toEqual(['Bi-daily', 'Weekly']);
    });

    it('an array field inside a nested object matches on its elements', async () => {
      const rows = (await server.service.entities.TaskTemplate.filter({ 'recurrence.weekdays': 3 })) as Rec[];
      expect(titles(rows)).toEqual(['Weekly']);
    });
  });

  describe('get', () => {
    it('returns the record with every field', async () => {
      const record = (await server.service.entities.Task.get(task.Alpha.id as string)) as Rec;
      expect(record).toEqual(task.Alpha);
      expect(record).toMatchObject({ title: 'Alpha', labels: ['bug', 'ui'], checklist: [{ text: 'write', done: true }, { text: 'test', done: false }] });
    });
  });

  describe('count', () => {
    it('counts every record without a query', async () => {
      expect(await server.service.entities.Team.count()).toBe(5);
    });

    it('counts the records that match a query', async () => {
      expect(await server.service.entities.Task.count({ team_id: TEAM })).toBe(5);
      expect(await server.service.entities.Task.count({ team_id: TEAM, status: 'done' })).toBe(2);
      expect(await server.service.entities.Task.count({ team_id: TEAM, priority: { $gt: 10 } })).toBe(0);
    });
  });

  describe('cursor pages', () => {
    /** Follows next_cursor until has_more is false, checking each page's bookkeeping. */
    async function walk(first: () => Promise<unknown>, next: (cursor: string) => Promise<unknown>): Promise<Page[]> {
      const pages: Page[] = [(await first()) as Page];
      while (pages[pages.length - 1].has_more) {
        const page = pages[pages.length - 1];
        expect(page.next_cursor).toEqual(expect.any(String));
        pages.push((await next(page.next_cursor!)) as Page);
        if (pages.length > 60) throw new Error('the walk does not end');
      }
      expect(pages[pages.length - 1].next_cursor).toBeNull();
      return pages;
    }

    const ids = (pages: Page[]) => pages.flatMap((p) => p.items.map((r) => r.id as string));

    it('list({sort, limit}) walks every record exactly once, in order, across ties', async () => {
      const List = server.service.entities.List;
      const pages = await walk(
        () => List.list({ sort: 'position', limit: 5 }),
        (cursor) => List.list({ cursor, limit: 5 }),
      );
      expect(pages.map((p) => p.items.length)).toEqual([5, 5, 5, 5, 3]);
      const seen = ids(pages);
      expect(new Set(seen).size).toBe(23);
      expect([...seen].sort()).toEqual(lists.map((l) => l.id as string).sort());
      const positions = pages.flatMap((p) => p.items.map((r) => r.position as number));
      expect(positions).toEqual([...positions].sort((a, b) => a - b));
    });

    it('a descending walk visits every record once', async () => {
      const List = server.service.entities.List;
      const pages = await walk(
        () => List.list({ sort: '-position', limit: 4 }),
        (cursor) => List.list({ cursor, limit: 4 }),
      );
      const seen = ids(pages);
      expect(seen).toHaveLength(23);
      expect(new Set(seen).size).toBe(23);
      const positions = pages.flatMap((p) => p.items.map((r) => r.position as number));
      expect(positions).toEqual([...positions].sort((a, b) => b - a));
    });

    it('the default sort walks records that share one created_date exactly once', async () => {
      const List = server.service.entities.List;
      const pages = await walk(
        () => List.filter({ board_id: BOARD }, { limit: 10 }),
        (cursor) => List.filter({ board_id: BOARD }, { cursor, limit: 10 }),
      );
      expect(pages.map((p) => p.items.length)).toEqual([10, 10, 3]);
      expect(new Set(ids(pages)).size).toBe(23);
    });

    it('filter(q, {limit}) walks only the matching records, and later pages need only the cursor', async () => {
      const Task = server.service.entities.Task;
      const pages = await walk(
        () => Task.filter({ team_id: TEAM, status: { $ne: 'in_progress' } }, { sort: 'priority', limit: 2 }),
        (cursor) => Task.list({ cursor, limit: 2 }),
      );
      expect(pages.map((p) => p.items.map((r) => r.title))).toEqual([['Alpha', 'Charlie'], ['delta', 'Echo']]);
    });

    it('a page that holds the last record exactly has has_more false and no cursor', async () => {
      const page = (await server.service.entities.List.filter({ board_id: BOARD }, { limit: 23 })) as Page;
      expect(page.items).toHaveLength(23);
      expect(page.has_more).toBe(false);
      expect(page.next_cursor).toBeNull();
    });

    it('fields apply to every page of the walk and keep the id', async () => {
      const List = server.service.entities.List;
      const pages = await walk(
        () => List.filter({ board_id: BOARD }, { sort: 'name', limit: 10, fields: ['name'] }),
        (cursor) => List.list({ cursor, limit: 10 }),
      );
      const items = pages.flatMap((p) => p.items);
      expect(items).toHaveLength(23);
      for (const item of items) {
        expect(item.id).toEqual(expect.any(String));
        expect(item).not.toHaveProperty('board_id');
      }
      const names = items.map((r) => r.name as string);
      expect(names).toEqual([...names].sort());
    });

    it('a cursor reused with a different query is refused with 400', async () => {
      const List = server.service.entities.List;
      const first = (await List.filter({ board_id: BOARD }, { limit: 5 })) as Page;
      const error = await failure(List.filter({ board_id: 'another-board' }, { cursor: first.next_cursor, limit: 5 }));
      expect(error.status).toBe(400);
      expect(error.code).toBe('bad_request');
      expect(error.message).toMatch(/cursor/i);
    });

    it('a cursor reused with a different sort is refused with 400', async () => {
      const List = server.service.entities.List;
      const first = (await List.list({ sort: 'position', limit: 5 })) as Page;
      const error = await failure(List.list({ cursor: first.next_cursor, sort: 'name', limit: 5 }));
      expect(error.status).toBe(400);
    });

    it('a forged cursor is refused with 400', async () => {
      const error = await failure(server.service.entities.List.list({ cursor: 'not-a-cursor', limit: 5 }));
      expect(error.status).toBe(400);
    });
  });

  describe('distinct', () => {
    it('list({distinct}) returns the distinct values of a field, ascending', async () => {
      const page = (await server.service.entities.Task.list({ distinct: 'status' })) as Page<unknown>;
      expect(page).toEqual({ items: ['done', 'in_progress', 'todo'], next_cursor: null, has_more: false });
    });

    it('distinct on an array field returns its elements', async () => {
      const page = (await server.service.entities.Task.filter({ team_id: TEAM }, { distinct: 'labels' })) as Page<unknown>;
      expect(page.items).toEqual(['bug', 'docs', 'ui']);
    });

    it('distinct numbers come back in numeric order', async () => {
      const page = (await server.service.entities.Task.filter({ team_id: TEAM }, { distinct: 'priority' })) as Page<unknown>;
      expect(page.items).toEqual([1, 2, 3, 4, 5]);
    });

    it('distinct honours the query', async () => {
      const page = (await server.service.entities.Task.filter({ team_id: TEAM, status: 'todo' }, { distinct: 'labels' })) as Page<unknown>;
      expect(page.items).toEqual(['bug', 'ui']);
    });

    it('distinct values page with a cursor, each value once', async () => {
      const Task = server.service.entities.Task;
      const first = (await Task.filter({ team_id: TEAM }, { distinct: 'labels', limit: 2 })) as Page<unknown>;
      expect(first.items).toEqual(['bug', 'docs']);
      expect(first.has_more).toBe(true);
      expect(first.next_cursor).toEqual(expect.any(String));
      const second = (await Task.list({ cursor: first.next_cursor, limit: 2 })) as Page<unknown>;
      expect(second).toEqual({ items: ['ui'], next_cursor: null, has_more: false });
      const again = (await Task.filter({ team_id: TEAM }, { distinct: 'labels', cursor: first.next_cursor, limit: 2 })) as Page<unknown>;
      expect(again.items).toEqual(['ui']);
    });
  });

  describe('aggregate', () => {
    const aggregate = (spec: Rec) =>
      server.service.entities.Task.aggregate({ query: { team_id: TEAM }, ...spec }) as Promise<{ rows: Rec[]; truncated: boolean }>;

    it('groupBy counts the records of each group', async () => {
      const { rows, truncated } = await aggregate({ groupBy: 'status' });
      expect(truncated).toBe(false);
      expect([...rows].sort(byKey('status'))).toEqual([
        { status: 'done', count: 2 },
        { status: 'in_progress', count: 1 },
        { status: 'todo', count: 2 },
      ]);
    });

    it('groupBy two fields makes one row per combination', async () => {
      const { rows } = await aggregate({ groupBy: ['status', 'assignee_email'] });
      const combos = rows.map((r) => `${String(r.status)}/${String(r.assignee_email ?? null)}/${String(r.count)}`).sort();
      expect(combos).toEqual(['done/ann@example.com/1', 'done/null/1', 'in_progress/bob@example.com/1', 'todo/ann@example.com/1', 'todo/null/1']);
    });

    it('dateBucket by day on created_date groups the records created today', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const { rows } = await aggregate({ dateBucket: { field: 'created_date', unit: 'day' } });
      expect(rows).toHaveLength(1);
      expect(String(rows[0].created_date).startsWith(today)).toBe(true);
      expect(rows[0].count).toBe(5);
    });

    it('dateBucket by month on a date field of the schema', async () => {
      const { rows } = await aggregate({ query: { team_id: TEAM, due_date: { $exists: true } }, dateBucket: { field: 'due_date', unit: 'month' } });
      const buckets = [...rows].sort(byKey('due_date')).map((r) => [String(r.due_date).slice(0, 7), r.count]);
      expect(buckets).toEqual([['2025-01', 2], ['2025-02', 1]]);
    });

    it('count is included by default and left out with count: false', async () => {
      const withCount = await aggregate({});
      expect(withCount.rows).toEqual([{ count: 5 }]);
      const { rows } = await aggregate({ groupBy: 'status', count: false, sum: 'priority' });
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row).not.toHaveProperty('count');
      expect([...rows].sort(byKey('status'))).toEqual([
        { status: 'done', sum_priority: 8 },
        { status: 'in_progress', sum_priority: 2 },
        { status: 'todo', sum_priority: 5 },
      ]);
    });

    it('sum, avg, min and max are named <measure>_<field>', async () => {
      const { rows } = await aggregate({ sum: 'priority', avg: 'priority', min: 'priority', max: 'priority' });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ count: 5, sum_priority: 15, avg_priority: 3, min_priority: 1, max_priority: 5 });
    });

    it('a measure takes a list of fields', async () => {
      const { rows } = await aggregate({ sum: ['priority', 'position'] });
      expect(rows[0]).toMatchObject({ sum_priority: 15, sum_position: 15.5 });
    });

    it('countDistinct counts the distinct values per group', async () => {
      const { rows } = await aggregate({ countDistinct: 'assignee_email' });
      expect(rows[0]).toMatchObject({ count_distinct_assignee_email: 2 });
      const grouped = await aggregate({ groupBy: 'status', countDistinct: 'priority' });
      expect([...grouped.rows].sort(byKey('status')).map((r) => r.count_distinct_priority)).toEqual([2, 1, 2]);
    });

    it('having filters the groups on a computed field', async () => {
      const { rows } = await aggregate({ groupBy: 'status', having: { count: { $gt: 1 } } });
      expect(rows.map((r) => r.status).sort()).toEqual(['done', 'todo']);
    });

    it("sort '-count' orders the groups biggest first", async () => {
      const { rows } = await aggregate({ groupBy: 'status', sort: '-count' });
      expect(rows.map((r) => r.count)).toEqual([2, 2, 1]);
      expect(rows[2].status).toBe('in_progress');
    });

    it('limit cuts the rows and reports truncated', async () => {
      const cut = await aggregate({ groupBy: 'title', sort: 'title', limit: 2 });
      expect(cut.rows).toHaveLength(2);
      expect(cut.truncated).toBe(true);
      const whole = await aggregate({ groupBy: 'title', limit: 5 });
      expect(whole.rows).toHaveLength(5);
      expect(whole.truncated).toBe(false);
    });
  });

  describe('record shape', () => {
    it('ids are 24 hex digits', async () => {
      for (const record of [...Object.values(task), ...teams, ...lists]) {
        expect(record.id).toMatch(/^[0-9a-f]{24}$/);
      }
    });

    it('created_date and updated_date are zone-less UTC with microseconds, readable with + "Z"', async () => {
      const reads = [
        (await server.service.entities.Task.get(task.Alpha.id as string)) as Rec,
        ...((await server.service.entities.Task.filter({ team_id: TEAM })) as Rec[]),
        ...((await server.service.entities.List.list({ limit: 3 })) as Page).items,
        task.Bravo,
      ];
      for (const record of reads) {
        for (const key of ['created_date', 'updated_date']) {
          const value = record[key] as string;
          expect(value).toMatch(TIMESTAMP);
          const date = new Date(`${value}Z`);
          expect(Number.isNaN(date.getTime())).toBe(false);
          expect(Math.abs(date.getTime() - Date.now())).toBeLessThan(10 * 60_000);
        }
      }
    });

    it('is_sample is false', async () => {
      const record = (await server.service.entities.Task.get(task.Charlie.id as string)) as Rec;
      expect(record.is_sample).toBe(false);
    });

    it('records created with the service role have no creator', async () => {
      const record = (await server.service.entities.Task.get(task.Alpha.id as string)) as Rec;
      expect(record.created_by ?? null).toBeNull();
      expect(record.created_by_id ?? null).toBeNull();
    });

    it('records created by a signed-in user carry their email and id', async () => {
      const { token, user } = await server.signUp('reader-creator@example.com');
      const created = (await server.client(token).entities.Task.create({ title: 'Mine', team_id: 'shape-creator' })) as Rec;
      expect(created.created_by).toBe('reader-creator@example.com');
      expect(created.created_by_id).toBe(user.id);
      const read = (await server.service.entities.Task.get(created.id as string)) as Rec;
      expect(read.created_by).toBe('reader-creator@example.com');
      expect(read.created_by_id).toBe(user.id);
      const mine = (await server.service.entities.Task.filter({ created_by: 'reader-creator@example.com' })) as Rec[];
      expect(mine.map((r) => r.id)).toEqual([created.id]);
    });
  });
});
