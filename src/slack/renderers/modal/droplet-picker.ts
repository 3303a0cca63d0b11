// The Droplet picker's options: Droplets by name or ID, and fleet selectors for several at once
// (a tag with its count, a name pattern with its matches, a comma list completed item by item).
// Slack's type-ahead cannot show an error, so text that is not a valid selector offers nothing;
// the picker's hint says how to type one. Pure.
import type { types } from '@slack/bolt';
import type { DropletDetail } from '../../../digitalocean/catalog.js';
import { describeSelector, looksLikeSelector, MAX_LISTED, parseDropletKey, parseSelector, selects, type FleetSelector, type Selectable } from '../../../domain/fleet/selector.js';
import { option } from './param-inputs.js';

/** Slack's limits: an option's value up to 150 characters, its text up to 75, 100 options. */
export const OPTION_VALUE_MAX = 150;
const OPTION_TEXT_MAX = 75;
const OPTIONS_MAX = 100;
/** With nothing typed, the most common tags follow the Droplets. */
const TAGS_WHEN_EMPTY = 10;

export const PICKER_HINT = 'Start typing a name or an ID. For several Droplets at once, type tag: and a tag (tag:env:prod), a pattern such as web-*, or a list such as web-1,web-2.';

export type PickerDroplet = Selectable & Pick<DropletDetail, 'status' | 'region'>;

/** The text of a Droplet in the picker: name, region and status. */
export function dropletOption(d: Pick<DropletDetail, 'id' | 'name' | 'status' | 'region'>): types.PlainTextOption {
  return option(`${d.name} · ${d.region.slug} · ${d.status}`, String(d.id), `ID ${d.id}`);
}

/** A chosen selector as the picker shows it; undefined when it is too long to be an option's value. */
export function selectorOption(selector: FleetSelector): types.PlainTextOption | undefined {
  const value = describeSelector(selector);
  return value.length <= OPTION_VALUE_MAX ? option(value, value, 'several Droplets') : undefined;
}

/**
 * What the picker offers for `query`, from the account's Droplets: only Droplets the asker may
 * act on here (`allowed`), and only selectors whose every Droplet is one of them.
 */
export function pickerOptions(query: string, droplets: readonly PickerDroplet[], allowed: (d: PickerDroplet) => boolean = () => true): types.PlainTextOption[] {
  const byId = new Map(droplets.map((d) => [d.id, d]));
  return offered(query, droplets).filter((o) => {
    if (/^\d+$/.test(o.value ?? '')) {
      const d = byId.get(Number(o.value));
      return d !== undefined && allowed(d);
    }
    const parsed = parseSelector(o.value ?? '');
    return parsed.ok && droplets.filter((d) => selects(parsed.selector, d)).every(allowed);
  });
}

function offered(query: string, droplets: readonly PickerDroplet[]): types.PlainTextOption[] {
  const q = query.trim();
  if (looksLikeSelector(q)) return selectorOptions(q, droplets).slice(0, OPTIONS_MAX);
  const lower = q.toLowerCase();
  const matches = [...droplets].filter((d) => q === '' || d.name.toLowerCase().includes(lower) || String(d.id).startsWith(lower)).sort(byName);
  if (q !== '') return matches.slice(0, OPTIONS_MAX).map(dropletOption);
  const tags = tagsOf(droplets)
    .sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))
    .slice(0, TAGS_WHEN_EMPTY)
    .flatMap(([tag, members]) => fleetOption(`tag:${tag}`, members) ?? []);
  return [...matches.slice(0, OPTIONS_MAX - tags.length).map(dropletOption), ...tags];
}

function selectorOptions(q: string, droplets: readonly PickerDroplet[]): types.PlainTextOption[] {
  if (q.toLowerCase().startsWith('tag:')) {
    const part = q.slice(4).toLowerCase();
    return tagsOf(droplets)
      .filter(([tag]) => tag.toLowerCase().includes(part))
      .sort(([a], [b]) => Number(!a.toLowerCase().startsWith(part)) - Number(!b.toLowerCase().startsWith(part)) || a.localeCompare(b))
      .flatMap(([tag, members]) => fleetOption(`tag:${tag}`, members) ?? []);
  }
  if (q.includes(',')) return listOptions(q, droplets);
  const parsed = parseSelector(q);
  if (!parsed.ok) return [];
  const members = droplets.filter((d) => selects(parsed.selector, d));
  const offered = members.length ? fleetOption(q, members) : undefined;
  return offered ? [offered] : [];
}

