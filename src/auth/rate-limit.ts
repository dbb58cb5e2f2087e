// Fixed-window attempt counters for sign-in, sign-up, codes and resets, per client IP and per email.
// Kept in each node's memory: a cluster of N nodes allows up to N times the limit, which still stops brute force.

import { tooManyRequests } from '../errors.js';

export interface Limit {
  attempts: number;
  windowSeconds: number;
}

interface Window {
  count: number;
  resetsAt: number;
}

const MAX_KEYS = 100_000;

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Counts one attempt under `key`; past the limit, a 429 telling when to retry. */
  hit(key: string, limit: Limit): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || window.resetsAt <= now) {
      if (this.windows.size >= MAX_KEYS) this.sweep(now);
      window = { count: 0, resetsAt: now + limit.windowSeconds * 1000 };
      this.windows.set(key, window);
    }
    window.count += 1;
    if (window.count > limit.attempts) {
      throw tooManyRequests('Too many attempts, try again later', Math.max(1, Math.ceil((window.resetsAt - now) / 1000)));
    }
  }

  /** Forgets the attempts under `key` (a successful sign-in clears that email's failures). */
  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.resetsAt <= now) this.windows.delete(key);
    // Still full of live windows: drop the oldest half rather than grow without bound.
    if (this.windows.size >= MAX_KEYS) [...this.windows.keys()].slice(0, MAX_KEYS / 2).forEach((key) => this.windows.delete(key));
  }
}
