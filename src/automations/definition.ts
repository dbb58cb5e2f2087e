// PURE: the automations a function.jsonc declares (project-format.md §4.2), checked and normalised.
// A broken automation is reported with its problem and never runs; the others of the same function still do.

import { createHash } from 'node:crypto';
import { Cron } from 'croner';
import { z } from 'zod';
import type { ChangeType } from '../store/index.js';

export type RepeatUnit = 'minutes' | 'hours' | 'days' | 'weeks' | 'months';

export type Ends = { type: 'never' } | { type: 'on'; date: Date } | { type: 'after'; count: number };

export type Schedule =
  | { mode: 'one-time'; at: Date }
  | { mode: 'cron'; expression: string; ends: Ends }
  | {
      mode: 'simple';
      unit: RepeatUnit;
      interval: number;
      /** Minutes after midnight UTC. */
      startMinute?: number;
      /** Weekdays, 0 = Sunday (weeks only). */
      days?: number[];
      /** 1–31, clamped to the month's last day (months only). */
      dayOfMonth?: number;
      ends: Ends;
    };

interface Common {
  name: string;
  description: string | null;
  functionArgs: Record<string, unknown>;
  /** As declared; a pause or resume at runtime overrides it. */
  isActive: boolean;
}

export type EntityAutomation = Common & { type: 'entity'; entityName: string; eventTypes: ChangeType[] };
export type ScheduledAutomation = Common & { type: 'scheduled'; schedule: Schedule; /** Changes when the schedule does. */ scheduleHash: string };
export type Automation = EntityAutomation | ScheduledAutomation;

/** A declared automation that cannot run, and why. */
export interface AutomationProblem {
  name: string;
  type: string;
  message: string;
}

const UNIT_SECONDS: Record<RepeatUnit, number> = { minutes: 60, hours: 3600, days: 86_400, weeks: 7 * 86_400, months: 28 * 86_400 };
// Enough consecutive cron ticks to meet every gap a 5-field pattern can make (within and across hours and days).
const CRON_GAP_SAMPLES = 200;

const isoDate = z
  .string()
  .refine((text) => !Number.isNaN(Date.parse(text)), 'must be an ISO date-time')
  .transform((text) => new Date(text));
const ends = {
  ends_type: z.enum(['never', 'on', 'after']).default('never'),
  ends_on_date: isoDate.nullish(),
  ends_after_count: z.number().int().positive().nullish(),
};
const common = {
  name: z.string().trim().min(1, 'is required'),
  description: z.string().nullish(),
  function_args: z.record(z.string(), z.unknown()).nullish(),
  is_active: z.boolean().default(true),
};
const declared = z.discriminatedUnion('type', [
  z.object({
    ...common,
    type: z.literal('entity'),
    entity_name: z.string().min(1, 'is required'),
    event_types: z.array(z.enum(['create', 'update', 'delete'])).min(1, 'must name at least one of create, update, delete'),
  }),
  z.object({
    ...common,
    ...ends,
    type: z.literal('scheduled'),
    schedule_mode: z.enum(['one-time', 'recurring']),
    one_time_date: isoDate.nullish(),
    schedule_type: z.enum(['cron', 'simple']).nullish(),
    cron_expression: z.string().trim().nullish(),
    repeat_unit: z.enum(['minutes', 'hours', 'days', 'weeks', 'months']).nullish(),
    repeat_interval: z.number().int().positive().nullish(),
    start_time: z
      .string()
      .regex(/^([01]?[0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM')
      .nullish(),
    repeat_on_days: z.array(z.number().int().min(0).max(6)).nullish(),
    repeat_on_day_of_month: z.number().int().min(1).max(31).nullish(),
  }),
  z.object({ ...common, type: z.literal('connector') }),
]);
type Declared = z.output<typeof declared>;
type DeclaredSchedule = Extract<Declared, { type: 'scheduled' }>;

class DefinitionError extends Error {}

function endsOf(d: DeclaredSchedule): Ends {
  if (d.ends_type === 'on') {
    if (!d.ends_on_date) throw new DefinitionError('ends_on_date is required when ends_type is "on"');
    return { type: 'on', date: d.ends_on_date };
  }
  if (d.ends_type === 'after') {
    if (!d.ends_after_count) throw new DefinitionError('ends_after_count is required when ends_type is "after"');
    return { type: 'after', count: d.ends_after_count };
  }
  return { type: 'never' };
}

/** Checks a 5-field cron pattern (UTC) whose ticks must never be closer than `minIntervalSeconds`. */
function checkCron(expression: string, minIntervalSeconds: number): void {
  if (expression.split(/\s+/).length !== 5) throw new DefinitionError(`cron_expression "${expression}" must have 5 fields`);
  let cron: Cron;
  try {
    cron = new Cron(expression, { timezone: 'UTC', mode: '5-part', paused: true });
  } catch (error) {
    throw new DefinitionError(`cron_expression "${expression}": ${(error as Error).message}`);
  }
  const ticks = cron.nextRuns(CRON_GAP_SAMPLES, new Date());
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i].getTime() - ticks[i - 1].getTime() < minIntervalSeconds * 1000) {
      throw new DefinitionError(`cron_expression "${expression}" runs more often than every ${describeSeconds(minIntervalSeconds)}`);
    }
  }
}

