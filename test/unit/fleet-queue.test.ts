import { describe, expect, it } from 'vitest';
import { MAX_STEP_BACKOFF_MS, cappedBackoff } from '../../src/queue/fleet-queue.js';

describe("a fleet coordinator's retries", () => {
  it('back off from 1 s, doubling, and never wait longer than 30 s however often a step failed', () => {
    expect([1, 2, 3, 4, 5].map(cappedBackoff)).toEqual([1000, 2000, 4000, 8000, 16_000]);
    expect(cappedBackoff(6)).toBe(MAX_STEP_BACKOFF_MS);
    expect(cappedBackoff(999)).toBe(MAX_STEP_BACKOFF_MS);
    expect(MAX_STEP_BACKOFF_MS).toBe(30_000);
  });
});
