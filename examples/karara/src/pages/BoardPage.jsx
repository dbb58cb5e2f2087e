// One board and its tasks. Tasks changed anywhere (another browser, a backend function) arrive over realtime and are
// applied to the cached list, so nothing reloads; a function call summarises the board; tasks can carry a picture.
import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { base44 } from '@/api/base44Client';
import { AddForm } from '@/components/AddForm';
import { EditableText } from '@/components/EditableText';

const { Board, Task } = base44.entities;

/** The board's task list after one change, whether it came from realtime or from this page's own write. */
function applyChange(tasks, { type, id, data }, boardId) {
  if (!tasks) return tasks;
  const others = tasks.filter((task) => task.id !== id);
  if (type === 'delete' || data?.board_id !== boardId) return others;
  const index = tasks.findIndex((task) => task.id === id);
  return index === -1 ? [...tasks, data] : tasks.map((task) => (task.id === id ? data : task));
}

function applyToCache(queryClient, boardId, change) {
  queryClient.setQueryData(['tasks', boardId], (tasks) => applyChange(tasks, change, boardId));
}

// functions.invoke answers with the raw axios response and rejects with an AxiosError (not a Base44Error).
const functionError = (error) => error.response?.data?.error ?? error.message;

function TaskItem({ task, onChange, onDelete }) {
  const upload = useMutation({
    mutationFn: async (file) => {
      const { file_url } = await base44.integrations.Core.UploadFile({ file });
      return onChange({ image_url: file_url });
    },
  });
  const done = task.status === 'done';
  return (
    <li className={done ? 'task done' : 'task'}>
      <input
        type="checkbox"
        aria-label={`Done: ${task.title}`}
        checked={done}
        onChange={() => onChange(done ? { status: 'todo', completed_at: null } : { status: 'done', completed_at: new Date().toISOString() })}
      />
      <EditableText value={task.title} label="Edit" onSave={(title) => onChange({ title })}>
        <span className="title">{task.title}</span>
      </EditableText>
      <label className="quiet button">
        {upload.isPending ? 'Uploading…' : 'Picture'}
        <input
          type="file"
          accept="image/*"
          hidden
          aria-label={`Picture for ${task.title}`}
          onChange={(event) => event.target.files[0] && upload.mutate(event.target.files[0])}
        />
      </label>
      <button className="quiet danger" aria-label={`Delete ${task.title}`} onClick={onDelete}>
        Delete
      </button>
      {upload.error && <p className="error">{upload.error.message}</p>}
      {task.image_url && (
        <div className="picture">
          <img src={task.image_url} alt={`Picture of ${task.title}`} />
        </div>
      )}
    </li>
  );
}

export function BoardPage({ boardId }) {
  const queryClient = useQueryClient();
  const board = useQuery({ queryKey: ['board', boardId], queryFn: () => Board.get(boardId) });
  const tasks = useQuery({ queryKey: ['tasks', boardId], queryFn: () => Task.filter({ board_id: boardId }, 'created_date') });
  const apply = (change) => applyToCache(queryClient, boardId, change);

  useEffect(() => Task.subscribe((event) => applyToCache(queryClient, boardId, event)), [boardId, queryClient]);

  const create = useMutation({
    mutationFn: (title) => Task.create({ title, board_id: boardId, team_id: board.data?.team_id }),
    onSuccess: (task) => apply({ type: 'create', id: task.id, data: task }),
  });
  const update = useMutation({
    mutationFn: ({ id, changes }) => Task.update(id, changes),
    onSuccess: (task) => apply({ type: 'update', id: task.id, data: task }),
  });
  const remove = useMutation({
    mutationFn: (id) => Task.delete(id),
    onSuccess: (_result, id) => apply({ type: 'delete', id }),
  });
  const summary = useMutation({ mutationFn: () => base44.functions.invoke('summarizeBoard', { board_id: boardId }) });

  if (board.isError) return <p className="error">{board.error.status === 404 ? 'This board does not exist.' : board.error.message}</p>;
  const error = tasks.error ?? create.error ?? update.error ?? remove.error;
  return (
    <section>
      <h1>{board.data?.name ?? '…'}</h1>
      {error && <p className="error">{error.message}</p>}
      <AddForm label="New task title" onAdd={(title) => create.mutateAsync(title)} disabled={!board.data || create.isPending} />
      {tasks.data?.length === 0 && <p className="empty">No tasks yet.</p>}
      <ul className="tasks">
        {tasks.data?.map((task) => (
          <TaskItem
            key={task.id}
            task={task}
            onChange={(changes) => update.mutateAsync({ id: task.id, changes })}
            onDelete={() => remove.mutate(task.id)}
          />
        ))}
      </ul>
      <div className="summary">
        <button onClick={() => summary.mutate()} disabled={summary.isPending}>
          Summarize board
        </button>
        {summary.isSuccess && <p role="status">{summary.data.data.summary}</p>}
        {summary.isError && <p className="error">{functionError(summary.error)}</p>}
      </div>
    </section>
  );
}
