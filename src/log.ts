// Structured logging with two layers of protection for secrets: pino's path redaction for
// fields that are known to hold them, and a final scrub of every known secret value from each
// line, so a token that slips into an error message or a URL is still never written.
import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino';
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';

export type Logger = PinoLogger;

const REDACT_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'authorization',
  'password',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers["x-slack-signature"]',
  'config.headers.Authorization',
];

export interface LoggerOptions {
  level?: string;
  /** Secret values to strip from every line, whatever field they end up in. */
  secrets?: Array<string | undefined>;
  destination?: DestinationStream;
  name?: string;
}

// Capabilities: whoever holds one can act without a token. A response_url posts into the
// requester's channel for 30 minutes; a Socket Mode URL's ticket opens the app's connection.
// Bolt's debug lines carry whole payloads and Web API answers, escaped once or twice over.
const CAPABILITY_FIELDS = /(response_url\\*"\s*:\s*\\*")[^"\\]*/g;
const SLACK_HOOKS = /https?:\/\/hooks\.slack\.com\/[^\s"\\]+/g;
const TICKETS = /([?&]ticket=)[^&\s"\\]+/g;

export function scrubber(secrets: Array<string | undefined>): (line: string) => string {
  const values = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6))].sort((a, b) => b.length - a.length);
  // Token shapes are scrubbed too, in case a secret we were never told about shows up.
  const shapes = /\b(xox[abposr]-[A-Za-z0-9-]{6,}|xapp-[A-Za-z0-9-]{6,}|dop_v1_[a-f0-9]{16,})/g;
  return (line) => {
    let out = line;
    for (const value of values) out = out.split(value).join('[REDACTED]');
    return out
      .replace(shapes, '[REDACTED]')
      .replace(CAPABILITY_FIELDS, '$1[REDACTED]')
      .replace(SLACK_HOOKS, '[REDACTED]')
      .replace(TICKETS, '$1[REDACTED]');
  };
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const scrub = scrubber(opts.secrets ?? []);
  return pino(
    {
      name: opts.name ?? 'droplet-bot',
      level: opts.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: { streamWrite: scrub },
    },
    opts.destination ?? pino.destination(1),
  );
}

/** Bolt's logger interface on top of ours, so Bolt's own lines are redacted the same way. */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'bolt' });
  let level = LogLevel.INFO;
  const line = (args: unknown[]) => args.map((a) => (a instanceof Error ? a.stack ?? a.message : typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
  return {
    debug: (...args) => child.debug(line(args)),
    info: (...args) => child.info(line(args)),
    warn: (...args) => child.warn(line(args)),
    error: (...args) => child.error(line(args)),
    // Our own LOG_LEVEL decides what is written; Bolt's level is only remembered.
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

/** redis://user:password@host -> redis://host, for anything printed. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//');
}

/** The password in a redis:// URL, so it can join the secrets every log line is scrubbed of. */
export function urlPassword(url: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password || undefined;
  } catch {
    return undefined;
  }
}
