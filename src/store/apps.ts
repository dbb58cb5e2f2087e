// The platform's registry of apps (tenants); each app also gets its own database schema.

import { Sql } from './database.js';

export async function upsertApp(db: Sql, app: { id: string; name: string; config: unknown }): Promise<void> {
  await db.query(
    `INSERT INTO homebase.apps (id, name, config) VALUES ($1, $2, $3::text::jsonb)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, config = EXCLUDED.config`,
    [app.id, app.name, JSON.stringify(app.config)],
  );
}
