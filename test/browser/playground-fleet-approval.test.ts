// A fleet that needs a second person, in the playground, driven in Chromium: Bob asks for a
// rebuild of two Droplets, Alice sees the same list in the thread and approves, and each Droplet
// is rebuilt once.
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

it('asks for approval of a rebuild on web-1,web-2; Alice approves the frozen list in the thread', async () => {
  const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
  await actAs(page, PEOPLE.requester);
  await type(page, '/droplet rebuild web-1,web-2 image=ubuntu-22-04-x64');
  const plan = page.locator('#messages .msg.ephemeral', { hasText: 'matching web-1,web-2' });
  await plan.waitFor();
  await plan.getByRole('button', { name: 'Ask for approval to run on 2 Droplets' }).click();

  const root = page.locator('#messages .msg[data-kind="message"]', { hasText: 'on 2 Droplets matching' });
  await root.locator('.bk-context', { hasText: 'awaiting approval' }).waitFor();
  await root.locator('.thread-link').click();
  const request = page.locator('#thread .msg', { hasText: 'Approval needed' });
  await request.waitFor();
  for (const name of ['web-1', 'web-2']) expect(await request.textContent()).toContain(name);
  await screenshot(page, '9-fleet-approval');

  await actAs(page, PEOPLE.approver);
  await request.getByRole('button', { name: 'Approve' }).click();
  await page.getByRole('alertdialog', { name: 'Approve this fleet?' }).getByRole('button', { name: 'Approve' }).click();
  await root.locator('.bk-context', { hasText: '2/2 completed' }).waitFor({ timeout: 30_000 });
  expect(await root.locator('.bk-context', { hasText: '2/2 completed' }).textContent()).toContain('approved by');
  const ids = sandbox.digitalocean.state.droplets.filter((d) => d.name === 'web-1' || d.name === 'web-2').map((d) => d.id);
  const posts = sandbox.digitalocean.requests.filter((r) => r.method === 'POST' && ids.some((id) => r.path === `/v2/droplets/${id}/actions`));
  expect(posts).toHaveLength(2);
  expect(errors).toEqual([]);
  await page.close();
});
