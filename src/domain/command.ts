// Text typed after /droplet -> a parsed command or a usage message. Pure: never throws.
import {
  ACTION_TYPES,
  PARAM_KEYS,
  displayName,
  normalizeActionName,
  usageLine,
  validateParams,
  type ActionParams,
  type ActionType,
  type ParamKey,
  type ParamProblem,
} from './catalogue/index.js';
import { looksLikeSelector, parseDropletKey, parseSelector, type DropletKey, type FleetSelector } from './fleet/selector.js';
import { ROLLOUT_KEYS, parseRollout, type Rollout, type RolloutKey } from './fleet/rollout.js';
import { isOptionKey, optionsFor, readOptions, type OptionKey, type RequestOptions } from './procedures/options.js';

export type DropletRef = DropletKey;

export type Command =
  | { kind: 'empty' }
  | { kind: 'help' }
  | { kind: 'history'; target: DropletRef }
  /** May `user` (the asker when absent) run `action` on this Droplet, here? Changes nothing. */
  | { kind: 'can'; user?: string; action: ActionType; target: DropletRef }
  /** `options`: the keys that pick or shape a procedure; `stop` is a graceful stop (its action is shutdown). */
  | { kind: 'action'; action: ActionType; target: DropletRef; params: ActionParams; raw: Partial<Record<ParamKey, string>>; options?: RequestOptions }
  /** The same action on many Droplets: a tag, a name pattern or a list, run by the rollout's rules. */
  | { kind: 'fleet'; action: ActionType; selector: FleetSelector; params: ActionParams; raw: Partial<Record<ParamKey, string>>; rollout: Rollout }
  | {
      kind: 'invalid';
      /** What was wrong and what to type instead, ready to show to the user. */
      message: string;
      /** Set when the action and droplet (or fleet) were understood but parameters were missing or wrong. */
      action?: ActionType;
      /** The verb was `stop` (a graceful stop; `action` is shutdown). */
      stop?: true;
      target?: DropletRef;
      selector?: FleetSelector;
      raw?: Partial<Record<ParamKey, string>>;
      rollout?: Partial<Record<RolloutKey, string>>;
      problems?: ParamProblem[];
    };


/** Splits on whitespace; double quotes group (`name="nightly 1"`), backslash escapes inside them. */
export function tokenize(text: string): { tokens: string[] } | { error: string } {
  const tokens: string[] = [];
  let current = '';
  let inToken = false;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < text.length && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        current += text[++i];
      } else if (ch === '"') {
        quoted = false;
      } else {
        current += ch;
      }
    } else if (ch === '"') {
      quoted = true;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (quoted) return { error: 'a double quote is not closed: write values with spaces as name="nightly 1"' };
  if (inToken) tokens.push(current);
  return { tokens };
}

/** Slack sends &, < and > as HTML entities, and phones send curly quotes. */
function normalizeText(text: string): string {
  return text
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/g, '"')
    .replace(/\u00A0/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

function closest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const choice of choices) {
    const d = levenshtein(word, choice);
    if (d < bestDistance) [best, bestDistance] = [choice, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** `web-1` or `123456` -> a reference; anything else -> undefined. */
export function parseDropletRef(token: string): DropletRef | undefined {
  return parseDropletKey(token);
}

export function describeRef(ref: DropletRef): string {
  return ref.kind === 'id' ? String(ref.id) : ref.name;
}

const HELP_HINT = 'Type `/droplet help` for the list of actions.';

/** The usage line of a verb: an action's parameters, then the keys that shape its procedure. */
export function commandUsage(verb: ActionType | 'stop'): string {
  const options = optionsFor(verb).map((o) => `[${o.key}=${o.hint}]`);
  if (verb === 'stop') return ['/droplet', 'stop', '<droplet>', ...options].join(' ');
  return [usageLine(verb), ...options].join(' ');
}

/**
 * The message is Slack mrkdwn and quotes what the user typed, so &, < and > are escaped: a typed
 * `<!channel>` is shown, never sent as a mention (and `<droplet>` in usage lines shows as typed).
 */
function invalid(message: string, extra: Omit<Extract<Command, { kind: 'invalid' }>, 'kind' | 'message'> = {}): Command {
  return { kind: 'invalid', message: message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), ...extra };
}

const CAN_USAGE = 'Usage: `/droplet can <action> <droplet>` for yourself, or `/droplet can @someone <action> <droplet>` (pick the person from the list Slack offers, so the mention becomes a link).';

/** `/droplet can [<@U…>] <action> <droplet>`: a question about rights; nothing runs. */
function parseCan(tokens: string[]): Command {
  let user: string | undefined;
  let rest = tokens;
  const mention = tokens[0] === undefined ? null : /^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$/.exec(tokens[0]) ?? /^([UW][A-Z0-9]{8,})$/.exec(tokens[0]);
  if (mention) {
    user = mention[1];
    rest = tokens.slice(1);
  } else if (tokens[0]?.startsWith('@')) {
    return invalid(`\`${tokens[0]}\` is a name, not a mention Slack can resolve. ${CAN_USAGE}`);
  }
  const [actionWord, target, ...extra] = rest;
  const action = actionWord === undefined ? undefined : normalizeActionName(actionWord);
  if (!action) {
    const guess = actionWord ? closest(actionWord.toLowerCase().replace(/-/g, '_'), ACTION_TYPES) : undefined;
    return invalid(`${actionWord ? `Unknown action \`${actionWord}\`.${guess ? ` Did you mean \`${displayName(guess as ActionType)}\`?` : ''} ` : ''}${CAN_USAGE}`);
  }
  const ref = target === undefined ? undefined : parseDropletRef(target);
  if (!ref || extra.some((t) => !t.includes('='))) return invalid(`Which Droplet? ${CAN_USAGE}`);
  return { kind: 'can', ...(user ? { user } : {}), action, target: ref };
}

