// A small Bolt app that uses every Block Kit piece the playground claims to render: layout blocks
// and styled buttons with a confirm dialog in a message, and a modal with each input type, an
// external_select fed by block_suggestion, inline errors, views.update and views.push. It runs on
// the real @slack/bolt, so a payload the playground got wrong would be refused or mis-routed.
import { App, HTTPReceiver, LogLevel, type BlockAction, type Logger } from '@slack/bolt';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';

export interface StandInApp {
  eventsUrl: string;
  /** Every interaction payload (and slash command) the app received, oldest first. */
  received: Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

const DROPLETS = ['web-1', 'web-2', 'db-1', 'worker', 'staging-1'];
const plain = (text: string) => ({ type: 'plain_text' as const, text });

export const KITCHEN_VIEW = {
  type: 'modal' as const,
  callback_id: 'kitchen',
  private_metadata: '{"from":"test"}',
  title: plain('Everything'),
  submit: plain('Go'),
  close: plain('Cancel'),
  blocks: [
    { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: 'Pick a *Droplet* and fill in the rest.' } },
    {
      type: 'input',
      block_id: 'droplet',
      dispatch_action: true,
      label: plain('Droplet'),
      element: { type: 'external_select', action_id: 'picker', min_query_length: 2, placeholder: plain('Search Droplets') },
    },
    {
      type: 'input',
      block_id: 'size',
      label: plain('Size'),
      element: {
        type: 'static_select',
        action_id: 'size',
        placeholder: plain('Choose a size'),
        option_groups: [
          { label: plain('Basic'), options: [{ text: plain('s-1vcpu-2gb'), value: 's-1vcpu-2gb' }, { text: plain('s-2vcpu-4gb'), value: 's-2vcpu-4gb' }] },
          { label: plain('CPU-optimized'), options: [{ text: plain('c-2'), value: 'c-2' }] },
        ],
      },
    },
    { type: 'input', block_id: 'name', label: plain('New name'), hint: plain('Lower case, no spaces'), element: { type: 'plain_text_input', action_id: 'name', min_length: 3 } },
    { type: 'input', block_id: 'count', label: plain('How many'), element: { type: 'number_input', action_id: 'count', is_decimal_allowed: false, min_value: '1', max_value: '5' } },
    {
      type: 'input',
      block_id: 'options',
      optional: true,
      label: plain('Options'),
      element: {
        type: 'checkboxes',
        action_id: 'options',
        options: [
          { text: plain('Grow the disk'), value: 'disk', description: plain('Cannot be undone') },
          { text: plain('Notify #ops'), value: 'notify' },
        ],
      },
    },
    {
      type: 'input',
      block_id: 'when',
      label: plain('When'),
      element: {
        type: 'radio_buttons',
        action_id: 'when',
        initial_option: { text: plain('Now'), value: 'now' },
        options: [
          { text: plain('Now'), value: 'now' },
          { text: plain('Tonight'), value: 'tonight' },
        ],
      },
    },
  ],
};

const MESSAGE_BLOCKS = [
  { type: 'header', text: plain('Release train :rocket:') },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '*Bold*, _italic_, `code`, <https://example.com/docs?a=1&amp;b=2|the docs> and <@U0ALICE> &amp; &lt;friends&gt;' },
  },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'context line' }] },
  { type: 'divider' },
  {
    type: 'actions',
    block_id: 'decide',
    elements: [
      { type: 'button', action_id: 'approve', style: 'primary', text: plain('Approve'), value: 'yes' },
      {
        type: 'button',
        action_id: 'deny',
        style: 'danger',
        text: plain('Deny'),
        value: 'no',
        confirm: { title: plain('Deny it?'), text: { type: 'mrkdwn', text: 'This *cannot* be undone.' }, confirm: plain('Deny'), deny: plain('Keep'), style: 'danger' },
      },
    ],
  },
];

export async function startStandInApp(opts: { signingSecret: string; botToken: string; slackApiUrl: string }): Promise<StandInApp> {
  const received: Array<Record<string, unknown>> = [];
  // Bolt's complaints about the deliberately slow command (it acks after Bolt gave up) are
  // expected while it runs; anything else still shows.
  let slow = false;
  let level = LogLevel.WARN;
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (...msgs) => slow || console.warn('[stand-in app]', ...msgs),
    error: (...msgs) => slow || console.error('[stand-in app]', ...msgs),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
  const receiver = new HTTPReceiver({ signingSecret: opts.signingSecret, endpoints: '/slack/events', logger });
  const app = new App({ token: opts.botToken, receiver, logger, deferInitialization: true, clientOptions: { slackApiUrl: opts.slackApiUrl } });

  app.command('/droplet', async ({ command, ack, client }) => {
    received.push({ type: 'command', ...command });
    // Too slow for Slack, which stops waiting after 3 seconds.
    if (command.text === 'slow') {
      slow = true;
      await new Promise((r) => setTimeout(r, 3500));
      await ack().finally(() => setTimeout(() => (slow = false), 500));
      return;
    }
    await ack();
    if (command.text === 'modal') await client.views.open({ trigger_id: command.trigger_id, view: KITCHEN_VIEW });
    else if (command.text === 'dm') await client.chat.postMessage({ channel: command.user_id, text: 'Just between us: *psst*' });
    else await client.chat.postMessage({ channel: command.channel_id, text: 'Release train', blocks: MESSAGE_BLOCKS });
  });

  app.action<BlockAction>({ action_id: /^(approve|deny)$/ }, async ({ ack, body, respond }) => {
    received.push(body as unknown as Record<string, unknown>);
    await ack();
    await respond({ replace_original: true, text: `${body.actions[0]!.action_id} by <@${body.user.id}>` });
  });

  app.options('picker', async ({ ack, body }) => {
    received.push(body as unknown as Record<string, unknown>);
    const query = body.value.toLowerCase();
    await ack({ options: DROPLETS.filter((d) => d.includes(query)).map((d) => ({ text: plain(d), value: d })) });
  });

  // Picking a Droplet (dispatch_action) updates the modal, as a real form narrows its choices.
  app.action<BlockAction>('picker', async ({ ack, body, client }) => {
    received.push(body as unknown as Record<string, unknown>);
    await ack();
    const picked = (body.actions[0] as { selected_option?: { value: string } }).selected_option?.value;
    const blocks = [...KITCHEN_VIEW.blocks];
    blocks[0] = { type: 'section', block_id: 'intro', text: { type: 'mrkdwn', text: `Resizing *${picked}*.` } };
    await client.views.update({ view_id: body.view!.id, hash: body.view!.hash, view: { ...KITCHEN_VIEW, blocks } });
  });

  app.view('kitchen', async ({ ack, body }) => {
    received.push(body as unknown as Record<string, unknown>);
    const name = body.view.state.values.name?.name?.value ?? '';
    if (name === 'web-1') {
      await ack({ response_action: 'errors', errors: { name: 'A Droplet called web-1 already exists.' } });
      return;
    }
    await ack({
      response_action: 'push',
      view: { type: 'modal', callback_id: 'done', notify_on_close: true, title: plain('Done'), close: plain('Close'), blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `Renaming to \`${name}\`` } }] },
    });
  });

  app.view({ callback_id: 'done', type: 'view_closed' }, async ({ ack, body }) => {
    received.push(body as unknown as Record<string, unknown>);
    await ack();
  });

  await app.init();
  const server = (await app.start(0)) as Server;
  return {
    eventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    received,
    stop: () => app.stop() as Promise<void>,
  };
}
