import { describe, expect, it } from 'vitest';
import { afterAckQueue } from '../../src/slack/after-ack.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('afterAckQueue', () => {
  it('runs at most `concurrency` chains at once, in arrival order', async () => {
    const run = afterAckQueue(2, 10_000);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        run(async () => {
          order.push(i);
          active++;
          peak = Math.max(peak, active);
          await sleep(10);
          active--;
        }),
      ),
    );
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('lets the next chain start when one waits on slow I/O longer than maxHoldMs', async () => {
    const run = afterAckQueue(1, 50);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let slowDone = false;
    const slow = run(async () => {
      await gate;
      slowDone = true;
    });
    // With one place, the quick chain can only run once the slow one has given its place up.
    await run(async () => {});
    expect(slowDone).toBe(false);
    release();
    await slow;
  });

  it('passes results and errors through', async () => {
    const run = afterAckQueue();
    expect(await run(async () => 42)).toBe(42);
    await expect(run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await run(async () => 'still works')).toBe('still works');
  });
});
