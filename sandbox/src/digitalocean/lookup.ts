// Small lookups and formatting helpers shared by every handler. Kept free of imports from the
// rest of the simulator so any module can use them without import cycles.
import type { Droplet, Image, Region, SimulatorState, Size } from './types.js';

/** ISO 8601 without milliseconds, the way DigitalOcean formats every timestamp. */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function findDroplet(state: SimulatorState, id: number): Droplet | undefined {
  return state.droplets.find((d) => d.id === id);
}

export function findRegion(state: SimulatorState, slug: string): Region | undefined {
  return state.regions.find((r) => r.slug === slug);
}

export function findSize(state: SimulatorState, slug: string): Size | undefined {
  return state.sizes.find((s) => s.slug === slug);
}

/**
 * GET /v2/images/{id or slug} semantics: public images by id or slug, private images (snapshots,
 * backups) by id only.
 */
export function findImage(state: SimulatorState, idOrSlug: number | string): Image | undefined {
  if (typeof idOrSlug === 'number' || /^\d+$/.test(idOrSlug)) {
    const id = Number(idOrSlug);
    return state.images.find((i) => i.id === id);
  }
  return state.images.find((i) => i.public && i.slug === idOrSlug);
}

/** Plain JSON copy, so a client (or a test) holding a response cannot alias live state. */
export function snapshotOf<T>(value: T): T {
  return structuredClone(value);
}
