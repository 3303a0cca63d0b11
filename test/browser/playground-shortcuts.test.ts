// The app's shortcuts in the playground, in Chromium against the real bot, as manifest.yml declares
// them: "Droplet action" in the composer's lightning-bolt menu (a `shortcut` payload; the form asks
// where to post, in a conversations_select), and "Run a Droplet action" in a message's More actions
// (a `message_action` payload with the message; the request goes in that message's thread).
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

// A step that fails must not leave a modal open over the next test's page.
afterEach(() => {
  for (const record of sandbox?.workspace.views.all() ?? []) if (sandbox.workspace.views.all().includes(record)) sandbox.workspace.views.clear(record.view.id);
});

const droplet = (name: string) => sandbox.digitalocean.state.droplets.find((d) => d.name === name)!;
const rootMessage = (page: Page, text: string) => page.locator('#messages .msg[data-kind="message"]', { hasText: text });
const openChannel = (page: Page, id: string) => page.locator(`.channel-link[data-channel-id="${id}"]`).click();

/** Posts `text` as the current person and opens its More actions menu; resolves with the message. */
async function moreActions(page: Page, text: string) {
  await type(page, text);
  const message = rootMessage(page, text);
  await message.hover();
  await message.getByRole('button', { name: 'More actions' }).click();
  return message;
}

describe('playground: the shortcuts menu', () => {
  it('runs the global shortcut: the form asks where to post, starting on the current channel, and the request goes to the channel chosen', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await page.getByRole('button', { name: 'Shortcuts' }).click();
    const menu = page.getByRole('menu', { name: 'Shortcuts' });
    // Only the global shortcuts of manifest.yml, with their descriptions.
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Droplet actionRun a DigitalOcean Droplet action from anywhere']);
    await menu.getByRole('menuitem', { name: /Droplet action/ }).click();

    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    const where = modal.getByLabel('Post the request in');
    // default_to_current_conversation: the channel the person was in.
    expect(await where.inputValue()).toBe(SANDBOX_CHANNELS.ops);
    await where.selectOption(SANDBOX_CHANNELS.general);
    await modal.getByLabel('Action').selectOption('reboot');
    await modal.getByText('Reboot gracefully').waitFor();
    const picker = modal.locator('.bk-input[data-element-type="external_select"] input');
    await picker.pressSequentially('web-1');
    await modal.getByRole('option', { name: /^web-1/ }).click();
    await modal.locator('.bk-chosen', { hasText: 'web-1' }).waitFor();
    await modal.getByRole('button', { name: 'Run' }).click();
    await modal.waitFor({ state: 'detached' });

    await openChannel(page, SANDBOX_CHANNELS.general);
    const root = rootMessage(page, 'web-1');
    await root.locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await root.textContent()).toContain('reboot');
    expect(sandbox.workspace.messages(SANDBOX_CHANNELS.general).some((m) => m.text.includes('reboot on web-1'))).toBe(true);
    // Nothing of it in the channel the form was opened from.
    expect(sandbox.workspace.messages(SANDBOX_CHANNELS.ops).some((m) => m.text.includes('web-1'))).toBe(false);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('playground: message shortcuts', () => {
  it('on an alert naming a Droplet: the form is filled in with it, and the request goes in the alert’s thread', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    const alertText = 'High CPU on web-2: above 90% for 10 minutes';
    const alert = await moreActions(page, alertText);
    const menu = page.getByRole('menu', { name: 'More actions' });
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Run a Droplet actionAct on the Droplet this message names, in its thread']);
    await screenshot(page, 'message-shortcut-menu');
    await menu.getByRole('menuitem', { name: /Run a Droplet action/ }).click();

    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    const chosen = modal.locator('.bk-input[data-element-type="external_select"] .bk-chosen');
    expect(await chosen.getAttribute('data-value')).toBe(String(droplet('web-2').id));
    // The channel is the message's: the form does not ask for one.
    expect(await modal.getByLabel('Post the request in').count()).toBe(0);
    await modal.getByLabel('Action').selectOption('reboot');
    await modal.getByText('Reboot gracefully').waitFor();
    await modal.getByRole('button', { name: 'Run' }).click();
    await modal.waitFor({ state: 'detached' });

    // The alert gets a thread, and the request runs there.
    await alert.locator('.thread-link').click();
    const thread = page.locator('#thread');
    await thread.locator('.thread-messages > .msg', { hasText: 'completed' }).last().waitFor({ timeout: 20_000 });
    expect(await thread.locator('.thread-messages > .msg').first().textContent()).toContain(alertText);
    expect(await thread.textContent()).toContain('reboot on web-2');
    // Nothing of it among the channel's own messages.
    expect(await rootMessage(page, 'asked for').count()).toBe(0);
    expect(sandbox.digitalocean.requests.filter((r) => r.method === 'POST' && r.path === `/v2/droplets/${droplet('web-2').id}/actions`)).toHaveLength(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('on a message naming no Droplet: the form says so and fills none in', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await moreActions(page, 'lunch at noon?');
    await page.getByRole('menu', { name: 'More actions' }).getByRole('menuitem', { name: /Run a Droplet action/ }).click();

    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    await modal.getByText('That message names no Droplet').waitFor();
    expect(await modal.locator('.bk-input[data-element-type="external_select"] .bk-chosen').count()).toBe(0);
    await modal.getByRole('button', { name: 'Cancel' }).click();
    await modal.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await page.close();
  });
});
