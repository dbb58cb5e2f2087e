// Backend functions as one service: deployments, the process pool, secrets, logs and invocation, wired together.
// Built once by a server; `close()` stops every function process and writes the last log lines.

import type { FastifyBaseLogger } from 'fastify';
import type { Authenticator, TokenService } from '../auth/index.js';
import { HttpError } from '../errors.js';
import type { ProjectFunction } from '../project/index.js';
import { SecretBox, type Database } from '../store/index.js';
import { DeploymentService } from './deployments.js';
import { FunctionInvoker } from './invoker.js';
import { FunctionLogs } from './logs.js';
import { WorkerPool } from './pool.js';
import { SecretService } from './secrets.js';

export interface FunctionsConfig {
  /** Where deployments are written out for Deno. */
  codeRoot: string;
  /** Deno's module cache, shared by every function so `npm:` imports download once. */
  denoDir: string;
  /** Extra CA certificates (PEM) for functions' outgoing TLS and module downloads. */
  caCertFile?: string;
  /** Where functions may not connect (deniedDestinations). */
  deniedNet: string[];
  memoryMb: number;
  timeoutMs: number;
  idleMs: number;
  startTimeoutMs: number;
  maxBodyBytes: number;
  logRetentionDays: number;
  maxLogLinesPerInvocation: number;
}

export interface FunctionsDeps {
  db: Database;
  tokens: TokenService;
  authenticator: Authenticator;
  logger: FastifyBaseLogger;
  /** AES-256 key for secrets at rest (deriveSecretsKey of the server secret). */
  secretsKey: Buffer;
  /** This server's URL as function processes reach it. */
  apiUrl(): string;
}

export class FunctionsService {
  readonly deployments: DeploymentService;
  readonly secrets: SecretService;
  readonly logs: FunctionLogs;
  readonly pool: WorkerPool;
  readonly invoker: FunctionInvoker;

  constructor(deps: FunctionsDeps, config: FunctionsConfig) {
    this.logs = new FunctionLogs(deps.db, deps.logger, {
      retentionDays: config.logRetentionDays,
      maxLinesPerInvocation: config.maxLogLinesPerInvocation,
    });
    this.pool = new WorkerPool(
      { denoDir: config.denoDir, caCertFile: config.caCertFile, deniedNet: config.deniedNet, memoryMb: config.memoryMb, startTimeoutMs: config.startTimeoutMs, idleMs: config.idleMs, failureMemoryMs: 2000 },
      (launch, line) => this.logs.line(launch.appId, launch.functionName, line),
    );
    this.deployments = new DeploymentService(deps.db, config.codeRoot, (_appId, deploymentId) => this.pool.retireDeployment(deploymentId));
    this.secrets = new SecretService(deps.db, new SecretBox(deps.secretsKey), (appId) => this.pool.retireApp(appId));
    this.invoker = new FunctionInvoker(this.deployments, this.pool, this.secrets, this.logs, deps.tokens, deps.authenticator, {
      timeoutMs: config.timeoutMs,
      maxBodyBytes: config.maxBodyBytes,
      apiUrl: deps.apiUrl,
    });
  }

  /**
   * Makes an app's functions match a project folder (dev): changed ones get a new deployment, ones whose folder is
   * gone are deleted. Functions deployed through the API are left alone.
   */
  async syncProject(appId: string, functions: ProjectFunction[]): Promise<{ deployed: string[]; removed: string[]; problems: { file: string; message: string }[] }> {
    const deployed: string[] = [];
    const removed: string[] = [];
    const problems: { file: string; message: string }[] = [];
    for (const fn of functions) {
      try {
        const result = await this.deployments.deploy(appId, fn.name, fn, 'project');
        if (result.status === 'deployed') deployed.push(fn.name);
      } catch (error) {
        if (!(error instanceof HttpError)) throw error;
        problems.push({ file: `functions/${fn.name}`, message: error.message });
      }
    }
    const present = new Set(functions.map((f) => f.name));
    for (const [name, live] of await this.deployments.liveByName(appId)) {
      if (live.source !== 'project' || present.has(name)) continue;
      await this.deployments.remove(appId, name);
      removed.push(name);
    }
    return { deployed, removed, problems };
  }

  async close(): Promise<void> {
    await this.pool.close();
    await this.logs.close();
  }
}
