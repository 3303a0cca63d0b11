// `npm start` with nothing configured, or `npm run sandbox`: starts everything, prints where the
// playground is, and stops cleanly on Ctrl+C or SIGTERM. Problems a person can fix (no
// redis-server, a bad setting) are printed as they are, without a stack trace.
import { ConfigError, redactUrl, stopOnSignal } from 'droplet-bot';
import { LocalRedisError } from './playground/local-redis.js';
import { startSandbox, type RunningSandbox } from './start-sandbox.js';

export async function runSandbox(env: NodeJS.ProcessEnv): Promise<void> {
  let sandbox: RunningSandbox;
  try {
    sandbox = await startSandbox({ env });
  } catch (err) {
    if (err instanceof LocalRedisError || err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const redis =
    sandbox.redis.source === 'private redis-server' ? 'a private redis-server (data in .data/redis)' : `${redactUrl(sandbox.config.redis.url)} (${sandbox.redis.source})`;
  console.log(
    [
      '',
      'droplet-bot is running in the sandbox: Slack and DigitalOcean are simulated, nothing real changes.',
      '',
      `  Open the playground:  ${sandbox.playgroundUrl}`,
      '',
      '  Try /droplet reboot web-1 as Bob (operator), a rebuild that Alice (admin) approves,',
      '  or anything as Carol, who has no rights. /droplet help lists the actions.',
      '',
      `  Redis: ${redis}. Stop with Ctrl+C.`,
      '  To use your real Slack workspace and DigitalOcean account, see "Slack app setup" in README.md.',
      '',
    ].join('\n'),
  );
  stopOnSignal(
    () => sandbox.stop(),
    () => console.log('stopping the sandbox…'),
    (err) => console.error(`error while stopping: ${err.message}`),
  );
}
