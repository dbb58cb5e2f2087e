// Test harness: starts a real Homebase dev server on a free port, on PGlite or on a fresh PostgreSQL database.
// Integration tests drive it with the real @base44/sdk, exactly as an app would.

import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { createClient } from '@base44/sdk';
import { inject } from 'vitest';
import { startDevServer, DevServer } from '../../src/server/index.js';
import { Database, migrate, openPglite, openPostgres } from '../../src/store/index.js';

export type DatabaseKind = 'pglite' | 'postgres';

export const POSTGRES_ADMIN_URL = process.env.HOMEBASE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const KARARA = path.join(REPO_ROOT, 'examples/karara');
const KARARA_BUILD = path.join(KARARA, 'dist');

/** Databases the integration suites run on, as test/support/global-setup.ts found them. */
export function databases(): DatabaseKind[] {
  return inject('postgresAvailable') ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestServer extends DevServer {
  projectDir: string;
  /** The database it runs on (`memory://` for in-memory PGlite). */
  databaseUrl: string;
  /** A client acting as the service role (what backend functions get). */
  service: ReturnType<typeof createClient>['asServiceRole'];
  /** A client with the given user token, or anonymous. */
  client(token?: string): ReturnType<typeof createClient>;
  /** Creates a user through the operator API and signs them in; returns their token and record. */
  signUp(email: string, options?: { role?: string; password?: string }): Promise<{ token: string; user: Record<string, unknown> }>;
  /** Raw HTTP against the server, for what the SDK cannot send (malformed input). */
  fetch(pathAndQuery: string, init?: RequestInit): Promise<Response>;
}

/** A fresh, empty PostgreSQL database on the test server: its URL, and `drop` to remove it. */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `homebase_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** A migrated platform database of either kind, for tests of the store; `close` drops it. */
export async function openTestDatabase(kind: DatabaseKind): Promise<{ db: Database; close(): Promise<void> }> {
  if (kind === 'pglite') {
    const db = await openPglite(undefined);
    await migrate(db);
    return { db, close: () => db.close() };
  }
  const database = await createTestDatabase();
  const db = await openPostgres(database.url);
  await migrate(db);
  return {
    db,
    close: async () => {
      await db.close();
      await database.drop();
    },
  };
}

export interface TestServerOptions {
  /** Where the server sends mail (test/support/smtp.ts); without it mail goes to the dev mailbox. */
  smtpUrl?: string;
  /** Any other server setting, over the test defaults. */
  config?: Partial<Parameters<typeof startDevServer>[0]>;
  /**
   * Starts another node of `joining`'s app on its PostgreSQL database: the project copy keeps the app id and the
   * signing secret, and the database stays the first server's to drop.
   */
  joining?: TestServer;
  /** Keeps the project's own app id (base44/.app.jsonc), for a frontend built with it; otherwise a new id is made. */
  keepAppId?: boolean;
}

/** Starts a server for a copy of `projectDir` (the copy may be edited by the test). */
export async function startTestServer(kind: DatabaseKind, projectDir = KARARA, options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'homebase-test-'));
  if (options.joining) await cp(options.joining.projectDir, dir, { recursive: true, filter: (source) => !source.endsWith('dev.json') });
  else {
    // The example's own build (left by `npm start`) is no part of the project under test; its suite builds the site.
    const copied = (source: string) =>
      !source.includes('.homebase') && source !== KARARA_BUILD && (options.keepAppId || !source.endsWith('.app.jsonc'));
    await cp(projectDir, dir, { recursive: true, filter: copied });
  }
  const database = kind === 'postgres' && !options.joining ? await createTestDatabase() : undefined;
  const databaseUrl = options.joining?.databaseUrl ?? database?.url ?? 'memory://';
  const server = await startDevServer({
    projectDir: dir,
    port: 0,
    databaseUrl,
    logLevel: process.env.HOMEBASE_TEST_LOG ?? 'silent',
    watch: false,
    // Suites sign in many users from one address; the abuse tests start their own server with real limits.
    authLimits: { perIp: { attempts: 100_000, windowSeconds: 60 }, perEmail: { attempts: 100_000, windowSeconds: 60 } },
    smtpUrl: options.smtpUrl,
    ...options.config,
  } as Parameters<typeof startDevServer>[0]);
  const client = (token?: string) =>
    createClient({ serverUrl: server.url, appId: server.appId, token, analytics: { enabled: false } } as Parameters<typeof createClient>[0]);
  const fetchRaw = (pathAndQuery: string, init?: RequestInit) => fetch(`${server.url}${pathAndQuery}`, init);
  return {
    ...server,
    projectDir: dir,
    databaseUrl,
    service: createClient({ serverUrl: server.url, appId: server.appId, serviceToken: server.serviceToken, analytics: { enabled: false } } as Parameters<typeof createClient>[0]).asServiceRole,
    client,
    fetch: fetchRaw,
    async signUp(email, options = {}) {
      const password = options.password ?? 'correct horse battery';
      const created = await fetchRaw(`/api/apps/${server.appId}/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${server.serviceToken}` },
        body: JSON.stringify({ email, password, role: options.role ?? 'user' }),
      });
      if (created.status !== 201) throw new Error(`signUp failed: ${created.status} ${await created.text()}`);
      const { access_token, user } = (await client().auth.loginViaEmailPassword(email, password)) as unknown as {
        access_token: string;
        user: Record<string, unknown>;
      };
      return { token: access_token, user };
    },
    async close() {
      await server.close();
      await database?.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
