// The activity feed's judgement, pure: which of the account's listed actions someone other than
// the bot started, which of those to report now, and which must wait because the bot may have
// just sent them itself. The adapter (digitalocean/activity-feed.ts) reads the listing and the
// bot's records, and writes what this decides.

/** The fields of a listed DigitalOcean action the feed reads. */
export interface ListedAction {
  id: number;
  status: 'in-progress' | 'completed' | 'errored';
  type: string;
  started_at: string;
  completed_at: string | null;
  resource_id: number | null;
  resource_type: string;
  region_slug: string | null;
}

/** A POST the bot is sending right now: of one action type, to one Droplet or to any (a bulk POST by tag). */
export interface Mark {
  /** 0: any Droplet. */
  dropletId: number;
  type: string;
  /** When it was about to leave (ms, the sender's clock). */
  at: number;
}

export const ANY_DROPLET = 0;

export interface FeedView {
  /** Actions up to this ID are older than the feed: never reported. */
  floor: number;
  /** Actions the bot started. */
  ours: ReadonlySet<number>;
  marks: readonly Mark[];
  /** Actions already judged. */
  seen: ReadonlySet<number>;
  /** Someone else's actions reported while in progress, followed to their end. */
  open: ReadonlySet<number>;
  /** Actions held back ('wait') on an earlier look, judged again whatever the floor. */
  waiting: ReadonlySet<number>;
  /** How far the clocks of DigitalOcean and of the bot's hosts may differ. */
  skewMs: number;
}

export type Verdict =
  /** Nothing to do: older than the feed, judged before, or still running. */
  | 'none'
  /** The bot's own: remembered as judged, never reported. */
  | 'ours'
  /** A POST of the bot's own may have started it and has not said yet: judged on a later look. */
  | 'wait'
  /** Someone else's, seen for the first time: reported once, and followed if still running. */
  | 'new'
  /** Someone else's that was reported running and has now ended: reported again if it failed. */
  | 'ended';

export function judge(action: ListedAction, view: FeedView): Verdict {
  if (view.ours.has(action.id)) return view.seen.has(action.id) ? 'none' : 'ours';
  // Followed, or held back, before the floor rose past it: still judged.
  if (view.open.has(action.id)) return action.status === 'in-progress' ? 'none' : 'ended';
  if (action.id <= view.floor && !view.waiting.has(action.id)) return 'none';
  if (view.seen.has(action.id)) return 'none';
  const started = Date.parse(action.started_at);
  const mayBeOurs = view.marks.some(
    (m) =>
      m.type === action.type &&
      (m.dropletId === ANY_DROPLET || (action.resource_type === 'droplet' && m.dropletId === action.resource_id)) &&
      !(started < m.at - view.skewMs),
  );
  return mayBeOurs ? 'wait' : 'new';
}
