// Automations as one service: the dispatcher (entity changes), the scheduler (ticks) and the run worker, started
// together, plus what operators do with them: list, pause, resume, run now, and read the run history.

import type { Logger } from 'pino';
import { badRequest, conflict, notFound } from '../errors.js';
import { Database, RunRecord, automationStore, newId } from '../store/index.js';
import { AutomationCatalog, DeployedAutomation, LiveDeployments } from './catalog.js';
import type { Schedule } from './definition.js';
import { Dispatcher } from './dispatcher.js';
import { FunctionCaller, RunWorker } from './run-worker.js';
import { nextTick } from './schedule.js';
import { Scheduler } from './scheduler.js';

export interface AutomationsConfig {
  /** Off: this node neither queues nor delivers runs (another node does); the management calls still work. */
  enabled: boolean;
  /** The shortest interval a recurring schedule may have (Base44: 5 minutes). */
  minIntervalSeconds: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  concurrency: number;
  leaseSeconds: number;
  pollSeconds: number;
  historyDays: number;
}

export interface AutomationsDeps {
  db: Database;
  deployments: LiveDeployments;
  functions: FunctionCaller;
  /** The apps this node serves. */
  appIds(): string[];
  logger: Logger;
}

export interface AutomationView {
  name: string;
  functionName: string;
  type: string;
  description: string | null;
  /** Whether it fires now: a runtime pause or resume, else `is_active` as declared. */
  isActive: boolean;
  declaredActive: boolean;
  entityName?: string;
  eventTypes?: string[];
  schedule?: Schedule;
  functionArgs?: Record<string, unknown>;
  nextRunDate?: string;
  openRuns: number;
  deadRuns: number;
  lastRun?: RunRecord;
  /** Why a declared automation cannot run. */
  problem?: string;
}

const HOUR_MS = 60 * 60 * 1000;
const CLOSE_GRACE_MS = 5000;

export class AutomationService {
  readonly catalog: AutomationCatalog;
  private readonly dispatcher: Dispatcher;
  private readonly scheduler: Scheduler;
  private readonly worker: RunWorker;
  private pruner: NodeJS.Timeout | undefined;

  constructor(
    private readonly deps: AutomationsDeps,
    private readonly config: AutomationsConfig,
  ) {
    const { db, logger } = deps;
    this.catalog = new AutomationCatalog(deps.deployments, config.minIntervalSeconds, (problem) =>
      logger.error({ function: problem.functionName, automation: problem.name }, `automation skipped: ${problem.message}`),
    );
    const pollMs = config.pollSeconds * 1000;
    this.worker = new RunWorker(db, this.catalog, deps.functions, logger, {
      concurrency: config.concurrency,
      leaseSeconds: config.leaseSeconds,
      maxAttempts: config.maxAttempts,
      retryBaseSeconds: config.retryBaseSeconds,
      retryMaxSeconds: config.retryMaxSeconds,
      pollMs,
    });
    const queued = () => this.worker.wake();
    this.dispatcher = new Dispatcher(db, this.catalog, deps.appIds, logger, pollMs, queued);
    this.scheduler = new Scheduler(db, this.catalog, deps.appIds, logger, { pollMs }, queued);
  }

  async start(): Promise<void> {
    if (!this.config.enabled) return;
    await this.dispatcher.start();
    this.scheduler.start();
    this.worker.start();
    const prune = () =>
      void automationStore
        .pruneRuns(this.deps.db, this.config.historyDays)
        .catch((error: Error) => this.deps.logger.error({ err: { message: error.message } }, 'pruning automation runs failed'));
    this.pruner = setInterval(prune, HOUR_MS);
    this.pruner.unref();
    prune();
  }

