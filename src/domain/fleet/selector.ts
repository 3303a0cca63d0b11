// Which Droplets a fleet command means: a DigitalOcean tag, a name pattern, or a list of names and
// IDs. The same selectors name the Droplets a role covers in the role map. Pure.

/** DigitalOcean tag names: letters, digits, colons, dashes and underscores, up to 255. */
const TAG = /^[A-Za-z0-9:_-]{1,255}$/;
/** A Droplet name as DigitalOcean allows it: letters, digits, . and -, not at the ends. */
export const DROPLET_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,253}[A-Za-z0-9])?$/;
const GLOB = /^[A-Za-z0-9._*?-]{1,255}$/;
/** A comma list names at most this many Droplets; a tag or a pattern can reach more. */
export const MAX_LISTED = 100;

export type DropletKey = { kind: 'id'; id: number } | { kind: 'name'; name: string };

export type FleetSelector =
  | { kind: 'tag'; tag: string }
  | { kind: 'glob'; pattern: string }
  | { kind: 'list'; items: DropletKey[] };

/** What a Droplet looks like to a selector. */
export interface Selectable {
  id: number;
  name: string;
  tags?: readonly string[];
}

/** True when the token is meant as a fleet selector rather than one Droplet. */
export function looksLikeSelector(token: string): boolean {
  return token.toLowerCase().startsWith('tag:') || token.includes('*') || token.includes('?') || token.includes(',');
}

/** `web-1` or `123456` -> one Droplet by name or ID; anything else -> undefined. */
export function parseDropletKey(token: string): DropletKey | undefined {
  if (/^\d+$/.test(token)) {
    const id = Number(token);
    return id > 0 && id <= Number.MAX_SAFE_INTEGER ? { kind: 'id', id } : undefined;
  }
  return DROPLET_NAME.test(token) ? { kind: 'name', name: token } : undefined;
}

/** Parses `tag:web`, `web-*` or `web-1,web-2,3164444`; the error says what to type instead. */
export function parseSelector(token: string): { ok: true; selector: FleetSelector } | { ok: false; message: string } {
  if (token.toLowerCase().startsWith('tag:')) {
    const tag = token.slice(4);
    if (!TAG.test(tag)) {
      return { ok: false, message: `\`${token}\` is not a tag: tags use letters, digits, colons, dashes and underscores, as in \`tag:env:prod\`` };
    }
    return { ok: true, selector: { kind: 'tag', tag } };
  }
  if (token.includes(',')) {
    const parts = token.split(',');
    const items: DropletKey[] = [];
    const seen = new Set<string>();
    for (const part of parts) {
      if (part === '') return { ok: false, message: `\`${token}\` has an empty item: write names or IDs separated by commas, with no spaces, as in \`web-1,web-2\`` };
      const k = parseDropletKey(part);
      if (!k) return { ok: false, message: `\`${part}\` in \`${token}\` is not a Droplet name or ID: a list takes names and IDs only, as in \`web-1,web-2,3164444\`` };
      const id = k.kind === 'id' ? `#${k.id}` : k.name;
      if (!seen.has(id)) items.push(k);
      seen.add(id);
    }
    if (items.length > MAX_LISTED) return { ok: false, message: `a list may name at most ${MAX_LISTED} Droplets; tag them and use \`tag:<tag>\`` };
    return { ok: true, selector: { kind: 'list', items } };
  }
  if (!GLOB.test(token)) {
    return { ok: false, message: `\`${token}\` is not a name pattern: use letters, digits, . and -, with * for any run of characters and ? for one, as in \`web-*\`` };
  }
  return { ok: true, selector: { kind: 'glob', pattern: token } };
}

/** `web-*` -> a regular expression matching whole names, case-sensitively. */
export function globRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\-]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Whether a Droplet is one of those a selector names. */
export function selects(selector: FleetSelector, droplet: Selectable): boolean {
  switch (selector.kind) {
    case 'tag':
      return (droplet.tags ?? []).includes(selector.tag);
    case 'glob':
      return globRegExp(selector.pattern).test(droplet.name);
    case 'list':
      return selector.items.some((k) => (k.kind === 'id' ? k.id === droplet.id : k.name === droplet.name));
  }
}

/** The selector as it is typed. */
export function describeSelector(selector: FleetSelector): string {
  switch (selector.kind) {
    case 'tag':
      return `tag:${selector.tag}`;
    case 'glob':
      return selector.pattern;
    case 'list':
      return selector.items.map((k) => (k.kind === 'id' ? String(k.id) : k.name)).join(',');
  }
}
