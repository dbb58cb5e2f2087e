// A two-page app needs no router library: the path is state, links push history, and every page view is logged
// with appLogs.logUserInApp as generated Base44 apps do.
import { useEffect, useSyncExternalStore } from 'react';
import { base44 } from '@/api/base44Client';

const listeners = new Set();

function subscribe(listener) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path) {
  window.history.pushState(null, '', path);
  listeners.forEach((listener) => listener());
}

export function usePath() {
  const path = useSyncExternalStore(subscribe, () => window.location.pathname);
  useEffect(() => {
    const page = path.startsWith('/boards/') ? 'Board' : 'Boards';
    base44.appLogs.logUserInApp(page).catch(() => {});
  }, [path]);
  return path;
}

export function Link({ to, children, ...props }) {
  const follow = (event) => {
    // Let the browser open new tabs and windows itself.
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    event.preventDefault();
    navigate(to);
  };
  return (
    <a href={to} onClick={follow} {...props}>
      {children}
    </a>
  );
}
