// compose.yaml runs the production shape with one command: a receiver, two workers and Redis
// with AOF, noeviction, a health check and a volume. Checked as data (there is no Docker engine
// here to run it), with the yaml library, against the bot's own settings.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';

const ROOT = new URL('../..', import.meta.url);
const compose = parse(readFileSync(new URL('compose.yaml', ROOT), 'utf8'), { merge: true });
const envExample = readFileSync(new URL('.env.example', ROOT), 'utf8');

describe('compose.yaml', () => {
  it('runs a receiver, two workers and Redis', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['receiver', 'redis', 'worker']);
    expect(compose.services.receiver.command).toEqual(['npm', 'run', 'start:web']);
    expect(compose.services.receiver.ports).toEqual(['3000:3000']);
    expect(compose.services.worker.command).toEqual(['npm', 'run', 'start:worker']);
    expect(compose.services.worker.deploy.replicas).toBe(2);
  });

  it('gives Redis AOF, noeviction, a health check and a volume for its data', () => {
    const redis = compose.services.redis;
    const flags = (redis.command as string[]).join(' ');
    expect(flags).toContain('--appendonly yes');
    expect(flags).toContain('--maxmemory-policy noeviction');
    expect(redis.healthcheck.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const [volume, path] = (redis.volumes[0] as string).split(':');
    expect(path).toBe('/data');
    expect(Object.keys(compose.volumes)).toContain(volume);
  });

  it('starts the bot once Redis is healthy, with settings from .env, its role map and the shared Redis', () => {
    for (const name of ['receiver', 'worker']) {
      const s = compose.services[name];
      expect(s.build).toBe('.');
      expect(s.env_file).toBe('.env');
      expect(s.depends_on.redis.condition).toBe('service_healthy');
      expect(s.environment.REDIS_URL).toBe('redis://redis:6379');
      expect(s.environment.ROLE_MAP).toBe('/app/roles.yml');
      expect(s.volumes).toContain('./roles.yml:/app/roles.yml:ro');
      // Longer than the bot's own bound on a shutdown: the grace period plus 10 s.
      expect(Number(/^(\d+)s$/.exec(s.stop_grace_period)![1])).toBeGreaterThanOrEqual(30);
    }
  });

  it('has a .env.example whose settings, once filled in, the bot accepts', () => {
    const settings = Object.fromEntries(
      envExample
        .split('\n')
        .filter((l) => /^[A-Z_]+=/.test(l))
        .map((l) => l.split('=') as [string, string]),
    );
    expect(Object.keys(settings).sort()).toEqual(['DIGITALOCEAN_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET']);
    const filled = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'secret', DIGITALOCEAN_TOKEN: 'dop_v1_abc', ...compose.services.worker.environment };
    expect(loadConfig(filled).redis.url).toBe('redis://redis:6379');
    // Every setting it names is in README's configuration table.
    const readme = readFileSync(new URL('README.md', ROOT), 'utf8');
    for (const m of envExample.matchAll(/^#? ?([A-Z_]+)=/gm)) expect(readme, m[1]).toContain(`| \`${m[1]}\` |`);
  });
});
