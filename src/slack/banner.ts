// A context line added to every message the bot sends, e.g. ":test_tube: Sandbox: ..." in sandbox
// mode. It is applied where messages leave the process (the Web API and response_url fetch), so
// no message builder can forget it.
import type { types } from '@slack/bolt';

export const BANNER_BLOCK_ID = 'droplet-bot-banner';

type Block = types.KnownBlock | types.Block;

function bannerBlock(banner: string): types.ContextBlock {
  return { type: 'context', block_id: BANNER_BLOCK_ID, elements: [{ type: 'mrkdwn', text: banner }] };
}

/** Blocks with the banner appended once; a text-only message becomes a section plus the banner. */
export function blocksWithBanner(blocks: Block[] | undefined, text: string | undefined, banner: string): Block[] {
  const list: Block[] = blocks && blocks.length ? [...blocks] : text ? [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }] : [];
  if (list.some((b) => b.block_id === BANNER_BLOCK_ID)) return list;
  return [...list, bannerBlock(banner)];
}

const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral', 'chat.scheduleMessage']);
const VIEW_METHODS = new Set(['views.open', 'views.update', 'views.push']);

type FetchFn = typeof globalThis.fetch;

/** A fetch that adds the banner to messages and views on their way to Slack. */
export function bannerFetch(banner: string, base: FetchFn = globalThis.fetch): FetchFn {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = new URL(url).pathname.split('/').pop() ?? '';
    const body = init?.body;
    if (typeof body !== 'string') return base(input, init);
    if (MESSAGE_METHODS.has(method) || VIEW_METHODS.has(method)) {
      const form = new URLSearchParams(body);
      if (VIEW_METHODS.has(method) && form.has('view')) {
        const view = JSON.parse(form.get('view')!);
        view.blocks = blocksWithBanner(view.blocks, undefined, banner);
        form.set('view', JSON.stringify(view));
      } else if (MESSAGE_METHODS.has(method)) {
        const blocks = form.has('blocks') ? JSON.parse(form.get('blocks')!) : undefined;
        form.set('blocks', JSON.stringify(blocksWithBanner(blocks, form.get('text') ?? undefined, banner)));
      }
      return base(input, { ...init, body: form.toString() });
    }
    const type = new Headers(init?.headers).get('content-type') ?? '';
    if (type.startsWith('application/json')) {
      // A response_url post from respond().
      const msg = JSON.parse(body);
      if (!msg.delete_original && (msg.text || msg.blocks)) {
        msg.blocks = blocksWithBanner(msg.blocks, msg.text, banner);
        return base(input, { ...init, body: JSON.stringify(msg) });
      }
    }
    return base(input, init);
  };
}
