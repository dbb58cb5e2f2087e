// Composition root of `homebase dev`: one project, its database, the HTTP server and the entity watcher.
// Everything is created here and handed down; `close()` stops it in reverse order.

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { TokenService, UserService } from '../auth/index.js';
import { DevConfigInput, parseDevConfig } from '../config/index.js';
import { buildHttpApp } from '../http/index.js';
import { loadProject, readEntities, watchEntities } from '../project/index.js';
import { Database, EntityRepository, migrate, openPglite, openPostgres } from '../store/index.js';
import { AppRegistry, AppRuntime } from '../tenancy/index.js';

export interface DevServer {
  url: string;
  appId: string;
  serviceToken: string;
  database: Database['kind'];
  /** Reloads the project's entity files now (the watcher does it on change). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

/** The server's signing secret, created on first start and kept with the project's local data. */
async function loadSecret(dataDir: string): Promise<Uint8Array> {
  const file = path.join(dataDir, 'secret.key');
  if (existsSync(file)) return Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
  const secret = randomBytes(32);
  await writeFile(file, secret.toString('base64'), { mode: 0o600 });
  return secret;
}

export async function startDevServer(input: DevConfigInput): Promise<DevServer> {
  const config = parseDevConfig(input);
  const logger = pino({ level: config.logLevel, base: undefined });
  const project = await loadProject(config.projectDir);
  const dataDir = path.join(project.root, '.homebase');
  await mkdir(dataDir, { recursive: true });

  const db = config.databaseUrl?.startsWith('postgres')
    ? await openPostgres(config.databaseUrl, { maxConnections: config.databaseConnections })
    : await openPglite(config.databaseUrl === 'memory://' ? undefined : path.join(dataDir, 'pglite'));
  try {
    await migrate(db);
    const app = await AppRuntime.open(db, project.appId, project.settings);
    const reportProblems = (problems: { file: string; message: string }[]) =>
      problems.forEach((p) => logger.error({ file: p.file }, `entity file skipped: ${p.message}`));
    reportProblems(project.problems);
    await app.setEntities(project.entities);

    const apps = new AppRegistry();
    apps.add(app);
    const tokens = new TokenService(await loadSecret(dataDir), config.userTokenSeconds);
    const records = new EntityRepository(db);
    const users = new UserService(db, records, tokens);
    const http = await buildHttpApp(
      { apps, tokens, records, users },
      { logger, maxBodyBytes: config.maxBodyBytes, maxFileBytes: config.maxFileBytes },
    );
    await http.listen({ port: config.port, host: config.host });
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host}:${port}`;
    const serviceToken = await tokens.signService(app.id, config.serviceTokenSeconds);
    await writeFile(path.join(dataDir, 'dev.json'), JSON.stringify({ url, appId: app.id, serviceToken }, null, 2), {
      mode: 0o600,
    });

    const applyEntities = async (result: Awaited<ReturnType<typeof readEntities>>) => {
      reportProblems(result.problems);
      await app.setEntities(result.entities);
      logger.info({ entities: result.entities.map((e) => e.name) }, 'entities reloaded');
    };
    const stopWatching = config.watch
      ? watchEntities(project.entitiesDir, applyEntities, (error) => logger.error({ err: error }, 'entity reload failed'))
      : () => {};

    return {
      url,
      appId: app.id,
      serviceToken,
      database: db.kind,
      reload: async () => applyEntities(await readEntities(project.entitiesDir)),
      close: async () => {
        stopWatching();
        await http.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
