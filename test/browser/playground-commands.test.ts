// The playground in headless Chromium against the real bot, as `npm start` runs them: a person
// types a slash command in the page and watches the thread; someone without rights is refused.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_BANNER } from 'droplet-bot-sandbox';
import { SANDBOX_CHANNELS } from 'droplet-bot-sandbox';
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

/** The channel message (not a thread reply, not an ephemeral) whose text contains `text`. */
const rootMessage = (page: Page, text: string) => page.locator('#messages .msg[data-kind="message"]', { hasText: text });

describe('playground: slash commands', () => {
  it('/droplet reboot web-1 as the operator: the thread goes queued → in-progress → completed', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet reboot web-1');

    const root = rootMessage(page, 'asked for');
    await root.waitFor();
    // Mentions render with the person's name, bold renders as <strong>, and the sandbox says so.
    expect(await root.locator('.mk-mention').first().textContent()).toBe('@Bob Builder');
    expect(await root.locator('strong', { hasText: 'reboot' }).count()).toBe(1);
    await root.locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 15_000 });
    expect(await root.textContent()).toContain('Sandbox: simulated Slack and DigitalOcean, nothing real changes');

    await root.locator('.thread-link').click();
    const thread = page.locator('#thread');
    await thread.locator('.msg', { hasText: 'completed' }).last().waitFor();
    const replies = await thread.locator('.thread-messages > .msg').allTextContents();
    // The parent first, then one reply per state, in order.
    const states = replies.slice(1).map((t) => ['queued', 'in-progress', 'completed'].find((s) => t.includes(s)));
    expect(states).toEqual(['queued', 'in-progress', 'completed']);
    await screenshot(page, '1-reboot-thread');

    // What the page shows is what happened: the simulated DigitalOcean rebooted web-1.
    const actions = sandbox.digitalocean.state.actions.filter((a) => a.type === 'reboot' && a.resource_id === 3164444);
    expect(actions.map((a) => a.status)).toEqual(['completed']);
    // Every bot message in the workspace carries the sandbox banner.
    const fromBot = sandbox.workspace.messages(SANDBOX_CHANNELS.ops).filter((m) => m.bot_id);
    expect(fromBot.length).toBeGreaterThanOrEqual(4);
    for (const m of fromBot) expect(JSON.stringify(m.blocks)).toContain(SANDBOX_BANNER);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('/droplet can @bob answers with the rule that decided, and runs nothing', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    const postsBefore = sandbox.digitalocean.requests.filter((r) => r.method === 'POST').length;
    await actAs(page, PEOPLE.approver);
    await type(page, '/droplet can @bob rebuild web-2');
    const answer = page.locator('#messages .msg.ephemeral', { hasText: 'may run' });
    await answer.waitFor();
    const text = (await answer.textContent()) ?? '';
    expect(text).toContain('Yes');
    expect(text).toContain('@Bob Builder may run rebuild on web-2');
    expect(text).toContain('granted by role operator');
    expect(text).toContain('Approval: needed');
    expect(sandbox.digitalocean.requests.filter((r) => r.method === 'POST')).toHaveLength(postsBefore);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses the person with no rights, visibly to them only, and DigitalOcean hears nothing', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    const postsBefore = sandbox.digitalocean.requests.filter((r) => r.method === 'POST').length;
    await actAs(page, PEOPLE.nobody);
    await type(page, '/droplet power-off web-2');

    const refusal = page.locator('#messages .msg.ephemeral', { hasText: 'You may not run' });
    await refusal.waitFor();
    const text = await refusal.textContent();
    expect(text).toContain('droplet:update');
    expect(text).toContain('Only visible to you');
    // `power-off` is inline code in the bot's text.
    expect(await refusal.locator('.mk-code').first().textContent()).toBe('power-off');
    await screenshot(page, '2-refusal');

    // Ephemeral means ephemeral: the operator does not see Carol's refusal.
    await actAs(page, PEOPLE.requester);
    await page.locator('#messages').waitFor();
    expect(await page.locator('#messages .msg.ephemeral', { hasText: 'You may not run' }).count()).toBe(0);
    await actAs(page, PEOPLE.nobody);
    await refusal.waitFor();

    // Dismiss removes it, as in Slack.
    await refusal.getByRole('button', { name: 'Dismiss' }).click();
    await refusal.waitFor({ state: 'detached' });

    expect(sandbox.digitalocean.requests.filter((r) => r.method === 'POST')).toHaveLength(postsBefore);
    expect(sandbox.digitalocean.state.droplets.find((d) => d.name === 'web-2')?.status).toBe('active');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('answers an unknown command the way Slack does; shows the bot\'s own answer (in its ack) to a malformed one', async () => {
    const { page } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    const input = page.locator('#composer-input');
    await input.fill('/dropplet reboot web-1');
    await input.press('Enter');
    await page.locator('#messages .msg[data-kind="notice"]', { hasText: '/dropplet is not a valid command' }).waitFor();

    await type(page, '/droplet frobnicate web-1');
    const usage = page.locator('#messages .msg.ephemeral', { hasText: 'frobnicate' });
    await usage.waitFor();
    // Even the immediate answer says it comes from the sandbox.
    expect(await usage.textContent()).toContain('Sandbox: simulated Slack and DigitalOcean');
    await page.close();
  });

  it('shows text people type as text: markup in a message is escaped, never run', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await type(page, 'look <img src=x onerror="window.pwned=1"> & *this* <b>not bold</b>');
    const mine = page.locator('#messages .msg[data-kind="message"]', { hasText: 'look' }).last();
    await mine.waitFor();
    expect(await mine.locator('.msg-text').textContent()).toBe('look <img src=x onerror="window.pwned=1"> & this <b>not bold</b>');
    expect(await mine.locator('img').count()).toBe(0);
    expect(await mine.locator('b').count()).toBe(0);
    expect(await mine.locator('strong').textContent()).toBe('this');
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(errors).toEqual([]);
    await page.close();
  });
});
