// The notification channel, the message banner, and escaping of text from users and DigitalOcean.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, startHarness, type Harness } from '../support/harness.js';

const NOTIFY = 'C0NOTIFY01';
const BANNER = ':test_tube: Sandbox: simulated DigitalOcean, nothing real changes';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ env: { NOTIFY_CHANNEL: NOTIFY, MESSAGE_BANNER: BANNER } });
});
afterAll(async () => {
  await h?.stop();
});

const final = (prefix: string) =>
  h.slack.waitFor(() => {
    const m = h.roots().find((r) => r.text?.startsWith(prefix));
    return m && /: (completed|errored)$/.test(m.text ?? '') ? m : undefined;
  }, 15_000);

describe('notifications', () => {
  it('posts one line per finished action in NOTIFY_CHANNEL, and mentions the requester in the thread', async () => {
    h.digitalocean.addDroplet({ name: 'notify-me' });
    await h.command('power-off notify-me', USERS.operator);
    const root = await final('power-off on notify-me');
    const lines = await h.slack.waitFor(() => {
      const l = h.slack.workspace.channelMessages(NOTIFY).filter((m) => m.text?.includes('notify-me'));
      return l.length ? l : undefined;
    });
    expect(lines).toHaveLength(1);
    const text = lines[0]!.text ?? '';
    expect(text).toMatch(/:white_check_mark: \*power-off\* on \*notify-me\* \(\d+\) completed in .+ · asked by <@U0OPERATOR> · <[^|>]+\|thread>/);
    const thread = h.thread(root.ts).map((m) => m.text ?? '');
    expect(thread.at(-1)).toContain(`<@${USERS.operator}>`);
  });

  it('reports an errored action in the channel too', async () => {
    const d = h.digitalocean.addDroplet({ name: 'notify-error' });
    h.digitalocean.errorNextAction({ dropletId: d.id });
    await h.command('reboot notify-error');
    await final('reboot on notify-error');
    const line = await h.slack.waitFor(() => h.slack.workspace.channelMessages(NOTIFY).find((m) => m.text?.includes('notify-error')));
    expect(line.text).toContain(':x: *reboot* on *notify-error*');
    expect(line.text).toContain('errored');
  });
});

describe('message banner', () => {
  it('adds the banner to every message the bot sends: root, thread, notification and ephemeral answers', async () => {
    h.digitalocean.addDroplet({ name: 'bannered' });
    await h.command('enable-ipv6 bannered');
    const root = await final('enable-ipv6 on bannered');
    expect(JSON.stringify(root.blocks)).toContain(BANNER);
    for (const reply of h.thread(root.ts)) expect(JSON.stringify((reply as { blocks?: unknown }).blocks)).toContain(BANNER);
    const note = await h.slack.waitFor(() => h.slack.workspace.channelMessages(NOTIFY).find((m) => m.text?.includes('bannered')));
    expect(JSON.stringify((note as { blocks?: unknown }).blocks)).toContain(BANNER);
    const bad = await h.command('rebot web-1');
    expect(JSON.stringify(bad.json)).toContain(BANNER);
    const refused = await h.command('reboot web-1', USERS.nobody);
    const answer = await h.slack.waitFor(() => (h.slack.workspace.responsesFor(refused.responseUrl)[0] as { blocks?: unknown } | undefined)?.blocks);
    expect(JSON.stringify(answer)).toContain(BANNER);
  });
});

describe('safe text', () => {
  it('escapes what users type, so a snapshot name cannot ping @channel or forge a link', async () => {
    h.digitalocean.addDroplet({ name: 'escape-me' });
    await h.command('snapshot escape-me name="<!channel> & <https://evil.example|click>"');
    const root = await final('snapshot on escape-me');
    const blocks = JSON.stringify(root.blocks);
    expect(blocks).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(blocks).not.toContain('<!channel>');
  });

  it('escapes Droplet names that come from DigitalOcean', async () => {
    const d = h.digitalocean.addDroplet({ name: 'evil' });
    // DigitalOcean would refuse such a name today; the bot must not trust that it always will.
    h.digitalocean.state.droplets.find((x) => x.id === d.id)!.name = '<!here>';
    await h.command(`reboot ${d.id}`);
    const root = await final('reboot on &lt;!here&gt;');
    expect(JSON.stringify(root.blocks)).not.toContain('<!here>');
    expect(root.text).not.toContain('<!here>');
  });
});
