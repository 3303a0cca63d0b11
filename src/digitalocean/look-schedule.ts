// When the status poller looks at a watched action: densely near the end it expects, sparsely
// before it, steadily once it is overdue. What it expects is learned from the actions it followed,
// per action type and region. Pure: times are milliseconds on one clock (the poller uses Redis's).

/** What the poller learned about one kind of action: a moving average of its duration and spread. */
export interface Learned {
  meanMs: number;
  devMs: number;
  n: number;
}

/** Until this many of a kind were seen, the poller looks at a steady cadence. */
export const LEARN_MIN = 3;
/** DigitalOcean's timestamps are whole seconds, so nothing is known closer than this. */
const RESOLUTION_MS = 1000;
/** A sample longer than a day is not a duration worth learning from. */
const LONGEST_SAMPLE_MS = 24 * 3600_000;

/** One more observed duration folded in: an even average at first, then a moving one. */
export function learn(prev: Learned | undefined, sampleMs: number): Learned {
  if (!prev) return { meanMs: sampleMs, devMs: 0, n: 1 };
  const weight = Math.max(0.2, 1 / (prev.n + 1));
  const meanMs = prev.meanMs + weight * (sampleMs - prev.meanMs);
  const devMs = prev.devMs + weight * (Math.abs(sampleMs - prev.meanMs) - prev.devMs);
  return { meanMs, devMs, n: prev.n + 1 };
}

/** The duration DigitalOcean reports for an action that completed, if it is a usable sample. */
export function sampleOf(action: { status: string; started_at?: string | null; completed_at?: string | null }): number | undefined {
  if (action.status !== 'completed') return undefined;
  const ms = Date.parse(action.completed_at ?? '') - Date.parse(action.started_at ?? '');
  return Number.isFinite(ms) && ms >= 0 && ms <= LONGEST_SAMPLE_MS ? ms : undefined;
}

/** The keys a kind of action is learned under: its region's, and the type's across regions. */
export function learnedKeys(type: string, region?: string | null): string[] {
  return region ? [`${type}|${region}`, `${type}|*`] : [`${type}|*`];
}

/** What to expect of an action: its region's figures once there are enough, else its type's. */
export function expectation(learned: ReadonlyMap<string, Learned>, type: string | undefined, region?: string | null): Learned | undefined {
  if (!type) return undefined;
  for (const key of learnedKeys(type, region)) {
    const l = learned.get(key);
    if (l && l.n >= LEARN_MIN) return l;
  }
  return undefined;
}

export interface Pace {
  /** The steady cadence: unlearned and overdue actions (STATUS_POLL_MS). */
  pollMs: number;
  /** Near an expected end. */
  denseMs: number;
  /** Before the dense window opens. */
  sparseMs: number;
}

/** The cadences that follow from STATUS_POLL_MS. */
export function paceFor(pollMs: number): Pace {
  return { pollMs, denseMs: Math.max(250, Math.round(pollMs / 2)), sparseMs: 5 * pollMs };
}

/** The window around the expected end that is looked at densely, as offsets from the start. */
export function denseWindow(expected: Learned): { from: number; to: number } {
  const spread = Math.max(2 * expected.devMs, 0.05 * expected.meanMs, RESOLUTION_MS);
  return { from: expected.meanMs - spread, to: expected.meanMs + 3 * spread };
}

/**
 * When an action next wants a look, given the last listing (`lastMs`, -Infinity if none) and
 * when the action started (`startMs`, undefined if unknown).
 */
export function nextLook(lastMs: number, startMs: number | undefined, expected: Learned | undefined, pace: Pace): number {
  const base = startMs === undefined ? lastMs : Math.max(lastMs, startMs);
  if (!expected || startMs === undefined) return base + pace.pollMs;
  const window = denseWindow(expected);
  const denseFrom = startMs + window.from;
  // A listing less than one dense interval before the window opens counts as the window's first
  // look: otherwise actions whose windows open moments apart would each ask for a listing of their own.
  if (denseFrom - base > pace.denseMs) return Math.min(denseFrom, base + pace.sparseMs);
  if (base < startMs + window.to) return base + pace.denseMs;
  return base + pace.pollMs;
}
