// A fleet in the playground, driven in Chromium as a person would: the plan for a tag, typed or
// picked in the /droplet form, Run, and the root message's live progress to the end, one POST
// per Droplet.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { actAs, launchBrowser, openPlayground, PEOPLE, screenshot, startTestSandbox, type, type TestSandbox } from './support.js';

let sandbox: TestSandbox;
let browser: Browser;

beforeAll(async () => {
  [sandbox, browser] = await Promise.all([startTestSandbox(), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await sandbox?.stop();
});

it('reboots the tag:env:prod fleet one Droplet at a time from its plan', async () => {
  const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
  await actAs(page, PEOPLE.requester);
  await type(page, '/droplet reboot tag:env:prod batch=1');
  const plan = page.locator('#messages .msg.ephemeral', { hasText: 'matching tag:env:prod' });
  await plan.waitFor();
  for (const name of ['web-1', 'web-2', 'db-1']) expect(await plan.textContent()).toContain(name);
  await screenshot(page, '7-fleet-plan');
  await plan.getByRole('button', { name: 'Run on 3 Droplets' }).click();

  const root = page.locator('#messages .msg[data-kind="message"]', { hasText: 'on 3 Droplets matching' });
  await root.locator('.bk-context', { hasText: '3/3 completed' }).waitFor({ timeout: 30_000 });
  await screenshot(page, '8-fleet-finished');
  const ids = sandbox.digitalocean.state.droplets.filter((d) => d.tags.includes('env:prod')).map((d) => d.id);
  const posts = sandbox.digitalocean.requests.filter((r) => r.method === 'POST' && ids.some((id) => r.path === `/v2/droplets/${id}/actions`));
  expect(posts).toHaveLength(3);
  expect(errors).toEqual([]);
  await page.close();
});

it('plans a fleet from the form: type tag:, pick the tag, set a batch, see the plan, Run', async () => {
  const ids = [1, 2].map((i) => sandbox.digitalocean.addDroplet({ name: `canary-${i}`, tags: ['ring:canary'] }).id);
  const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
  await actAs(page, PEOPLE.requester);
  await type(page, '/droplet');
  const modal = page.getByRole('dialog', { name: 'Droplet action' });
  await modal.getByLabel('Action').selectOption('power_cycle');
  await modal.getByText('Power off hard and on again').waitFor();
  await modal.locator('.bk-input[data-element-type="external_select"] input').pressSequentially('tag:ring');
  await modal.getByRole('option', { name: /^tag:ring:canary · 2 Droplets/ }).click();
  const batch = modal.getByLabel('Batch');
  await batch.fill('1');
  await screenshot(page, '9-fleet-modal');
  await modal.getByRole('button', { name: 'Show the plan' }).click();
  await modal.waitFor({ state: 'detached' });

  const plan = page.locator('#messages .msg.ephemeral', { hasText: 'matching tag:ring:canary' });
  expect(await plan.textContent()).toContain('1 at a time');
  await plan.getByRole('button', { name: 'Run on 2 Droplets' }).click();
  const root = page.locator('#messages .msg[data-kind="message"]', { hasText: 'on 2 Droplets matching' });
  await root.locator('.bk-context', { hasText: '2/2 completed' }).waitFor({ timeout: 30_000 });
  const posts = sandbox.digitalocean.requests.filter((r) => r.method === 'POST' && ids.some((id) => r.path === `/v2/droplets/${id}/actions`));
  expect(posts).toHaveLength(2);
  expect(errors).toEqual([]);
  await page.close();
});
