// The Home tab's view stays inside Block Kit's limits whatever it holds: at most 100 blocks, at
// most 5 options in a Droplet's menu, section text under 3000 characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES } from '../../src/domain/catalogue/index.js';
import { HOME_PAGE_SIZE, MAX_VIEW_BLOCKS, decodeHomeState, encodeHomeState, homeView, matchesFilter, menuActions } from '../../src/slack/renderers/home-view.js';

const droplet = fc.record({
  id: fc.integer({ min: 1, max: 2 ** 31 }),
  name: fc.string({ minLength: 1, maxLength: 255 }),
  status: fc.constantFrom('active', 'off', 'new'),
  size: fc.constantFrom('s-1vcpu-1gb', 'g-32vcpu-128gb'),
  region: fc.constantFrom('nyc3', 'ams3'),
  tags: fc.array(fc.string({ minLength: 1, maxLength: 255 }), { maxLength: 30 }),
  actions: fc.subarray([...ACTION_TYPES]),
});

const approval = fc.record({
  kind: fc.constantFrom('request' as const, 'fleet' as const),
  id: fc.string({ minLength: 1, maxLength: 300 }),
  action: fc.constantFrom(...ACTION_TYPES),
  target: fc.string({ maxLength: 2000 }),
  requester: fc.constant('U1'),
  expiresAt: fc.integer({ min: 0, max: 4e12 }),
  channel: fc.constant('C1'),
  rootTs: fc.constantFrom('', '1.2'),
});
const recentItem = fc.record({
  kind: fc.constantFrom('request' as const, 'fleet' as const),
  id: fc.string({ minLength: 1, maxLength: 300 }),
  at: fc.integer({ min: 0, max: 4e12 }),
  action: fc.constantFrom(...ACTION_TYPES),
  target: fc.string({ maxLength: 2000 }),
  state: fc.string({ maxLength: 5000 }),
  phase: fc.constantFrom('waiting' as const, 'running' as const, 'done' as const, 'failed' as const),
});

describe('homeView', () => {
  it('never exceeds Block Kit’s limits', () => {
    fc.assert(
      fc.property(fc.array(droplet, { maxLength: 60 }), fc.nat(100), fc.option(fc.string({ maxLength: 100 }), { nil: undefined }), fc.array(approval, { maxLength: 60 }), fc.array(recentItem, { maxLength: 30 }), fc.boolean(), (droplets, page, filter, approvals, recent, hasRights) => {
        const view = homeView({ hasRights, droplets, total: droplets.length + page * HOME_PAGE_SIZE, page, approvals, recent, notice: 'n', ...(filter ? { filter } : {}) });
        expect(view.blocks.length).toBeLessThanOrEqual(MAX_VIEW_BLOCKS);
        for (const b of view.blocks as Array<{ type: string; text?: { text: string }; accessory?: { options: unknown[] } }>) {
          if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
          if (b.accessory) expect(b.accessory.options.length).toBeLessThanOrEqual(5);
        }
        expect((view.private_metadata ?? '').length).toBeLessThanOrEqual(3000);
      }),
      { numRuns: 200 },
    );
  });

  it('bounds the worst case: a full page of long names with many long tags', () => {
    const worst = Array.from({ length: 60 }, (_, i) => ({ id: i + 1, name: '&'.repeat(255), status: 'active', size: 's', region: 'r', tags: Array.from({ length: 50 }, () => '<'.repeat(255)), actions: [...ACTION_TYPES] }));
    const approvals = Array.from({ length: 50 }, (_, i) => ({ kind: 'fleet' as const, id: `f${i}`, action: 'reboot' as const, target: '<'.repeat(2000), requester: 'U1', expiresAt: 0, channel: 'C1', rootTs: '1.2' }));
    const recent = Array.from({ length: 20 }, (_, i) => ({ kind: 'request' as const, id: `r${i}`, at: 0, action: 'reboot', target: '&'.repeat(255), dropletId: i, state: '>'.repeat(5000), phase: 'failed' as const, channel: 'C1', ts: '1.2' }));
    const view = homeView({ hasRights: true, droplets: worst, total: 10_000, page: 3, filter: 'x'.repeat(100), approvals, recent, notice: 'n' });
    expect(view.blocks.length).toBeLessThanOrEqual(MAX_VIEW_BLOCKS);
    for (const b of view.blocks as Array<{ type: string; text?: { text: string } }>) if (b.type === 'section') expect(b.text!.text.length).toBeLessThanOrEqual(3000);
  });

  it('puts the common actions first in a Droplet’s menu, and the form for the rest', () => {
    expect(menuActions(['rebuild', 'power_on', 'reboot', 'snapshot', 'shutdown', 'power_cycle'])).toEqual({ first: ['reboot', 'power_cycle', 'shutdown', 'power_on'], more: true });
    expect(menuActions([])).toEqual({ first: [], more: false });
  });

  it('filters by part of a name, or by tag', () => {
    const d = { name: 'web-12', tags: ['env:prod'] };
    expect(matchesFilter(d, 'WEB-1')).toBe(true);
    expect(matchesFilter(d, 'tag:env:prod')).toBe(true);
    expect(matchesFilter(d, 'env:prod')).toBe(true);
    expect(matchesFilter(d, 'tag:env')).toBe(false);
    expect(matchesFilter(d, 'db')).toBe(false);
  });

  it('carries its page and filter, and reads back anything malformed as the first page', () => {
    expect(decodeHomeState(encodeHomeState(3, 'tag:web'))).toEqual({ page: 3, filter: 'tag:web' });
    expect(decodeHomeState('{"p":-1}')).toEqual({ page: 0 });
    expect(decodeHomeState('not json')).toEqual({ page: 0 });
  });
});
