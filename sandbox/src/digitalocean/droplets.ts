// Building droplets: defaults, deterministic addresses and backup windows. addDroplet() and the
// seed both go through insertDroplet() so they produce identical, schema-complete shapes.
import { kernelsFor } from './catalog.js';
import { findImage, findRegion, findSize, isoSeconds, snapshotOf } from './lookup.js';
import type { BackupPolicy, BackupWindow, Droplet, NetworkV4, NetworkV6, SimulatorState } from './types.js';

const WEEKDAYS: BackupPolicy['weekday'][] = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function defaultBackupPolicy(): BackupPolicy {
  // The spec: "If omitted, the backup plan will default to daily."
  return { plan: 'daily', weekday: 'SUN', hour: 0, window_length_hours: 4, retention_period_days: 7 };
}

/** The next backup window after `now` for a policy (UTC), as the droplet object reports it. */
export function nextBackupWindow(policy: BackupPolicy, now: number): BackupWindow {
  const start = new Date(now);
  start.setUTCMinutes(0, 0, 0);
  start.setUTCHours(policy.hour);
  if (start.getTime() <= now) start.setUTCDate(start.getUTCDate() + 1);
  if (policy.plan === 'weekly') {
    const target = WEEKDAYS.indexOf(policy.weekday);
    while (start.getUTCDay() !== target) start.setUTCDate(start.getUTCDate() + 1);
  }
  const end = start.getTime() + policy.window_length_hours * 3600_000;
  return { start: isoSeconds(start.getTime()), end: isoSeconds(end) };
}

/** Deterministic addresses derived from the droplet id, per region. */
function addressesFor(id: number, region: string): { v4: NetworkV4[]; v6: NetworkV6 } {
  const third = Math.floor(id / 254) % 256;
  const fourth = (id % 254) + 1;
  const ams = region === 'ams3';
  const pub = ams ? '188.166' : '159.203';
  const priv = ams ? '10.110.0' : '10.108.0';
  const v6net = ams ? '2a03:b0c0:2:f0' : '2604:a880:800:14';
  return {
    v4: [
      { ip_address: `${priv}.${fourth}`, netmask: '255.255.240.0', gateway: `${priv}.1`, type: 'private' },
      { ip_address: `${pub}.${third}.${fourth}`, netmask: '255.255.240.0', gateway: `${pub}.${third}.1`, type: 'public' },
    ],
    v6: { ip_address: `${v6net}::${(id % 0xffff).toString(16)}:1000`, netmask: 64, gateway: `${v6net}::1`, type: 'public' },
  };
}

export function ipv6NetworkFor(droplet: Droplet): NetworkV6 {
  return addressesFor(droplet.id, droplet.region.slug).v6;
}

const VPC_BY_REGION: Record<string, string> = {
  nyc3: '760e09ef-dc84-11e8-981e-3cfdfeaae000',
  ams3: '5a4981aa-9653-4bd1-bef5-d6bff52042e4',
};

export type DropletSpec = Partial<Droplet> & { name: string };

/**
 * Build a complete droplet from a partial one and add it to the state. Defaults: nyc3,
 * s-1vcpu-1gb, Ubuntu 24.04, active. `size_slug` alone is enough to pick the size.
 */
export function insertDroplet(state: SimulatorState, spec: DropletSpec): Droplet {
  const region = spec.region ?? findRegion(state, 'nyc3') ?? state.regions[0];
  const size = spec.size ?? findSize(state, spec.size_slug ?? 's-1vcpu-1gb');
  const image = spec.image ?? findImage(state, 'ubuntu-24-04-x64');
  if (!region || !size || !image) throw new Error('addDroplet: unknown region, size or image');

  const id = spec.id ?? state.nextIds.droplet;
  if (state.droplets.some((d) => d.id === id)) throw new Error(`addDroplet: droplet ${id} already exists`);
  state.nextIds.droplet = Math.max(state.nextIds.droplet, id + 1);

  const addresses = addressesFor(id, region.slug);
  const features = spec.features ?? ['monitoring', 'droplet_agent', 'private_networking'];
  const defaults: Droplet = {
    id,
    name: spec.name,
    memory: size.memory,
    vcpus: size.vcpus,
    disk: size.disk,
    disk_info: [{ type: 'local', size: { amount: spec.disk ?? size.disk, unit: 'gib' } }],
    locked: false,
    status: 'active',
    kernel: null,
    created_at: isoSeconds(Date.now()),
    features,
    backup_ids: [],
    next_backup_window: null,
    snapshot_ids: [],
    image: snapshotOf(image),
    volume_ids: [],
    size: snapshotOf(size),
    size_slug: size.slug,
    networks: { v4: addresses.v4, v6: features.includes('ipv6') ? [addresses.v6] : [] },
    region: snapshotOf(region),
    tags: [],
    vpc_uuid: VPC_BY_REGION[region.slug] ?? '3f1d6a2e-1b7c-4d0e-9a55-2c8f0e6b7d11',
  };
  // Explicitly-undefined keys in the spec must not wipe defaults; cloned so the droplet never
  // shares arrays or objects (a catalogue region, a caller's tag list) with anything else.
  const overrides = structuredClone(Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));
  const droplet: Droplet = { ...defaults, ...overrides };

  if (droplet.features.includes('backups')) {
    const policy = state.backupPolicies.get(id) ?? defaultBackupPolicy();
    state.backupPolicies.set(id, policy);
    if (spec.next_backup_window === undefined) droplet.next_backup_window = nextBackupWindow(policy, Date.now());
  }
  state.kernels.set(id, kernelsFor(droplet.image.distribution));
  state.droplets.push(droplet);
  return droplet;
}
