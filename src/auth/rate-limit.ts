// Fixed-window attempt limits for sign-in, sign-up, codes, resets and mail, per client IP, email or app. The counters
// live in the database, so a cluster of nodes allows the limit once, not once per node.

import { tooManyRequests } from '../errors.js';
import { type Sql, countAttempt, forgetAttempts, pruneAttempts } from '../store/index.js';

export interface Limit {
  attempts: number;
  windowSeconds: number;
}

export class RateLimiter {
  constructor(private readonly db: Sql) {}

  /** Counts one attempt under `key`; past the limit, a 429 telling when to retry. */
  async hit(key: string, limit: Limit, message = 'Too many attempts, try again later'): Promise<void> {
    const { hits, secondsLeft } = await countAttempt(this.db, key, limit.windowSeconds);
    if (hits > limit.attempts) throw tooManyRequests(message, Math.max(1, Math.ceil(secondsLeft)));
  }

  /** Forgets the attempts under `key` (a successful sign-in clears that email's failures). */
  reset(key: string): Promise<void> {
    return forgetAttempts(this.db, key);
  }

  /** Drops the windows that have ended. */
  prune(): Promise<void> {
    return pruneAttempts(this.db);
  }
}
