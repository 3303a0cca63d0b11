// What a fleet's coordinator says, through the Slack outbox: lines in the fleet's thread, edits of
// its root message, one notification at the end. Each step is keyed, so a step the coordinator
// runs twice adds nothing. Only the root message itself is posted directly (its ts anchors the rest).
import type { ChatOps } from '../domain/ports.js';
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

export class OutboxFleetReporter implements FleetReporter {
  constructor(
    private readonly outbox: Pick<SlackOutbox, 'publish'>,
    private readonly chat: Pick<ChatOps, 'post'>,
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

  bulkRefused(fleet: FleetView, message: string): Promise<void> {
    return this.line(fleet, 'bulk', fleetBulkRefusedLine(message));
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
    const entries: OutboxEntry[] = [{ kind: 'reply', key: 'finished', text: fleetSummary(fleet.plan, fleet.states, aborted) }, { ...this.root(fleet), key: 'finished:root' }];
    if (this.notifyChannel) entries.push({ kind: 'notify', key: 'finished:notify', channel: this.notifyChannel, text: fleetNotificationLine(fleet.plan, fleet.states, aborted) });
    return this.publish(fleet, entries);
  }

  /** A button's effect, once per click, with the root message as it is now. */
  control(fleet: FleetView, control: Control, by: string, nonce: string, count?: number): Promise<void> {
    return this.publish(fleet, [{ kind: 'reply', key: `control:${nonce}`, text: fleetControlLine(control, by, count) }, this.root(fleet)]);
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
