// The app's Home tab in the playground, in Chromium against the real bot: opening it sends the bot
// app_home_opened as Slack does (JSON, signed), and the page shows each person the view the bot
// published for them with views.publish, drawn again on every new publish. Paging, filtering, a
// Droplet's menu and Approve are block_actions from a view of type home.
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CHANNELS } from 'droplet-bot-sandbox';
import { actAs, launchBrowser, openPlayground, PEOPLE, screenshot, startTestSandbox, type, type TestSandbox } from './support.js';

let sandbox: TestSandbox;
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

/** A sandbox for one describe block; `more` adds Droplets before the bot first reads the account. */
function withSandbox(more: (s: TestSandbox) => void = () => {}) {
  beforeAll(async () => {
    sandbox = await startTestSandbox();
    more(sandbox);
  });
  afterAll(async () => {
    await sandbox?.stop();
  });
}

// A step that fails must not leave a modal open over the next test's page.
afterEach(() => {
  for (const record of sandbox?.workspace.views.all() ?? []) if (sandbox.workspace.views.all().includes(record)) sandbox.workspace.views.clear(record.view.id);
});

const droplet = (name: string) => sandbox.digitalocean.state.droplets.find((d) => d.name === name)!;
const published = (user: string) => sandbox.workspace.views.homeFor(user)?.view;
const homePane = (page: Page) => page.locator('#home');
const rootMessage = (page: Page, text: string) => page.locator('#messages .msg[data-kind="message"]', { hasText: text });

/**
 * Resolves once the page shows a version of `user`'s Home tab that the bot published after
 * `before` (a hash): the simulator holds it, and the page draws exactly that one.
 */
async function untilRepublished(page: Page, user: string, before: string | undefined): Promise<Locator> {
  await expect
    .poll(async () => {
      const now = published(user);
      return now !== undefined && now.hash !== before && (await homePane(page).getAttribute('data-hash')) === now.hash;
    }, { timeout: 10_000 })
    .toBe(true);
  return homePane(page);
}

/** Clicks the app's Home in the sidebar, as `user`; resolves with the tab the bot published for it. */
async function openHome(page: Page, user: string): Promise<Locator> {
  const before = published(user)?.hash;
  await page.locator('.app-link').click();
  return untilRepublished(page, user, before);
}

/** Does `act` on the tab and waits for the bot's next publish of it. */
async function andRepublished(page: Page, user: string, act: () => Promise<void>): Promise<Locator> {
  const before = published(user)?.hash;
  await act();
  return untilRepublished(page, user, before);
}

/** The Droplet names the tab lists, in order. */
const dropletNames = (home: Locator) => home.locator('[data-block-id^="droplet:"] .bk-text strong:first-child').allTextContents();
const workers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `worker-${String(from + i).padStart(2, '0')}`);