/** Parses the text of a /droplet command. */
export function parseCommand(input: string): Command {
  const tokenized = tokenize(normalizeText(input));
  if ('error' in tokenized) return invalid(`Could not read that command: ${tokenized.error}.`);
  const [first, second, ...rest] = tokenized.tokens;
  if (first === undefined) return { kind: 'empty' };

  const word = first.toLowerCase();
  if (word === 'help' || word === '?') return { kind: 'help' };
  if (word === 'history') {
    const ref = second === undefined ? undefined : parseDropletRef(second);
    if (!ref || rest.length) return invalid('Usage: `/droplet history <droplet>`, where <droplet> is a name or a numeric ID.');
    return { kind: 'history', target: ref };
  }

  if (word === 'can') return parseCan([second, ...rest].filter((t): t is string => t !== undefined));

  const stop = word === 'stop';
  const action = stop ? 'shutdown' : normalizeActionName(first);
  if (!action) {
    const guess = closest(word.replace(/-/g, '_'), [...ACTION_TYPES, 'stop']);
    const didYouMean = guess ? ` Did you mean \`${displayName(guess as ActionType)}\`?` : '';
    return invalid(`Unknown action \`${first}\`.${didYouMean} ${HELP_HINT}`);
  }
  const verb = stop ? 'stop' : action;
  const usage = `Usage: \`${commandUsage(verb)}\``;
  if (second === undefined) return invalid(`Which Droplet? ${usage}${stop ? '' : ' (or many at once: `tag:<tag>`, `web-*`, `web-1,web-2`)'}`, { action, ...(stop ? { stop: true as const } : {}) });
  let selector: FleetSelector | undefined;
  let target: DropletRef | undefined;
  if (looksLikeSelector(second)) {
    const parsed = parseSelector(second);
    if (!parsed.ok) return invalid(`${parsed.message}. ${usage}`, { action });
    selector = parsed.selector;
  } else {
    target = parseDropletRef(second);
    if (!target) {
      return invalid(`\`${second}\` is not a Droplet name or ID: names use letters, digits, . and -, IDs are numbers. ${usage}`, { action });
    }
  }

  const raw: Partial<Record<ParamKey, string>> = {};
  const optionRaw: Partial<Record<OptionKey, string>> = {};
  const rolloutRaw: Partial<Record<RolloutKey, string>> = {};
  const problems: ParamProblem[] = [];
  for (const token of rest) {
    const eq = token.indexOf('=');
    if (eq <= 0) {
      problems.push({ key: undefined, message: `\`${token}\` is not a parameter: write parameters as key=value` });
      continue;
    }
    const key = token.slice(0, eq).toLowerCase();
    const value = token.slice(eq + 1);
    if ((ROLLOUT_KEYS as readonly string[]).includes(key)) {
      if (!selector) problems.push({ key: undefined, message: `${key} only applies to many Droplets at once: write \`tag:<tag>\`, a pattern such as \`web-*\` or a list such as \`web-1,web-2\` instead of one Droplet` });
      else if (rolloutRaw[key as RolloutKey] !== undefined) problems.push({ key: undefined, message: `${key} is given twice` });
      else rolloutRaw[key as RolloutKey] = value;
      continue;
    }
    if (isOptionKey(key)) {
      if (selector) problems.push({ key: undefined, message: `${key}= works on one Droplet at a time: name one Droplet instead of a tag, pattern or list` });
      else if (optionRaw[key] !== undefined) problems.push({ key: undefined, message: `${key} is given twice` });
      else optionRaw[key] = value;
      continue;
    }
    if (!(PARAM_KEYS as readonly string[]).includes(key)) {
      const guess = closest(key, [...PARAM_KEYS, ...optionsFor(verb).map((o) => o.key), ...(selector ? ROLLOUT_KEYS : [])]);
      problems.push({ key: undefined, message: `unknown parameter \`${key}\`${guess ? ` (did you mean \`${guess}\`?)` : ''}` });
      continue;
    }
    if (raw[key as ParamKey] !== undefined) {
      problems.push({ key: key as ParamKey, message: `${key} is given twice` });
      continue;
    }
    raw[key as ParamKey] = value;
  }
  const rollout = parseRollout(rolloutRaw);
  if (!rollout.ok) problems.push(...rollout.problems.map((message) => ({ key: undefined, message })));
  if (stop && selector) problems.push({ key: undefined, message: 'stop works on one Droplet at a time; for many, use `shutdown` (or `power-off`) with the tag, pattern or list' });
  const options = readOptions(verb, optionRaw);
  if (!options.ok) problems.push(...options.problems.map((message) => ({ key: undefined, message })));
  if (problems.length === 0 && options.ok) {
    const checked = validateParams(action, raw);
    if (checked.ok && selector && rollout.ok) return { kind: 'fleet', action, selector, params: checked.params, raw, rollout: rollout.rollout };
    const withOptions = Object.keys(options.options).length ? { options: options.options } : {};
    if (checked.ok && target) return { kind: 'action', action, target, params: checked.params, raw, ...withOptions };
    if (!checked.ok) problems.push(...checked.problems);
  }
  const list = problems.map((p) => `• ${p.message}`).join('\n');
  return invalid(`That \`${stop ? 'stop' : displayName(action)}\` command has a problem:\n${list}\n${usage}`, {
    action,
    ...(target ? { target } : {}),
    ...(selector ? { selector, rollout: rolloutRaw } : {}),
    raw,
    problems,
  });
}
