// The App Platform app spec (.do/app.yaml) and the Deploy button's template: valid against
// DigitalOcean's schema, and in step with the project: the scripts it runs exist, its health
// checks ask the path and port the bot serves, every setting it names is one the bot reads,
// and those settings, filled in, start the bot with the image's environment.
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config.js';
import { env, stages } from '../support/dockerfile.js';
import { readReferenceJson } from '../support/reference.js';

const ROOT = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, ROOT), 'utf8');

interface Env {
  key: string;
  value?: string;
  type?: 'GENERAL' | 'SECRET';
  scope?: string;
}
interface Component {
  name: string;
  github?: { repo: string; branch: string };
  git?: { repo_clone_url: string; branch: string };
  dockerfile_path: string;
  run_command: string;
  http_port?: number;
  instance_count: number;
  health_check?: { http_path: string; port: number };
  liveness_health_check?: { http_path: string; port: number };
  termination: { grace_period_seconds: number };
}
interface AppSpec {
  name: string;
  services: Component[];
  workers: Component[];
  databases: Array<{ name: string; engine: string }>;
  ingress: { rules: Array<{ match: { path: { prefix: string } }; component: { name: string; rewrite?: string } }> };
  envs: Env[];
}

const spec = parse(read('.do/app.yaml')) as AppSpec;
const template = parse(read('.do/deploy.template.yaml')) as { spec: AppSpec };

function validator() {
  const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
  const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
  // Number formats of DigitalOcean's own that ajv-formats does not know (see the reference README).
  for (const f of ['uint32', 'int32', 'int64', 'float']) ajv.addFormat(f, true);
  return ajv.compile(readReferenceJson('digitalocean', 'app-spec.schema.json'));
}

describe('the App Platform app spec', () => {
  const validate = validator();

  it('is valid against the app spec schema, and so is the Deploy button template', () => {
    expect(validate(spec), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(template.spec), JSON.stringify(validate.errors)).toBe(true);
    // The schema is really checking: a name with capitals and a string port are refused.
    expect(validate({ ...spec, name: 'Droplet-Bot' })).toBe(false);
    expect(validate({ ...spec, services: [{ ...spec.services[0]!, http_port: '3000' }] })).toBe(false);
  });

  it('runs the receiver as a service and the workers as a worker component, with a managed Valkey', () => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const imagePort = Number(env(stages(read('Dockerfile')).at(-1)!).PORT);
    const [receiver] = spec.services;
    expect(spec.services).toHaveLength(1);
    expect(receiver!.run_command).toBe('npm run start:web');
    expect(receiver!.http_port).toBe(imagePort);
    expect(receiver!.health_check).toMatchObject({ http_path: '/healthz', port: imagePort });
    expect(spec.workers.map((w) => w.run_command)).toEqual(['npm run start:worker']);
    expect(spec.workers[0]!.instance_count).toBe(2);
    // A worker process answers /healthz on PORT too.
    expect(spec.workers[0]!.liveness_health_check).toMatchObject({ http_path: '/healthz', port: imagePort });
    for (const c of [...spec.services, ...spec.workers]) {
      expect(scripts[c.run_command.replace('npm run ', '')], c.run_command).toBeDefined();
      expect(c.dockerfile_path).toBe('Dockerfile');
      // SHUTDOWN_GRACE_MS (20 s by default) and the 10 s a process may take after it.
      expect(c.termination.grace_period_seconds).toBeGreaterThanOrEqual(30);
    }
    expect(spec.databases).toEqual([expect.objectContaining({ name: 'redis', engine: 'VALKEY' })]);
    expect(spec.envs.find((e) => e.key === 'REDIS_URL')?.value).toBe('${redis.DATABASE_URL}');
    // Only Slack's endpoint is public, forwarded as the path the receiver serves.
    expect(spec.ingress.rules).toEqual([{ match: { path: { prefix: '/slack/events' } }, component: { name: receiver!.name, rewrite: '/slack/events' } }]);
  });

  it('names only settings the bot reads, keeps the tokens secret, and, filled in, starts the bot with the image environment', () => {
    const readme = read('README.md');
    for (const e of spec.envs) expect(readme, e.key).toContain(`| \`${e.key}\` |`);
    for (const key of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'DIGITALOCEAN_TOKEN']) expect(spec.envs.find((e) => e.key === key)?.type, key).toBe('SECRET');
    const filled: Record<string, string> = {
      SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
      SLACK_SIGNING_SECRET: 'signing',
      DIGITALOCEAN_TOKEN: 'dop_v1_abc',
      REDIS_URL: 'rediss://default:pw@droplet-bot-valkey.db.ondigitalocean.com:25061',
      ROLE_MAP_YAML: '{"roles":{"ops":["droplet:update"]},"members":{"U0123ABCD":["ops"]}}',
    };
    const appEnv = Object.fromEntries(spec.envs.map((e) => [e.key, filled[e.key] ?? e.value ?? '']));
    const config = loadConfig({ ...env(stages(read('Dockerfile')).at(-1)!), ...appEnv });
    expect(config.roleMap).toEqual({ text: filled.ROLE_MAP_YAML });
    expect(config.redis.url).toBe(filled.REDIS_URL);
  });

  it('is what the Deploy button deploys, from a public clone URL of the same repository', () => {
    const strip = (c: Component) => {
      const { github: _g, git: _t, ...rest } = c;
      return rest;
    };
    const t = template.spec;
    expect({ ...t, services: t.services.map(strip), workers: t.workers.map(strip) }).toEqual({ ...spec, services: spec.services.map(strip), workers: spec.workers.map(strip) });
    for (const [a, b] of [...spec.services, ...spec.workers].map((c, i) => [c, [...t.services, ...t.workers][i]!] as const)) {
      expect(b.git).toEqual({ repo_clone_url: `https://github.com/${a.github!.repo}.git`, branch: a.github!.branch });
    }
    const repo = spec.services[0]!.github!.repo;
    expect(read('README.md')).toContain(`(https://cloud.digitalocean.com/apps/new?repo=https://github.com/${repo}/tree/main)`);
  });
});
