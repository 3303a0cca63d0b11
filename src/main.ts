// Composition root: `node dist/main.js [web|worker]`. With no argument both halves run here.
import { startBot } from './bot.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './log.js';
import { loadRoleMap, RoleMapError } from './roles/load-role-map.js';

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'all';
  if (!['all', 'web', 'worker'].includes(mode)) {
    console.error(`Unknown mode "${mode}". Use: node dist/main.js [web|worker] (no argument runs both).`);
    process.exit(2);
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
    secrets: [config.slack.botToken, config.slack.signingSecret, config.slack.appToken, config.digitalocean.token],
  });
  const web = mode !== 'worker';
  let roleMap;
  if (web) {
    try {
      roleMap = loadRoleMap(config.roleMapPath);
    } catch (err) {
      if (err instanceof RoleMapError) {
        console.error(err.message);
        process.exit(1);
      }
      throw err;
    }
  }
  const bot = await startBot({ config, logger, roleMap, web, worker: mode !== 'web' });
  logger.info({ mode, port: bot.port, socketMode: config.slack.socketMode }, 'droplet-bot started');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new work is taken; running jobs finish or go back to the queue');
    const hardStop = setTimeout(() => process.exit(1), 30_000);
    hardStop.unref();
    bot.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err: (err as Error).message }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
