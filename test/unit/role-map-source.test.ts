// The role map reloads while the bot runs: a changed file within seconds, SIGHUP at once, and an
// invalid file never replaces the rules in force.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RoleMap } from '../../src/domain/policy.js';
import { RoleMapSource } from '../../src/roles/role-map-source.js';
import type { RoleMapError } from '../../src/roles/load-role-map.js';

const v1 = 'roles:\n  operator: [droplet:update]\nmembers:\n  U0ONE: [operator]\n';
const v2 = 'roles:\n  operator: [droplet:update]\nmembers:\n  U0ONE: [operator]\n  U0TWO: [operator]\n';
const broken = 'roles:\n  operator: [droplet:fly]\nmembers:\n  U0ONE: [operator]\n';

let source: RoleMapSource | undefined;
afterEach(() => source?.stop());

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'roles-live-')), 'roles.yml');
  writeFileSync(path, text);
  return path;
}

/** The next reload or invalid file the source reports: a definite signal, not a sleep. */
function next(events: { reloads: RoleMap[]; invalid: RoleMapError[] }): Promise<'reload' | 'invalid'> {
  const [r, i] = [events.reloads.length, events.invalid.length];
  return new Promise((resolve) => {
    const tick = setInterval(() => {
      if (events.reloads.length > r) resolve('reload');
      else if (events.invalid.length > i) resolve('invalid');
      else return;
      clearInterval(tick);
    }, 5);
  });
}

describe('RoleMapSource', () => {
  it('picks up a changed file by itself, and keeps the old rules when the new file is invalid', async () => {
    const path = file(v1);
    const events = { reloads: [] as RoleMap[], invalid: [] as RoleMapError[] };
    source = RoleMapSource.fromFile(path, { pollMs: 50, sighup: false, onReload: (m) => events.reloads.push(m), onInvalid: (e) => events.invalid.push(e) });
    source.start();
    expect(Object.keys(source.current.members)).toEqual(['U0ONE']);

    const reloaded = next(events);
    writeFileSync(path, v2);
    expect(await reloaded).toBe('reload');
    expect(Object.keys(source.current.members)).toEqual(['U0ONE', 'U0TWO']);

    const refused = next(events);
    writeFileSync(path, broken);
    expect(await refused).toBe('invalid');
    expect(events.invalid[0]!.message).toContain('roles.operator.0');
    expect(Object.keys(source.current.members)).toEqual(['U0ONE', 'U0TWO']);
    // Reported once for that content, not at every look.
    expect(source.reload()).toBe('unchanged');
    expect(events.invalid).toHaveLength(1);
  });

  it('reloads at once on SIGHUP', async () => {
    const path = file(v1);
    const events = { reloads: [] as RoleMap[], invalid: [] as RoleMapError[] };
    // Looks at the file only once an hour: the signal alone brings the change in.
    source = RoleMapSource.fromFile(path, { pollMs: 3_600_000, onReload: (m) => events.reloads.push(m) });
    source.start();
    writeFileSync(path, v2);
    const reloaded = next(events);
    process.kill(process.pid, 'SIGHUP');
    expect(await reloaded).toBe('reload');
    expect(Object.keys(source.current.members)).toContain('U0TWO');
  });

  it('a fixed source never changes', () => {
    const fixed = RoleMapSource.fixed({ roles: {}, members: {}, channels: {} });
    fixed.start();
    expect(fixed.reload()).toBe('unchanged');
  });

  it('a role map given as text (ROLE_MAP_YAML) is validated like a file, and names the setting when it is wrong', () => {
    const fromText = RoleMapSource.fromText(v2, 'in ROLE_MAP_YAML');
    expect(Object.keys(fromText.current.members)).toEqual(['U0ONE', 'U0TWO']);
    expect(fromText.reload(true)).toBe('unchanged');
    // The same rules as JSON (one line, easy to paste into a platform's settings) are YAML too.
    const json = JSON.stringify({ roles: { operator: ['droplet:update'] }, members: { U0ONE: ['operator'] } });
    expect(Object.keys(RoleMapSource.fromText(json, 'in ROLE_MAP_YAML').current.members)).toEqual(['U0ONE']);
    expect(() => RoleMapSource.fromText(broken, 'in ROLE_MAP_YAML')).toThrow(/Role map in ROLE_MAP_YAML is not valid:\n  - roles\.operator\.0/);
  });
});
