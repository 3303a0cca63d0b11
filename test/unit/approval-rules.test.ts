// Who may decide an approval, what counts as a change, and the messages: pure functions.
import { describe, expect, it } from 'vitest';
import { describeWindow, dropletChanges, dropletState, mayDecide, needsApproval, needsConfirmation, type ApprovalSettings } from '../../src/domain/approval-rules.js';
import type { Approval } from '../../src/store/approvals.js';
import type { Scope } from '../../src/domain/catalogue/index.js';
import { messageBlockProblems } from 'droplet-bot-sandbox';
import { APPROVE_ACTION_ID, approvalDecidedMessage, approvalRequestMessage, approvalRootMessage, approvalThreadLine } from '../../src/slack/renderers/approval-messages.js';

const settings: ApprovalSettings = { actions: ['rebuild', 'power_off'], approvers: ['admin', 'lead'], expires_after: 30 * 60_000 };
const access = (roles: string[], scopes: Scope[]) => ({ roles: new Set(roles), scopes: new Set(scopes) });
const ALL: Scope[] = ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'];

describe('needsApproval', () => {
  it('only for listed actions, and never without an approvals section', () => {
    expect(needsApproval(settings, 'rebuild')).toBe(true);
    expect(needsApproval(settings, 'reboot')).toBe(false);
    expect(needsApproval(undefined, 'rebuild')).toBe(false);
  });
});

describe('mayDecide', () => {
  const input = { user: 'U2', requester: 'U1', action: 'rebuild' as const };
  it('allows an approver with every scope the action needs', () => {
    expect(mayDecide(settings, access(['admin'], ALL), { ...input, decision: 'approve' })).toEqual({ ok: true });
  });
  it('never lets the requester approve, even as an admin, but lets them withdraw', () => {
    const self = { ...input, user: 'U1' };
    const r = mayDecide(settings, access(['admin'], ALL), { ...self, decision: 'approve' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toContain('cannot approve it yourself');
    expect(mayDecide(settings, access([], []), { ...self, decision: 'deny' })).toEqual({ ok: true });
  });
  it('refuses someone without an approver role, whatever their scopes', () => {
    const r = mayDecide(settings, access(['operator'], ALL), { ...input, decision: 'approve' });
    expect(!r.ok && r.reason).toContain('Only people with the `admin` or `lead` role may approve');
  });
  it('refuses an approver who lacks a scope the action needs, and names it', () => {
    const r = mayDecide(settings, access(['lead'], ['droplet:update']), { ...input, decision: 'deny' });
    expect(!r.ok && r.reason).toContain('To deny a `rebuild` you need the `droplet:admin` scope');
    expect(mayDecide(settings, access(['lead'], ['droplet:update']), { ...input, action: 'power_off', decision: 'approve' })).toEqual({ ok: true });
  });
});

describe('changes and confirmation', () => {
  const droplet = { status: 'active' as const, size_slug: 's-1vcpu-1gb', image: { id: 7, slug: 'ubuntu-24-04-x64' } };
  it('lists status, size and image changes', () => {
    const before = dropletState(droplet);
    expect(dropletChanges(before, before)).toEqual([]);
    const after = dropletState({ status: 'off', size_slug: 's-2vcpu-4gb', image: { id: 8, slug: null, distribution: 'Debian', name: '12 x64' } });
    expect(dropletChanges(before, after)).toEqual([
      { field: 'status', before: 'active', after: 'off' },
      { field: 'size', before: 's-1vcpu-1gb', after: 's-2vcpu-4gb' },
      { field: 'image', before: 'ubuntu-24-04-x64', after: 'Debian 12 x64' },
    ]);
  });
  it('asks for confirmation on data-destroying and irreversible actions only', () => {
    expect(needsConfirmation({ type: 'rebuild', image: 'debian-12-x64' })).toBe(true);
    expect(needsConfirmation({ type: 'restore', image: 5 })).toBe(true);
    expect(needsConfirmation({ type: 'resize', size: 's-2vcpu-4gb', disk: true })).toBe(true);
    expect(needsConfirmation({ type: 'resize', size: 's-2vcpu-4gb' })).toBe(false);
    expect(needsConfirmation({ type: 'power_off' })).toBe(false);
  });
  it('reads the window as people write it', () => {
    expect(describeWindow(30 * 60_000)).toBe('30 min');
    expect(describeWindow(2 * 3600_000)).toBe('2 h');
    expect(describeWindow(45_000)).toBe('45 s');
  });
});

describe('approval messages', () => {
  const a: Approval = {
    id: 'abc123',
    job: {
      requestId: 'r1',
      action: 'rebuild',
      body: { type: 'rebuild', image: 'debian-12-x64' },
      droplet: { id: 9, name: 'web-1' },
      requester: 'U1',
      channel: 'C0OPS',
      rootTs: '1.000100',
      requestedAt: 0,
    },
    before: { status: 'active', size: 's-1vcpu-1gb', imageId: 1, image: '<!everyone> & <http://x|y>' },
    requestedAt: 0,
    expiresAt: 30 * 60_000,
    message: { channel: 'C0OPS', ts: '1.000200' },
  };

  it('are valid Block Kit and escape what DigitalOcean returned', () => {
    for (const m of [approvalRequestMessage(a, settings), approvalDecidedMessage(a, 'denied', 'U2'), approvalRootMessage(a.job, 'expired'), approvalThreadLine(a, 'expired')]) {
      expect(messageBlockProblems(m.blocks ?? [])).toEqual([]);
      const all = JSON.stringify(m);
      expect(all).not.toContain('<!everyone>');
      expect(all).not.toContain('<http://x');
    }
    expect(JSON.stringify(approvalRequestMessage(a, settings).blocks)).toContain('&lt;!everyone&gt; &amp; &lt;http://x|y&gt;');
  });

  it('carry only the opaque ID on the buttons, and none once decided', () => {
    const req = JSON.stringify(approvalRequestMessage(a, settings).blocks);
    expect(req).toContain(`"action_id":"${APPROVE_ACTION_ID}"`);
    expect(req).toContain('"value":"abc123"');
    const done = approvalDecidedMessage(a, 'approved', 'U2', [{ field: 'status', before: 'active', after: 'off' }]);
    expect(JSON.stringify(done.blocks)).not.toContain(APPROVE_ACTION_ID);
    expect(JSON.stringify(done.blocks)).toContain('*Approved* by <@U2>');
    expect(JSON.stringify(done.blocks)).toContain('status `active` → `off`');
  });
});
