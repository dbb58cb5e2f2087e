// Follows the outbox for one reader on this node: woken by commit announcements (NOTIFY on PostgreSQL), on every
// (re)connection, and by a slow poll in case an announcement is lost. One read runs at a time; wake-ups during a read
// collapse into one more read after it.

import type { Database } from './database.js';

export interface FollowerOptions {
  pollMs: number;
  /**
   * Reads everything committed so far. It handles its own failures: the next wake-up reads again. `announcedOnly`:
   * only commit announcements asked for this read (not a poll, a (re)connection or a caller), so a reader may first
   * check cheaply whether anything it cares about was committed and leave the rest to the poll.
   */
  read: (announcedOnly: boolean) => Promise<void>;
  /** Whether a commit announcement wakes the reader now; (re)connections and the poll always do. */
  wantsAnnouncements?: () => boolean;
  /** Announcements arriving during a read are read together this much later, so a burst costs a few reads. */
  gatherMs?: number;
}

export class OutboxFollower {
  private reading: Promise<void> | undefined;
  private readAgain = false;
  /** Whether something other than an announcement asked for the next read. */
  private fullReadWanted = true;
  private stopped = false;
  private stopListening: () => Promise<void> = async () => {};
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly options: FollowerOptions,
  ) {}

  get closed(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    const { wantsAnnouncements = () => true } = this.options;
    this.stopListening = await this.db.followOutbox(
      () => {
        if (wantsAnnouncements()) this.wake(false);
      },
      () => this.wake(),
    );
    this.poll = setInterval(() => this.wake(), this.options.pollMs);
    this.poll.unref();
  }

  /** Reads now, or once more after the read under way; `full` unless only a commit announcement asks. */
  wake(full = true): void {
    if (this.stopped) return;
    if (full) this.fullReadWanted = true;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = this.readUntilQuiet().finally(() => {
      this.reading = undefined;
    });
  }

  /** Wakes the reader and waits until it has read everything committed so far. */
  async settle(): Promise<void> {
    this.wake();
    while (this.reading) await this.reading;
  }

  private async readUntilQuiet(): Promise<void> {
    do {
      if (this.readAgain && this.options.gatherMs) await new Promise((resolve) => setTimeout(resolve, this.options.gatherMs));
      this.readAgain = false;
      const announcedOnly = !this.fullReadWanted;
      this.fullReadWanted = false;
      await this.options.read(announcedOnly);
    } while (this.readAgain && !this.stopped);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.poll);
    await this.stopListening().catch(() => {});
    await this.reading;
  }
}
