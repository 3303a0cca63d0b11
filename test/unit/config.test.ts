import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = { SLACK_BOT_TOKEN: 'xoxb-1-abc', SLACK_SIGNING_SECRET: 'shhh-secret-value', DIGITALOCEAN_TOKEN: 'dop_v1_0123456789abcdef0123' };

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      slack: { apiUrl: 'https://slack.com/api/', socketMode: false },
      digitalocean: { apiUrl: 'https://api.digitalocean.com' },
      redis: { url: 'redis://127.0.0.1:6379', prefix: '{droplet-bot}' },
      port: 3000,
      roleMap: { path: './roles.yml' },
    });
  });

  it('lists every problem at once, without the values', () => {
    const list = problems({ SLACK_BOT_TOKEN: 'not-a-token-secret', PORT: 'eighty', REDIS_URL: 'http://x' });
    expect(list).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^SLACK_BOT_TOKEN must be a bot token/),
        'DIGITALOCEAN_TOKEN is required',
        expect.stringMatching(/^PORT /),
        expect.stringMatching(/^REDIS_URL must be a redis:\/\//),
        expect.stringMatching(/^SLACK_SIGNING_SECRET is required in HTTP mode/),
      ]),
    );
    expect(list.join('\n')).not.toContain('not-a-token-secret');
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set, and then needs no signing secret', () => {
    const { SLACK_SIGNING_SECRET: _, ...rest } = base;
    expect(loadConfig({ ...rest, SLACK_APP_TOKEN: 'xapp-1-abc' }).slack.socketMode).toBe(true);
  });

  it('normalises URLs', () => {
    const c = loadConfig({ ...base, SLACK_API_URL: 'http://127.0.0.1:9/api', DIGITALOCEAN_API_URL: 'http://127.0.0.1:8/' });
    expect(c.slack.apiUrl).toBe('http://127.0.0.1:9/api/');
    expect(c.digitalocean.apiUrl).toBe('http://127.0.0.1:8');
  });

  it('takes the role map itself from ROLE_MAP_YAML, and refuses it beside ROLE_MAP', () => {
    const text = 'roles:\n  ops: [droplet:update]\nmembers: {}\n';
    expect(loadConfig({ ...base, ROLE_MAP_YAML: text }).roleMap).toEqual({ text });
    expect(problems({ ...base, ROLE_MAP_YAML: text, ROLE_MAP: '/app/roles.yml' })).toEqual([
      'ROLE_MAP and ROLE_MAP_YAML are both set: keep ROLE_MAP (the path of a file) or ROLE_MAP_YAML (the role map itself), not both',
    ]);
  });

  it("has every setting it reads in README's configuration table", () => {
    const source = readFileSync(new URL('../../src/config.ts', import.meta.url), 'utf8');
    const names = [...source.matchAll(/^ {4}([A-Z][A-Z0-9_]+): z\./gm)].map((m) => m[1]!);
    expect(names).toContain('ROLE_MAP_YAML');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const name of names) expect(readme, name).toContain(`| \`${name}\` |`);
  });
});
