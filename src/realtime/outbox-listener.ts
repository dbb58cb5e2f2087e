// Follows the outbox on one node: woken by commit announcements (NOTIFY on PostgreSQL) and a slow poll, in case one
// is lost, it reads each committed change once, for every app, and hands the changes in order to the fan-out.

import type { Logger } from 'pino';
import { Database, OutboxCursor, OutboxEvent, outboxCursor, readOutbox } from '../store/index.js';

const BATCH = 1000;

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
  ) {}

  /** Starts after everything committed so far: this node has no subscribers for older changes. */
  async start(): Promise<void> {
    this.cursor = await outboxCursor(this.db);
    this.stopListening = await this.db.followOutbox(
      () => this.wake(),
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

  private async drain(): Promise<void> {
    do {
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
