// The entities API: every method of `base44.entities.<Name>`, at the paths and with the shapes the SDK uses.
// Literal sub-paths (/bulk, /count, /v2/list ...) are static routes, so they win over `/:id`.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { EntityOperation, userEntityScope, userUpdateBlocklist, PROTECTED_USER_FIELDS } from '../../auth/index.js';
import { badRequest } from '../../errors.js';
import { decodeCursor, parseFields, parseQueryParam } from '../../query/index.js';
import { parseImportFile } from '../../schema/index.js';
import type { CallerView } from '../../store/index.js';
import { callerView, ViewOperation } from '../access-views.js';
import { actingUser, creatorOf, resolveContext } from '../context.js';
import { integerParam, stringParam } from '../request-values.js';
import type { Services } from '../services.js';

const ARRAY_LIMIT = 5000;
const PAGE_LIMIT = { default: 100, max: 5000 };
const DISTINCT_LIMIT = 1000;

type EntityParams = { appId: string; entity: string; id?: string };
type Query = Record<string, unknown>;

export function entityRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, records, users } = services;
  const base = '/api/apps/:appId/entities/:entity';

  /**
   * Who is calling, which entity, and the view of it they get for `operation`. The User entity keeps its
   * fixed rules (`userOperation` distinguishes its bulk writes, which only admins may make).
   */
  async function open(request: FastifyRequest, operation: ViewOperation, userOperation: EntityOperation = operation) {
    const ctx = await resolveContext(request, apps, authenticator);
    const table = ctx.app.entity((request.params as EntityParams).entity);
    let viewFor: (op: ViewOperation) => CallerView;
    if (table.name === 'User') {
      const rows = userEntityScope(ctx.principal, userOperation);
      viewFor = () => (rows ? { rows } : {});
    } else if (ctx.principal.kind === 'service') {
      viewFor = () => ({});
    } else {
      const access = ctx.app.access(table.name);
      // A token names its user's id and email, which never change; any other attribute is read from the record.
      const acting = actingUser(ctx.principal);
      const user =
        !access.hasRules || !acting
          ? null
          : access.userFields.every((field) => field === 'id' || field === 'email')
            ? { id: acting.userId, email: acting.email, role: acting.role }
            : await users.accessUser(ctx.app, ctx.principal);
      viewFor = (op) => callerView(table, access, user, op);
    }
    return { ...ctx, table, view: viewFor(operation), viewFor };
  }

  // Sessions report their user's role and state; after a write to users, this node checks them afresh.
  server.addHook('onSend', async (request) => {
    const params = request.params as Partial<EntityParams> & { appId?: string };
    if (params.entity === 'User' && request.method !== 'GET' && params.appId) authenticator.forgetApp(params.appId);
  });

  /** Strips fields the caller may not change on a user; other entities pass through. */
  function userSafe(tableName: string, ctx: Awaited<ReturnType<typeof open>>, body: unknown): unknown {
    if (tableName !== 'User' || typeof body !== 'object' || body === null || Array.isArray(body)) return body;
    const blocked = userUpdateBlocklist(ctx.principal, PROTECTED_USER_FIELDS);
    return Object.fromEntries(Object.entries(body).filter(([key]) => !blocked.includes(key)));
  }

  server.get(base, async (request) => {
    const { table, view } = await open(request, 'read');
    const q = request.query as Query;
    return records.list(
      table,
      {
        query: parseQueryParam(q.q),
        sort: stringParam('sort', q.sort),
        limit: integerParam('limit', q.limit, ARRAY_LIMIT, ARRAY_LIMIT),
        skip: integerParam('skip', q.skip, 0, Number.MAX_SAFE_INTEGER),
        fields: parseFields(stringParam('fields', q.fields)),
      },
      view,
    );
  });

  server.get(`${base}/v2/list`, async (request) => {
    const { table, view } = await open(request, 'read');
    const q = request.query as Query;
    const query = parseQueryParam(q.q);
    const cursor = stringParam('cursor', q.cursor);
    const distinct = stringParam('distinct', q.distinct);
    if (distinct !== undefined || (cursor !== undefined && isDistinctCursor(cursor))) {
      return records.distinct(
        table,
        { query, field: distinct, cursor, limit: integerParam('limit', q.limit, PAGE_LIMIT.default, DISTINCT_LIMIT, 1) },
        view,
      );
    }
    return records.page(
      table,
      {
        query,
        cursor,
        sort: stringParam('sort', q.sort),
        fields: parseFields(stringParam('fields', q.fields)),
        limit: integerParam('limit', q.limit, PAGE_LIMIT.default, PAGE_LIMIT.max, 1),
      },
      view,
    );
  });

  server.get(`${base}/count`, async (request) => {
    const { table, view } = await open(request, 'read');
    return { count: await records.count(table, parseQueryParam((request.query as Query).q), view) };
  });

  server.post(`${base}/aggregate`, async (request) => {
    const { table, view } = await open(request, 'read');
    return records.aggregate(table, request.body, view);
  });

  server.post(base, async (request, reply) => {
    const ctx = await open(request, 'create');
    reply.status(201);
    return records.create(ctx.table, request.body, creatorOf(ctx.principal), ctx.view);
  });

  server.post(`${base}/bulk`, async (request, reply) => {
    const ctx = await open(request, 'create');
    reply.status(201);
    return records.bulkCreate(ctx.table, request.body, creatorOf(ctx.principal), ctx.view);
  });

  server.put(`${base}/bulk`, async (request) => {
    const ctx = await open(request, 'update', 'bulk');
    return records.bulkUpdate(ctx.table, request.body, ctx.view);
  });

  server.patch(`${base}/update-many`, async (request) => {
    const { table, view } = await open(request, 'update', 'bulk');
    const body = request.body as { query?: unknown; data?: unknown } | null;
    if (!body || typeof body !== 'object') throw badRequest('updateMany takes {query, data}');
    return records.updateMany(table, body.query ?? {}, body.data, view);
  });

  server.post(`${base}/upsert`, async (request) => {
    const ctx = await open(request, 'update', 'bulk');
    const body = request.body as { records?: unknown; key?: unknown } | null;
    if (!body || typeof body !== 'object') throw badRequest('upsert takes {records, key}');
    return records.upsert(ctx.table, body.records, body.key, creatorOf(ctx.principal), ctx.view, ctx.viewFor('create'));
  });

  server.post(`${base}/import`, async (request) => {
    const ctx = await open(request, 'create');
    if (!request.isMultipart()) throw badRequest('importEntities takes a multipart upload with a "file" part');
    const file = await request.file();
    if (!file || file.fieldname !== 'file') throw badRequest('importEntities takes a multipart upload with a "file" part');
    const rows = parseImportFile(await file.toBuffer(), file.filename, file.mimetype);
    const output = await records.bulkCreate(ctx.table, rows, creatorOf(ctx.principal), ctx.view);
    return { status: 'success', details: `Successfully imported ${output.length} entities`, output };
  });

  server.delete(base, async (request) => {
    const { table, view } = await open(request, 'delete');
    return { success: true, deleted: await records.deleteMany(table, request.body, view) };
  });

  server.get(`${base}/:id`, async (request) => {
    const { table, view } = await open(request, 'read');
    return records.get(table, (request.params as EntityParams).id!, view);
  });

  server.put(`${base}/:id`, async (request) => {
    const ctx = await open(request, 'update');
    const body = userSafe(ctx.table.name, ctx, request.body);
    return records.update(ctx.table, (request.params as EntityParams).id!, body, ctx.view);
  });

  server.delete(`${base}/:id`, async (request) => {
    const { table, view } = await open(request, 'delete');
    await records.delete(table, (request.params as EntityParams).id!, view);
    return { success: true };
  });
}

/** Later distinct pages carry only `cursor` and `limit`; the cursor itself says it walks distinct values. */
function isDistinctCursor(cursor: string): boolean {
  const { walk } = decodeCursor(cursor);
  try {
    return 'distinct' in (JSON.parse(walk) as object);
  } catch {
    return false;
  }
}
