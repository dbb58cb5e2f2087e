// Summarises a board's tasks for the signed-in caller: counts per status and the oldest open task.
// Runs as the caller (their access rules apply), as Base44 backend functions do with createClientFromRequest.
import { createClientFromRequest } from 'npm:@base44/sdk@0.8';

interface Task {
  title: string;
  status?: 'todo' | 'in_progress' | 'done';
}

Deno.serve(async (req) => {
  const base44 = createClientFromRequest(req);
  try {
    await base44.auth.me();
  } catch {
    return Response.json({ error: 'Sign in to summarise a board' }, { status: 401 });
  }
  const { board_id: boardId } = await req.json().catch(() => ({}));
  if (typeof boardId !== 'string' || boardId === '') return Response.json({ error: 'board_id is required' }, { status: 400 });

  const board = await base44.entities.Board.get(boardId).catch(() => null);
  if (!board) return Response.json({ error: 'No such board' }, { status: 404 });
  const tasks = (await base44.entities.Task.filter({ board_id: boardId }, 'created_date')) as Task[];
  const done = tasks.filter((task) => task.status === 'done').length;
  const open = tasks.filter((task) => task.status !== 'done');
  const summary =
    tasks.length === 0
      ? `${board.name} has no tasks yet.`
      : `${board.name}: ${done} of ${tasks.length} tasks done.` + (open.length > 0 ? ` Next up: ${open[0].title}.` : ' All done!');
  return Response.json({ board: board.name, total: tasks.length, done, open: open.length, summary });
});
