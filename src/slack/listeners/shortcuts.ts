// Shortcuts: "Droplet action" in the lightning-bolt menu opens the same form as /droplet, from
// anywhere. Opened outside a channel, the form asks where to post the request.
import type { App } from '@slack/bolt';
import type { Logger } from '../../log.js';
import { openActionModal, type ModalDeps } from './modal/open.js';

/** The global shortcut's callback_id, as manifest.yml declares it. */
export const GLOBAL_SHORTCUT = 'droplet_action';

export function registerShortcuts(app: App, deps: { modal: ModalDeps; logger: Logger }): void {
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
}
