import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { denseWindow, expectation, learn, LEARN_MIN, nextLook, paceFor, sampleOf, type Learned } from '../../src/digitalocean/look-schedule.js';

const pace = paceFor(2000);
const reboot: Learned = { meanMs: 10_000, devMs: 200, n: 5 };

describe('when the poller looks at an action', () => {
  it('derives its cadences from STATUS_POLL_MS', () => {
    expect(paceFor(2000)).toEqual({ pollMs: 2000, denseMs: 1000, sparseMs: 10_000 });
    expect(paceFor(250).denseMs).toBe(250);
  });

  it('looks at the steady cadence while nothing is learned of its kind', () => {
    expect(nextLook(5000, 0, undefined, pace)).toBe(7000);
    // Started after the last listing: counted from its start.
    expect(nextLook(5000, 6000, undefined, pace)).toBe(8000);
    // No listing yet, start unknown: due at once.
    expect(nextLook(-Infinity, undefined, undefined, pace)).toBe(-Infinity);
  });

  it('looks sparsely before the expected end, densely near it, steadily once overdue', () => {
    // A 10 s reboot with a small spread: the window opens 1 s (the timestamps' resolution) early.
    expect(denseWindow(reboot)).toEqual({ from: 9000, to: 13_000 });
    expect(nextLook(-Infinity, 0, reboot, pace)).toBe(9000);
    expect(nextLook(9000, 0, reboot, pace)).toBe(10_000);
    expect(nextLook(12_500, 0, reboot, pace)).toBe(13_500);
    expect(nextLook(13_000, 0, reboot, pace)).toBe(15_000);
    // A listing just before the window opens counts as its first look: 50 reboots sent within a
    // second share their listings instead of asking for one each as their windows open.
    expect(nextLook(9000, 200, reboot, pace)).toBe(10_000);
    expect(nextLook(9000, 1500, reboot, pace)).toBe(10_500);
    // A snapshot of three minutes: a look every 10 s until the window opens.
    const snapshot: Learned = { meanMs: 180_000, devMs: 5000, n: 4 };
    expect(nextLook(0, 0, snapshot, pace)).toBe(10_000);
    expect(denseWindow(snapshot).from).toBe(170_000);
    expect(nextLook(165_000, 0, snapshot, pace)).toBe(170_000);
  });

  it('never asks for a look later than the sparse cadence, nor earlier than the last listing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.option(fc.record({ meanMs: fc.integer({ min: 0, max: 3_600_000 }), devMs: fc.integer({ min: 0, max: 600_000 }), n: fc.integer({ min: 1, max: 100 }) }), { nil: undefined }),
        fc.integer({ min: 250, max: 60_000 }),
        (last, start, expected, pollMs) => {
          const p = paceFor(pollMs);
          const next = nextLook(last, start, expected, p);
          const base = Math.max(last, start);
          expect(next).toBeGreaterThan(base);
          expect(next - base).toBeLessThanOrEqual(p.sparseMs);
        },
      ),
    );
  });
});

describe('what the poller learns', () => {
  it('averages evenly at first, then moves with recent durations', () => {
    let l = learn(undefined, 10_000);
    l = learn(l, 12_000);
    expect(l).toEqual({ meanMs: 11_000, devMs: 1000, n: 2 });
    for (let i = 0; i < 30; i++) l = learn(l, 20_000);
    expect(l.meanMs).toBeGreaterThan(19_900);
    expect(l.devMs).toBeLessThan(100);
  });

  it('uses a region once it has enough of it, else the type across regions, else nothing', () => {
    const learned = new Map<string, Learned>([
      ['reboot|nyc1', { meanMs: 9000, devMs: 0, n: LEARN_MIN }],
      ['reboot|*', { meanMs: 11_000, devMs: 0, n: 10 }],
      ['snapshot|*', { meanMs: 60_000, devMs: 0, n: LEARN_MIN - 1 }],
      ['resize|ams3', { meanMs: 60_000, devMs: 0, n: 1 }],
      ['resize|*', { meanMs: 60_000, devMs: 0, n: LEARN_MIN }],
    ]);
    expect(expectation(learned, 'reboot', 'nyc1')?.meanMs).toBe(9000);
    expect(expectation(learned, 'reboot', 'sfo3')?.meanMs).toBe(11_000);
    expect(expectation(learned, 'reboot', undefined)?.meanMs).toBe(11_000);
    expect(expectation(learned, 'snapshot', 'nyc1')).toBeUndefined();
    expect(expectation(learned, 'resize', 'ams3')?.n).toBe(LEARN_MIN);
    expect(expectation(learned, undefined, 'nyc1')).toBeUndefined();
  });

  it('learns only from completed actions with both timestamps', () => {
    expect(sampleOf({ status: 'completed', started_at: '2026-12-04T10:00:00Z', completed_at: '2026-12-04T10:00:11Z' })).toBe(11_000);
    expect(sampleOf({ status: 'errored', started_at: '2026-12-04T10:00:00Z', completed_at: '2026-12-04T10:00:11Z' })).toBeUndefined();
    expect(sampleOf({ status: 'completed', started_at: '2026-12-04T10:00:00Z', completed_at: null })).toBeUndefined();
    expect(sampleOf({ status: 'completed', started_at: '2026-12-04T10:00:11Z', completed_at: '2026-12-04T10:00:00Z' })).toBeUndefined();
  });
});
