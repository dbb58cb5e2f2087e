// Writing entities through the real SDK: create, update, delete, bulk calls, updateMany operators and batches,
// upsert, file imports, auth.me/updateMe and the built-in User entity's rules.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failure, MISSING_ID, type Rec } from '../support/sdk.js';
import { databases, startTestServer, TestServer } from '../support/server.js';

describe.each(databases())('on %s, writing entities', (kind) => {
  let server: TestServer;
  let member: { token: string; user: Rec };
  let other: { token: string; user: Rec };
  let admin: { token: string; user: Rec };

  beforeAll(async () => {
    server = await startTestServer(kind);
    member = await server.signUp('member@example.com');
    other = await server.signUp('other@example.com');
    admin = await server.signUp('admin@example.com', { role: 'admin' });
  });
  afterAll(() => server?.close());

  const Task = () => server.service.entities.Task;

  describe('create', () => {
    it('applies schema defaults to fields that are not given', async () => {
      const created = (await Task().create({ title: 'Defaults' })) as Rec;
      expect(created).toMatchObject({ title: 'Defaults', status: 'todo', priority: 3, position: 0 });
    });

    it('coerces numeric text into a number for a number field', async () => {
      const created = (await Task().create({ title: 'Coerced', priority: '4' })) as Rec;
      expect(created.priority).toBe(4);
      const read = (await Task().get(created.id as string)) as Rec;
      expect(read.priority).toBe(4);
    });

    it('ignores built-in fields given in the input', async () => {
      const created = (await Task().create({
        title: 'Built-ins',
        id: 'aaaaaaaaaaaaaaaaaaaaaaaa',
        created_date: '2000-01-01T00:00:00.000000',
        updated_date: '2000-01-01T00:00:00.000000',
        created_by: 'mallory@example.com',
        created_by_id: 'mallory',
      })) as Rec;
      expect(created.id).not.toBe('aaaaaaaaaaaaaaaaaaaaaaaa');
      expect(created.id).toMatch(/^[0-9a-f]{24}$/);
      expect(String(created.created_date).startsWith('2000')).toBe(false);
      expect(String(created.updated_date).startsWith('2000')).toBe(false);
      expect(created.created_by ?? null).toBeNull();
      expect(created.created_by_id ?? null).toBeNull();
      expect((await failure(Task().get('aaaaaaaaaaaaaaaaaaaaaaaa'))).status).toBe(404);
    });

    it('a signed-in user cannot pose as another creator', async () => {
      const created = (await server.client(member.token).entities.Task.create({ title: 'Posing', created_by: 'mallory@example.com' })) as Rec;
      expect(created.created_by).toBe('member@example.com');
      expect(created.created_by_id).toBe(member.user.id);
    });

    it('keeps arrays and nested objects as given', async () => {
      const checklist = [{ text: 'one', done: true }, { text: 'two', done: false }];
      const created = (await Task().create({ title: 'Nested', labels: ['x', 'y'], checklist })) as Rec;
      expect(created.labels).toEqual(['x', 'y']);
      expect(created.checklist).toEqual(checklist);
    });
  });

  describe('update', () => {
    it('merges the given fields and keeps the others', async () => {
      const created = (await Task().create({ title: 'Merge me', priority: 2, labels: ['keep'] })) as Rec;
      const updated = (await Task().update(created.id as string, { status: 'in_progress' })) as Rec;
      expect(updated).toMatchObject({ id: created.id, title: 'Merge me', priority: 2, labels: ['keep'], status: 'in_progress' });
      const read = (await Task().get(created.id as string)) as Rec;
      expect(read).toEqual(updated);
    });

    it('moves updated_date forward and leaves created_date alone', async () => {
      const created = (await Task().create({ title: 'Dates' })) as Rec;
      const updated = (await Task().update(created.id as string, { title: 'Dates, changed' })) as Rec;
      expect(updated.created_date).toBe(created.created_date);
      expect(updated.updated_date as string > (created.updated_date as string)).toBe(true);
    });

    it('ignores built-in fields in an update', async () => {
      const created = (await Task().create({ title: 'Fixed built-ins' })) as Rec;
      const updated = (await Task().update(created.id as string, {
        title: 'Fixed built-ins, changed',
        created_date: '2000-01-01T00:00:00.000000',
        created_by: 'mallory@example.com',
      })) as Rec;
      expect(updated.created_date).toBe(created.created_date);
      expect(updated.created_by ?? null).toBeNull();
      expect(updated.title).toBe('Fixed built-ins, changed');
    });

    it('replaces an array field as a whole', async () => {
      const created = (await Task().create({ title: 'Arrays', labels: ['a', 'b', 'c'] })) as Rec;
      const updated = (await Task().update(created.id as string, { labels: ['z'] })) as Rec;
      expect(updated.labels).toEqual(['z']);
    });

    it('null clears an optional field', async () => {
      const created = (await Task().create({ title: 'Clear', assignee_email: 'someone@example.com' })) as Rec;
      const updated = (await Task().update(created.id as string, { assignee_email: null })) as Rec;
      expect(updated.assignee_email ?? null).toBeNull();
    });
  });

  describe('delete', () => {
    it('delete answers success, then the record is gone', async () => {
      const created = (await Task().create({ title: 'Delete me' })) as Rec;
      expect(await Task().delete(created.id as string)).toEqual({ success: true });
      const error = await failure(Task().get(created.id as string));
      expect(error.status).toBe(404);
    });

    it('deleteMany deletes only the matching records and counts them', async () => {
      await Task().bulkCreate([
        { title: 'dm 1', team_id: 'delete-many', status: 'done' },
        { title: 'dm 2', team_id: 'delete-many', status: 'done' },
        { title: 'dm 3', team_id: 'delete-many', status: 'todo' },
        { title: 'dm 4', team_id: 'delete-many-other', status: 'done' },
      ]);
      const result = await Task().deleteMany({ team_id: 'delete-many', status: 'done' });
      expect(result).toEqual({ success: true, deleted: 2 });
      const left = (await Task().filter({ team_id: { $in: ['delete-many', 'delete-many-other'] } })) as Rec[];
      expect(left.map((r) => r.title).sort()).toEqual(['dm 3', 'dm 4']);
    });

    it('deleteMany with no match deletes nothing', async () => {
      expect(await Task().deleteMany({ team_id: 'nobody-has-this' })).toEqual({ success: true, deleted: 0 });
    });
  });

  describe('bulk calls', () => {
    it('bulkCreate returns the records in input order', async () => {
      const input = ['b3', 'b1', 'b2', 'b5', 'b4'].map((title) => ({ title, team_id: 'bulk-create' }));
      const created = (await Task().bulkCreate(input)) as Rec[];
      expect(created.map((r) => r.title)).toEqual(['b3', 'b1', 'b2', 'b5', 'b4']);
      expect(new Set(created.map((r) => r.id)).size).toBe(5);
      for (const record of created) expect(record).toMatchObject({ status: 'todo', priority: 3 });
      expect(await Task().count({ team_id: 'bulk-create' })).toBe(5);
    });

    it('bulkUpdate applies each record its own data', async () => {
      const [a, b, c] = (await Task().bulkCreate([
        { title: 'bu a', team_id: 'bulk-update', priority: 1 },
        { title: 'bu b', team_id: 'bulk-update', priority: 1 },
        { title: 'bu c', team_id: 'bulk-update', priority: 1 },
      ])) as Rec[];
      const updated = (await Task().bulkUpdate([
        { id: b.id as string, status: 'done' },
        { id: a.id as string, priority: 5, labels: ['hot'] },
      ])) as Rec[];
      expect(updated.map((r) => r.id)).toEqual([b.id, a.id]);
      expect(updated[0]).toMatchObject({ title: 'bu b', status: 'done', priority: 1 });
      expect(updated[1]).toMatchObject({ title: 'bu a', status: 'todo', priority: 5, labels: ['hot'] });
      expect(await Task().get(c.id as string)).toEqual(c);
    });

    it('bulkUpdate with an unknown id answers 404 and updates nothing', async () => {
      const created = (await Task().create({ title: 'bu untouched', team_id: 'bulk-update-404' })) as Rec;
      const error = await failure(
        Task().bulkUpdate([
          { id: created.id as string, title: 'bu changed' },
          { id: MISSING_ID, title: 'ghost' },
        ]),
      );
      expect(error.status).toBe(404);
      expect(error.code).toBe('not_found');
      expect(((await Task().get(created.id as string)) as Rec).title).toBe('bu untouched');
    });
  });

  describe('updateMany', () => {
    it('$set, $inc, $unset, $push and $mul change the matching records', async () => {
      const created = (await Task().create({
        title: 'um ops 1', team_id: 'update-many-ops', priority: 2, position: 10, labels: ['a', 'b'], description: 'to remove',
      })) as Rec;
      const result = await Task().updateMany(
        { id: created.id },
        { $set: { status: 'done' }, $inc: { priority: 1 }, $unset: { description: '' }, $push: { labels: 'c' }, $mul: { position: 2 } },
      );
      expect(result).toEqual({ success: true, updated: 1, has_more: false });
      const read = (await Task().get(created.id as string)) as Rec;
      expect(read).toMatchObject({ status: 'done', priority: 3, labels: ['a', 'b', 'c'], position: 20 });
      expect(read.description ?? null).toBeNull();
      expect(read.updated_date as string > (created.updated_date as string)).toBe(true);
    });

    it('$pull, $min and $max change the matching records', async () => {
      const created = (await Task().create({ title: 'um ops 2', team_id: 'update-many-ops', priority: 4, position: 10, labels: ['a', 'b', 'a'] })) as Rec;
      await Task().updateMany({ id: created.id }, { $pull: { labels: 'a' }, $min: { priority: 2 }, $max: { position: 50 } });
      expect(await Task().get(created.id as string)).toMatchObject({ labels: ['b'], priority: 2, position: 50 });
      await Task().updateMany({ id: created.id }, { $min: { priority: 3 }, $max: { position: 5 } });
      expect(await Task().get(created.id as string)).toMatchObject({ priority: 2, position: 50 });
    });

    it('$addToSet adds a value only when it is absent', async () => {
      const created = (await Task().create({ title: 'um ops 3', team_id: 'update-many-ops', labels: ['b', 'c'] })) as Rec;
      await Task().updateMany({ id: created.id }, { $addToSet: { labels: 'b' } });
      expect(((await Task().get(created.id as string)) as Rec).labels).toEqual(['b', 'c']);
      await Task().updateMany({ id: created.id }, { $addToSet: { labels: 'z' } });
      expect(((await Task().get(created.id as string)) as Rec).labels).toEqual(['b', 'c', 'z']);
    });

    it('updates only the records the query matches', async () => {
      await Task().bulkCreate([
        { title: 'um q 1', team_id: 'update-many-query', status: 'todo' },
        { title: 'um q 2', team_id: 'update-many-query', status: 'todo' },
        { title: 'um q 3', team_id: 'update-many-query', status: 'in_progress' },
      ]);
      const result = await Task().updateMany({ team_id: 'update-many-query', status: 'todo' }, { $set: { priority: 5 } });
      expect(result).toEqual({ success: true, updated: 2, has_more: false });
      const rows = (await Task().filter({ team_id: 'update-many-query' }, 'title')) as Rec[];
      expect(rows.map((r) => r.priority)).toEqual([5, 5, 3]);
    });

    it('works in batches of 500 and reports has_more', async () => {
      const input = Array.from({ length: 520 }, (_, i) => ({ title: `batch ${i}`, team_id: 'update-many-batch' }));
      expect((await Task().bulkCreate(input)) as Rec[]).toHaveLength(520);
      const query = { team_id: 'update-many-batch', status: 'todo' };
      const first = await Task().updateMany(query, { $set: { status: 'done' } });
      expect(first).toEqual({ success: true, updated: 500, has_more: true });
      const second = await Task().updateMany(query, { $set: { status: 'done' } });
      expect(second).toEqual({ success: true, updated: 20, has_more: false });
      expect(await Task().count({ team_id: 'update-many-batch', status: 'done' })).toBe(520);
    });
  });

  describe('upsert', () => {
    it('by one key: updates existing records, creates the rest, and the last duplicate wins', async () => {
      const Team = server.service.entities.Team;
      const existing = (await Team.create({ name: 'Upsert A', owner_email: 'a@example.com', description: 'old', color: '#123456' })) as Rec;
      const result = (await Team.upsert(
        [
          { name: 'Upsert A', owner_email: 'a@example.com', description: 'new' },
          { name: 'Upsert B', owner_email: 'b1@example.com' },
          { name: 'Upsert B', owner_email: 'b2@example.com' },
        ],
        { key: 'name' },
      )) as { created: number; updated: number; records: Rec[] };
      expect(result.created).toBe(1);
      expect(result.updated).toBe(1);
      expect(result.records).toHaveLength(2);
      const a = result.records.find((r) => r.name === 'Upsert A')!;
      const b = result.records.find((r) => r.name === 'Upsert B')!;
      expect(a).toMatchObject({ id: existing.id, description: 'new', color: '#123456' });
      expect(b).toMatchObject({ owner_email: 'b2@example.com' });
      expect(b.id).toMatch(/^[0-9a-f]{24}$/);
      expect(await Team.count({ name: 'Upsert B' })).toBe(1);
      expect(await Team.get(existing.id as string)).toMatchObject({ description: 'new', color: '#123456' });
    });

    it('by two keys: a record matches only when both values match', async () => {
      const TeamMember = server.service.entities.TeamMember;
      const existing = (await TeamMember.create({ team_id: 'upsert-team-1', user_email: 'm@example.com', role: 'member', wip_limit: 5 })) as Rec;
      const result = (await TeamMember.upsert(
        [
          { team_id: 'upsert-team-1', user_email: 'm@example.com', role: 'manager' },
          { team_id: 'upsert-team-2', user_email: 'm@example.com', role: 'owner' },
        ],
        { key: ['team_id', 'user_email'] },
      )) as { created: number; updated: number; records: Rec[] };
      expect(result).toMatchObject({ created: 1, updated: 1 });
      const updated = result.records.find((r) => r.team_id === 'upsert-team-1')!;
      const created = result.records.find((r) => r.team_id === 'upsert-team-2')!;
      expect(updated).toMatchObject({ id: existing.id, role: 'manager', wip_limit: 5 });
      expect(created).toMatchObject({ role: 'owner', status: 'invited' });
      expect(created.id).not.toBe(existing.id);
      expect(await TeamMember.count({ user_email: 'm@example.com' })).toBe(2);
    });

    it('a second identical upsert only updates', async () => {
      const Team = server.service.entities.Team;
      const records = [{ name: 'Upsert twice', owner_email: 'twice@example.com' }];
      expect(await Team.upsert(records, { key: 'name' })).toMatchObject({ created: 1, updated: 0 });
      expect(await Team.upsert(records, { key: 'name' })).toMatchObject({ created: 0, updated: 1 });
      expect(await Team.count({ name: 'Upsert twice' })).toBe(1);
    });
  });

  describe('importEntities', () => {
    it('imports the rows of a CSV file, coercing and defaulting like create', async () => {
      const csv = 'title,priority,team_id,status\nImported one,4,import-csv,done\nImported two,2,import-csv,\n';
      const file = new File([csv], 'tasks.csv', { type: 'text/csv' });
      const result = (await Task().importEntities(file)) as { status: string; details: unknown; output: Rec[] };
      expect(result.status).toBe('success');
      expect(result.output).toHaveLength(2);
      const rows = [...result.output].sort((x, y) => String(x.title).localeCompare(String(y.title)));
      expect(rows[0]).toMatchObject({ title: 'Imported one', priority: 4, status: 'done', team_id: 'import-csv' });
      expect(rows[1]).toMatchObject({ title: 'Imported two', priority: 2, status: 'todo' });
      expect(await Task().count({ team_id: 'import-csv' })).toBe(2);
    });

    it('imports the records of a JSON file', async () => {
      const json = JSON.stringify([
        { title: 'JSON one', team_id: 'import-json', labels: ['x', 'y'] },
        { title: 'JSON two', team_id: 'import-json', priority: 1 },
      ]);
      const file = new File([json], 'tasks.json', { type: 'application/json' });
      const result = (await Task().importEntities(file)) as { status: string; output: Rec[] };
      expect(result.status).toBe('success');
      expect(result.output.map((r) => r.title).sort()).toEqual(['JSON one', 'JSON two']);
      const one = (await Task().filter({ team_id: 'import-json', title: 'JSON one' })) as Rec[];
      expect(one[0]).toMatchObject({ labels: ['x', 'y'], priority: 3, status: 'todo' });
    });

    it('an import by a signed-in user records them as creator', async () => {
      const file = new File(['title,team_id\nMine imported,import-user\n'], 'tasks.csv', { type: 'text/csv' });
      const result = (await server.client(member.token).entities.Task.importEntities(file)) as { output: Rec[] };
      expect(result.output[0]).toMatchObject({ created_by: 'member@example.com', created_by_id: member.user.id });
    });
  });

  describe('auth.me and updateMe', () => {
    it('auth.me returns the signed-in user', async () => {
      const me = (await server.client(member.token).auth.me()) as Rec;
      expect(me).toMatchObject({ id: member.user.id, email: 'member@example.com', role: 'user' });
      expect(me.created_date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/);
    });

    it('auth.me without a token is refused', async () => {
      const error = await failure(server.client().auth.me());
      expect([401, 403]).toContain(error.status);
    });

    it('updateMe saves custom fields', async () => {
      const updated = (await server.client(other.token).auth.updateMe({ favourite_colour: 'teal' })) as Rec;
      expect(updated).toMatchObject({ id: other.user.id, favourite_colour: 'teal' });
      expect(await server.client(other.token).auth.me()).toMatchObject({ favourite_colour: 'teal' });
    });

    it('updateMe cannot change email or role', async () => {
      const client = server.client(other.token);
      await client.auth.updateMe({ email: 'hijack@example.com', role: 'admin', nickname: 'o' }).catch(() => undefined);
      const me = (await client.auth.me()) as Rec;
      expect(me).toMatchObject({ id: other.user.id, email: 'other@example.com', role: 'user' });
      const login = (await server.client().auth.loginViaEmailPassword('other@example.com', 'correct horse battery')) as unknown as Rec;
      expect(login.access_token).toEqual(expect.any(String));
    });
  });

  describe('the User entity', () => {
    it('a user lists only themselves', async () => {
      const users = (await server.client(member.token).entities.User.list()) as Rec[];
      expect(users.map((u) => u.id)).toEqual([member.user.id]);
    });

    it('a user cannot read another user by id', async () => {
      const error = await failure(server.client(member.token).entities.User.get(other.user.id as string));
      expect([403, 404]).toContain(error.status);
    });

    it('an admin lists every user', async () => {
      const users = (await server.client(admin.token).entities.User.list()) as Rec[];
      const emails = users.map((u) => u.email);
      expect(emails).toEqual(expect.arrayContaining(['member@example.com', 'other@example.com', 'admin@example.com']));
    });

    it('the service role lists every user', async () => {
      const users = (await server.service.entities.User.list()) as Rec[];
      expect(users.length).toBeGreaterThanOrEqual(3);
    });

    it('anonymous User.list() answers 401', async () => {
      const error = await failure(server.client().entities.User.list());
      expect(error.status).toBe(401);
      expect(error.code).toBe('unauthorized');
    });

    it('User.create answers 403', async () => {
      const error = await failure(server.client(member.token).entities.User.create({ email: 'new@example.com' }));
      expect(error.status).toBe(403);
      expect(error.code).toBe('forbidden');
      const asAdmin = await failure(server.client(admin.token).entities.User.create({ email: 'new2@example.com' }));
      expect(asAdmin.status).toBe(403);
    });

    it('a user cannot raise their own role through User.update', async () => {
      await server.client(member.token).entities.User.update(member.user.id as string, { role: 'admin' }).catch(() => undefined);
      expect(await server.client(member.token).auth.me()).toMatchObject({ role: 'user' });
    });

    it('a user cannot update another user', async () => {
      const error = await failure(server.client(member.token).entities.User.update(other.user.id as string, { nickname: 'x' }));
      expect([403, 404]).toContain(error.status);
    });
  });
});
