// The activity feed's judgement: which listed actions are someone else's to report, which wait
// for a POST of the bot's own to answer, and which are the bot's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ANY_DROPLET, judge, type FeedView, type ListedAction } from '../../src/domain/activity.js';

const action = (extra: Partial<ListedAction> = {}): ListedAction => ({
  id: 50,
  status: 'in-progress',
  type: 'reboot',
  started_at: '2026-12-04T12:00:00Z',
  completed_at: null,
  resource_id: 7,
  resource_type: 'droplet',
  region_slug: 'nyc3',
  ...extra,
});
const view = (extra: Partial<FeedView> = {}): FeedView => ({ floor: 10, ours: new Set(), marks: [], seen: new Set(), open: new Set(), waiting: new Set(), skewMs: 30_000, ...extra });
const at = (iso: string) => Date.parse(iso);

describe('judge', () => {
  it('reports someone else’s new action, once, and its end only while following it', () => {
    expect(judge(action(), view())).toBe('new');
    expect(judge(action(), view({ seen: new Set([50]) }))).toBe('none');
    expect(judge(action(), view({ seen: new Set([50]), open: new Set([50]) }))).toBe('none');
    expect(judge(action({ status: 'errored' }), view({ seen: new Set([50]), open: new Set([50]) }))).toBe('ended');
    expect(judge(action({ id: 10 }), view())).toBe('none');
    // Followed or held back before the floor rose past it: still judged.
    expect(judge(action({ id: 10, status: 'errored' }), view({ open: new Set([10]), seen: new Set([10]) }))).toBe('ended');
    expect(judge(action({ id: 10 }), view({ waiting: new Set([10]) }))).toBe('new');
  });

  it('never reports the bot’s own', () => {
    expect(judge(action(), view({ ours: new Set([50]) }))).toBe('ours');
    expect(judge(action(), view({ ours: new Set([50]), seen: new Set([50]) }))).toBe('none');
  });

  it('waits while a POST of the same type to the same Droplet (or any, by tag) has not answered', () => {
    const mark = { dropletId: 7, type: 'reboot', at: at('2026-12-04T12:00:10Z') };
    expect(judge(action(), view({ marks: [mark] }))).toBe('wait');
    expect(judge(action(), view({ marks: [{ ...mark, dropletId: ANY_DROPLET }] }))).toBe('wait');
    expect(judge(action(), view({ marks: [{ ...mark, dropletId: 8 }] }))).toBe('new');
    expect(judge(action(), view({ marks: [{ ...mark, type: 'power_off' }] }))).toBe('new');
    // Started well before the POST (more than the clocks' skew): not the POST's.
    expect(judge(action(), view({ marks: [{ ...mark, at: at('2026-12-04T12:01:00Z') }] }))).toBe('new');
  });

  it('never calls an action of the bot’s own new, whatever else is known', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100 }), fc.boolean(), fc.boolean(), fc.constantFrom('in-progress', 'completed', 'errored'), (floor, seen, open, status) => {
        const v = view({ floor, ours: new Set([50]), seen: new Set(seen ? [50] : []), open: new Set(open ? [50] : []) });
        return judge(action({ status: status as ListedAction['status'] }), v) !== 'new' && judge(action({ status: status as ListedAction['status'] }), v) !== 'ended';
      }),
    );
  });
});
