// The set-up of a test with real bot processes: both simulators, a key prefix of its own, the
// env block, and every process started through it, killed (and thawed, if frozen) at the end.
import { startDigitalOceanSimulator, startSlackSimulator, type DigitalOceanSimulator, type SlackSimulator } from 'droplet-bot-sandbox';
import { SECRETS, botEnv } from './harness.js';
import { runBot, writeRoleMap, type BotProcess } from './processes.js';
import { deleteKeys, redisUrl, uniquePrefix } from './redis.js';

export interface ProcessWorld {
  slack: SlackSimulator;
  digitalocean: DigitalOceanSimulator;
  prefix: string;
  env: Record<string, string>;
  bots: BotProcess[];
  /** Starts `node dist/main.js <mode>` with the world's env plus `extra`. */
  run(mode: 'web' | 'worker' | 'all', extra?: Record<string, string>): BotProcess;
  stop(): Promise<void>;
}

export async function startProcessWorld(name: string, extra: Record<string, string> = {}, sim: { durations?: Record<string, number> } = {}): Promise<ProcessWorld> {
  const slack = await startSlackSimulator({ botToken: SECRETS.botToken });
  const digitalocean = await startDigitalOceanSimulator({ token: SECRETS.doToken, timeScale: 0.01, ...sim });
  const prefix = uniquePrefix(name);
  const env = botEnv({ slackUrl: slack.url, digitaloceanUrl: digitalocean.url, redisUrl: redisUrl(), prefix, roleMap: writeRoleMap() }, extra);
  const bots: BotProcess[] = [];
  return {
    slack,
    digitalocean,
    prefix,
    env,
    bots,
    run(mode, more = {}) {
      const p = runBot(mode, { ...env, ...more });
      bots.push(p);
      return p;
    },
    async stop() {
      for (const b of bots) {
        if (b.child.exitCode !== null) continue;
        // A frozen process must be thawed to be killed.
        b.child.kill('SIGCONT');
        b.child.kill('SIGKILL');
      }
      await Promise.all([slack.close(), digitalocean.close()]);
      await deleteKeys(prefix);
    },
  };
}
