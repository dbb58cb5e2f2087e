// Reads each committed change once on this node, for every app, and hands the changes in order to the fan-out.
// While the node has no subscriber it reads only on the poll: every read is a query the writes wait behind on PGlite.

import type { Logger } from 'pino';
import { Database, OutboxCursor, OutboxEvent, OutboxFollower, outboxCursor, readOutbox } from '../store/index.js';

const BATCH = 1000;
// Changes arriving during a read are read together this much later, so a burst of writes costs a few reads, not one each.
const BURST_GATHER_MS = 5;

export class OutboxListener {
  private cursor: OutboxCursor = { last: 0, pending: new Map() };
  private readonly follower: OutboxFollower;

  constructor(
    private readonly db: Database,
    private readonly deliver: (events: OutboxEvent[]) => void,
    private readonly logger: Logger,
    pollMs: number,
    /** Whether anyone on this node could receive a change now. */
    wanted: () => boolean,
  ) {
    this.follower = new OutboxFollower(db, { pollMs, read: () => this.readAll(), wantsAnnouncements: wanted, gatherMs: BURST_GATHER_MS });
  }

  /** Starts after everything committed so far: this node has no subscribers for older changes. */
  async start(): Promise<void> {
    this.cursor = await outboxCursor(this.db);
    await this.follower.start();
  }

  wake(): void {
    this.follower.wake();
  }

  /** Reads and hands over everything committed so far (a first subscriber gets no change older than its join). */
  catchUp(): Promise<void> {
    return this.follower.settle();
  }

  private async readAll(): Promise<void> {
    try {
      let more = true;
      while (more && !this.follower.closed) {
        const batch = await readOutbox(this.db, this.cursor, BATCH);
        if (batch.events.length > 0) this.handOver(batch.events);
        more = batch.more;
      }
    } catch (error) {
      // The cursor only moves past what was read, so the next wake-up (at the latest the poll) resumes here.
      if (!this.follower.closed) this.logger.error({ err: { message: (error as Error).message } }, 'reading the outbox failed');
    }
  }

  private handOver(events: OutboxEvent[]): void {
    try {
      this.deliver(events);
    } catch (error) {
      // A failure to deliver is a bug to report, not a reason to read the same changes again.
      this.logger.error({ err: { message: (error as Error).message } }, 'delivering outbox changes failed');
    }
  }

  close(): Promise<void> {
    return this.follower.close();
  }
}
