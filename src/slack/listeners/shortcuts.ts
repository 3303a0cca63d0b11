// Shortcuts. "Droplet action" in the lightning-bolt menu opens the same form as /droplet, from
// anywhere; opened outside a channel, the form asks where to post the request. "Run a Droplet
// action" on a message (an alert from DigitalOcean Monitoring or Alertmanager, say) opens it
// filled in with the Droplet the message names, and posts the request in that message's thread.
import type { App, MessageShortcut } from '@slack/bolt';
import { dropletsNamedIn } from '../../domain/droplet-mentions.js';
import { code } from '../../domain/chat-text.js';
import type { Logger } from '../../log.js';
import { openActionModal, type ModalDeps } from './modal/open.js';

/** The shortcuts' callback_ids, as manifest.yml declares them. */
export const GLOBAL_SHORTCUT = 'droplet_action';
export const MESSAGE_SHORTCUT = 'droplet_action_message';

export interface ShortcutDeps {
  modal: ModalDeps;
  logger: Logger;
}

export function registerShortcuts(app: App, deps: ShortcutDeps): void {
  app.shortcut({ type: 'shortcut', callback_id: GLOBAL_SHORTCUT }, async ({ ack, body, client }) => {
    // A trigger lives 3 seconds: ack, then open the loading view at once.
    await ack();
    try {
      await openActionModal(deps.modal, client, { triggerId: body.trigger_id, userId: body.user.id, prefill: {} });
    } catch (err) {
      // Nowhere to answer a global shortcut but the form itself: the person sees nothing open.
      deps.logger.warn({ err: (err as Error).message, user: body.user.id }, 'could not open the form from the shortcut');
    }
  });

  app.shortcut<MessageShortcut>({ type: 'message_action', callback_id: MESSAGE_SHORTCUT }, async ({ ack, body, client, respond }) => {
    await ack();
    const message = body.message as MessageShortcut['message'];
    // A reply's thread is its parent's: the request joins that thread.
    const threadTs = typeof message.thread_ts === 'string' ? message.thread_ts : message.ts;
    const text = messageText(message);
    try {
      await openActionModal(deps.modal, client, {
        triggerId: body.trigger_id,
        userId: body.user.id,
        channel: body.channel.id,
        threadTs,
        prefill: {},
        locate: async () => locate(text, await deps.modal.catalog.droplets()),
      });
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, user: body.user.id }, 'could not open the form from the message shortcut');
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'Could not open the form. Type `/droplet help` for the commands you may run.' }).catch(() => {});
    }
  });
}

/** The Droplet the message names, or why none is filled in. */
function locate(text: string, droplets: Array<{ id: number; name: string }>): { dropletId?: number; notice?: string } {
  const named = dropletsNamedIn(text, droplets);
  if (named.length === 1) return { dropletId: named[0]!.id };
  if (named.length === 0) return { notice: 'That message names no Droplet (by name or ID) that this account has. Pick one below; the request goes in its thread.' };
  const list = named.slice(0, 5).map((d) => `${code(d.name)} (${d.id})`).join(', ');
  return { notice: `That message names ${named.length} Droplets: ${list}${named.length > 5 ? ', …' : ''}. Pick the one you mean below; the request goes in its thread.` };
}

/** Everything a person reads in a message: its text, its attachments' (Alertmanager's) and its blocks' text. */
export function messageText(message: Record<string, unknown>): string {
  const parts: string[] = [];
  const add = (v: unknown) => typeof v === 'string' && v && parts.push(v);
  add(message.text);
  for (const a of Array.isArray(message.attachments) ? (message.attachments as Array<Record<string, unknown>>) : []) {
    for (const key of ['pretext', 'title', 'text', 'fallback']) add(a[key]);
    for (const f of Array.isArray(a.fields) ? (a.fields as Array<Record<string, unknown>>) : []) add(f.value);
  }
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o.text === 'string') add(o.text);
      for (const v of Object.values(o)) if (v && typeof v === 'object') walk(v);
    }
  };
  walk(message.blocks);
  return parts.join('\n');
}
