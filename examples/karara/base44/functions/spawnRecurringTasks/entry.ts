// Spawns Tasks from due TaskTemplates (scheduled), or gives a template its first due time (entity automation).
// Runs as the service role, as automations do. Safe to run twice: a template spawns only while next_run_at has come,
// and the spawn moves next_run_at past now.
import { createClientFromRequest } from 'npm:@base44/sdk@0.8';
import { firstOccurrence, nextAfter, withinDates, type Recurrence } from '../../shared/recurrence.ts';

interface Template {
  id: string;
  team_id: string;
  board_id: string;
  list_id?: string;
  title: string;
  description?: string;
  priority?: number;
  assignee_email?: string;
  labels?: string[];
  recurrence: Recurrence;
  due_offset_days?: number;
  start_date?: string;
  end_date?: string;
  is_active?: boolean;
  next_run_at?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
// Base44 returns dates without a zone; they are UTC.
const utc = (text: string) => new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);

Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const templates = base44.asServiceRole.entities.TaskTemplate;
  const body = await req.json().catch(() => ({}));
  const now = new Date();

  if (body.event) {
    const template = body.data as Template | null;
    if (!template || template.is_active === false || template.next_run_at) return Response.json({ scheduled: false });
    const start = template.start_date && utc(`${template.start_date}T00:00:00`) > now ? utc(`${template.start_date}T00:00:00`) : now;
    const next = firstOccurrence(template.recurrence, start);
    await templates.update(template.id, { next_run_at: next.toISOString() });
    return Response.json({ scheduled: true, next_run_at: next.toISOString() });
  }

  const due = (await templates.filter({ is_active: true, next_run_at: { $lte: now.toISOString() } }, 'next_run_at', 500)) as Template[];
  const spawned: string[] = [];
  for (const template of due) {
    const scheduledFor = utc(template.next_run_at!);
    const next = nextAfter(template.recurrence, scheduledFor, now);
    const spawn = withinDates(scheduledFor, template.start_date, template.end_date);
    if (spawn) {
      const task = await base44.asServiceRole.entities.Task.create({
        title: template.title,
        description: template.description,
        priority: template.priority,
        assignee_email: template.assignee_email,
        labels: template.labels,
        team_id: template.team_id,
        board_id: template.board_id,
        list_id: template.list_id,
        template_id: template.id,
        due_date: new Date(now.getTime() + (template.due_offset_days ?? 0) * DAY_MS).toISOString().slice(0, 10),
      });
      spawned.push(task.id);
    }
    const ended = template.end_date && !withinDates(next, null, template.end_date);
    await templates.update(template.id, {
      ...(spawn ? { last_spawned_at: now.toISOString() } : {}),
      next_run_at: next.toISOString(),
      ...(ended ? { is_active: false } : {}),
    });
  }
  console.log(`spawned ${spawned.length} task(s) from ${due.length} due template(s)`);
  return Response.json({ spawned });
});
