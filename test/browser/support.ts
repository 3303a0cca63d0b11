// Headless Chromium (Debian's package) driving the playground, and the sandbox it talks to: the
// same startSandbox() that `npm start` runs, on free ports, against the tests' private Redis.
import { existsSync, mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { startSandbox, type RunningSandbox } from 'droplet-bot-sandbox';
import { SANDBOX_USERS } from 'droplet-bot-sandbox';
import { deleteKeys, redisUrl, uniquePrefix } from '../support/redis.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = new URL('../../test-artifacts/playground/', import.meta.url).pathname;

export const PEOPLE = { requester: SANDBOX_USERS.bob, approver: SANDBOX_USERS.alice, nobody: SANDBOX_USERS.carol };

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
  });
}

export interface TestSandbox extends RunningSandbox {
  logs: string[];
  prefix: string;
}

/** The sandbox as `npm start` runs it, with fast simulated actions and its own Redis keys. */
export async function startTestSandbox(): Promise<TestSandbox> {
  const prefix = uniquePrefix('pw');
  const logs: string[] = [];
  const sandbox = await startSandbox({
    env: { REDIS_URL: redisUrl(), REDIS_PREFIX: prefix, PORT: '0', PLAYGROUND_PORT: '0', LOG_LEVEL: 'info' },
    timeScale: 0.02,
    logDestination: new Writable({
      write(chunk, _enc, cb) {
        logs.push(chunk.toString());
        cb();
      },
    }),
    bot: { watcher: { pollMs: 200 }, pendingEventDelayMs: 100, lineCheckMs: 100, shutdownGraceMs: 2000 },
  });
  return {
    ...sandbox,
    logs,
    prefix,
    async stop() {
      await sandbox.stop();
      await deleteKeys(prefix);
    },
  };
}

/** A page on the playground, with page errors collected so a test can assert there were none. */
export async function openPlayground(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 } });
  // Fail within a test's time with Playwright's own message (which names what it waited for).
  // Generous: the first Chromium start on a fresh CI machine and a loaded 2-core box are slow.
  page.setDefaultTimeout(20_000);
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  await page.goto(url);
  await expect.poll(() => page.locator('#status').textContent(), { timeout: 10_000 }).toBe('bot connected');
  return { page, errors };
}

export async function actAs(page: Page, userId: string): Promise<void> {
  await page.locator(`.person[data-user-id="${userId}"]`).click();
  await expect.poll(() => page.locator(`.person[data-user-id="${userId}"]`).getAttribute('aria-checked')).toBe('true');
}

/** Types a line into the channel's composer and presses Enter, as a person would. */
export async function type(page: Page, text: string): Promise<void> {
  const input = page.locator('#composer-input');
  await input.fill(text);
  await input.press('Enter');
  await expect.poll(() => input.inputValue()).toBe('');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path });
  return path;
}
