// Composition root of `homebase dev`: one project, its database, the HTTP server and the entity watcher.
// Everything is created here and handed down; `close()` stops it in reverse order.

import { createHmac, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pino from 'pino';
import { AuthService, Authenticator, TokenService, UserService } from '../auth/index.js';
import { AutomationService } from '../automations/index.js';
import { DevConfigInput, parseDevConfig } from '../config/index.js';
import { FileService, LocalFileStore, S3FileStore } from '../files/index.js';
import { buildHttpApp } from '../http/index.js';
import { FunctionsService, deniedDestinations, deriveSecretsKey } from '../functions/index.js';
import { AppIntegrations, CoreIntegrations, registerAiIntegrations, registerFileIntegrations, registerSendEmail } from '../integrations/index.js';
import { DevMailbox, createSmtpMailer } from '../mail/index.js';
import { loadProject, readEntities, readEnvFiles, readFunctions, watchEntities, watchFunctions } from '../project/index.js';
import { startRealtime } from '../realtime/index.js';
import { SiteDeployments } from '../site/index.js';
import { AppEventLog, Database, EntityRepository, SecretBox, deriveSealingKey, keepOutboxPruned, migrate, openPglite, openPostgres, redisAnnouncer } from '../store/index.js';
import { AppRegistry, AppRuntime } from '../tenancy/index.js';

const HOUR_MS = 60 * 60 * 1000;
const APP_EVENT_DAYS = 7;

export interface DevServer {
  url: string;
  appId: string;
  serviceToken: string;
  database: Database['kind'];
  /** Where mail goes when no SMTP server is configured (also served at `/_dev/mail`). */
  devMailbox?: DevMailbox;
  /** The built site served on the same origin, if any. */
  siteDir?: string;
  /** The project's own frontend dev server command (`site.serveCommand`) and where it runs. */
  site: { root: string; serveCommand?: string };
  /** Reloads the project's entity files now (the watcher does it on change). */
  reload(): Promise<void>;
  /** Backend functions: deployments, processes, secrets, logs. */
  functions: FunctionsService;
  /** Redeploys the project's changed functions and re-reads base44/.env now (the watcher does it on change). */
  reloadFunctions(): Promise<void>;
  /** Automations declared in function.jsonc: entity triggers, schedules, runs. */
  automations: AutomationService;
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

/** The built site to serve: the one asked for, else the project's output folder once it holds an index.html. */
function builtSite(requested: string | undefined, outputDirectory: string): string | undefined {
  if (requested) {
    if (!existsSync(path.join(requested, 'index.html'))) throw new Error(`No index.html in ${requested}: build the site first`);
    return requested;
  }
  return existsSync(path.join(outputDirectory, 'index.html')) ? outputDirectory : undefined;
}

export async function startDevServer(input: DevConfigInput): Promise<DevServer> {
  const config = parseDevConfig(input);
  const logger = pino({ level: config.logLevel, base: undefined });
  const project = await loadProject(config.projectDir);
  const dataDir = path.join(project.root, '.homebase');
  await mkdir(dataDir, { recursive: true });

  const db = config.databaseUrl?.startsWith('postgres')
    ? await openPostgres(config.databaseUrl, {
        maxConnections: config.databaseConnections,
        announcer: config.redisUrl ? await redisAnnouncer(config.redisUrl, config.databaseUrl, logger) : undefined,
      })
    : await openPglite(config.databaseUrl === 'memory://' ? undefined : path.join(dataDir, 'pglite'));
  if (config.redisUrl && db.kind === 'pglite') logger.info('REDIS_URL is not used: the embedded database serves one process');
  try {
    await migrate(db);
    const app = await AppRuntime.open(db, project.appId, project.settings);
    const reportProblems = (problems: { file: string; message: string }[]) =>
      problems.forEach((p) => logger.error({ file: p.file }, `entity file skipped: ${p.message}`));
    reportProblems(project.problems);
    await app.setEntities(project.entities);

    const apps = new AppRegistry();
    apps.add(app);
    const secret = await loadSecret(dataDir);
    const tokens = new TokenService(secret);
    const authenticator = new Authenticator(db, tokens, config.sessionCheckSeconds * 1000);
    const records = new EntityRepository(db);
    const users = new UserService(db, records);
    const mailer = config.smtpUrl ? createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom }) : new DevMailbox(logger);
    const devMailbox = mailer instanceof DevMailbox ? mailer : undefined;
    const auth = new AuthService(db, records, users, authenticator, mailer, {
      defaults: {
        signup: config.signup,
        emailVerification: config.emailVerification,
        tokenLifetimeSeconds: config.userTokenSeconds,
        redirectOrigins: [],
        allowLocalhostRedirects: true,
        passwordLogin: true,
      },
      limits: config.authLimits,
      codeKey: createHmac('sha256', secret).update('auth-codes').digest(),
      logger,
    });
    // Function processes reach this server at its own URL, known once it listens.
    let functionsApiUrl = '';
    const functions = new FunctionsService(
      { db, tokens, authenticator, logger, secretsKey: deriveSecretsKey(secret), apiUrl: () => functionsApiUrl },
      {
        ...config.functions,
        denoDir: config.functions.denoDir ?? path.join(dataDir, 'deno-cache'),
        codeRoot: path.join(dataDir, 'functions'),
        deniedNet: deniedDestinations(config.databaseUrl, config.functions.denyNet),
        maxBodyBytes: config.maxFileBytes,
      },
    );
    const automations = new AutomationService(
      { db, deployments: functions.deployments, functions: functions.invoker, appIds: () => apps.all().map((a) => a.id), logger },
      config.automations,
    );
    const integrations = new CoreIntegrations();
    const fileStore = config.files.s3
      ? new S3FileStore(config.files.s3)
      : new LocalFileStore(config.files.dir ?? path.join(dataDir, 'files'));
    const files = new FileService(db, fileStore, createHmac('sha256', secret).update('file-urls').digest());
    registerFileIntegrations(integrations, files);
    registerSendEmail(integrations, { db, mailer, limit: config.sendEmailLimit, logger });
    const aiGateway = registerAiIntegrations(integrations, { files, llm: config.llm, images: config.images, logger });
    const appEvents = new AppEventLog(db);
    const appIntegrations = new AppIntegrations(db, new SecretBox(deriveSealingKey(secret, 'integration-credentials-v1')), config.integrations, logger);
    const siteDir = builtSite(config.siteDir, project.site.outputDirectory);
    const { maxArchiveBytes, ...unpackLimits } = config.siteLimits;
    const sites = new SiteDeployments(path.join(dataDir, 'sites'), unpackLimits);
    // `--site DIR` wins; else the last site uploaded through the management API; else the project's built output.
    const siteRoot = async () => (config.siteDir ? siteDir : ((await sites.liveDir(app.id)) ?? siteDir));
    const http = await buildHttpApp(
      { apps, tokens, authenticator, auth, records, users, integrations, aiGateway, appIntegrations, files, appEvents, mailer, devMailbox, functions, automations, sites },
      { logger, maxBodyBytes: config.maxBodyBytes, maxFileBytes: config.maxFileBytes, siteRoot, maxSiteArchiveBytes: maxArchiveBytes, trustProxy: config.trustProxy },
    );
    await http.listen({ port: config.port, host: config.host });
    const realtime = await startRealtime({
      httpServer: http.server,
      db,
      apps,
      logger,
      authenticate: (target, token) => authenticator.authenticate(target.id, token),
      accessUser: (target, principal) => users.accessUser(target, principal),
      pollMs: config.realtimePollSeconds * 1000,
    });
    const stopPruning = keepOutboxPruned(db, config.outboxRetentionSeconds, (error) =>
      logger.error({ err: { message: error.message } }, 'outbox pruning failed'),
    );
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const url = `http://${host}:${port}`;
    functionsApiUrl = url;
    const serviceToken = await tokens.signService(app.id, config.serviceTokenSeconds);
    await writeFile(path.join(dataDir, 'dev.json'), JSON.stringify({ url, appId: app.id, serviceToken }, null, 2), {
      mode: 0o600,
    });

    const applyEntities = async (result: Awaited<ReturnType<typeof readEntities>>) => {
      reportProblems(result.problems);
      await app.setEntities(result.entities);
      logger.info({ entities: result.entities.map((e) => e.name) }, 'entities reloaded');
    };
    const housekeeping = setInterval(() => {
      Promise.all([auth.prune(), appEvents.prune(APP_EVENT_DAYS), appIntegrations.prune()]).catch((error: Error) =>
        logger.error({ err: { message: error.message } }, 'housekeeping failed'),
      );
    }, HOUR_MS);
    housekeeping.unref();
    const stopWatching = config.watch
      ? watchEntities(project.entitiesDir, applyEntities, (error) => logger.error({ err: error }, 'entity reload failed'))
      : () => {};
    // .env values are defaults under secrets set through the API; functions deploy as `under_dev`.
    const applyFunctions = async () => {
      functions.secrets.setFileValues(app.id, await readEnvFiles(project.configDir));
      const found = await readFunctions(project.functionsDir);
      const result = await functions.syncProject(app.id, found.functions);
      [...found.problems, ...result.problems].forEach((p) => logger.error({ file: p.file }, `function skipped: ${p.message}`));
      if (result.deployed.length + result.removed.length > 0) logger.info({ deployed: result.deployed, removed: result.removed }, 'functions deployed');
    };
    await applyFunctions();
    await automations.start();
    const stopWatchingFunctions = config.watch
      ? watchFunctions(project.configDir, project.functionsDir, applyFunctions, (error) => logger.error({ err: error }, 'function reload failed'))
      : () => {};

    return {
      url,
      appId: app.id,
      serviceToken,
      database: db.kind,
      devMailbox,
      siteDir,
      site: { root: project.root, serveCommand: project.site.serveCommand },
      reload: async () => applyEntities(await readEntities(project.entitiesDir)),
      functions,
      reloadFunctions: applyFunctions,
      automations,
      close: async () => {
        stopWatching();
        stopWatchingFunctions();
        clearInterval(housekeeping);
        stopPruning();
        await automations.close();
        await realtime.close();
        await http.close();
        await functions.close();
        await mailer.close();
        await files.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close();
    throw error;
  }
}
