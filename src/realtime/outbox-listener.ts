// Follows the outbox on one node: woken by commit announcements (NOTIFY on PostgreSQL) and a slow poll, in case one
// is lost, it reads each committed change once, for every app, and hands the changes in order to the fan-out.
// While the node has no subscriber it reads only on the poll: every read is a query the writes wait behind on PGlite.

import type { Logger } from 'pino';
import { Database, OutboxCursor, OutboxEvent, outboxCursor, readOutbox } from '../store/index.js';

const BATCH = 1000;
// Changes arriving during a read are read together this much later, so a burst of writes costs a few reads, not one each.
const BURST_GATHER_MS = 5;

export class OutboxListener {
  private cursor: OutboxCursor = { last: 0, pending: new Map() };
  private reading: Promise<void> | undefined;
  private readAgain = false;
  private closed = false;
  private stopListening: () => Promise<void> = async () => {};
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly deliver: (events: OutboxEvent[]) => void,
    private readonly logger: Logger,
    private readonly pollMs: number,
    /** Whether anyone on this node could receive a change now. */
    private readonly wanted: () => boolean,
  ) {}

  /** Starts after everything committed so far: this node has no subscribers for older changes. */
  async start(): Promise<void> {
    this.cursor = await outboxCursor(this.db);
    this.stopListening = await this.db.followOutbox(
      () => {
        if (this.wanted()) this.wake();
      },
      // (Re)connected: whatever committed while no one listened is read now.
      () => this.wake(),
    );
    this.poll = setInterval(() => this.wake(), this.pollMs);
    this.poll.unref();
  }

  /** Reads now, or once more after the read under way: notifications arriving meanwhile collapse into one read. */
  wake(): void {
    if (this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.drain().finally(() => {
      this.reading = undefined;
    });
  }

  /** Reads and hands over everything committed so far (a first subscriber gets no change older than its join). */
  async catchUp(): Promise<void> {
    this.wake();
    while (this.reading) await this.reading;
  }

  private async drain(): Promise<void> {
    do {
      if (this.readAgain) await new Promise((resolve) => setTimeout(resolve, BURST_GATHER_MS));
      this.readAgain = false;
      try {
        let more = true;
        while (more && !this.closed) {
          const batch = await readOutbox(this.db, this.cursor, BATCH);
          if (batch.events.length > 0) this.handOver(batch.events);
          more = batch.more;
        }
      } catch (error) {
        // The cursor only moves past what was read, so the next wake-up (at the latest the poll) resumes here.
        if (!this.closed) this.logger.error({ err: { message: (error as Error).message } }, 'reading the outbox failed');
      }
    } while (this.readAgain && !this.closed);
  }

  private handOver(events: OutboxEvent[]): void {
    try {
      this.deliver(events);
    } catch (error) {
      // A failure to deliver is a bug to report, not a reason to read the same changes again.
      this.logger.error({ err: { message: (error as Error).message } }, 'delivering outbox changes failed');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    await this.stopListening().catch(() => {});
    await this.reading;
  }
}
