// Queues scheduled automations' runs when their ticks come. Each node may try; the automation's state row, locked
// while a tick is decided, and one run row per (automation, tick) make every tick run once across all nodes.

import type { Logger } from 'pino';
import { Database, automationStore, newId } from '../store/index.js';
import type { AutomationCatalog, DeployedAutomation } from './catalog.js';
import type { ScheduledAutomation } from './definition.js';
import { latestTick, nextTick } from './schedule.js';

export interface SchedulerOptions {
  /** The longest wait between passes, so new deployments and other nodes' pauses are seen. */
  pollMs: number;
  now?: () => Date;
}

export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private passing: Promise<void> | undefined;
  private passAgain = false;
  private closed = false;
  private readonly now: () => Date;

  constructor(
    private readonly db: Database,
    private readonly catalog: AutomationCatalog,
    private readonly appIds: () => string[],
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
    private readonly onQueued: () => void,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  start(): void {
    this.wake();
  }

  /** Looks at every schedule now (after a pause, a resume or a deploy), or once more after the pass under way. */
  wake(): void {
    if (this.closed) return;
    if (this.passing) {
      this.passAgain = true;
      return;
    }
    clearTimeout(this.timer);
    this.passing = this.passes().finally(() => {
      this.passing = undefined;
    });
  }

  private async passes(): Promise<void> {
    let waitMs = this.options.pollMs;
    do {
      this.passAgain = false;
      try {
        waitMs = Math.min(this.options.pollMs, await this.pass());
      } catch (error) {
        if (!this.closed) this.logger.error({ err: { message: (error as Error).message } }, 'scheduling automations failed');
      }
    } while (this.passAgain && !this.closed);
    if (this.closed) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, waitMs));
    this.timer.unref();
  }

  /** Queues every due tick; answers how long until the next one. */
  async pass(): Promise<number> {
    let untilNext = Infinity;
    for (const appId of this.appIds()) {
      const scheduled = (await this.catalog.forApp(appId)).automations.filter(
        (a): a is DeployedAutomation & { automation: ScheduledAutomation } => a.automation.type === 'scheduled',
      );
      if (scheduled.length === 0) continue;
      let states = await automationStore.automationStates(this.db, appId);
      const stateOf = (functionName: string, name: string) => states.find((s) => s.functionName === functionName && s.name === name);
      const unstarted = scheduled.filter(({ functionName, automation }) => {
        const state = stateOf(functionName, automation.name);
        return state?.scheduleHash !== automation.scheduleHash || !state.anchor;
      });
      for (const { functionName, automation, deployedAt } of unstarted) {
        await automationStore.startSchedule(this.db, appId, functionName, automation.name, automation.scheduleHash, deployedAt);
      }
      if (unstarted.length > 0) states = await automationStore.automationStates(this.db, appId);
      for (const { functionName, automation } of scheduled) {
        const state = stateOf(functionName, automation.name);
        if (!state?.anchor || state.scheduleHash !== automation.scheduleHash || ended(automation, state.tickCount)) continue;
        let due = nextTick(automation.schedule, state.anchor, state.lastTick ?? state.anchor);
        if (due && due <= this.now()) {
          await this.tick(appId, functionName, automation);
          due = nextTick(automation.schedule, state.anchor, this.now());
        }
        if (due) untilNext = Math.min(untilNext, due.getTime() - this.now().getTime());
      }
    }
    return untilNext;
  }

  /**
   * Decides one automation's due ticks under its state's lock. After downtime several may be due: one run stands for
   * them all (the latest tick, noting the first one missed), never a burst. Ticks due while paused are skipped.
   */
  private async tick(appId: string, functionName: string, automation: ScheduledAutomation): Promise<void> {
    const queued = await this.db.transaction(async (tx) => {
      const state = await automationStore.lockState(tx, appId, functionName, automation.name);
      if (!state?.anchor || state.scheduleHash !== automation.scheduleHash || ended(automation, state.tickCount)) return false;
      const now = this.now();
      const first = nextTick(automation.schedule, state.anchor, state.lastTick ?? state.anchor);
      if (!first || first > now) return false;
      const latest = latestTick(automation.schedule, state.anchor, now) ?? first;
      const active = state.activeOverride ?? automation.isActive;
      const run = { id: newId(), appId, functionName, automation: automation.name, body: automation.functionArgs };
      const inserted = active && (await automationStore.insertTickRun(tx, run, latest, first < latest ? first : undefined));
      await automationStore.advanceSchedule(tx, appId, functionName, automation.name, latest, inserted);
      return inserted;
    });
    if (queued) this.onQueued();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.passing;
  }
}

function ended(automation: ScheduledAutomation, tickCount: number): boolean {
  const { schedule } = automation;
  return schedule.mode === 'one-time' ? tickCount >= 1 : schedule.ends.type === 'after' && tickCount >= schedule.ends.count;
}
