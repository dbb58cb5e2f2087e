// Managing backend functions in the official CLI's shapes (deploy, list, delete, logs), plus Homebase's own:
// a function's deployments, making one live again, setting a deployment's state, invocation records.

import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';
import { checkFunctionName } from '../../functions/index.js';
import type { Deployment } from '../../store/index.js';
import { resolveOperator } from '../context.js';
import { integerParam, stringParam } from '../request-values.js';
import type { Services } from '../services.js';

type NameParams = { appId: string; name: string };
type DeploymentParams = NameParams & { id: string };

const LOG_LEVELS = ['debug', 'info', 'warning', 'error'];
const TAIL_POLL_MS = 500;
const PING_MS = 15_000;
/** A tail ends after this long with a retriable `end` event; the CLI reconnects. */
const TAIL_SECONDS = 30 * 60;

/** The CLI's `--since`/`--until` values: ISO timestamps. */
function timeParam(name: string, value: unknown): string | undefined {
  const text = stringParam(name, value);
  if (text !== undefined && Number.isNaN(Date.parse(text))) throw badRequest(`${name} must be an ISO date-time`);
  return text;
}

const functionInfo = (d: Deployment) => ({ name: d.name, deployment_id: d.id, entry: d.entry, files: d.files, automations: d.automations });

export function functionAdminRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, functions } = services;
  if (!functions) return;
  const { deployments, logs } = functions;
  const operator = (request: Parameters<typeof resolveOperator>[0]) => resolveOperator(request, apps, authenticator);
  const base = '/api/apps/:appId/backend-functions';

  server.put(`${base}/:name`, async (request) => {
    const app = await operator(request);
    const { status } = await deployments.deploy(app.id, (request.params as NameParams).name, request.body, 'api');
    return { status };
  });

  server.get(base, async (request) => {
    const app = await operator(request);
    return { functions: [...(await deployments.liveByName(app.id)).values()].map(functionInfo) };
  });

  server.delete(`${base}/:name`, async (request) => {
    const app = await operator(request);
    await deployments.remove(app.id, (request.params as NameParams).name);
    return { status: 'deleted' };
  });

  server.get(`${base}/:name/deployments`, async (request) => {
    const app = await operator(request);
    const list = await deployments.history(app.id, (request.params as NameParams).name);
    return {
      deployments: list.map((d) => ({
        id: d.id,
        state: d.state,
        live: d.live,
        source: d.source,
        entry: d.entry,
        content_hash: d.contentHash,
        created_date: d.createdDate,
      })),
    };
  });

  server.post(`${base}/:name/deployments/:id/activate`, async (request) => {
    const app = await operator(request);
    const { name, id } = request.params as DeploymentParams;
    const deployment = await deployments.activate(app.id, name, id);
    return { status: 'activated', ...functionInfo(deployment) };
  });

  server.patch(`${base}/:name/deployments/:id`, async (request) => {
    const app = await operator(request);
    const { name, id } = request.params as DeploymentParams;
    await deployments.setState(app.id, name, id, (request.body as { state?: unknown } | undefined)?.state);
    return { id, state: (request.body as { state: string }).state };
  });

  // The official CLI's live tail: server-sent events of new lines (`data: {time, level, function, message}`), a `:`
  // comment as a ping, and `event: end` when the stream's time is up. Other nodes' lines arrive once they are written.
  const tails = new Set<(reason: string) => void>();
  server.addHook('preClose', async () => tails.forEach((end) => end('shutdown')));

  server.get('/api/apps/:appId/functions-mgmt/logs/stream', async (request, reply) => {
    const app = await operator(request);
    const query = request.query as Record<string, unknown>;
    const names = (stringParam('function', query.function) ?? '').split(',').filter(Boolean);
    names.forEach(checkFunctionName);
    let after = await logs.tailStart();
    reply.hijack();
    const out = reply.raw;
    out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
    out.write(': tailing\n\n');
    const started = Date.now();
    let lastWrite = started;
    let reading = false;
    const end = (reason: string) => {
      clearInterval(poll);
      tails.delete(end);
      out.end(`event: end\ndata: ${JSON.stringify({ reason, retriable: true })}\n\n`);
    };
    const read = async () => {
      const lines = await logs.linesAfter(app.id, names, after, 500);
      for (const line of lines) {
        out.write(`data: ${JSON.stringify({ time: line.time, level: line.level, function: line.functionName, message: line.message })}\n\n`);
        after = line.seq;
        lastWrite = Date.now();
      }
      if (Date.now() - lastWrite >= PING_MS) {
        out.write(': ping\n\n');
        lastWrite = Date.now();
      }
    };
    const poll = setInterval(() => {
      if (reading) return;
      if (Date.now() - started >= TAIL_SECONDS * 1000) return end('timeout');
      reading = true;
      read()
        .catch((error: Error) => {
          request.log.error({ err: { message: error.message } }, 'log tail failed');
          end('error');
        })
        .finally(() => (reading = false));
    }, TAIL_POLL_MS);
    tails.add(end);
    out.on('close', () => {
      clearInterval(poll);
      tails.delete(end);
    });
  });

  server.get('/api/apps/:appId/functions-mgmt/:name/logs', async (request) => {
    const app = await operator(request);
    const query = request.query as Record<string, unknown>;
    const level = stringParam('level', query.level);
    if (level !== undefined && !LOG_LEVELS.includes(level)) throw badRequest(`level must be one of ${LOG_LEVELS.join(', ')}`);
    const order = stringParam('order', query.order) ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw badRequest('order must be asc or desc');
    const after = stringParam('after', query.after);
    const lines = await logs.query(app.id, (request.params as NameParams).name, {
      since: timeParam('since', query.since),
      until: timeParam('until', query.until),
      level,
      invocationId: stringParam('invocation_id', query.invocation_id),
      after: after === undefined ? undefined : integerParam('after', after, 0, Number.MAX_SAFE_INTEGER),
      limit: integerParam('limit', query.limit, 100, 1000, 1),
      order,
    });
    return lines.map((l) => ({ time: l.time, level: l.level, message: l.message, invocation_id: l.invocationId, seq: l.seq }));
  });

  server.get('/api/apps/:appId/functions-mgmt/:name/invocations', async (request) => {
    const app = await operator(request);
    const query = request.query as Record<string, unknown>;
    const records = await logs.invocations(app.id, (request.params as NameParams).name, {
      limit: integerParam('limit', query.limit, 50, 1000, 1),
      id: stringParam('id', query.id),
    });
    return {
      invocations: records.map((r) => ({
        id: r.id,
        deployment_id: r.deploymentId,
        started_date: r.startedDate,
        duration_ms: r.durationMs,
        status: r.status,
        outcome: r.outcome,
        caller: r.caller,
      })),
    };
  });
}
