// The bot under test, run as it runs in production: `node main.js [web|worker]` with settings
// in the environment, in its own process so its memory can be read from outside.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD, REPO, WORK, freePort, spawnNode, waitUntil, type Child } from './procs.js';

export const SECRETS = {
  botToken: 'xoxb-5555-6666-benchbottokenvalue',
  signingSecret: 'bench-signing-secret-3d9e71',
  doToken: 'dop_v1_bench0123456789abcdef0123456789ab',
};
export const BENCH_USER = 'U0BENCH001';
export const BENCH_CHANNEL = 'C0BENCH001';
/** More people with the same role, for scenarios where many open something at once. */
export const BENCH_PEOPLE = Array.from({ length: 19 }, (_, i) => `U0BENCHP${String(i + 1).padStart(2, '0')}`);

/** The node flags production runs with: those of `npm start` (and so of the image, whose CMD it is). */
export const PRODUCTION_NODE_FLAGS = (() => {
  const start = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start!;
  const words = start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.findIndex((w) => w.endsWith('main.js')));
})();

const roleMap = join(WORK, 'roles.yml');
writeFileSync(roleMap, `roles:\n  admin: [droplet:update, droplet:create, droplet:admin, image:create]\nmembers:\n${[BENCH_USER, ...BENCH_PEOPLE].map((u) => `  ${u}: [admin]\n`).join('')}`);

export interface BotProcess extends Child {
  /** The receiver's port (web and all modes). */
  port?: number;
  eventsUrl?: string;
}

export interface BotSettings {
  slackUrl: string;
  doUrl: string;
  redisUrl: string;
  prefix: string;
  env?: Record<string, string>;
}

export async function startBotProcess(mode: 'all' | 'web' | 'worker', s: BotSettings): Promise<BotProcess> {
  const port = mode === 'worker' ? 0 : await freePort();
  const child = spawnNode(
    `${BUILD}src/main.js`,
    mode === 'all' ? [] : [mode],
    {
      SLACK_BOT_TOKEN: SECRETS.botToken,
      SLACK_SIGNING_SECRET: SECRETS.signingSecret,
      SLACK_API_URL: `${s.slackUrl}/api/`,
      DIGITALOCEAN_TOKEN: SECRETS.doToken,
      DIGITALOCEAN_API_URL: s.doUrl,
      REDIS_URL: s.redisUrl,
      REDIS_PREFIX: s.prefix,
      PORT: String(port),
      ROLE_MAP: roleMap,
      LOG_LEVEL: 'info',
      ...s.env,
    },
    `bot-${mode}`,
    false,
    PRODUCTION_NODE_FLAGS,
  );
  if (mode === 'worker') {
    await waitUntil(`bot ${mode}`, () => (readFileSync(child.logFile, 'utf8').includes('droplet-bot started') ? true : undefined), 20_000, child);
    return child;
  }
  await waitUntil(
    `bot ${mode}`,
    async () => {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      return res?.status === 200 ? true : undefined;
    },
    20_000,
    child,
  );
  return { ...child, port, eventsUrl: `http://127.0.0.1:${port}/slack/events` };
}
