// Which Droplets a message names: an alert from DigitalOcean Monitoring, Alertmanager or a person
// says "web-1 is down" or "droplet 3164494". A name counts only as a whole word (web-1 is not in
// web-10), and an ID only as a whole number. Pure.

export interface NamedDroplet {
  id: number;
  name: string;
}

const WORD = 'A-Za-z0-9._-';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The Droplets `text` names by name or ID, each once, in the order they first appear. */
export function dropletsNamedIn(text: string, droplets: readonly NamedDroplet[]): NamedDroplet[] {
  const found: Array<{ at: number; droplet: NamedDroplet }> = [];
  const byId = new Map(droplets.map((d) => [d.id, d]));
  for (const m of text.matchAll(/(?<![\d])\d{5,12}(?![\d])/g)) {
    const d = byId.get(Number(m[0]));
    if (d) found.push({ at: m.index ?? 0, droplet: d });
  }
  for (const d of droplets) {
    if (!d.name) continue;
    // A full stop ends a sentence, not the name ("restart web-1."), unless a word goes on after it.
    const m = new RegExp(`(?<![${WORD}])${escapeRegExp(d.name)}(?![A-Za-z0-9_-]|\\.[A-Za-z0-9])`, 'i').exec(text);
    if (m) found.push({ at: m.index, droplet: d });
  }
  const seen = new Set<number>();
  return found
    .sort((a, b) => a.at - b.at)
    .map((f) => f.droplet)
    .filter((d) => !seen.has(d.id) && seen.add(d.id));
}