describe('playground: the Home tab of the seeded account', () => {
  withSandbox();

  it('shows each person what the bot published for them: Droplets for the operator and the admin, an explanation for someone with no rights', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    const home = await openHome(page, PEOPLE.requester);
    // The Home replaces the channel, as in Slack.
    expect(await page.locator('#channel-pane').isHidden()).toBe(true);
    expect(await home.getAttribute('data-view-id')).toBe(published(PEOPLE.requester)!.id);
    expect(await home.locator('.bk-header').first().textContent()).toBe('Droplets');
    const all = ['db-1', 'staging-1', 'web-1', 'web-2', 'worker', 'worker'];
    expect(await dropletNames(home)).toEqual(all);
    expect(await home.locator('.bk-context').first().textContent()).toContain('1–6 of 6');
    // One page: no Previous or Next.
    expect(await home.locator('[data-block-type="actions"]').count()).toBe(0);
    // Each Droplet has its menu of the actions this person may run.
    const menu = home.locator(`[data-block-id="droplet:${droplet('web-1').id}"] select[data-element-type="overflow"]`);
    const options = await menu.locator('option:not([disabled])').allTextContents();
    expect(options[0]).toBe('reboot');
    expect(options.at(-1)).toBe('Other action…');

    // Switching person on the Home tab opens that person's own tab.
    await actAs(page, PEOPLE.nobody);
    await untilRepublished(page, PEOPLE.nobody, undefined);
    expect(await home.textContent()).toContain('You may not run any Droplet action yet');
    expect(await home.locator('[data-block-id^="droplet:"]').count()).toBe(0);
    expect(await home.locator('input').count()).toBe(0);

    await actAs(page, PEOPLE.approver);
    await untilRepublished(page, PEOPLE.approver, undefined);
    expect(await dropletNames(home)).toEqual(all);
    expect(await home.textContent()).not.toContain('You may not run');

    // Back to a channel: the channel is shown again.
    await page.locator(`.channel-link[data-channel-id="${SANDBOX_CHANNELS.ops}"]`).click();
    await page.locator('#channel-pane').waitFor();
    expect(await home.isHidden()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opens the /droplet form filled in from a Droplet’s menu; the request goes to the channel chosen in it', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    const home = await openHome(page, PEOPLE.requester);
    const db1 = droplet('db-1');
    await home.locator(`[data-block-id="droplet:${db1.id}"] select[data-element-type="overflow"]`).selectOption({ label: 'reboot' });

    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    expect(await modal.getByLabel('Action').inputValue()).toBe('reboot');
    const chosen = modal.locator('.bk-input[data-element-type="external_select"] .bk-chosen');
    expect(await chosen.getAttribute('data-value')).toBe(String(db1.id));
    expect(await chosen.textContent()).toContain('db-1');
    // Opened from the Home tab, which is no conversation: the form asks where to post.
    const where = modal.getByLabel('Post the request in');
    expect(await where.inputValue()).toBe('');
    expect(await where.locator('option:not([disabled])').allTextContents()).toEqual(['# ops', '# general', '# random']);
    await where.selectOption(SANDBOX_CHANNELS.ops);
    await modal.getByRole('button', { name: 'Run' }).click();
    await modal.waitFor({ state: 'detached' });

    await page.locator(`.channel-link[data-channel-id="${SANDBOX_CHANNELS.ops}"]`).click();
    await rootMessage(page, 'db-1').locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await rootMessage(page, 'db-1').textContent()).toContain('reboot');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lets an approver approve a waiting request from the tab, and the action runs', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    // Alice's own request first, so her tab also has one under her recent requests.
    await actAs(page, PEOPLE.approver);
    await type(page, '/droplet reboot web-1');
    await rootMessage(page, 'web-1').last().locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet rebuild web-2 image=ubuntu-22-04-x64');
    const root = rootMessage(page, 'rebuild');
    await root.locator('.bk-context', { hasText: 'awaiting approval' }).waitFor();

    // The requester's own tab does not offer it.
    let home = await openHome(page, PEOPLE.requester);
    expect(await home.textContent()).not.toContain('Waiting for your approval');

    const before = published(PEOPLE.approver)?.hash;
    await actAs(page, PEOPLE.approver);
    home = await untilRepublished(page, PEOPLE.approver, before);
    const waiting = home.locator('[data-block-id^="approval:"]');
    expect(await home.locator('.bk-header', { hasText: 'Waiting for your approval' }).count()).toBe(1);
    expect(await waiting.textContent()).toContain(`rebuild on web-2 (${droplet('web-2').id}), asked by @Bob Builder`);
    const mine = home.locator('[data-block-id^="recent:"]');
    expect(await mine.count()).toBe(1);
    expect(await mine.textContent()).toContain(`reboot on web-1 (${droplet('web-1').id}) · completed · asked`);
    expect(await mine.getByRole('link', { name: 'thread' }).count()).toBe(1);
    await screenshot(page, 'home-tab');

    // Its thread link opens the request's thread in the playground.
    await waiting.getByRole('link', { name: 'thread' }).click();
    const thread = page.locator('#thread');
    await thread.locator('.msg', { hasText: 'Approval needed' }).waitFor();
    expect(await page.locator('#channel-name').textContent()).toBe('#ops');

    home = await openHome(page, PEOPLE.approver);
    expect(sandbox.digitalocean.requests.some((r) => r.method === 'POST' && r.path.includes(`/droplets/${droplet('web-2').id}/actions`))).toBe(false);
    home = await andRepublished(page, PEOPLE.approver, () => home.locator('[data-block-id^="approval-buttons:"]').getByRole('button', { name: 'Approve' }).click());
    // Published again without it.
    await home.locator('.bk-header', { hasText: 'Waiting for your approval' }).waitFor({ state: 'detached' });

    await page.locator(`.channel-link[data-channel-id="${SANDBOX_CHANNELS.ops}"]`).click();
    await root.locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await root.textContent()).toContain('approved by @Alice Admin');
    expect(droplet('web-2').image.slug).toBe('ubuntu-22-04-x64');
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('playground: the Home tab of a larger account', () => {
  // A pool of workers on top of the seeded six: 26 Droplets, so the tab has a second page.
  withSandbox((s) => {
    for (const name of workers(1, 20)) s.digitalocean.addDroplet({ name, tags: ['worker', 'env:prod'] });
  });

  it('lists the first page: the seeded Droplets, then the pool in order', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    const home = await openHome(page, PEOPLE.requester);
    expect(await dropletNames(home)).toEqual(['db-1', 'staging-1', 'web-1', 'web-2', 'worker', 'worker', ...workers(1, 14)]);
    expect(await home.locator('.bk-context').first().textContent()).toContain('1–20 of 26');
    expect(await home.getByRole('button', { name: 'Previous' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('pages with Next and Previous, and filters by name or tag when Enter is pressed in the filter', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    let home = await openHome(page, PEOPLE.requester);

    home = await andRepublished(page, PEOPLE.requester, () => home.getByRole('button', { name: 'Next' }).click());
    expect(await dropletNames(home)).toEqual(workers(15, 20));
    expect(await home.locator('.bk-context').first().textContent()).toContain('21–26 of 26');
    expect(await home.getByRole('button', { name: 'Next' }).count()).toBe(0);
    home = await andRepublished(page, PEOPLE.requester, () => home.getByRole('button', { name: 'Previous' }).click());
    expect((await dropletNames(home))[0]).toBe('db-1');

    const filter = home.getByLabel('Filter by name or tag');
    await filter.fill('tag:env:prod');
    // Typing alone sends nothing; Enter does (dispatch_action on enter).
    expect(published(PEOPLE.requester)!.hash).toBe(await home.getAttribute('data-hash'));
    home = await andRepublished(page, PEOPLE.requester, () => filter.press('Enter'));
    expect(await dropletNames(home)).toEqual(['db-1', 'web-1', 'web-2', ...workers(1, 17)]);
    expect(await home.locator('.bk-context').first().textContent()).toContain('1–20 of 23 matching tag:env:prod');
    // What was typed stays in the filter after the bot publishes again.
    expect(await home.getByLabel('Filter by name or tag').inputValue()).toBe('tag:env:prod');

    await home.getByLabel('Filter by name or tag').fill('web');
    home = await andRepublished(page, PEOPLE.requester, () => home.getByLabel('Filter by name or tag').press('Enter'));
    // A name part, or a bare tag: staging-1 carries the tag `web`.
    expect(await dropletNames(home)).toEqual(['staging-1', 'web-1', 'web-2']);

    await home.getByLabel('Filter by name or tag').fill('no-such-droplet');
    home = await andRepublished(page, PEOPLE.requester, () => home.getByLabel('Filter by name or tag').press('Enter'));
    expect(await home.textContent()).toContain('None of your Droplets matches no-such-droplet');
    expect(await dropletNames(home)).toEqual([]);

    // An empty filter lists everything again.
    await home.getByLabel('Filter by name or tag').fill('');
    home = await andRepublished(page, PEOPLE.requester, () => home.getByLabel('Filter by name or tag').press('Enter'));
    expect(await home.locator('.bk-context').first().textContent()).toContain('1–20 of 26');
    expect(errors).toEqual([]);
    await page.close();
  });
});