  async list(appId: string): Promise<AutomationView[]> {
    const [{ automations, problems }, states, totals] = await Promise.all([
      this.catalog.forApp(appId),
      automationStore.automationStates(this.deps.db, appId),
      automationStore.runTotals(this.deps.db, appId),
    ]);
    const views: AutomationView[] = automations.map(({ functionName, automation }) => {
      const state = states.find((s) => s.functionName === functionName && s.name === automation.name);
      const total = totals.find((t) => t.functionName === functionName && t.automation === automation.name);
      const isActive = state?.activeOverride ?? automation.isActive;
      const view: AutomationView = {
        name: automation.name,
        functionName,
        type: automation.type,
        description: automation.description,
        isActive,
        declaredActive: automation.isActive,
        functionArgs: automation.functionArgs,
        openRuns: total?.open ?? 0,
        deadRuns: total?.dead ?? 0,
        lastRun: total?.last,
      };
      if (automation.type === 'entity') return { ...view, entityName: automation.entityName, eventTypes: automation.eventTypes };
      const fresh = state?.anchor && state.scheduleHash === automation.scheduleHash;
      const next = isActive && fresh ? nextTick(automation.schedule, state.anchor!, state.lastTick ?? state.anchor!) : undefined;
      return { ...view, schedule: automation.schedule, ...(next ? { nextRunDate: next.toISOString() } : {}) };
    });
    for (const problem of problems) {
      views.push({
        name: problem.name,
        functionName: problem.functionName,
        type: problem.type,
        description: null,
        isActive: false,
        declaredActive: false,
        openRuns: 0,
        deadRuns: 0,
        problem: problem.message,
      });
    }
    return views.sort((a, b) => (a.name === b.name ? a.functionName.localeCompare(b.functionName) : a.name.localeCompare(b.name)));
  }

  async runs(appId: string, name: string, functionName: string | undefined, query: automationStore.RunQuery): Promise<RunRecord[]> {
    const found = await this.find(appId, name, functionName);
    return automationStore.listRuns(this.deps.db, appId, found.functionName, found.automation.name, query);
  }

  async run(appId: string, runId: string): Promise<RunRecord> {
    const run = await automationStore.findRun(this.deps.db, appId, runId);
    if (!run) throw notFound(`Run ${runId.slice(0, 40)} not found`);
    return run;
  }

  /**
   * Pauses or resumes an automation until the next pause or resume, whatever function.jsonc says. A paused entity
   * automation's changes are still queued and wait for the resume; a paused schedule's ticks are skipped.
   */
  async setActive(appId: string, name: string, functionName: string | undefined, active: boolean): Promise<DeployedAutomation> {
    const found = await this.find(appId, name, functionName);
    await automationStore.setActiveOverride(this.deps.db, appId, found.functionName, found.automation.name, active);
    this.scheduler.wake();
    if (active) this.worker.wake();
    return found;
  }

  /** Queues a run now, paused or not: a schedule's gets its `function_args`; entity automations need a change. */
  async runNow(appId: string, name: string, functionName: string | undefined): Promise<RunRecord> {
    const found = await this.find(appId, name, functionName);
    if (found.automation.type !== 'scheduled') throw badRequest(`${name} is an entity automation: it runs when ${found.automation.entityName} records change`);
    const id = newId();
    await automationStore.insertManualRun(this.deps.db, {
      id,
      appId,
      functionName: found.functionName,
      automation: found.automation.name,
      body: found.automation.functionArgs,
    });
    this.worker.wake();
    return this.run(appId, id);
  }

  /** The automation a name means; the same name in two functions needs the function's name too. */
  private async find(appId: string, name: string, functionName: string | undefined): Promise<DeployedAutomation> {
    const { automations, problems } = await this.catalog.forApp(appId);
    const named = automations.filter((a) => a.automation.name === name && (functionName === undefined || a.functionName === functionName));
    if (named.length === 1) return named[0];
    if (named.length > 1) {
      throw conflict(`${named.length} functions declare an automation named ${name} (${named.map((a) => a.functionName).join(', ')}): name the function too`);
    }
    const broken = problems.find((p) => p.name === name && (functionName === undefined || p.functionName === functionName));
    if (broken) throw badRequest(`Automation ${name} of ${broken.functionName} cannot run: ${broken.message}`);
    throw notFound(`Automation ${name.slice(0, 100)}${functionName ? ` of function ${functionName.slice(0, 100)}` : ''} not found`);
  }

  async close(): Promise<void> {
    clearInterval(this.pruner);
    await Promise.all([this.dispatcher.close(), this.scheduler.close()]);
    await this.worker.close(CLOSE_GRACE_MS);
  }
}
