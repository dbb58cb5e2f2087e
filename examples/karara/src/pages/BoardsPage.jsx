// The signed-in user's boards. Boards belong to a team (Board.team_id is required), so the first board also creates
// the user's own team.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { base44 } from '@/api/base44Client';
import { AddForm } from '@/components/AddForm';
import { EditableText } from '@/components/EditableText';
import { useAuth } from '@/lib/AuthContext';
import { Link } from '@/lib/router';

const { Board, Task, Team } = base44.entities;

export function BoardsPage() {
  const { user } = useAuth();
  const queryClient = useQueryClient();
  const team = useQuery({
    queryKey: ['team', user.email],
    queryFn: async () => (await Team.filter({ owner_email: user.email }, 'created_date', 1))[0] ?? null,
  });
  const teamId = team.data?.id;
  const boards = useQuery({
    queryKey: ['boards', teamId],
    queryFn: () => Board.filter({ team_id: teamId }, 'created_date'),
    enabled: Boolean(teamId),
  });
  // No team yet means no boards, not a list still loading.
  const list = team.data === null ? [] : boards.data;
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['boards'] });

  const create = useMutation({
    mutationFn: async (name) => {
      const owner = team.data ?? (await Team.create({ name: `${user.full_name || user.email}'s team`, owner_email: user.email }));
      return Board.create({ team_id: owner.id, team_name: owner.name, name });
    },
    onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: ['team'] }), refresh()]),
  });
  const rename = useMutation({ mutationFn: ({ id, name }) => Board.update(id, { name }), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: async (id) => {
      await Task.deleteMany({ board_id: id });
      await Board.delete(id);
    },
    onSuccess: refresh,
  });

  const error = team.error ?? boards.error ?? create.error ?? rename.error ?? remove.error;
  return (
    <section>
      <h1>Boards</h1>
      {error && <p className="error">{error.message}</p>}
      <AddForm label="New board name" onAdd={(name) => create.mutateAsync(name)} disabled={create.isPending} />
      {list?.length === 0 && <p className="empty">No boards yet.</p>}
      <ul className="boards">
        {list?.map((board) => (
          <li key={board.id}>
            <EditableText value={board.name} label="Rename" onSave={(name) => rename.mutateAsync({ id: board.id, name })}>
              <Link to={`/boards/${board.id}`}>{board.name}</Link>
            </EditableText>
            <button className="quiet danger" aria-label={`Delete ${board.name}`} onClick={() => remove.mutate(board.id)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
