// The playground as a generic Slack stand-in: what a Bolt app sends is drawn in Chromium, and
// what a person does comes back to the app as payloads real Bolt accepts, shaped like Slack's.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLAYGROUND_PEOPLE } from 'droplet-bot-sandbox';
import { startPlayground, type Playground } from 'droplet-bot-sandbox';
import { SANDBOX_CHANNELS, SANDBOX_USERS, Workspace } from 'droplet-bot-sandbox';
import { startStandInApp, type StandInApp } from './stand-in-app.js';
import { actAs, launchBrowser, openPlayground, screenshot, type } from './support.js';

let playground: Playground;
let app: StandInApp;
let browser: Browser;
let workspace: Workspace;

beforeAll(async () => {
  const botToken = `xoxb-test-${randomBytes(6).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  workspace = new Workspace({ autoCreate: false, strictTriggers: true });
  playground = await startPlayground({ workspace, botToken, signingSecret, people: PLAYGROUND_PEOPLE, channel: SANDBOX_CHANNELS.ops, banner: 'test' });
  app = await startStandInApp({ signingSecret, botToken, slackApiUrl: `${playground.url}/api/` });
  playground.setEventsUrl(app.eventsUrl);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  await playground?.close();
});

const lastOf = (type: string) => [...app.received].reverse().find((p) => p.type === type) as Record<string, any>;

async function waitForPayload(type: string, count: number): Promise<Record<string, any>> {
  await expect.poll(() => app.received.filter((p) => p.type === type).length, { timeout: 5000 }).toBeGreaterThanOrEqual(count);
  return lastOf(type);
}

describe('playground: messages', () => {
  it('renders header, mrkdwn, context, divider and styled buttons; a confirm dialog guards the danger button', async () => {
    const { page, errors } = await openPlayground(browser, `${playground.url}/`);
    await actAs(page, SANDBOX_USERS.alice);
    await type(page, '/droplet message');
    const msg = page.locator('#messages .msg[data-kind="message"]').last();
    await msg.locator('.bk-header').waitFor();

    expect(await msg.locator('.bk-header').textContent()).toBe('Release train 🚀');
    const section = msg.locator('.bk-section .bk-text');
    expect(await section.locator('strong').textContent()).toBe('Bold');
    expect(await section.locator('em').textContent()).toBe('italic');
    expect(await section.locator('code').textContent()).toBe('code');
    const link = section.locator('a');
    expect(await link.textContent()).toBe('the docs');
    expect(await link.getAttribute('href')).toBe('https://example.com/docs?a=1&b=2');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(await section.locator('.mk-mention').textContent()).toBe('@Alice Admin');
    expect(await section.textContent()).toContain('& <friends>');
    expect(await msg.locator('.bk-context').textContent()).toBe('context line');
    expect(await msg.locator('hr.bk-divider').count()).toBe(1);
    expect(await msg.locator('button.bk-btn.primary').textContent()).toBe('Approve');
    expect(await msg.locator('button.bk-btn.danger').textContent()).toBe('Deny');

    // Deny asks first; "Keep" sends nothing.
    const before = app.received.filter((p) => p.type === 'block_actions').length;
    await msg.locator('button.bk-btn.danger').click();
    const dialog = page.getByRole('alertdialog', { name: 'Deny it?' });
    expect(await dialog.locator('.confirm-text strong').textContent()).toBe('cannot');
    await screenshot(page, 'block-kit-confirm-dialog');
    await dialog.getByRole('button', { name: 'Keep' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(app.received.filter((p) => p.type === 'block_actions')).toHaveLength(before);

    // Approve: a block_actions payload like Slack's, whose response_url replaces the message.
    await msg.locator('button.bk-btn.primary').click();
    const payload = await waitForPayload('block_actions', before + 1);
    expect(payload.user).toMatchObject({ id: SANDBOX_USERS.alice, username: 'alice' });
    expect(payload.container).toMatchObject({ type: 'message', channel_id: SANDBOX_CHANNELS.ops, is_ephemeral: false });
    expect(payload.channel).toEqual({ id: SANDBOX_CHANNELS.ops, name: 'ops' });
    expect(payload.message.ts).toBe(payload.container.message_ts);
    expect(payload.actions[0]).toMatchObject({ action_id: 'approve', block_id: 'decide', type: 'button', value: 'yes', style: 'primary', text: { type: 'plain_text', text: 'Approve' } });
    expect(payload.response_url).toMatch(new RegExp(`^${playground.url}/response-url/`));
    await page.locator('#messages .msg-text', { hasText: 'approve by @Alice Admin' }).waitFor();
    // replace_original replaced the whole message: its buttons are gone.
    expect(await page.locator('#messages button.bk-btn').count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('playground: an app that does not answer in time', () => {
  it('gives up after 3 seconds and says so the way Slack does', async () => {
    const { page } = await openPlayground(browser, `${playground.url}/`);
    await page.locator('#composer-input').fill('/droplet slow');
    await page.locator('#composer-input').press('Enter');
    await page.locator('#messages .msg[data-kind="notice"]', { hasText: '/droplet failed with the error "operation_timeout"' }).waitFor();
    // The command stays in the box, to try again.
    expect(await page.locator('#composer-input').inputValue()).toBe('/droplet slow');
    await page.close();
  });
});

describe('playground: direct messages', () => {
  it('shows the bot\'s direct message to its one recipient, under the channels', async () => {
    const { page, errors } = await openPlayground(browser, `${playground.url}/`);
    await actAs(page, SANDBOX_USERS.carol);
    await type(page, '/droplet dm');
    const dm = page.locator('.channel-link', { hasText: '(direct message)' });
    await dm.click();
    await expect.poll(() => page.locator('#channel-name').textContent()).toBe('droplet-bot (direct message)');
    expect(await page.locator('#messages .msg-text strong').textContent()).toBe('psst');
    // Someone else neither sees it in the sidebar nor stays in it.
    await actAs(page, SANDBOX_USERS.bob);
    await expect.poll(() => page.locator('#channel-name').textContent()).toBe('#ops');
    expect(await dm.count()).toBe(0);
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('playground: modals', () => {
  let page: Page;

  it('opens a modal with every input type, and checks required fields before sending anything', async () => {
    ({ page } = await openPlayground(browser, `${playground.url}/`));
    await actAs(page, SANDBOX_USERS.bob);
    await type(page, '/droplet modal');
    const modal = page.getByRole('dialog', { name: 'Everything' });
    await modal.waitFor();
    for (const [block, kind] of [
      ['droplet', 'external_select'],
      ['size', 'static_select'],
      ['name', 'plain_text_input'],
      ['count', 'number_input'],
      ['options', 'checkboxes'],
      ['when', 'radio_buttons'],
    ]) {
      expect(await modal.locator(`.bk-input[data-block-id="${block}"]`).getAttribute('data-element-type')).toBe(kind);
    }
    expect(await modal.locator('.bk-input[data-block-id="name"] .bk-hint').textContent()).toBe('Lower case, no spaces');
    expect(await modal.locator('.bk-input[data-block-id="options"] .bk-label').textContent()).toBe('Options (optional)');
    expect(await modal.getByRole('radio', { name: 'Now' }).isChecked()).toBe(true);

    await modal.getByRole('button', { name: 'Go' }).click();
    expect(await modal.locator('.bk-input[data-block-id="droplet"] .bk-error').textContent()).toBe('Please complete this required field.');
    expect(await modal.locator('.bk-input[data-block-id="options"] .bk-error').count()).toBe(0);
    expect(app.received.filter((p) => p.type === 'view_submission')).toHaveLength(0);
  });

  it('type-ahead asks the app (block_suggestion); picking dispatches an action and the app updates the modal, keeping inputs', async () => {
    const modal = page.getByRole('dialog', { name: 'Everything' });
    await modal.getByLabel('New name').fill('web-1');
    const search = modal.locator('.bk-input[data-block-id="droplet"] input');
    await search.pressSequentially('we');
    await modal.getByRole('option', { name: 'web-2' }).waitFor();
    expect(await modal.locator('.bk-suggestion').allTextContents()).toEqual(['web-1', 'web-2']);
    const suggestion = lastOf('block_suggestion');
    expect(suggestion).toMatchObject({ action_id: 'picker', block_id: 'droplet', value: 'we', container: { type: 'view' } });
    expect(suggestion.view.callback_id).toBe('kitchen');

    await modal.getByRole('option', { name: 'web-2' }).click();
    await modal.locator('.bk-section', { hasText: 'Resizing web-2.' }).waitFor();
    const action = lastOf('block_actions');
    expect(action.container).toEqual({ type: 'view', view_id: action.view.id });
    expect(action.actions[0]).toMatchObject({ type: 'external_select', action_id: 'picker', selected_option: { value: 'web-2' } });
    // Slack keeps what was typed when views.update keeps the block and action IDs.
    expect(await modal.getByLabel('New name').inputValue()).toBe('web-1');
    expect(await modal.locator('.bk-chosen').textContent()).toContain('web-2');
  });

  it('submits state.values as Slack does, and shows the app\'s inline errors under the field', async () => {
    const modal = page.getByRole('dialog', { name: 'Everything' });
    await modal.getByLabel('Size').selectOption('s-2vcpu-4gb');
    await modal.getByLabel('How many').fill('9');
    await modal.getByRole('button', { name: 'Go' }).click();
    expect(await modal.locator('.bk-input[data-block-id="count"] .bk-error').textContent()).toBe('Please enter a number no greater than 5.');
    await modal.getByLabel('How many').fill('2');
    await modal.getByRole('checkbox', { name: /Grow the disk/ }).check();
    await modal.getByRole('radio', { name: 'Tonight' }).check();
    await modal.getByRole('button', { name: 'Go' }).click();

    await modal.locator('.bk-input[data-block-id="name"] .bk-error', { hasText: 'A Droplet called web-1 already exists.' }).waitFor();
    await screenshot(page, 'block-kit-modal-errors');
    const submission = lastOf('view_submission');
    expect(submission.view).toMatchObject({ callback_id: 'kitchen', private_metadata: '{"from":"test"}', type: 'modal' });
    expect(submission.view.state.values).toEqual({
      droplet: { picker: { type: 'external_select', selected_option: { text: { type: 'plain_text', text: 'web-2' }, value: 'web-2' } } },
      size: { size: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 's-2vcpu-4gb' }, value: 's-2vcpu-4gb' } } },
      name: { name: { type: 'plain_text_input', value: 'web-1' } },
      count: { count: { type: 'number_input', value: '2' } },
      options: { options: { type: 'checkboxes', selected_options: [{ text: { type: 'plain_text', text: 'Grow the disk' }, value: 'disk', description: { type: 'plain_text', text: 'Cannot be undone' } }] } },
      when: { when: { type: 'radio_buttons', selected_option: { text: { type: 'plain_text', text: 'Tonight' }, value: 'tonight' } } },
    });
  });

  it('response_action push shows the next view; closing it with ✕ clears the stack and tells the app (notify_on_close)', async () => {
    const modal = page.getByRole('dialog', { name: 'Everything' });
    await modal.getByLabel('New name').fill('web-9');
    await modal.getByRole('button', { name: 'Go' }).click();
    const done = page.getByRole('dialog', { name: 'Done' });
    await done.locator('code', { hasText: 'web-9' }).waitFor();
    expect(await done.locator('.modal-footer .modal-close').textContent()).toBe('Close');

    await done.locator('.modal-x').click();
    await done.waitFor({ state: 'detached' });
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    const closed = await waitForPayload('view_closed', 1);
    expect(closed).toMatchObject({ is_cleared: true, view: { callback_id: 'done' } });
    expect(workspace.views.all()).toEqual([]);
    await page.close();
  });
});