function describeSeconds(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} s`;
}

function scheduleOf(d: DeclaredSchedule, minIntervalSeconds: number): Schedule {
  if (d.schedule_mode === 'one-time') {
    if (!d.one_time_date) throw new DefinitionError('one_time_date is required for a one-time schedule');
    return { mode: 'one-time', at: d.one_time_date };
  }
  if (d.schedule_type === 'cron') {
    if (!d.cron_expression) throw new DefinitionError('cron_expression is required for a cron schedule');
    checkCron(d.cron_expression, minIntervalSeconds);
    return { mode: 'cron', expression: d.cron_expression, ends: endsOf(d) };
  }
  if (d.schedule_type !== 'simple') throw new DefinitionError('schedule_type must be "cron" or "simple" for a recurring schedule');
  if (!d.repeat_unit) throw new DefinitionError('repeat_unit is required for a simple schedule');
  const interval = d.repeat_interval ?? 1;
  if (interval * UNIT_SECONDS[d.repeat_unit] < minIntervalSeconds) {
    throw new DefinitionError(`every ${interval} ${d.repeat_unit} is more often than the minimum interval of ${describeSeconds(minIntervalSeconds)}`);
  }
  const [hours, minutes] = d.start_time ? d.start_time.split(':').map(Number) : [];
  return {
    mode: 'simple',
    unit: d.repeat_unit,
    interval,
    ...(d.start_time ? { startMinute: hours * 60 + minutes } : {}),
    ...(d.repeat_unit === 'weeks' && d.repeat_on_days?.length ? { days: [...new Set(d.repeat_on_days)].sort() } : {}),
    ...(d.repeat_unit === 'months' && d.repeat_on_day_of_month ? { dayOfMonth: d.repeat_on_day_of_month } : {}),
    ends: endsOf(d),
  };
}

function hashSchedule(schedule: Schedule): string {
  return createHash('sha256').update(JSON.stringify(schedule)).digest('hex').slice(0, 16);
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length ? `${issue.path.join('.')} ${issue.message}` : issue.message)).join('; ');
}

/**
 * The automations of one function.jsonc. `minIntervalSeconds` bounds how often a recurring schedule may fire (5
 * minutes on Base44). Names must be unique within the function; a later duplicate is a problem.
 */
export function parseAutomations(raw: unknown[], minIntervalSeconds: number): { automations: Automation[]; problems: AutomationProblem[] } {
  const automations: Automation[] = [];
  const problems: AutomationProblem[] = [];
  for (const [index, item] of raw.entries()) {
    const name = typeof (item as { name?: unknown })?.name === 'string' ? ((item as { name: string }).name.trim() || `#${index + 1}`) : `#${index + 1}`;
    const type = String((item as { type?: unknown })?.type ?? 'unknown');
    const problem = (message: string) => problems.push({ name, type, message });
    const parsed = declared.safeParse(item);
    if (!parsed.success) {
      problem(describeIssues(parsed.error));
      continue;
    }
    const d = parsed.data;
    if (automations.some((a) => a.name === d.name) || problems.some((p) => p.name === d.name)) {
      problem(`another automation of this function is also named "${d.name}"`);
      continue;
    }
    const base: Common = { name: d.name, description: d.description ?? null, functionArgs: d.function_args ?? {}, isActive: d.is_active };
    if (d.type === 'connector') {
      problem('connector automations need Base44 connectors, which Homebase does not provide');
    } else if (d.type === 'entity') {
      automations.push({ ...base, type: 'entity', entityName: d.entity_name, eventTypes: [...new Set(d.event_types)] });
    } else {
      try {
        const schedule = scheduleOf(d, minIntervalSeconds);
        automations.push({ ...base, type: 'scheduled', schedule, scheduleHash: hashSchedule(schedule) });
      } catch (error) {
        if (!(error instanceof DefinitionError)) throw error;
        problem(error.message);
      }
    }
  }
  return { automations, problems };
}
