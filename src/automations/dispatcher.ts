// Turns committed record changes into queued runs of the entity automations they match. The automations' place in
// the outbox lives in the database and moves in the transaction that queues the runs: a crash repeats or loses nothing.

import type { Logger } from 'pino';
import { Database, OutboxCursor, OutboxEvent, OutboxFollower, Sql, automationStore, newId, outboxHasChangesOf, readOutbox } from '../store/index.js';
import type { AutomationCatalog } from './catalog.js';

const BATCH = 500;
/** Base44 leaves the record out of the payload above this size (seed 000 §9). */
export const MAX_PAYLOAD_BYTES = 200 * 1024;

export class Dispatcher {
  private readonly follower: OutboxFollower;
  /** The cursor as this node last saw it (another node may have moved it on since: that only makes looks wider). */
  private seenCursor: OutboxCursor = { last: 0, pending: new Map() };

  constructor(
    private readonly db: Database,
    private readonly catalog: AutomationCatalog,
    /** The apps this node serves; changes of others are matched too, once their automations are loaded. */
    private readonly appIds: () => string[],
    private readonly logger: Logger,
    pollMs: number,
    /** Called after runs were queued, so this node's worker takes them at once. */
    private readonly onQueued: () => void,
  ) {
    // A commit announcement leads to the cursor transaction only when a change some entity automation wants was
    // committed: otherwise every write would pay for a transaction that queues nothing (on PGlite, in the same
    // thread: writes ran at half speed). The poll still reads and moves the cursor, so pruning is not held back, and
    // reloads the automations: changes made just after an automation is deployed are queued on that poll at the
    // latest; none is missed.
    this.follower = new OutboxFollower(db, {
      pollMs,
      read: (announcedOnly) => this.queueRuns(announcedOnly),
      wantsAnnouncements: () => this.wantedKinds().length > 0,
    });
  }

  async start(): Promise<void> {
    await this.warnIfPruned();
    await this.follower.start();
  }

  wake(): void {
    this.follower.wake();
  }

  /** The changes (`appId:Entity:type`) the loaded entity automations of this node's apps fire on. */
  private wantedKinds(): string[] {
    const kinds = new Set<string>();
    for (const appId of this.appIds()) {
      for (const { automation } of this.catalog.loaded(appId)?.automations ?? []) {
        if (automation.type === 'entity') automation.eventTypes.forEach((type) => kinds.add(`${appId}:${automation.entityName}:${type}`));
      }
    }
    return [...kinds];
  }

  private async queueRuns(announcedOnly: boolean): Promise<void> {
    const appIds = new Set(this.appIds());
    try {
      if (announcedOnly && !(await outboxHasChangesOf(this.db, this.seenCursor, this.wantedKinds()))) return;
      let more = true;
      while (more && !this.follower.closed) {
        await Promise.all([...appIds].map((appId) => this.catalog.forApp(appId)));
        const batch = await this.dispatchBatch();
        if (batch.unknownApps.length > 0) {
          batch.unknownApps.forEach((appId) => appIds.add(appId));
          continue;
        }
        if (batch.saved) this.seenCursor = batch.saved;
        if (batch.queued > 0) this.onQueued();
        more = batch.more;
      }
    } catch (error) {
      // Nothing moved: the next wake-up (at the latest the poll) reads the same changes again.
      if (!this.follower.closed) this.logger.error({ err: { message: (error as Error).message } }, 'queuing automation runs failed');
    }
  }

  /** One transaction: lock the cursor, read changes after it, queue their runs, move the cursor. */
  private dispatchBatch(): Promise<{ queued: number; more: boolean; unknownApps: string[]; saved?: OutboxCursor }> {
    return this.db.transaction(async (tx) => {
      const cursor = await automationStore.lockAutomationCursor(tx);
      const before = cursorSignature(cursor);
      const { events, more } = await readOutbox(tx, cursor, BATCH);
      const unknownApps = [...new Set(events.map((e) => e.appId))].filter((appId) => !this.catalog.loaded(appId));
      // Matching needs those apps' automations, which cannot be read inside this transaction on PGlite.
      if (unknownApps.length > 0) return { queued: 0, more, unknownApps };
      const runs = await this.match(tx, events);
      await automationStore.insertEntityRuns(tx, runs, MAX_PAYLOAD_BYTES);
      if (cursorSignature(cursor) !== before) await automationStore.saveAutomationCursor(tx, cursor);
      return { queued: runs.length, more, unknownApps, saved: cursor };
    });
  }

  private async match(tx: Sql, events: OutboxEvent[]): Promise<automationStore.EntityRunInput[]> {
    const runs: automationStore.EntityRunInput[] = [];
    const appIds = [...new Set(events.map((e) => e.appId))];
    const interested = appIds.filter((appId) => this.catalog.loaded(appId)!.automations.some((a) => a.automation.type === 'entity'));
    if (interested.length === 0) return runs;
    const overrides = await automationStore.activeOverrides(tx, interested);
    for (const event of events) {
      for (const { functionName, automation } of this.catalog.loaded(event.appId)!.automations) {
        if (automation.type !== 'entity' || automation.entityName !== event.entity || !automation.eventTypes.includes(event.type)) continue;
        // Declared inactive and not resumed: off. Paused at runtime: queued all the same, held until resumed.
        const resumed = overrides.get(automationStore.automationKey(event.appId, functionName, automation.name)) === true;
        if (!automation.isActive && !resumed) continue;
        runs.push({
          id: newId(),
          appId: event.appId,
          position: event.position,
          recordKey: `${event.entity}:${event.recordId}`,
          isCreate: event.type === 'create',
          functionName,
          automation: automation.name,
          functionArgs: automation.functionArgs,
        });
      }
    }
    return runs;
  }

  /**
   * Changes pruned from the outbox (after outboxRetentionSeconds) before automations read them are gone: a gap
   * between the cursor and the oldest change says so (or that the writes in between rolled back).
   */
  private async warnIfPruned(): Promise<void> {
    const cursor = await this.db.transaction((tx) => automationStore.lockAutomationCursor(tx));
    const oldest = await automationStore.oldestOutboxPosition(this.db);
    if (oldest !== undefined && oldest > cursor.last + 1) {
      this.logger.warn({ after: cursor.last, oldest }, 'outbox changes may have been pruned before automations queued their runs');
    }
  }

  close(): Promise<void> {
    return this.follower.close();
  }
}

function cursorSignature(cursor: { last: number; pending: Map<number, bigint> }): string {
  return `${cursor.last}:${[...cursor.pending.keys()].join(',')}`;
}
