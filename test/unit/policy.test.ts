import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ACTION_TYPES, requiredScopes } from '../../src/domain/catalogue/index.js';
import { allowedActions, authorize, grantsOf, roleMapSchema, rolesOf, scopesOf, type Grant } from '../../src/domain/policy.js';
import type { ActionType } from '../../src/domain/catalogue/index.js';
import type { Selectable } from '../../src/domain/fleet/selector.js';
import { allowedHere, decide } from '../../src/domain/rights.js';
import { AccessResolver } from '../../src/domain/access.js';
import { loadRoleMap, parseRoleMap } from '../../src/roles/load-role-map.js';

const map = roleMapSchema.parse({
  roles: { operator: ['droplet:update'], resizer: ['droplet:update', 'droplet:create'], admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'] },
  members: { U0ADMIN: ['admin'], U0OPS: ['operator'], S0RESIZE: ['resizer'] },
});

function writeTemp(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'roles-'));
  const file = join(dir, 'roles.yml');
  writeFileSync(file, text);
  return file;
}

describe('scopes each action needs', () => {
  it('matches DigitalOcean: droplet:update for all, plus admin/create/image where the API asks', () => {
    const extra = Object.fromEntries(ACTION_TYPES.map((a) => [a, requiredScopes(a).filter((s) => s !== 'droplet:update')]));
    for (const a of ACTION_TYPES) expect(requiredScopes(a)).toContain('droplet:update');
    expect(extra).toMatchObject({ restore: ['droplet:admin'], password_reset: ['droplet:admin'], rebuild: ['droplet:admin'], resize: ['droplet:create'], snapshot: ['image:create'], reboot: [] });
    expect(ACTION_TYPES.filter((a) => extra[a]!.length > 0).sort()).toEqual(['password_reset', 'rebuild', 'resize', 'restore', 'snapshot']);
  });
});

describe('authorize', () => {
  it('refuses a rebuild without droplet:admin and names the missing scope', () => {
    const scopes = scopesOf(map, rolesOf(map, 'U0OPS', []));
    expect(authorize(scopes, 'rebuild')).toEqual({ allowed: false, missing: ['droplet:admin'] });
    expect(authorize(scopes, 'reboot')).toEqual({ allowed: true });
  });

  it('denies everything to someone not in the map', () => {
    const scopes = scopesOf(map, rolesOf(map, 'U0NOBODY', []));
    expect(allowedActions(scopes)).toEqual([]);
    expect(authorize(scopes, 'reboot')).toEqual({ allowed: false, missing: ['droplet:update'] });
  });

  it('grants roles through user groups', () => {
    const scopes = scopesOf(map, rolesOf(map, 'U0SOMEONE', ['S0RESIZE']));
    expect(authorize(scopes, 'resize')).toEqual({ allowed: true });
    expect(authorize(scopes, 'snapshot')).toEqual({ allowed: false, missing: ['image:create'] });
  });

  it('lets an admin run all 16', () => {
    expect(allowedActions(scopesOf(map, rolesOf(map, 'U0ADMIN', [])))).toHaveLength(16);
  });
});

describe('AccessResolver', () => {
  it('asks Slack for group members once within the cache time', async () => {
    let calls = 0;
    const resolver = new AccessResolver(map, {
      members: async () => {
        calls++;
        return ['U0SOMEONE'];
      },
    });
    expect([...(await resolver.of('U0SOMEONE')).scopes].sort()).toEqual(['droplet:create', 'droplet:update']);
    expect([...(await resolver.of('U0OTHER')).scopes]).toEqual([]);
    expect(calls).toBe(1);
  });

  it('asks again after a failed lookup', async () => {
    let calls = 0;
    const resolver = new AccessResolver(map, {
      members: async () => {
        calls++;
        if (calls === 1) throw new Error('ratelimited');
        return [];
      },
    });
    expect((await resolver.of('U0X')).unchecked).toEqual(['S0RESIZE']);
    expect((await resolver.of('U0X')).unchecked).toEqual([]);
    expect(calls).toBe(2);
  });

  it('keeps direct rights when a user-group lookup fails, and reports the failure', async () => {
    const failures: string[] = [];
    const resolver = new AccessResolver(
      map,
      {
        members: async () => {
          throw new Error('ratelimited');
        },
      },
      60_000,
      (group, err) => failures.push(`${group}: ${err.message}`),
    );
    const admin = await resolver.of('U0ADMIN');
    expect(admin.scopes.size).toBeGreaterThan(0);
    expect(admin.unchecked).toEqual(['S0RESIZE']);
    expect([...(await resolver.of('U0SOMEONE')).scopes]).toEqual([]);
    expect(failures).toEqual(['S0RESIZE: ratelimited', 'S0RESIZE: ratelimited']);
  });
});

