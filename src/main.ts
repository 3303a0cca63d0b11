// Composition root: `node dist/main.js [web|worker]`. With no argument both halves run here.
// With no Slack or DigitalOcean settings at all, it runs the local sandbox and playground instead.
import { startBot } from './bot.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger, urlPassword } from './log.js';
import { RoleMapError } from './roles/load-role-map.js';
import { RoleMapSource } from './roles/role-map-source.js';
import { decideMode } from './mode.js';
import { stopOnSignal } from './stop-on-signal.js';

async function main(): Promise<void> {
  const arg = process.argv[2] ?? 'all';
  if (!['all', 'web', 'worker', 'sandbox'].includes(arg)) {
    console.error(`Unknown mode "${arg}". Use: node dist/main.js [web|worker|sandbox] (no argument runs both halves).`);
    process.exit(2);
  }
  const mode = arg === 'sandbox' ? 'all' : arg;
  const world = decideMode(process.env, arg === 'sandbox');
  if (arg === 'sandbox' && world.kind !== 'sandbox') {
    console.error('The sandbox makes up its own Slack and DigitalOcean settings: unset SLACK_* and DIGITALOCEAN_* to run it.');
    process.exit(2);
  }
  if (world.kind === 'incomplete') {
    // Also every problem with what is set (a malformed token, say), so one run shows them all.
    let details = '';
    try {
      loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) details = `\n${err.message}`;
    }
    console.error(`${world.message}${details}\nSee the configuration table in README.md.`);
    process.exit(1);
  }
  if (world.kind === 'sandbox') {
    if (mode !== 'all') {
      console.error(`"${mode}" runs one half of a real deployment and needs the Slack and DigitalOcean settings. Without them, run \`npm start\` for the sandbox.`);
      process.exit(2);
    }
    await runSandbox();
    return;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`${err.message}\nSee the configuration table in README.md.`);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger({
    level: config.logLevel,
    secrets: [config.slack.botToken, config.slack.signingSecret, config.slack.appToken, config.digitalocean.token, urlPassword(config.redis.url)],
  });
  const web = mode !== 'worker';
  // Every process decides by the same rules, workers too (they check again before each POST).
  let roleMap: RoleMapSource;
  try {
    const from = config.roleMap;
    roleMap =
      'text' in from
        ? RoleMapSource.fromText(from.text, 'in ROLE_MAP_YAML')
        : RoleMapSource.fromFile(from.path, {
            onReload: () => logger.info({ path: from.path }, 'role map reloaded'),
            onInvalid: (err) => logger.error({ err: err.message }, 'the changed role map is not valid; keeping the rules it had'),
          });
  } catch (err) {
    if (err instanceof RoleMapError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  roleMap.start();
  const bot = await startBot({ config, logger, roleMap, web, worker: mode !== 'web', shutdownGraceMs: config.shutdownGraceMs });
  logger.info({ mode, port: bot.port, socketMode: config.slack.socketMode }, 'droplet-bot started');
  stopOnSignal(
    () => {
      roleMap.stop();
      return bot.stop();
    },
    (signal) => logger.info({ signal }, 'stopping: no new work is taken; running jobs finish or go back to the queue'),
    (err) => logger.error({ err: err.message }, 'error while stopping'),
    config.shutdownGraceMs,
  );
}

/** The sandbox package, loaded only when it is asked for: production processes never load it. */
const SANDBOX_PACKAGE = 'droplet-bot-sandbox';

async function runSandbox(): Promise<void> {
  let sandbox: { runSandbox(env: NodeJS.ProcessEnv): Promise<void> };
  try {
    sandbox = (await import(SANDBOX_PACKAGE)) as typeof sandbox;
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    console.error(
      `The sandbox is not installed here (the production image leaves it out; ${(err as Error).message}). Set the Slack and DigitalOcean settings to run the bot; see the configuration table in README.md.`,
    );
    process.exit(1);
  }
  await sandbox.runSandbox(process.env);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
