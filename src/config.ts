// Environment -> typed settings. Every problem is reported at once, and secret values never
// appear in those reports.
import { z } from 'zod';

const url = (what: string) =>
  z
    .string()
    .trim()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), `${what} must be an http(s) URL`);

const envSchema = z
  .object({
    SLACK_BOT_TOKEN: z.string().trim().regex(/^xoxb-/, 'must be a bot token starting with xoxb-'),
    SLACK_SIGNING_SECRET: z.string().trim().min(1).optional(),
    SLACK_APP_TOKEN: z.string().trim().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional(),
    SLACK_API_URL: url('SLACK_API_URL')
      .default('https://slack.com/api/')
      .transform((v) => (v.endsWith('/') ? v : `${v}/`)),
    DIGITALOCEAN_TOKEN: z.string().trim().min(1),
    DIGITALOCEAN_API_URL: url('DIGITALOCEAN_API_URL')
      .default('https://api.digitalocean.com')
      .transform((v) => v.replace(/\/+$/, '')),
    // DigitalOcean's limits per token: lower them to leave room for other users of the token
    // (a test double may allow more).
    DIGITALOCEAN_RATE_PER_MINUTE: z.coerce.number({ error: 'must be a whole number of at least 1' }).int().min(1).default(250),
    DIGITALOCEAN_RATE_PER_HOUR: z.coerce.number({ error: 'must be a whole number of at least 1' }).int().min(1).default(5000),
    REDIS_URL: z.string().trim().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    REDIS_PREFIX: z.string().trim().min(1).default('{droplet-bot}'),
    PORT: z.coerce.number({ error: 'must be a port number from 0 to 65535' }).int().min(0).max(65535).default(3000),
    ROLE_MAP: z.string().trim().min(1).default('./roles.yml'),
    // The role map itself, for platforms with no file to mount (App Platform): YAML, or the same as JSON.
    ROLE_MAP_YAML: z.string().min(1).optional(),
    WORKER_CONCURRENCY: z.coerce.number({ error: 'must be a whole number from 1 to 500' }).int().min(1).max(500).default(20),
    STATUS_POLL_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(250).max(60_000).default(2000),
    WORKER_LOCK_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(1000).max(600_000).default(15_000),
    SHUTDOWN_GRACE_MS: z.coerce.number({ error: 'must be a number of milliseconds' }).int().min(0).max(120_000).default(20_000),
    NOTIFY_CHANNEL: z.string().trim().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C… or G…)').optional(),
    ACTIVITY_CHANNEL: z.string().trim().regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel ID (C… or G…)').optional(),
    ACTIVITY_POLL_S: z.coerce.number({ error: 'must be a whole number of seconds from 10 to 3600' }).int().min(10).max(3600).default(60),
    MESSAGE_BANNER: z.string().trim().max(300, 'must be at most 300 characters').optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  });

/** Rules that involve more than one variable; checked even when single fields fail, so all problems show at once. */
function crossFieldProblems(env: Record<string, string | undefined>): string[] {
  const problems: string[] = [];
  if (!env.SLACK_APP_TOKEN && !env.SLACK_SIGNING_SECRET) problems.push('SLACK_SIGNING_SECRET is required in HTTP mode (set SLACK_APP_TOKEN instead for Socket Mode)');
  if (env.ROLE_MAP && env.ROLE_MAP_YAML) problems.push('ROLE_MAP and ROLE_MAP_YAML are both set: keep ROLE_MAP (the path of a file) or ROLE_MAP_YAML (the role map itself), not both');
  return problems;
}

export interface Config {
  slack: { botToken: string; signingSecret?: string; appToken?: string; apiUrl: string; socketMode: boolean };
  digitalocean: { token: string; apiUrl: string; ratePerMinute: number; ratePerHour: number };
  redis: { url: string; prefix: string };
  port: number;
  /** Where the role map comes from: a file (read again when it changes), or the text of a setting. */
  roleMap: { path: string } | { text: string };
  workerConcurrency: number;
  /** How long a job stays with a worker that stopped answering before another worker takes it. */
  workerLockMs: number;
  /** How often the cluster's status poller lists DigitalOcean's actions while any is in flight. */
  statusPollMs: number;
  /** How long SIGTERM lets running jobs finish before handing them back to the queue. */
  shutdownGraceMs: number;
  /** Channel that gets one line per finished action. */
  notifyChannel?: string;
  /** Actions on the account the bot did not start, one line each (ACTIVITY_CHANNEL), looked for every `everyMs` when nothing is in flight. */
  activity: { channel?: string; everyMs: number };
  /** A context line added to every message the bot sends (sandbox mode sets one). */
  messageBanner?: string;
  logLevel: z.output<typeof envSchema>['LOG_LEVEL'];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Reads settings from an environment (process.env by default); throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, the way most people write .env files.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
  const parsed = envSchema.safeParse(cleaned);
  // Only the variable name and the rule go into a message, never the rejected value.
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? 'environment');
        const message = issue.code === 'invalid_type' && !(name in cleaned) ? 'is required' : issue.message;
        return `${name} ${message}`;
      });
  problems.push(...crossFieldProblems(cleaned));
  if (!parsed.success || problems.length) throw new ConfigError(problems);
  const e = parsed.data;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      socketMode: e.SLACK_APP_TOKEN !== undefined,
    },
    digitalocean: {
      token: e.DIGITALOCEAN_TOKEN,
      apiUrl: e.DIGITALOCEAN_API_URL,
      ratePerMinute: e.DIGITALOCEAN_RATE_PER_MINUTE,
      ratePerHour: e.DIGITALOCEAN_RATE_PER_HOUR,
    },
    redis: { url: e.REDIS_URL, prefix: e.REDIS_PREFIX },
    port: e.PORT,
    roleMap: e.ROLE_MAP_YAML !== undefined ? { text: e.ROLE_MAP_YAML } : { path: e.ROLE_MAP },
    workerConcurrency: e.WORKER_CONCURRENCY,
    workerLockMs: e.WORKER_LOCK_MS,
    statusPollMs: e.STATUS_POLL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    notifyChannel: e.NOTIFY_CHANNEL,
    activity: { channel: e.ACTIVITY_CHANNEL, everyMs: e.ACTIVITY_POLL_S * 1000 },
    messageBanner: e.MESSAGE_BANNER,
    logLevel: e.LOG_LEVEL,
  };
}
