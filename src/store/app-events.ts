// Page views and analytics events apps send from the browser, per app, kept a week for `appLogs`.

import { Database } from './database.js';
import { zonelessUtc } from './timestamps.js';

export type AppEventKind = 'page_view' | 'event';

export interface AppEvent {
  kind: AppEventKind;
  name: string;
  userId: string | null;
  properties?: Record<string, unknown>;
  /** ISO time the client gave; the server's time when absent. */
  at?: string;
}

export class AppEventLog {
  constructor(private readonly db: Database) {}

  async record(appId: string, events: AppEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({ kind: e.kind, name: e.name, user_id: e.userId, properties: e.properties ?? null, at: e.at ?? null }));
    await this.db.query(
      `INSERT INTO homebase.app_events (app_id, kind, name, user_id, properties, created_date)
       SELECT $1, e.kind, e.name, e.user_id, e.properties, COALESCE(e.at, now())
       FROM jsonb_to_recordset($2::text::jsonb) AS e(kind text, name text, user_id text, properties jsonb, at timestamptz)`,
      [appId, JSON.stringify(rows)],
    );
  }

  list(appId: string, kind: AppEventKind | undefined, limit: number) {
    return this.db.query<{ kind: string; name: string; user_id: string | null; properties: unknown; created_date: string }>(
      `SELECT kind, name, user_id, properties, ${zonelessUtc('created_date')} AS created_date
       FROM homebase.app_events WHERE app_id = $1 AND ($2::text IS NULL OR kind = $2)
       ORDER BY created_date DESC LIMIT $3`,
      [appId, kind ?? null, limit],
    );
  }

  /** Counts per kind and name over the last `days` days, with distinct users. */
  stats(appId: string, days: number) {
    return this.db.query<{ kind: string; name: string; count: number; users: number }>(
      `SELECT kind, name, count(*)::int AS count, count(DISTINCT user_id)::int AS users
       FROM homebase.app_events WHERE app_id = $1 AND created_date > now() - make_interval(days => $2::int)
       GROUP BY kind, name ORDER BY count DESC LIMIT 1000`,
      [appId, days],
    );
  }

  async prune(keepDays: number): Promise<void> {
    await this.db.query('DELETE FROM homebase.app_events WHERE created_date < now() - make_interval(days => $1::int)', [keepDays]);
  }
}
