// `npm start` with nothing configured, as a newcomer runs it: the compiled bot as a real process
// prints the playground's URL, and that page in Chromium talks to the bot. A half-configured
// environment is refused with the list of what is missing.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';
import { actAs, launchBrowser, openPlayground, PEOPLE, screenshot, type } from './support.js';

const root = new URL('../..', import.meta.url).pathname;
// dist/ as `npm run build` makes it (the test run's global setup builds it once).
const out = join(root, 'dist');
const prefix = uniquePrefix('npmstart');
const children: ChildProcess[] = [];
let browser: Browser;

function start(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [join(out, 'main.js'), ...args], { cwd: root, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (c) => (output.stdout += c));
  child.stderr!.on('data', (c) => (output.stderr += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

beforeAll(async () => {
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await browser?.close();
  await deleteKeys(prefix);
});

describe('npm start with no Slack or DigitalOcean settings', () => {
  it('runs the sandbox, prints the playground URL, and the page works against the real process', async () => {
    // Only what a fresh machine has, plus the tests' Redis and free ports.
    const run = start({ REDIS_URL: redisUrl(), REDIS_PREFIX: prefix, PORT: '0', PLAYGROUND_PORT: '0' });
    await expect.poll(() => run.output.stdout, { timeout: 20_000 }).toMatch(/Open the playground: +http:\/\/127\.0\.0\.1:\d+\//);
    const url = /Open the playground: +(http:\/\/127\.0\.0\.1:\d+\/)/.exec(run.output.stdout)![1]!;
    expect(run.output.stdout).toContain('Slack and DigitalOcean are simulated');

    const { page, errors } = await openPlayground(browser, url);
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet help');
    const help = page.locator('#messages .msg.ephemeral', { hasText: 'Droplet actions you may run' });
    await help.waitFor();
    expect(await help.textContent()).toContain('Sandbox: simulated Slack and DigitalOcean');
    await screenshot(page, '0-npm-start-help');
    expect(errors).toEqual([]);
    await page.close();

    // Nothing secret on the terminal: the sandbox's invented tokens never show.
    const all = run.output.stdout + run.output.stderr;
    expect(all).not.toMatch(/xoxb-|dop_v1_/);

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
  }, 60_000);

  it('refuses a half-configured environment and lists what is missing, without printing secrets', async () => {
    const run = start({ DIGITALOCEAN_TOKEN: 'dop_v1_halfconfiguredsecret' });
    expect(await run.exited).toBe(1);
    expect(run.output.stderr).toContain('SLACK_BOT_TOKEN');
    expect(run.output.stderr).toContain('SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)');
    expect(run.output.stderr).toContain('unset all of them to run the local sandbox');
    expect(run.output.stderr + run.output.stdout).not.toContain('halfconfiguredsecret');
    expect(run.output.stdout).not.toContain('playground');
  });

  it('does not run one half of a deployment (web or worker) in the sandbox', async () => {
    const run = start({}, ['web']);
    expect(await run.exited).toBe(2);
    expect(run.output.stderr).toContain('needs the Slack and DigitalOcean settings');
  });
});
