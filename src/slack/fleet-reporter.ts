// What a fleet's coordinator says, through the Slack outbox: lines in the fleet's thread, edits of
// its root message, one notification at the end. Each step is keyed, so a step the coordinator
// runs twice adds nothing. Only the root message itself is posted directly (its ts anchors the rest).
import type { ChatOps } from '../domain/ports.js';
import type { ApprovalSettings } from '../domain/approval-rules.js';
import type { FleetApprovalChat } from '../requests/fleet-approval.js';
import type { FleetDecision } from '../store/fleets.js';
import { fleetApprovalDecidedMessage, fleetApprovalLine, fleetApprovalRequestMessage } from './renderers/fleet-approval-messages.js';
import type { OutboxEntry, SlackOutbox } from '../queue/slack-outbox.js';
import type { FleetReporter, FleetView } from '../worker/run-fleet.js';
import type { StoredFleet } from '../store/fleets.js';
import {
  fleetBatchLine,
  fleetBulkLine,
  fleetBulkRefusedLine,
  fleetControlLine,
  fleetFailedLine,
  fleetNotificationLine,
  fleetPausedLine,
  fleetRootMessage,
  fleetStartedLine,
  fleetSummary,
} from './renderers/fleet-messages.js';

type Control = Parameters<typeof fleetControlLine>[0];

export class OutboxFleetReporter implements FleetReporter, FleetApprovalChat {
  constructor(
    private readonly outbox: Pick<SlackOutbox, 'publish'>,
    private readonly chat: Pick<ChatOps, 'post' | 'update'>,
    private readonly notifyChannel?: string,
  ) {}

  announce(fleet: StoredFleet): Promise<string> {
    return this.chat.post(fleet.plan.channel, fleetRootMessage(fleet));
  }

  started(fleet: FleetView, note: Parameters<FleetReporter['started']>[1]): Promise<void> {
    return this.line(fleet, 'started', fleetStartedLine(fleet.plan, note));
  }

  batch(fleet: FleetView, batch: number, of: number, targets: Parameters<FleetReporter['batch']>[3]): Promise<void> {
    return this.line(fleet, `batch:${batch}`, fleetBatchLine(batch, of, targets));
  }

  bulkPosted(fleet: FleetView, started: number, missed: Parameters<FleetReporter['bulkPosted']>[2], found: boolean): Promise<void> {
    return this.line(fleet, 'bulk', fleetBulkLine(started, missed, found));
  }

  bulkRefused(fleet: FleetView, message: string, tagChanged?: boolean): Promise<void> {
    return this.line(fleet, 'bulk', fleetBulkRefusedLine(message, tagChanged));
  }

  failed(fleet: FleetView, target: Parameters<FleetReporter['failed']>[1], state: Parameters<FleetReporter['failed']>[2]): Promise<void> {
    return this.line(fleet, `failed:${target.id}:${state.attempt}`, fleetFailedLine(target, state));
  }

  paused(fleet: FleetView, why: string): Promise<void> {
    return this.publish(fleet, [{ kind: 'reply', key: `paused:${fleet.batch}:${why}`, text: fleetPausedLine(why) }, this.root(fleet)]);
  }

  progress(fleet: FleetView): Promise<void> {
    return this.publish(fleet, [this.root(fleet)]);
  }

  finished(fleet: FleetView): Promise<void> {
    const aborted = fleet.status === 'aborted';
    // A fleet finishes once per round: Retry failed after the end starts a new round (gen), which finishes again.
    const round = fleet.gen ? `:${fleet.gen}` : '';
    const entries: OutboxEntry[] = [{ kind: 'reply', key: `finished${round}`, text: fleetSummary(fleet.plan, fleet.states, aborted) }, { ...this.root(fleet), key: `finished${round}:root` }];
    if (this.notifyChannel) entries.push({ kind: 'notify', key: `finished${round}:notify`, channel: this.notifyChannel, text: fleetNotificationLine(fleet.plan, fleet.states, aborted) });
    return this.publish(fleet, entries);
  }

  /** A button's effect, once per click, with the root message as it is now. */
  control(fleet: FleetView, control: Control, by: string, nonce: string, count?: number): Promise<void> {
    return this.publish(fleet, [{ kind: 'reply', key: `control:${nonce}`, text: fleetControlLine(control, by, count) }, this.root(fleet)]);
  }

  /** Posted directly, like the root: the request's ts is kept so the decision can update it. */
  async approvalRequest(fleet: FleetView, settings: ApprovalSettings): Promise<{ channel: string; ts: string }> {
    if (!fleet.approval) throw new Error('a fleet approval request without its approval');
    const channel = settings.channel ?? fleet.plan.channel;
    const message = { channel, ts: '' };
    const ts = await this.chat.post(channel, fleetApprovalRequestMessage({ ...fleet, approval: { ...fleet.approval, message } }, settings), settings.channel ? undefined : fleet.rootTs);
    return { channel, ts };
  }

  approvalLine(fleet: FleetView, event: 'waiting' | FleetDecision): Promise<void> {
    if (!fleet.approval) return Promise.resolve();
    const line: OutboxEntry = { kind: 'reply', key: `approval:${event}`, text: fleetApprovalLine({ ...fleet, approval: fleet.approval }, event) };
    // Approved: the coordinator edits the root as it starts. Waiting, denied, expired: the root says so now.
    return this.publish(fleet, event === 'accepted' ? [line] : [line, { ...this.root(fleet), key: `approval:${event}:root` }]);
  }

  async approvalDecided(fleet: FleetView): Promise<void> {
    const where = fleet.approval?.message;
    if (!fleet.approval || !where?.ts) return;
    await this.chat.update(where.channel, where.ts, fleetApprovalDecidedMessage({ ...fleet, approval: fleet.approval }));
  }

  private root(fleet: FleetView): OutboxEntry {
    const msg = fleetRootMessage(fleet);
    return { kind: 'root', text: msg.text, blocks: msg.blocks ?? [] };
  }

  private line(fleet: FleetView, key: string, text: string): Promise<void> {
    return this.publish(fleet, [{ kind: 'reply', key, text }]);
  }

  private publish(fleet: FleetView, entries: OutboxEntry[]): Promise<void> {
    return this.outbox.publish({ requestId: fleet.plan.id, channel: fleet.plan.channel, rootTs: fleet.rootTs }, entries);
  }
}
