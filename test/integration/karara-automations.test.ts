// The Karara example's automations (seed 002 §5B–5C) on real Deno: task templates get their first due time from an
// entity automation and spawn Tasks when due; form schedules create one FormAssignment (and Task) per active member.
// Schedules are run with "run now", as an operator would; running them twice creates nothing twice. PGlite only:
// the app logic does not depend on the database (automations.test.ts covers both).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/automations.js';
import { TEST_CA_CERT_FILE, TEST_DENO_DIR, warmDenoCache } from '../support/deno.js';
import type { Rec } from '../support/sdk.js';
import { KARARA, startTestServer, TestServer } from '../support/server.js';

const HOUR_MS = 60 * 60 * 1000;

describe('Karara: recurring tasks and form schedules', () => {
  let server: TestServer;
  let team: Rec;
  let board: Rec;
  let list: Rec;
  const api = async (method: string, apiPath: string) => {
    const response = await server.fetch(`/api/apps/${server.appId}/${apiPath}`, { method, headers: { authorization: `Bearer ${server.serviceToken}` } });
    return (await response.json()) as Rec;
  };
  /** Runs a schedule now and waits until that run has succeeded. */
  const runNow = async (name: string) => {
    const { run } = (await api('POST', `automations/${encodeURIComponent(name)}/run`)) as { run: Rec };
    await eventually(
      async () => ((await api('GET', `automation-runs/${run.id}`)) as Rec).status,
      (status) => status === 'succeeded',
    );
  };
  const past = () => new Date(Date.now() - HOUR_MS).toISOString();

  beforeAll(async () => {
    await warmDenoCache();
    server = await startTestServer('pglite', KARARA, {
      config: { functions: { denoDir: TEST_DENO_DIR, caCertFile: TEST_CA_CERT_FILE }, automations: { pollSeconds: 0.2 } },
    });
    team = (await server.service.entities.Team.create({ name: 'Ops', owner_email: 'owner@example.com' })) as Rec;
    board = (await server.service.entities.Board.create({ team_id: team.id, name: 'Weekly' })) as Rec;
    list = (await server.service.entities.List.create({ board_id: board.id, name: 'To do' })) as Rec;
  }, 120_000);

  afterAll(async () => {
    await server?.close();
  });

  it('a new task template is scheduled, spawns a Task when due, and moves on to its next Monday', async () => {
    const created = (await server.service.entities.TaskTemplate.create({
      team_id: team.id,
      board_id: board.id,
      list_id: list.id,
      title: 'Weekly report',
      priority: 4,
      labels: ['report'],
      recurrence: { unit: 'week', weekdays: [1], time_of_day: '09:00' },
      due_offset_days: 2,
    })) as Rec;
    const scheduled = await eventually(
      () => server.service.entities.TaskTemplate.get(created.id as string) as Promise<Rec>,
      (t) => typeof t.next_run_at === 'string',
    );
    const first = new Date(scheduled.next_run_at as string);
    expect([first.getUTCDay(), first.getUTCHours(), first.getUTCMinutes()]).toEqual([1, 9, 0]);
    expect(first.getTime()).toBeGreaterThan(Date.now());

    await server.service.entities.TaskTemplate.update(created.id as string, { next_run_at: past() });
    await runNow('Spawn due tasks');
    const tasks = (await server.service.entities.Task.filter({ template_id: created.id })) as Rec[];
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      title: 'Weekly report',
      priority: 4,
      labels: ['report'],
      board_id: board.id,
      list_id: list.id,
      status: 'todo',
      due_date: new Date(Date.now() + 2 * 24 * HOUR_MS).toISOString().slice(0, 10),
    });
    const template = (await server.service.entities.TaskTemplate.get(created.id as string)) as Rec;
    expect(template.last_spawned_at).toEqual(expect.any(String));
    const next = new Date(template.next_run_at as string);
    expect([next.getUTCDay(), next.getUTCHours(), next.getTime() > Date.now()]).toEqual([1, 9, true]);

    await runNow('Spawn due tasks');
    expect(await server.service.entities.Task.filter({ template_id: created.id })).toHaveLength(1);
  });

  it("a due form schedule assigns the form to the team's active members, with a task each, once per period", async () => {
    const form = (await server.service.entities.Form.create({
      team_id: team.id,
      title: 'Weekly check-in',
      status: 'published',
      fields: [{ key: 'mood', label: 'How was your week?', type: 'rating' }],
    })) as Rec;
    await server.service.entities.TeamMember.bulkCreate([
      { team_id: team.id, user_email: 'ana@example.com', status: 'active' },
      { team_id: team.id, user_email: 'ben@example.com', status: 'active' },
      { team_id: team.id, user_email: 'cy@example.com', status: 'removed' },
    ]);
    const created = (await server.service.entities.FormSchedule.create({
      form_id: form.id,
      team_id: team.id,
      frequency: 'weekly',
      weekdays: [3],
      start_date: new Date().toISOString().slice(0, 10),
      due_after_hours: 48,
      create_task: true,
      task_board_id: board.id,
      task_list_id: list.id,
    })) as Rec;
    await eventually(
      () => server.service.entities.FormSchedule.get(created.id as string) as Promise<Rec>,
      (s) => typeof s.next_run_at === 'string',
    );

    const due = past();
    await server.service.entities.FormSchedule.update(created.id as string, { next_run_at: due });
    await runNow('Generate form assignments');
    const assignments = (await server.service.entities.FormAssignment.filter({ schedule_id: created.id }, 'assignee_email')) as Rec[];
    expect(assignments.map((a) => [a.assignee_email, a.status, a.form_title])).toEqual([
      ['ana@example.com', 'pending', 'Weekly check-in'],
      ['ben@example.com', 'pending', 'Weekly check-in'],
    ]);
    for (const assignment of assignments) {
      const task = (await server.service.entities.Task.get(assignment.task_id as string)) as Rec;
      expect(task).toMatchObject({ title: 'Fill in Weekly check-in', assignee_email: assignment.assignee_email, form_assignment_id: assignment.id });
    }
    const schedule = (await server.service.entities.FormSchedule.get(created.id as string)) as Rec;
    expect(schedule.last_run_at).toEqual(expect.any(String));
    expect(new Date(schedule.next_run_at as string).getUTCDay()).toBe(3);

    await server.service.entities.FormSchedule.update(created.id as string, { next_run_at: due });
    await runNow('Generate form assignments');
    expect(await server.service.entities.FormAssignment.filter({ schedule_id: created.id })).toHaveLength(2);
  });
});
