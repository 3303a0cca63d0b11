// What a completed action does to its droplet. Applied only when the action completes (not when
// it starts, and never when it errors), so a client sees the old state for as long as the
// action is in progress, as on the real API.
import { kernelsFor } from './catalog.js';
import { defaultBackupPolicy, ipv6NetworkFor, nextBackupWindow } from './droplets.js';
import { isoSeconds, snapshotOf } from './lookup.js';
import type { Droplet, DropletActionType, Image, SimulatorState } from './types.js';
import type { ActionParams } from './validate-action.js';

export function applyEffect(
  state: SimulatorState,
  droplet: Droplet,
  type: DropletActionType,
  params: ActionParams,
  now: number,
): void {
  switch (type) {
    case 'power_off':
    case 'shutdown':
      droplet.status = 'off';
      return;
    case 'power_on':
    case 'reboot':
    case 'power_cycle':
      droplet.status = 'active';
      return;
    case 'resize':
      if (params.size) resize(droplet, params);
      return;
    case 'rename':
      if (params.name) droplet.name = params.name;
      return;
    case 'snapshot':
      takeSnapshot(state, droplet, params.name, now);
      return;
    case 'rebuild':
      // A rebuild reinstalls from the image and boots the droplet; the kernels on offer
      // follow the new distribution.
      if (params.image) {
        droplet.image = snapshotOf(params.image);
        state.kernels.set(droplet.id, kernelsFor(params.image.distribution));
      }
      droplet.status = 'active';
      return;
    case 'enable_backups': {
      const policy = params.backupPolicy ?? defaultBackupPolicy();
      state.backupPolicies.set(droplet.id, policy);
      addFeature(droplet, 'backups');
      droplet.next_backup_window = nextBackupWindow(policy, now);
      return;
    }
    case 'disable_backups':
      // Disabling backups deletes the droplet's existing backup images.
      state.backupPolicies.delete(droplet.id);
      droplet.features = droplet.features.filter((f) => f !== 'backups');
      state.images = state.images.filter((i) => !droplet.backup_ids.includes(i.id));
      droplet.backup_ids = [];
      droplet.next_backup_window = null;
      return;
    case 'change_backup_policy':
      if (params.backupPolicy) {
        state.backupPolicies.set(droplet.id, params.backupPolicy);
        droplet.next_backup_window = nextBackupWindow(params.backupPolicy, now);
      }
      return;
    case 'change_kernel':
      if (params.kernel) droplet.kernel = { ...params.kernel };
      return;
    case 'enable_ipv6':
      addFeature(droplet, 'ipv6');
      if (droplet.networks.v6.length === 0) droplet.networks.v6.push(ipv6NetworkFor(droplet));
      return;
    case 'restore':
    case 'password_reset':
      // Restore rewrites the disk and password_reset mails a password: nothing the API shows.
      return;
  }
}

function addFeature(droplet: Droplet, feature: string): void {
  if (!droplet.features.includes(feature)) droplet.features.push(feature);
}

/** CPU and RAM always follow the new size; the disk only grows when `disk: true`. */
function resize(droplet: Droplet, params: ActionParams): void {
  const size = params.size;
  if (!size) return;
  droplet.size = snapshotOf(size);
  droplet.size_slug = size.slug;
  droplet.memory = size.memory;
  droplet.vcpus = size.vcpus;
  if (params.disk && size.disk > droplet.disk) {
    droplet.disk = size.disk;
    droplet.disk_info = [{ type: 'local', size: { amount: size.disk, unit: 'gib' } }];
  }
}

function takeSnapshot(state: SimulatorState, droplet: Droplet, name: string | undefined, now: number): void {
  const image: Image = {
    id: state.nextIds.image++,
    // DigitalOcean's default snapshot name: `<droplet name>-<epoch ms>`.
    name: name ?? `${droplet.name}-${now}`,
    type: 'snapshot',
    distribution: droplet.image.distribution,
    slug: null,
    public: false,
    regions: [droplet.region.slug],
    created_at: isoSeconds(now),
    min_disk_size: droplet.disk,
    size_gigabytes: Math.round(droplet.disk * 0.09 * 100) / 100,
    description: '',
    tags: [],
    status: 'available',
    error_message: '',
  };
  state.images.push(image);
  droplet.snapshot_ids.push(image.id);
}
