// The bot's interactive flows driven in Chromium as a person would: the /droplet modal for a
// resize, and a four-eyes rebuild asked for by one person and approved by another.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
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

describe('playground: the /droplet modal', () => {
  it('resizes a powered-off Droplet: pick the action, find the Droplet by typing, pick a size, submit', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet');
    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    await modal.getByLabel('Action').selectOption('resize');
    // The bot answers the choice with views.update; type only once the form shows it.
    await modal.getByText('Change the size').waitFor();

    // The Droplet picker is an external_select: typing asks the bot, which asks DigitalOcean.
    const picker = modal.locator('.bk-input[data-element-type="external_select"] input');
    await picker.pressSequentially('stag');
    await modal.getByRole('option', { name: /^staging-1/ }).click();
    const size = modal.getByLabel(/New size/);
    await size.waitFor();
    // Only sizes DigitalOcean offers in the Droplet's region, the current one marked.
    expect(await size.locator('option', { hasText: '(current)' }).textContent()).toBe('s-1vcpu-1gb (current)');
    await size.selectOption('s-2vcpu-4gb');
    await screenshot(page, '3-resize-modal');

    await modal.getByRole('button', { name: 'Run' }).click();
    await modal.waitFor({ state: 'detached' });
    const root = rootMessage(page, 'resize');
    await root.locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await root.textContent()).toContain('size=s-2vcpu-4gb');
    // The simulated Droplet really changed, and the page's Droplet list shows it.
    expect(droplet('staging-1').size_slug).toBe('s-2vcpu-4gb');
    await page.locator('#droplets tr', { hasText: 'staging-1' }).locator('.droplet-size', { hasText: 's-2vcpu-4gb' }).waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows the bot\'s inline error when the form is not valid, and queues nothing', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet rename web-2');
    const modal = page.getByRole('dialog', { name: 'Droplet action' });
    const name = modal.getByLabel('New name');
    await name.fill('not a hostname!');
    const postsBefore = sandbox.digitalocean.requests.filter((r) => r.method === 'POST').length;
    await modal.getByRole('button', { name: 'Run' }).click();
    // The bot's own check (response_action: errors), shown under the field it is about.
    const error = modal.locator('.bk-input', { hasText: 'New name' }).locator('.bk-error');
    expect(await error.textContent()).toContain('must be a valid hostname');
    await screenshot(page, '3-modal-inline-error');
    // What was typed stays, so it can be corrected.
    expect(await name.inputValue()).toBe('not a hostname!');
    expect(sandbox.digitalocean.requests.filter((r) => r.method === 'POST')).toHaveLength(postsBefore);
    await modal.getByRole('button', { name: 'Cancel' }).click();
    await modal.waitFor({ state: 'detached' });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('playground: four-eyes approval', () => {
  it('Bob asks for a rebuild, cannot approve it himself; Alice approves after a confirmation, and it runs', async () => {
    const { page, errors } = await openPlayground(browser, sandbox.playgroundUrl);
    const imageBefore = droplet('web-2').image.slug;
    await actAs(page, PEOPLE.requester);
    await type(page, '/droplet rebuild web-2 image=ubuntu-22-04-x64');
    const root = rootMessage(page, 'rebuild');
    await root.locator('.bk-context', { hasText: 'awaiting approval' }).waitFor();
    await root.locator('.thread-link').click();
    const thread = page.locator('#thread');
    const request = thread.locator('.msg', { hasText: 'Approval needed' });
    await request.waitFor();

    // Four eyes: the requester's own Approve is refused, to him alone.
    await request.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Approve' }).click();
    await page.locator('.msg.ephemeral', { hasText: 'cannot approve it yourself' }).waitFor();
    expect(droplet('web-2').image.slug).toBe(imageBefore);

    // Alice sees the same thread (not Bob's ephemeral), and rebuild asks her to confirm.
    await actAs(page, PEOPLE.approver);
    expect(await page.locator('.msg.ephemeral', { hasText: 'cannot approve it yourself' }).count()).toBe(0);
    await request.getByRole('button', { name: 'Approve' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Approve this action?' });
    expect(await confirm.textContent()).toContain('cannot be undone');
    await screenshot(page, '4-approve-confirm');
    await confirm.getByRole('button', { name: 'Approve' }).click();

    await thread.locator('.msg', { hasText: 'approved by @Alice Admin' }).first().waitFor();
    await root.locator('.bk-context', { hasText: 'completed' }).waitFor({ timeout: 20_000 });
    expect(await root.textContent()).toContain('approved by @Alice Admin');
    await thread.locator('.thread-messages > .msg', { hasText: 'completed' }).last().waitFor();
    // The buttons are gone once decided.
    expect(await request.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    await page.locator('#droplets tr[data-busy="false"]', { hasText: 'web-2' }).waitFor();
    await screenshot(page, '4-rebuild-approved');

    expect(droplet('web-2').image.slug).toBe('ubuntu-22-04-x64');
    expect(errors).toEqual([]);
    await page.close();
  });
});
