// A Droplet name or ID, as typed, -> exactly one Droplet, none, or the several that share a name.
import type { DropletRef } from '../domain/command.js';
import type { DigitalOceanClient } from './client.js';
import { DigitalOceanError } from './errors.js';
import type { Droplet } from './types.js';

export type Resolved =
  | { kind: 'found'; droplet: Droplet }
  | { kind: 'not_found'; ref: DropletRef }
  | { kind: 'ambiguous'; ref: DropletRef; candidates: Droplet[] };

export async function resolveDroplet(client: Pick<DigitalOceanClient, 'getDroplet' | 'findDropletsByName'>, ref: DropletRef): Promise<Resolved> {
  if (ref.kind === 'id') {
    try {
      return { kind: 'found', droplet: await client.getDroplet(ref.id) };
    } catch (err) {
      if (err instanceof DigitalOceanError && err.isNotFound) return { kind: 'not_found', ref };
      throw err;
    }
  }
  const found = await client.findDropletsByName(ref.name);
  if (found.length === 1) return { kind: 'found', droplet: found[0]! };
  if (found.length === 0) return { kind: 'not_found', ref };
  return { kind: 'ambiguous', ref, candidates: found };
}
