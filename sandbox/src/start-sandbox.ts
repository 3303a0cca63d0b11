// `npm start` with nothing configured: the whole product on this machine. A simulated DigitalOcean,
// the playground (a Slack workspace in the browser, which also answers the bot's Web API calls),
// Redis (found or started), and the bot itself, unchanged: it gets tokens, URLs and a signing
// secret through the same settings as in production and cannot tell it is not talking to Slack.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { DestinationStream } from 'pino';
import { Redis } from 'ioredis';
import { createLogger, loadConfig, startBot, urlPassword, type BotOptions, type Config, type RunningBot } from 'droplet-bot';
import { startDigitalOceanSimulator, type DigitalOceanSimulator } from './digitalocean/index.js';
import { findOrStartRedis, type LocalRedis } from './playground/local-redis.js';
import { readManifest } from './playground/manifest.js';
import { PLAYGROUND_PEOPLE, sandboxRoleMap } from './playground/people.js';
import { startPlayground, type Playground } from './playground/server.js';
import { DEFAULT_BOT_SCOPES, SANDBOX_CHANNELS, Workspace } from './slack/index.js';

/** Added to every message the bot sends in sandbox mode (MESSAGE_BANNER). */
export const SANDBOX_BANNER = ':test_tube: Sandbox: simulated Slack and DigitalOcean, nothing real changes';
/** The sandbox's own key prefix: its keys are cleared at start, as the simulators start afresh. */
export const SANDBOX_PREFIX = '{droplet-bot-sandbox}';
export const DEFAULT_PLAYGROUND_PORT = 3001;

export interface SandboxOptions {
  /** The process environment: PORT, PLAYGROUND_PORT, REDIS_URL, REDIS_PREFIX, LOG_LEVEL… are honoured. */
  env?: Record<string, string | undefined>;
  /** Folder for the private Redis' data (default ./.data). */
  dataDir?: string;
  /** Speed of simulated DigitalOcean actions relative to real ones (default 0.1: a reboot takes 3 s). */
  timeScale?: number;
  /** Where the bot's JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** Pacing knobs for tests. */
  bot?: Partial<Pick<BotOptions, 'watcher' | 'pendingEventDelayMs' | 'lineCheckMs' | 'shutdownGraceMs'>>;
}

export interface RunningSandbox {
  playgroundUrl: string;
  eventsUrl: string;
  config: Config;
  redis: LocalRedis;
  workspace: Workspace;
  digitalocean: DigitalOceanSimulator;
  bot: RunningBot;
  stop(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions = {}): Promise<RunningSandbox> {
  const env = opts.env ?? process.env;
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
  };
  try {
    const redis = await findOrStartRedis({ env, dataDir: resolve(opts.dataDir ?? '.data', 'redis') });
    stops.push(() => redis.stop());

    // Fresh secrets every run: nothing to configure, nothing worth stealing.
    const botToken = `xoxb-sandbox-${randomBytes(12).toString('hex')}`;
    const signingSecret = randomBytes(20).toString('hex');
    const doToken = `dop_v1_${randomBytes(32).toString('hex')}`;

    const digitalocean = await startDigitalOceanSimulator({ token: doToken, timeScale: opts.timeScale ?? 0.1 });
    stops.push(() => digitalocean.close());

    // A workspace that behaves like a real one: unknown IDs are errors, triggers are single-use
    // and expire, and the bot has exactly the scopes manifest.yml asks for (the simulator's
    // defaults when there is no manifest at all, an unusual install).
    const manifest = readManifest();
    const workspace = new Workspace({ autoCreate: false, strictTriggers: true, botScopes: manifest?.botScopes ?? DEFAULT_BOT_SCOPES });
    const playground = await listen('PLAYGROUND_PORT', env.PLAYGROUND_PORT, DEFAULT_PLAYGROUND_PORT, (port) =>
      startPlayground({
        workspace,
        botToken,
        signingSecret,
        people: PLAYGROUND_PEOPLE,
        channel: SANDBOX_CHANNELS.ops,
        banner: SANDBOX_BANNER,
        digitalocean,
        // The page offers what the manifest declares: its shortcuts, and the Home tab.
        app: { shortcuts: manifest?.shortcuts ?? [], homeTab: manifest?.homeTab ?? false },
        port,
      }),
    );
    stops.push(() => playground.close());
    workspace.permalinkBase = playground.url;

    const config = loadConfig({
      ...env,
      SLACK_BOT_TOKEN: botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: `${playground.url}/api/`,
      DIGITALOCEAN_TOKEN: doToken,
      DIGITALOCEAN_API_URL: digitalocean.url,
      REDIS_URL: redis.url,
      REDIS_PREFIX: nonEmpty(env.REDIS_PREFIX) ?? SANDBOX_PREFIX,
      MESSAGE_BANNER: nonEmpty(env.MESSAGE_BANNER) ?? SANDBOX_BANNER,
      // The page is the interface here; JSON logs stay quiet unless asked for.
      LOG_LEVEL: nonEmpty(env.LOG_LEVEL) ?? 'warn',
    });
    if (config.redis.prefix === SANDBOX_PREFIX) await clearKeys(config.redis.url, SANDBOX_PREFIX);

    const logger = createLogger({
      level: config.logLevel,
      secrets: [botToken, signingSecret, doToken, urlPassword(config.redis.url)],
      ...(opts.logDestination ? { destination: opts.logDestination } : {}),
    });
    const bot = await startBot({ config, logger, roleMap: sandboxRoleMap(), web: true, worker: true, ...opts.bot });
    stops.push(() => bot.stop());
    const eventsUrl = `http://127.0.0.1:${bot.port}/slack/events`;
    playground.setEventsUrl(eventsUrl);

    return { playgroundUrl: `${playground.url}/`, eventsUrl, config, redis, workspace, digitalocean, bot, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function listen<T>(name: string, raw: string | undefined, fallback: number, start: (port: number) => Promise<T>): Promise<T> {
  const port = nonEmpty(raw) === undefined ? fallback : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name} must be a port number from 0 to 65535`);
  try {
    return await start(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new Error(`Port ${port} is already in use (is another sandbox running?). Set ${name} to a free port, or 0 for any.`);
    }
    throw err;
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== '' ? value : undefined;
}

/** Deletes the keys under `prefix` only: queued jobs from an earlier run point at simulators that are gone. */
async function clearKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/([*?[\]\\])/g, '\\$1')}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