/**
 * `web-1,we` -> the list completed with each Droplet whose name or ID matches the last item, and
 * the list as typed once every item names exactly one Droplet. Items are names, or IDs where a
 * name is shared or would read as an ID.
 */
function listOptions(q: string, droplets: readonly PickerDroplet[]): types.PlainTextOption[] {
  const items = q.split(',');
  const last = items.pop()!;
  const chosen: PickerDroplet[] = [];
  for (const item of items) {
    const d = theOne(item, droplets);
    if (!d) return [];
    chosen.push(d);
  }
  const out: types.PlainTextOption[] = [];
  const offer = (o: types.PlainTextOption | undefined) => o && out.push(o);
  const typed = last === '' ? undefined : theOne(last, droplets);
  if (typed) offer(fleetOption(q, [...chosen, typed], true));
  else if (last === '' && items.length > 1) offer(fleetOption(items.join(','), chosen, true));
  const taken = new Set([...chosen, ...(typed ? [typed] : [])].map((d) => d.id));
  const lower = last.toLowerCase();
  for (const d of [...droplets].sort(byName)) {
    if (out.length >= OPTIONS_MAX) break;
    if (taken.has(d.id) || !(d.name.toLowerCase().includes(lower) || String(d.id).startsWith(lower))) continue;
    const value = [...items, keyOf(d, droplets)].join(',');
    offer(fleetOption(value, [...chosen, d], true));
  }
  return out;
}

/** The one Droplet a list item names, or undefined when it names none or several. */
function theOne(item: string, droplets: readonly PickerDroplet[]): PickerDroplet | undefined {
  const key = parseDropletKey(item);
  if (!key) return undefined;
  const found = droplets.filter((d) => (key.kind === 'id' ? d.id === key.id : d.name === key.name));
  return found.length === 1 ? found[0] : undefined;
}

/** How a Droplet is written in a list: its name when that names it alone, else its ID. */
function keyOf(d: PickerDroplet, droplets: readonly PickerDroplet[]): string {
  const key = parseDropletKey(d.name);
  return key?.kind === 'name' && droplets.filter((x) => x.name === d.name).length === 1 ? d.name : String(d.id);
}

/**
 * `tag:env:prod · 3 Droplets`, with the first names as the description; undefined when the
 * value would not fit Slack's limit or is not a selector a command would take. Long selectors
 * are cut at the end, lists at the start (where the latest item is).
 */
function fleetOption(value: string, members: readonly PickerDroplet[], cutAtStart = false): types.PlainTextOption | undefined {
  if (value.length > OPTION_VALUE_MAX) return undefined;
  const parsed = parseSelector(value);
  if (!parsed.ok || (parsed.selector.kind === 'list' && parsed.selector.items.length > MAX_LISTED)) return undefined;
  const n = new Set(members.map((d) => d.id)).size;
  const count = ` · ${n} Droplet${n === 1 ? '' : 's'}`;
  const room = OPTION_TEXT_MAX - count.length;
  const shown = value.length <= room ? value : cutAtStart ? `…${value.slice(value.length - room + 1)}` : `${value.slice(0, room - 1)}…`;
  return option(`${shown}${count}`, value, [...members].sort(byName).map((d) => d.name).join(', '));
}

/** Each tag on the account's Droplets, with the Droplets that carry it. */
function tagsOf(droplets: readonly PickerDroplet[]): Array<[string, PickerDroplet[]]> {
  const tags = new Map<string, PickerDroplet[]>();
  for (const d of droplets) {
    for (const tag of new Set(d.tags ?? [])) {
      const members = tags.get(tag);
      if (members) members.push(d);
      else tags.set(tag, [d]);
    }
  }
  return [...tags];
}

const byName = (a: PickerDroplet, b: PickerDroplet) => a.name.localeCompare(b.name) || a.id - b.id;