describe('role map file', () => {
  it('loads the shipped example, a team whose rules read as its comments say', () => {
    const loaded = loadRoleMap(new URL('../../roles.example.yml', import.meta.url).pathname);
    expect(Object.keys(loaded.roles)).toEqual(['platform-admin', 'web-team', 'db-team', 'staging', 'on-call']);
    const grants = (user: string, groups: string[]) => grantsOf(loaded, rolesOf(loaded, user, groups));
    const web = grants('U0WEBBY', ['S0WEBTEAM']);
    expect(decide(loaded, web, 'resize', { droplet: { id: 1, name: 'web-1' }, channel: 'C0OPS0001' }).allowed).toBe(true);
    expect(decide(loaded, web, 'reboot', { droplet: { id: 2, name: 'db-1' }, channel: 'C0OPS0001' }).allowed).toBe(false);
    const db = grants('U0DBA', ['S0DBTEAM1']);
    expect(decide(loaded, db, 'snapshot', { droplet: { id: 2, name: 'db-1' }, channel: 'C0DBOPS01' }).allowed).toBe(true);
    expect(decide(loaded, db, 'snapshot', { droplet: { id: 2, name: 'db-1' }, channel: 'C0OPS0001' }).allowed).toBe(false);
    expect(decide(loaded, db, 'rebuild', { droplet: { id: 3, name: 'x', tags: ['env:staging'] }, channel: 'C0OPS0001' }).allowed).toBe(true);
    const admin = grants('U0123ABCD', []);
    expect(allowedHere(loaded, admin, 'C0GENERAL')).toEqual(['power_on']);
    expect(loaded.approvals?.fleet_min).toBe(10);
  });

  it('names the bad field', () => {
    expect(() => loadRoleMap(writeTemp('roles:\n  ops: [droplet:reboot]\n'))).toThrow(/roles\.ops\.0: Invalid option/);
    expect(() => loadRoleMap(writeTemp('roles:\n  ops: [droplet:update]\nmembers:\n  bob: [ops]\n'))).toThrow(/members\.bob: must be a Slack user ID/);
    expect(() => loadRoleMap(writeTemp('roles:\n  ops: [droplet:update]\nmembers:\n  U0123ABCD: [opz]\n'))).toThrow(/members\.U0123ABCD\.0: role "opz" is not defined/);
    expect(() => loadRoleMap(writeTemp('roles:\n  ops: [droplet:update]\nmembrs: {}\n'))).toThrow(/unknown field\(s\) "membrs"/);
    expect(() => loadRoleMap(writeTemp('members: {}\n'))).toThrow(/roles: /);
  });

  it('reports YAML syntax errors and a missing file with what to do', () => {
    expect(() => loadRoleMap(writeTemp('roles: [unclosed\n'))).toThrow(/not valid YAML/);
    expect(() => loadRoleMap('/nonexistent/roles.yml')).toThrow(/Copy roles.example.yml/);
  });

  it('parses approvals with durations', () => {
    const parsed = parseRoleMap(
      { roles: { admin: ['droplet:update'] }, approvals: { actions: ['rebuild'], approvers: ['admin'], expires_after: '2h' } },
      'test',
    );
    expect(parsed.approvals?.expires_after).toBe(2 * 3600 * 1000);
    expect(() => parseRoleMap({ roles: { admin: [] }, approvals: { actions: ['reboot'], approvers: ['admin'], expires_after: '10 minutes' } }, 'test')).toThrow(
      /approvals\.expires_after: must be a number followed by s, m or h/,
    );
  });
});

describe('roles scoped to Droplets', () => {
  const scopedYaml = (text: string) => parseRoleMap(parseYaml(text), 'roles.yml');
  const scoped = scopedYaml(`
roles:
  operator: [droplet:update]
  web-operator:
    scopes: [droplet:update]
    droplets: ["web-*", "tag:env:staging", 3164446]
  snapshotter:
    scopes: [droplet:update, image:create]
    droplets: [db-1]
members:
  U0WEB: [web-operator]
  U0BOTH: [web-operator, snapshotter]
  U0ALL: [operator]
`);
  const grantsFor = (user: string) => {
    const roles = rolesOf(scoped, user, []);
    return grantsOf(scoped, roles);
  };
  const web1 = { id: 1, name: 'web-1', tags: ['web'] };
  const db1 = { id: 2, name: 'db-1', tags: ['db'] };
  const stagingDb = { id: 3, name: 'db-staging', tags: ['db', 'env:staging'] };
  const byId = { id: 3164446, name: 'anything' };
  /** The decision on one Droplet, from any channel, as allowed or the missing scopes. */
  const authorizeOn = (grants: Grant[], action: ActionType, droplet: Selectable) => {
    const d = decide(scoped, grants, action, { droplet });
    return d.allowed ? { allowed: true } : { allowed: false, missing: d.scopes.filter((s) => !s.by).map((s) => s.scope) };
  };

  it('grants a long-form role only on the names, patterns, tags and IDs it lists; the short form on every Droplet', () => {
    const web = grantsFor('U0WEB');
    expect(authorizeOn(web, 'reboot', web1)).toEqual({ allowed: true });
    expect(authorizeOn(web, 'reboot', stagingDb)).toEqual({ allowed: true });
    expect(authorizeOn(web, 'reboot', byId)).toEqual({ allowed: true });
    expect(authorizeOn(web, 'reboot', db1)).toEqual({ allowed: false, missing: ['droplet:update'] });
    expect(authorizeOn(grantsFor('U0ALL'), 'reboot', db1)).toEqual({ allowed: true });
  });

  it('takes each scope from any role that covers the Droplet: the union over roles', () => {
    const both = grantsFor('U0BOTH');
    expect(authorizeOn(both, 'snapshot', db1)).toEqual({ allowed: true });
    expect(authorizeOn(both, 'snapshot', web1)).toEqual({ allowed: false, missing: ['image:create'] });
  });

  it('refuses a droplets list that is empty or holds something that is not a Droplet, naming the field', () => {
    expect(() => scopedYaml('roles:\n  r:\n    scopes: [droplet:update]\n    droplets: []\n')).toThrow(/roles\.r\.droplets/);
    expect(() => scopedYaml('roles:\n  r:\n    scopes: [droplet:update]\n    droplets: ["web/*"]\n')).toThrow(/not a name pattern/);
    expect(() => scopedYaml('roles:\n  r:\n    scopes: [droplet:update]\n    droplets: ["a,b"]\n')).toThrow(/one Droplet per entry/);
    expect(() => scopedYaml('roles:\n  r:\n    scopes: [droplet:update]\n    tags: [web]\n')).toThrow();
  });
});
