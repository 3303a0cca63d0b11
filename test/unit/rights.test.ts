// Rights scoped to Droplets and channels, channel guardrails, and the reasons the policy gives:
// pure functions over a role map in both the short and the long form.
import { describe, expect, it } from 'vitest';
import { grantsOf, roleMapSchema, roleSources, rolesOf } from '../../src/domain/policy.js';
import { allowedHere, decide, explain, refusalText } from '../../src/domain/rights.js';

const OPS = 'C0OPS0001';
const GENERAL = 'C0GENERAL';
const LOCKED = 'C0LOCKED1';

const map = roleMapSchema.parse({
  roles: {
    admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
    'web-operator': { scopes: ['droplet:update'], droplets: ['web-*', 'tag:env:staging', 3164444] },
    'ops-only': { scopes: ['droplet:update', 'droplet:admin'], channels: [OPS] },
  },
  members: { U0ADMIN: ['admin'], U0WEB: ['web-operator'], S0OPSTEAM: ['ops-only'] },
  channels: { [GENERAL]: { actions: ['power-on', 'reboot'] }, [LOCKED]: { actions: [] } },
});

const grantsFor = (user: string, groups: string[] = []) => grantsOf(map, rolesOf(map, user, groups), roleSources(map, user, groups));
const web1 = { id: 1, name: 'web-1', tags: [] };
const db1 = { id: 2, name: 'db-1', tags: ['env:prod'] };
const staging = { id: 3, name: 'stg-db', tags: ['env:staging'] };

describe('roles scoped to Droplets', () => {
  it('grant their scopes on matching names, tags and IDs only', () => {
    const g = grantsFor('U0WEB');
    expect(decide(map, g, 'reboot', { droplet: web1, channel: OPS }).allowed).toBe(true);
    expect(decide(map, g, 'reboot', { droplet: staging, channel: OPS }).allowed).toBe(true);
    expect(decide(map, g, 'reboot', { droplet: { id: 3164444, name: 'anything' }, channel: OPS }).allowed).toBe(true);
    const no = decide(map, g, 'reboot', { droplet: db1, channel: OPS });
    expect(no.allowed).toBe(false);
    expect(no.reason).toBe('You may not run `reboot` on *db-1* (2): it needs the `droplet:update` scope on this Droplet, and your roles grant it only on web-*, tag:env:staging, 3164444 (role `web-operator`).');
  });

  it('follow a tag as it is at each check', () => {
    const g = grantsFor('U0WEB');
    expect(decide(map, g, 'reboot', { droplet: { ...staging, tags: [] }, channel: OPS }).allowed).toBe(false);
  });
});

describe('roles scoped to channels', () => {
  it('grant their scopes only for requests from their channels', () => {
    const g = grantsFor('U0SOMEONE', ['S0OPSTEAM']);
    expect(decide(map, g, 'rebuild', { droplet: db1, channel: OPS }).allowed).toBe(true);
    const elsewhere = decide(map, g, 'rebuild', { droplet: db1, channel: 'C0RANDOM1' });
    expect(elsewhere.allowed).toBe(false);
    expect(elsewhere.reason).toContain('your roles grant them only in <#C0OPS0001> (role `ops-only`)');
    expect(allowedHere(map, g, OPS)).toContain('rebuild');
    expect(allowedHere(map, g, 'C0RANDOM1')).toEqual([]);
  });
});

