// `homebase automations ...`: list a running dev server's automations, pause, resume or run one, and read its runs
// (with the log lines of each run's invocation), through the management API.

import { parseArgs } from 'node:util';
import { CliContext, call } from './functions.js';

const USAGE = `homebase automations list [--dir D]
  homebase automations runs <name> [--limit N] [--status queued|running|succeeded|dead] [--logs] [--function F] [--dir D]
  homebase automations pause <name> | resume <name> | run <name> [--function F] [--dir D]`;

interface Run {
  id: string;
  trigger: string;
  status: string;
  attempt: number;
  tick: string | null;
  missed_since: string | null;
  event: { type: string; entity_name: string; entity_id: string } | null;
  created_date: string;
  next_attempt_date: string | null;
  started_date: string | null;
  duration_ms: number | null;
  error: string | null;
  invocation_id: string | null;
  function_name: string;
}

interface Automation {
  name: string;
  function_name: string;
  type: string;
  is_active: boolean;
  entity_name?: string;
  event_types?: string[];
  schedule?: Record<string, unknown> & { mode: string };
  next_run_date: string | null;
  open_runs: number;
  dead_runs: number;
  last_run: Run | null;
  problem?: string;
}

function describeSchedule(s: Record<string, unknown> & { mode: string }): string {
  const ends = s.ends as { type: string; date?: string; count?: number } | undefined;
  const until = ends?.type === 'on' ? `, until ${ends.date}` : ends?.type === 'after' ? `, ${ends.count} times` : '';
  if (s.mode === 'one-time') return `once at ${s.at}`;
  if (s.mode === 'cron') return `cron "${s.expression}" UTC${until}`;
  const minute = s.startMinute as number | undefined;
  const at = minute === undefined ? '' : ` at ${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')} UTC`;
  const on = s.days ? ` on days ${(s.days as number[]).join(',')}` : s.dayOfMonth ? ` on day ${s.dayOfMonth}` : '';
  return `every ${s.interval} ${s.unit}${on}${at}${until}`;
}

function describeTrigger(a: Automation): string {
  if (a.problem) return `cannot run: ${a.problem}`;
  if (a.entity_name) return `on ${a.entity_name} ${a.event_types!.join('/')}`;
  return `${describeSchedule(a.schedule!)}${a.next_run_date ? `; next ${a.next_run_date}` : ''}`;
}

function describeRun(run: Run): string {
  const what = run.event ? `${run.event.type} ${run.event.entity_name} ${run.event.entity_id}` : run.tick ? `tick ${run.tick}` : 'run now';
  const caughtUp = run.missed_since ? ` (stands for ticks since ${run.missed_since})` : '';
  const timing = run.started_date ? `started ${run.started_date}${run.duration_ms !== null ? ` ${run.duration_ms} ms` : ''}` : `queued ${run.created_date}`;
  const retry = run.next_attempt_date && run.attempt > 0 ? ` next attempt ${run.next_attempt_date}` : '';
  return `${run.id}  ${run.status.padEnd(9)} attempt ${run.attempt}  ${timing}  ${what}${caughtUp}${retry}${run.error ? `\n    error: ${run.error}` : ''}\n`;
}

export async function automationsCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      dir: { type: 'string', default: '.' },
      function: { type: 'string' },
      limit: { type: 'string', default: '20' },
      status: { type: 'string' },
      logs: { type: 'boolean', default: false },
    },
  });
  const [action, name] = positionals;
  const server = await ctx.server(values.dir);
  const query = (extra: Record<string, string | undefined> = {}) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries({ function: values.function, ...extra })) if (value !== undefined) params.set(key, value);
    return params.size > 0 ? `?${params}` : '';
  };
  const target = name && `automations/${encodeURIComponent(name)}`;
  if (action === 'list' && !name) {
    const { automations } = await call<{ automations: Automation[] }>(ctx, server, 'GET', 'automations');
    if (automations.length === 0) ctx.write('No automations: declare them in base44/functions/<name>/function.jsonc\n');
    for (const a of automations) {
      const state = a.problem ? 'broken' : a.is_active ? 'active' : 'paused';
      const last = a.last_run ? `last ${a.last_run.status} ${a.last_run.created_date}` : 'never ran';
      const counts = `${a.open_runs} open, ${a.dead_runs} dead`;
      ctx.write(`${a.name}  (${a.function_name}, ${a.type}, ${state})  ${describeTrigger(a)}  [${last}; ${counts}]\n`);
    }
  } else if (action === 'runs' && name) {
    const { runs } = await call<{ runs: Run[] }>(ctx, server, 'GET', `${target}/runs${query({ limit: values.limit, status: values.status })}`);
    if (runs.length === 0) ctx.write(`${name} has no runs yet\n`);
    for (const run of runs) {
      ctx.write(describeRun(run));
      if (!values.logs || !run.invocation_id) continue;
      const lines = await call<{ time: string; level: string; message: string }[]>(
        ctx,
        server,
        'GET',
        `functions-mgmt/${encodeURIComponent(run.function_name)}/logs?order=asc&limit=1000&invocation_id=${run.invocation_id}`,
      );
      for (const line of lines) ctx.write(`    ${line.time} ${line.level.padEnd(7)} ${line.message}\n`);
    }
  } else if ((action === 'pause' || action === 'resume') && name) {
    const result = await call<{ name: string; function_name: string; is_active: boolean }>(ctx, server, 'POST', `${target}/${action}${query()}`);
    ctx.write(`${result.name} (${result.function_name}) is ${result.is_active ? 'active' : 'paused'}\n`);
  } else if (action === 'run' && name) {
    const { run } = await call<{ run: Run }>(ctx, server, 'POST', `${target}/run${query()}`);
    ctx.write(`Queued run ${run.id} of ${name}; see it with: homebase automations runs ${name}\n`);
  } else {
    throw ctx.usage(USAGE);
  }
}
