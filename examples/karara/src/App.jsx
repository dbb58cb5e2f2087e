// The shell: waits for the auth boot, then shows the boards list or one board by path.
import { useAuth } from '@/lib/AuthContext';
import { Link, usePath } from '@/lib/router';
import { BoardPage } from '@/pages/BoardPage';
import { BoardsPage } from '@/pages/BoardsPage';

function Pages() {
  const path = usePath();
  const boardId = /^\/boards\/([^/]+)$/.exec(path)?.[1];
  return boardId ? <BoardPage boardId={boardId} /> : <BoardsPage />;
}

export function App() {
  const auth = useAuth();
  if (auth.status === 'error') return <p className="message error">{auth.message}</p>;
  if (auth.status !== 'signed-in') return <p className="message">Loading…</p>;
  return (
    <>
      <header>
        <Link to="/" className="brand">
          Karara
        </Link>
        <span className="user">{auth.user.email}</span>
        <button onClick={auth.logout}>Sign out</button>
      </header>
      <main>
        <Pages />
      </main>
    </>
  );
}
