// Delivers queued runs: claims due ones (SKIP LOCKED, so nodes share the work), calls the function, records the
// attempt, and retries failures with exponential backoff and jitter until the run succeeds or is out of attempts.

import type { Logger } from 'pino';
import { HttpError } from '../errors.js';
import type { InternalCall } from '../functions/index.js';
import { ClaimedRun, Database, automationStore, newId } from '../store/index.js';
import type { AutomationCatalog } from './catalog.js';

export interface RunWorkerOptions {
  /** Runs this node delivers at once; 0 leaves delivery to other nodes. */
  concurrency: number;
  /** How long a claimed run stays this node's without a renewal; renewed every third of it. */
  leaseSeconds: number;
  maxAttempts: number;
  retryBaseSeconds: number;
  retryMaxSeconds: number;
  pollMs: number;
}

/** How runs reach their function (the functions' invoker). */
export interface FunctionCaller {
  call(appId: string, name: string, body: unknown, internal: InternalCall): Promise<{ status: number; text: string }>;
}

const ERROR_TEXT_CHARS = 1000;
// The function or its payload is wrong in a way another attempt cannot fix.
const PERMANENT_STATUSES = new Set([404, 413]);

/** Exponential backoff with "equal jitter": between half and all of base·2^(attempt−1), capped. */
export function retryDelaySeconds(attempt: number, baseSeconds: number, maxSeconds: number, random = Math.random): number {
  const delay = Math.min(maxSeconds, baseSeconds * 2 ** (attempt - 1));
  return delay / 2 + (random() * delay) / 2;
}

export class RunWorker {
  private readonly inFlight = new Map<string, { attempt: number; key: string; done: Promise<void> }>();
  private claiming: Promise<void> | undefined;
  private claimAgain = false;
  private closed = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly perAutomation: number;

  constructor(
    private readonly db: Database,
    private readonly catalog: AutomationCatalog,
    private readonly functions: FunctionCaller,
    private readonly logger: Logger,
    private readonly options: RunWorkerOptions,
  ) {
    // One busy automation may not take every slot: the others' runs keep moving.
    this.perAutomation = Math.max(1, Math.ceil(options.concurrency / 2));
  }

  start(): void {
    if (this.options.concurrency === 0) return;
    const poll = setInterval(() => this.wake(), this.options.pollMs);
    const heartbeat = setInterval(() => void this.renewLeases(), (this.options.leaseSeconds * 1000) / 3);
    for (const timer of [poll, heartbeat]) timer.unref();
    this.timers.push(poll, heartbeat);
    this.wake();
  }

  /** Claims what is due now, or once more after the claim under way. */
  wake(): void {
    if (this.closed || this.options.concurrency === 0) return;
    if (this.claiming) {
      this.claimAgain = true;
      return;
    }
    this.claiming = this.fill().finally(() => {
      this.claiming = undefined;
    });
  }

  private async fill(): Promise<void> {
    do {
      this.claimAgain = false;
      try {
        while (!this.closed && this.inFlight.size < this.options.concurrency) {
          const limit = this.options.concurrency - this.inFlight.size;
          const runs = await automationStore.claimRuns(this.db, {
            limit,
            leaseSeconds: this.options.leaseSeconds,
            maxAttempts: this.options.maxAttempts,
            perAutomation: this.perAutomation,
            inFlight: this.inFlightByAutomation(),
          });
          for (const run of runs) this.begin(run);
          // Fewer than asked for: nothing more is due for this node until a delivery ends or time passes.
          if (runs.length < limit) break;
        }
      } catch (error) {
        if (!this.closed) this.logger.error({ err: { message: (error as Error).message } }, 'claiming automation runs failed');
      }
    } while (this.claimAgain && !this.closed);
  }

  private inFlightByAutomation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { key } of this.inFlight.values()) counts[key] = (counts[key] ?? 0) + 1;
    return counts;
  }

  private begin(run: ClaimedRun): void {
    const key = automationStore.automationKey(run.appId, run.functionName, run.automation);
    const done = this.deliver(run)
      .catch((error: Error) => this.logger.error({ err: { message: error.message }, runId: run.id }, 'recording an automation run failed'))
      .finally(() => {
        this.inFlight.delete(run.id);
        this.wake();
      });
    this.inFlight.set(run.id, { attempt: run.attempt, key, done });
  }

  private async deliver(run: ClaimedRun): Promise<void> {
    const { automations } = await this.catalog.forApp(run.appId);
    if (!automations.some((a) => a.functionName === run.functionName && a.automation.name === run.automation)) {
      await automationStore.killRun(this.db, run.id, run.attempt, `the automation is no longer deployed with function ${run.functionName}`);
      return;
    }
    const invocationId = newId();
    const started = Date.now();
    let httpStatus: number | null;
    let error: string | null = null;
    let permanent = false;
    try {
      const answer = await this.functions.call(run.appId, run.functionName, run.body, { caller: { kind: 'automation', name: run.automation }, invocationId });
      httpStatus = answer.status;
      if (answer.status < 200 || answer.status > 299) error = `HTTP ${answer.status}: ${answer.text.slice(0, ERROR_TEXT_CHARS)}`;
    } catch (failure) {
      if (!(failure instanceof Error)) throw failure;
      httpStatus = failure instanceof HttpError ? failure.status : null;
      permanent = failure instanceof HttpError && PERMANENT_STATUSES.has(failure.status);
      error = failure.message.slice(0, ERROR_TEXT_CHARS);
    }
    const retry = error !== null && !permanent && run.attempt < this.options.maxAttempts;
    await automationStore.finishAttempt(this.db, {
      runId: run.id,
      attempt: run.attempt,
      succeeded: error === null,
      durationMs: Date.now() - started,
      httpStatus,
      error,
      invocationId,
      retryInSeconds: retry ? retryDelaySeconds(run.attempt, this.options.retryBaseSeconds, this.options.retryMaxSeconds) : null,
    });
    if (error !== null && !retry) {
      this.logger.warn({ runId: run.id, automation: run.automation, function: run.functionName, attempts: run.attempt }, `automation run dead: ${error}`);
    }
  }

  private async renewLeases(): Promise<void> {
    try {
      await automationStore.renewLeases(
        this.db,
        [...this.inFlight].map(([id, { attempt }]) => ({ id, attempt })),
        this.options.leaseSeconds,
      );
    } catch (error) {
      this.logger.error({ err: { message: (error as Error).message } }, 'renewing automation leases failed');
    }
  }

  /** Stops claiming and waits up to `graceMs` for deliveries under way; the rest are retried when their lease ends. */
  async close(graceMs: number): Promise<void> {
    this.closed = true;
    this.timers.forEach((timer) => clearInterval(timer));
    await this.claiming;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.inFlight.values()].map((run) => run.done)),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
  }
}
