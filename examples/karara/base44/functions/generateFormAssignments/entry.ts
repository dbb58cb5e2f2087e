// Creates FormAssignments for due FormSchedules (scheduled), or gives a schedule its first due time (entity
// automation). Assignees are the schedule's emails, else the team's active members; one assignment per assignee and
// period, so running twice creates nothing new. A "once" schedule is deactivated after its run.
import { createClientFromRequest } from 'npm:@base44/sdk@0.8';
import { firstOccurrence, nextAfter, withinDates, type Recurrence } from '../../shared/recurrence.ts';

interface Schedule {
  id: string;
  form_id: string;
  form_title?: string;
  team_id?: string;
  assignee_emails?: string[];
  frequency?: 'once' | 'daily' | 'weekly' | 'monthly';
  interval?: number;
  weekdays?: number[];
  day_of_month?: number;
  start_date: string;
  end_date?: string;
  due_after_hours?: number;
  create_task?: boolean;
  task_board_id?: string;
  task_list_id?: string;
  is_active?: boolean;
  next_run_at?: string;
}

const UNITS = { once: 'day', daily: 'day', weekly: 'week', monthly: 'month' } as const;
const HOUR_MS = 60 * 60 * 1000;
// Base44 returns dates without a zone; they are UTC.
const utc = (text: string) => new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text}Z`);

function recurrence(s: Schedule): Recurrence {
  return { unit: UNITS[s.frequency ?? 'weekly'], interval: s.interval, weekdays: s.weekdays, day_of_month: s.day_of_month, time_of_day: '00:00' };
}

Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  const db = base44.asServiceRole.entities;
  const body = await req.json().catch(() => ({}));
  const now = new Date();

  if (body.event) {
    const schedule = body.data as Schedule | null;
    if (!schedule || schedule.is_active === false || schedule.next_run_at) return Response.json({ scheduled: false });
    const start = utc(`${schedule.start_date}T00:00:00`);
    const next = firstOccurrence(recurrence(schedule), start > now ? start : now);
    await db.FormSchedule.update(schedule.id, { next_run_at: next.toISOString() });
    return Response.json({ scheduled: true, next_run_at: next.toISOString() });
  }

  const due = (await db.FormSchedule.filter({ is_active: true, next_run_at: { $lte: now.toISOString() } }, 'next_run_at', 500)) as Schedule[];
  let created = 0;
  for (const schedule of due) {
    const period = utc(schedule.next_run_at!);
    const form = await db.Form.get(schedule.form_id).catch(() => null);
    if (form?.status === 'published' && withinDates(period, schedule.start_date, schedule.end_date)) {
      const emails = schedule.assignee_emails?.length
        ? schedule.assignee_emails
        : ((await db.TeamMember.filter({ team_id: schedule.team_id ?? form.team_id, status: 'active' })) as { user_email: string }[]).map((m) => m.user_email);
      const periodStart = period.toISOString().slice(0, 10);
      for (const email of new Set(emails)) {
        const existing = await db.FormAssignment.filter({ schedule_id: schedule.id, assignee_email: email, period_start: periodStart });
        if (existing.length > 0) continue;
        const dueAt = new Date(now.getTime() + (schedule.due_after_hours ?? 24) * HOUR_MS).toISOString();
        const assignment = await db.FormAssignment.create({
          form_id: schedule.form_id,
          form_title: schedule.form_title ?? form.title,
          team_id: schedule.team_id ?? form.team_id,
          schedule_id: schedule.id,
          assignee_email: email,
          period_start: periodStart,
          due_at: dueAt,
          status: 'pending',
        });
        if (schedule.create_task && schedule.task_board_id) {
          const task = await db.Task.create({
            title: `Fill in ${schedule.form_title ?? form.title}`,
            team_id: schedule.team_id ?? form.team_id,
            board_id: schedule.task_board_id,
            list_id: schedule.task_list_id,
            assignee_email: email,
            due_date: dueAt.slice(0, 10),
            form_assignment_id: assignment.id,
          });
          await db.FormAssignment.update(assignment.id, { task_id: task.id });
        }
        created++;
      }
    }
    const once = schedule.frequency === 'once';
    const next = nextAfter(recurrence(schedule), period, now);
    const ended = once || (schedule.end_date && !withinDates(next, null, schedule.end_date));
    await db.FormSchedule.update(schedule.id, {
      last_run_at: now.toISOString(),
      ...(ended ? { is_active: false, next_run_at: null } : { next_run_at: next.toISOString() }),
    });
  }
  console.log(`created ${created} assignment(s) from ${due.length} due schedule(s)`);
  return Response.json({ created });
});
