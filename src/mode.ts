// Which world `npm start` runs in, decided from the environment alone: nothing about Slack or
// DigitalOcean set → the local sandbox (simulated DigitalOcean + playground); everything the real
// services need set → real; anything in between is a mistake we name rather than guess around,
// because silently falling back to the sandbox would hide a typo in a production deployment.

/** Settings that only make sense against the real services; any of them means "not the sandbox". */
export const REAL_SETTINGS = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_API_URL',
  'DIGITALOCEAN_TOKEN',
  'DIGITALOCEAN_API_URL',
] as const;

export type StartMode =
  | { kind: 'sandbox' }
  | { kind: 'real' }
  | { kind: 'incomplete'; present: string[]; missing: string[]; message: string };

/** Empty strings count as unset, as in config.ts. */
const isSet = (env: Record<string, string | undefined>, name: string) => (env[name] ?? '').trim() !== '';

/** The one command that runs the sandbox whatever NODE_ENV says. */
export const SANDBOX_COMMAND = 'npm run sandbox';

/**
 * `explicitSandbox` is true for `npm run sandbox`: the operator asked for the sandbox by name,
 * so NODE_ENV=production does not stop it.
 */
export function decideMode(env: Record<string, string | undefined>, explicitSandbox = false): StartMode {
  const present = REAL_SETTINGS.filter((name) => isSet(env, name));
  if (present.length === 0 && (explicitSandbox || env.NODE_ENV?.trim() !== 'production')) return { kind: 'sandbox' };
  if (present.length === 0) {
    // A production image started without its settings must not come up as a healthy-looking sandbox.
    const missing = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)', 'DIGITALOCEAN_TOKEN'];
    const message = [
      'NODE_ENV is production, but none of the Slack/DigitalOcean settings are set. Missing:',
      ...missing.map((m) => `  - ${m}`),
      `Set them to talk to Slack and DigitalOcean. To run the local sandbox on purpose, use \`${SANDBOX_COMMAND}\`.`,
    ].join('\n');
    return { kind: 'incomplete', present, missing, message };
  }

  const missing: string[] = [];
  if (!isSet(env, 'SLACK_BOT_TOKEN')) missing.push('SLACK_BOT_TOKEN');
  if (!isSet(env, 'SLACK_SIGNING_SECRET') && !isSet(env, 'SLACK_APP_TOKEN')) {
    missing.push('SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)');
  }
  if (!isSet(env, 'DIGITALOCEAN_TOKEN')) missing.push('DIGITALOCEAN_TOKEN');
  if (missing.length === 0) return { kind: 'real' };

  const message = [
    `Some Slack/DigitalOcean settings are set (${present.join(', ')}) but not all that the real services need. Missing:`,
    ...missing.map((m) => `  - ${m}`),
    'Set them all to talk to Slack and DigitalOcean, or unset all of them to run the local sandbox and playground.',
  ].join('\n');
  return { kind: 'incomplete', present, missing, message };
}