describe('channel guardrails', () => {
  it('limit what anyone may do in a channel: rights ∩ guardrail', () => {
    const admin = grantsFor('U0ADMIN');
    expect(decide(map, admin, 'reboot', { droplet: db1, channel: GENERAL }).allowed).toBe(true);
    const rebuild = decide(map, admin, 'rebuild', { droplet: db1, channel: GENERAL });
    expect(rebuild.allowed).toBe(false);
    expect(rebuild.reason).toBe('You may not run `rebuild` here: <#C0GENERAL> allows only `power-on` and `reboot`, whoever asks.');
    expect(allowedHere(map, admin, GENERAL).sort()).toEqual(['power_on', 'reboot']);
  });

  it('an empty list allows nothing; an unlisted channel adds no limit; nothing is allowed by default', () => {
    const admin = grantsFor('U0ADMIN');
    expect(allowedHere(map, admin, LOCKED)).toEqual([]);
    expect(decide(map, admin, 'power_on', { channel: LOCKED }).reason).toContain('allows no Droplet actions');
    expect(allowedHere(map, admin, 'C0ANYWHERE')).toHaveLength(16);
    expect(allowedHere(map, grantsFor('U0NOBODY'), GENERAL)).toEqual([]);
    expect(decide(map, grantsFor('U0NOBODY'), 'power_on', { channel: GENERAL }).reason).toBe('You may not run `power-on`: it needs the `droplet:update` scope, which none of your roles grant.');
  });
});

describe('explain (/droplet can)', () => {
  it('names the role, how it is held and where it applies, the guardrail and approval', () => {
    const d = decide(map, grantsFor('U0SOMEONE', ['S0OPSTEAM']), 'rebuild', { droplet: db1, channel: OPS });
    const lines = explain(d, 'U0SOMEONE', { map, approval: '`rebuild` needs a second person\'s approval' });
    expect(lines[0]).toBe(':white_check_mark: *Yes*: <@U0SOMEONE> may run `rebuild` on *db-1* (2) in <#C0OPS0001>.');
    expect(lines).toContain('• `droplet:admin`: granted by role `ops-only` (through <!subteam^S0OPSTEAM>) on every Droplet, from <#C0OPS0001>');
    expect(lines).toContain('• No channel guardrail in <#C0OPS0001>');
    expect(lines.some((l) => l.startsWith('• Approval: needed'))).toBe(true);
  });

  it('says what is missing and what would change the answer', () => {
    const d = decide(map, grantsFor('U0WEB'), 'rebuild', { droplet: db1, channel: OPS });
    const lines = explain(d, 'U0WEB', { map });
    expect(lines[0]).toContain(':no_entry: *No*');
    expect(lines).toContain('• `droplet:update`: missing here; role `web-operator` grants it only on web-*, tag:env:staging, 3164444');
    expect(lines).toContain('• `droplet:admin`: missing; no role of theirs grants it');
    expect(lines.at(-1)).toBe('• To change it: a role that grants `droplet:update` and `droplet:admin` here, such as `admin` and `ops-only`');
    const railed = explain(decide(map, grantsFor('U0ADMIN'), 'rebuild', { droplet: db1, channel: GENERAL }), 'U0ADMIN', { map });
    expect(railed).toContain('• Channel guardrail: <#C0GENERAL> allows only `power-on` and `reboot`; `rebuild` is not among them');
    expect(railed.at(-1)).toContain('add it to `channels.C0GENERAL.actions`');
  });

  it('every refusal is its reason in one line, then what to do', () => {
    const text = refusalText(decide(map, grantsFor('U0WEB'), 'reboot', { droplet: db1, channel: OPS }).reason);
    expect(text.split('\n')).toHaveLength(1);
    expect(text).toMatch(/Nothing was done\. `\/droplet help` lists what you may run here/);
  });
});

describe('the role map format', () => {
  it('reads guardrail actions with hyphens or underscores, and refuses a channel that is not an ID', () => {
    expect(roleMapSchema.parse({ roles: {}, channels: { C0ABC: { actions: ['power-off', 'power_on'] } } }).channels.C0ABC!.actions).toEqual(['power_off', 'power_on']);
    expect(roleMapSchema.safeParse({ roles: {}, channels: { general: { actions: [] } } }).success).toBe(false);
    expect(roleMapSchema.safeParse({ roles: { r: { scopes: ['droplet:update'], channels: ['#ops'] } } }).success).toBe(false);
    expect(roleMapSchema.safeParse({ roles: { r: { scopes: ['droplet:update'], channels: [] } } }).success).toBe(false);
  });
});
