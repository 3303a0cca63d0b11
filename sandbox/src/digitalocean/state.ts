// Creating the simulator state: the catalogue always, the seeded account unless `seed: false`.
import { buildPublicImages, buildRegions, buildSizes } from './catalog.js';
import { seedAccount } from './seed.js';
import type { SimulatorState } from './types.js';

export function createState(opts: { seed: boolean }): SimulatorState {
  const sizes = buildSizes();
  const state: SimulatorState = {
    droplets: [],
    actions: [],
    images: buildPublicImages(),
    sizes,
    regions: buildRegions(sizes),
    kernels: new Map(),
    backupPolicies: new Map(),
    nextIds: { droplet: 3164444, action: 2215800001, image: 170000001 },
  };
  if (opts.seed) seedAccount(state);
  return state;
}
