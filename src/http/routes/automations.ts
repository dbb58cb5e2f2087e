// Managing automations (service role only): list them, pause, resume, run one now, read its runs and their attempts.
// An automation is named by its function.jsonc `name`; `?function=` picks one when two functions use the same name.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AutomationView } from '../../automations/index.js';
import { badRequest } from '../../errors.js';
import type { RunRecord, RunStatus, RunTrigger } from '../../store/index.js';
import { resolveOperator } from '../context.js';
import { integerParam, stringParam } from '../request-values.js';
import type { Services } from '../services.js';

type NameParams = { appId: string; name: string };
type RunParams = { appId: string; runId: string };

const RUN_STATUSES: RunStatus[] = ['queued', 'running', 'succeeded', 'dead'];
const RUN_TRIGGERS: RunTrigger[] = ['entity', 'schedule', 'manual'];

function oneOf<T extends string>(name: string, value: unknown, allowed: T[]): T | undefined {
  const text = stringParam(name, value);
  if (text !== undefined && !allowed.includes(text as T)) throw badRequest(`${name} must be one of ${allowed.join(', ')}`);
  return text as T | undefined;
}

const runView = (r: RunRecord) => ({
  id: r.id,
  function_name: r.functionName,
  automation: r.automation,
  trigger: r.trigger,
  status: r.status,
  attempt: r.attempt,
  tick: r.tick,
  missed_since: r.missedSince,
  event: r.event,
  created_date: r.createdDate,
  next_attempt_date: r.nextAttemptDate,
  started_date: r.startedDate,
  finished_date: r.finishedDate,
  duration_ms: r.durationMs,
  http_status: r.httpStatus,
  error: r.error,
  invocation_id: r.invocationId,
  ...(r.attempts
    ? {
        attempts: r.attempts.map((a) => ({
          attempt: a.attempt,
          status: a.status,
          started_date: a.startedDate,
          finished_date: a.finishedDate,
          duration_ms: a.durationMs,
          http_status: a.httpStatus,
          error: a.error,
          invocation_id: a.invocationId,
        })),
      }
    : {}),
});

const automationView = (a: AutomationView) => ({
  name: a.name,
  function_name: a.functionName,
  type: a.type,
  description: a.description,
  is_active: a.isActive,
  declared_active: a.declaredActive,
  ...(a.entityName !== undefined ? { entity_name: a.entityName, event_types: a.eventTypes } : {}),
  ...(a.schedule ? { schedule: a.schedule } : {}),
  ...(a.functionArgs ? { function_args: a.functionArgs } : {}),
  next_run_date: a.nextRunDate ?? null,
  open_runs: a.openRuns,
  dead_runs: a.deadRuns,
  last_run: a.lastRun ? runView(a.lastRun) : null,
  ...(a.problem ? { problem: a.problem } : {}),
});

export function automationRoutes(server: FastifyInstance, services: Services): void {
  const { apps, authenticator, automations } = services;
  if (!automations) return;
  const operator = (request: FastifyRequest) => resolveOperator(request, apps, authenticator);
  const functionOf = (request: FastifyRequest) => stringParam('function', (request.query as Record<string, unknown>).function);
  const base = '/api/apps/:appId/automations';

  server.get(base, async (request) => {
    const app = await operator(request);
    return { automations: (await automations.list(app.id)).map(automationView) };
  });

  server.get(`${base}/:name/runs`, async (request) => {
    const app = await operator(request);
    const query = request.query as Record<string, unknown>;
    const runs = await automations.runs(app.id, (request.params as NameParams).name, functionOf(request), {
      limit: integerParam('limit', query.limit, 50, 1000, 1),
      status: oneOf('status', query.status, RUN_STATUSES),
      trigger: oneOf('trigger', query.trigger, RUN_TRIGGERS),
    });
    return { runs: runs.map(runView) };
  });

  server.get('/api/apps/:appId/automation-runs/:runId', async (request) => {
    const app = await operator(request);
    return runView(await automations.run(app.id, (request.params as RunParams).runId));
  });

  for (const [action, active] of [
    ['pause', false],
    ['resume', true],
  ] as const) {
    server.post(`${base}/:name/${action}`, async (request) => {
      const app = await operator(request);
      const found = await automations.setActive(app.id, (request.params as NameParams).name, functionOf(request), active);
      return { name: found.automation.name, function_name: found.functionName, is_active: active };
    });
  }

  server.post(`${base}/:name/run`, async (request) => {
    const app = await operator(request);
    return { run: runView(await automations.runNow(app.id, (request.params as NameParams).name, functionOf(request))) };
  });
}
