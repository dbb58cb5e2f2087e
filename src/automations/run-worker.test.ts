import { describe, expect, it } from 'vitest';
import { retryDelaySeconds } from './run-worker.js';

describe('failed runs are retried with exponential backoff and jitter', () => {
  it('waits between half and all of base·2^(attempt−1), capped', () => {
    const bounds = (attempt: number) => [retryDelaySeconds(attempt, 10, 3600, () => 0), retryDelaySeconds(attempt, 10, 3600, () => 1)];
    expect(bounds(1)).toEqual([5, 10]);
    expect(bounds(2)).toEqual([10, 20]);
    expect(bounds(4)).toEqual([40, 80]);
    expect(bounds(20)).toEqual([1800, 3600]);
  });
});
