// Decides once per run whether the PostgreSQL suites run: required under CI, skipped with a reason elsewhere.

import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { POSTGRES_ADMIN_URL } from './server.js';

export default async function setup(project: TestProject): Promise<void> {
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    project.provide('postgresAvailable', true);
  } catch (error) {
    if (process.env.CI === 'true') {
      throw new Error(`CI=true requires PostgreSQL at ${POSTGRES_ADMIN_URL}, which is unreachable: ${(error as Error).message}`, {
        cause: error,
      });
    }
    project.provide('postgresAvailable', false);
    console.warn(`Skipping the PostgreSQL runs: ${POSTGRES_ADMIN_URL} is unreachable (${(error as Error).message})`);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAvailable: boolean;
  }
}
