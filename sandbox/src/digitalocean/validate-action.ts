// Validation of a droplet action request body, per type, the way the real API answers: a 422
// `unprocessable_entity` with a human message. Messages follow ones DigitalOcean is known to send
// where known (pending event, power state, hostname, backups, same size); the rest are worded
// in the same style. Returns the resolved parameters the action needs when it completes.
import { findImage, findSize } from './lookup.js';
import {
  DROPLET_ACTION_TYPES,
  TAG_ACTION_TYPES,
  type BackupPolicy,
  type Droplet,
  type DropletActionType,
  type Image,
  type Kernel,
  type SimulatorState,
  type Size,
} from './types.js';

/** Resolved inputs, so completion does not re-read (possibly changed) request data. */
export interface ActionParams {
  size?: Size;
  disk?: boolean;
  image?: Image;
  name?: string;
  kernel?: Kernel;
  backupPolicy?: BackupPolicy;
}

export type Validation = { ok: true; type: DropletActionType; params: ActionParams } | { ok: false; message: string };

export const PENDING_EVENT = 'Droplet already has a pending event.';
const HOSTNAME_MESSAGE = 'Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)';
const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] as const;
const HOURS = [0, 4, 8, 12, 16, 20] as const;

const fail = (message: string): Validation => ({ ok: false, message });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The `type` check alone: shared by single and tag-wide requests. */
export function parseActionType(body: unknown, bulk: boolean): DropletActionType | { message: string } {
  if (!isRecord(body) || body.type === undefined) return { message: "The 'type' attribute is required." };
  const type = body.type;
  if (typeof type !== 'string' || !(DROPLET_ACTION_TYPES as readonly string[]).includes(type)) {
    return { message: `'${String(type)}' is not a valid action type.` };
  }
  if (bulk && !(TAG_ACTION_TYPES as readonly string[]).includes(type)) {
    return { message: `The '${type}' action is not supported for Droplets selected by tag.` };
  }
  return type as DropletActionType;
}

/**
 * Validate `body` for `droplet`. `bulk` (tag-wide requests) skips the power-state and
 * "already enabled" checks: a tag covers droplets in mixed states and each action simply
 * converges its droplet to the target state.
 */
export function validateAction(
  state: SimulatorState,
  droplet: Droplet,
  body: unknown,
  opts: { bulk: boolean; busy: boolean },
): Validation {
  const type = parseActionType(body, opts.bulk);
  if (typeof type !== 'string') return fail(type.message);
  if (opts.busy) return fail(PENDING_EVENT);
  const b = body as Record<string, unknown>;
  const check = !opts.bulk;
  const on = droplet.status === 'active';
  const hasBackups = droplet.features.includes('backups');
  const done = (params: ActionParams = {}): Validation => ({ ok: true, type, params });

  switch (type) {
    case 'power_on':
      return check && on ? fail('Droplet is already powered on.') : done();
    case 'power_off':
    case 'shutdown':
      return check && droplet.status === 'off' ? fail('Droplet is already powered off.') : done();
    case 'reboot':
      // A graceful reboot needs a running OS; power_cycle is the way to boot an off droplet.
      return droplet.status === 'off' ? fail('Droplet is currently off. Please power it on to run this event.') : done();
    case 'power_cycle':
    case 'password_reset':
      return done();
    case 'enable_ipv6':
      return check && droplet.features.includes('ipv6') ? fail('IPv6 has already been enabled on this Droplet.') : done();
    case 'enable_backups': {
      if (check && hasBackups) return fail('Backups have already been enabled on this Droplet.');
      if (b.backup_policy === undefined) return done();
      const policy = parseBackupPolicy(b.backup_policy, false);
      return 'message' in policy ? fail(policy.message) : done({ backupPolicy: policy });
    }
    case 'disable_backups':
      return check && !hasBackups ? fail('Backups have already been disabled on this Droplet.') : done();
    case 'change_backup_policy': {
      if (b.backup_policy === undefined) return fail("The 'backup_policy' attribute is required.");
      const policy = parseBackupPolicy(b.backup_policy, true);
      if ('message' in policy) return fail(policy.message);
      return hasBackups ? done({ backupPolicy: policy }) : fail('Backups are not enabled on this Droplet.');
    }
    case 'rename': {
      if (b.name === undefined || b.name === '') return fail("The 'name' attribute is required.");
      if (typeof b.name !== 'string' || !HOSTNAME.test(b.name)) return fail(HOSTNAME_MESSAGE);
      return done({ name: b.name });
    }
    case 'snapshot': {
      if (b.name === undefined) return done();
      if (typeof b.name !== 'string' || b.name.trim() === '' || b.name.length > 255) {
        return fail('Snapshot name must be a non-empty string of at most 255 characters.');
      }
      return done({ name: b.name });
    }
    case 'resize':
      return validateResize(state, droplet, b, done);
    case 'rebuild': {
      const ref = b.image;
      if (ref === undefined || ref === '') return fail("The 'image' attribute is required.");
      if (typeof ref !== 'string' && !Number.isInteger(ref)) return fail('Image must be an image ID or slug.');
      const image = findImage(state, ref as string | number);
      if (!image || image.status !== 'available') return fail('You specified an invalid image for Droplet rebuild.');
      if (!image.regions.includes(droplet.region.slug)) return fail('Image is not available in this region.');
      return done({ image });
    }
    case 'restore': {
      if (b.image === undefined) return fail("The 'image' attribute is required.");
      if (!Number.isInteger(b.image)) return fail('Image must be the ID of a backup of this Droplet.');
      const image = findImage(state, b.image as number);
      if (!image || !droplet.backup_ids.includes(image.id)) return fail('Image is not a backup of this Droplet.');
      return done({ image });
    }
    case 'change_kernel': {
      if (b.kernel === undefined) return fail("The 'kernel' attribute is required.");
      if (!Number.isInteger(b.kernel)) return fail('Kernel must be a kernel ID.');
      const kernel = (state.kernels.get(droplet.id) ?? []).find((k) => k.id === b.kernel);
      return kernel ? done({ kernel }) : fail('The kernel you specified is not available for this Droplet.');
    }
  }
}

function validateResize(
  state: SimulatorState,
  droplet: Droplet,
  b: Record<string, unknown>,
  done: (params: ActionParams) => Validation,
): Validation {
  if (b.size === undefined || b.size === '') return fail("The 'size' attribute is required.");
  if (b.disk !== undefined && typeof b.disk !== 'boolean') return fail("The 'disk' attribute must be a boolean.");
  const size = typeof b.size === 'string' ? findSize(state, b.size) : undefined;
  if (!size) return fail('You specified an invalid size for Droplet resize.');
  if (!size.available || !size.regions.includes(droplet.region.slug)) return fail('Size is not available in this region.');
  if (size.slug === droplet.size_slug) return fail('The droplet is already set to this size.');
  // A disk grown by an earlier `disk: true` resize can never shrink again.
  if (size.disk < droplet.disk) return fail('This size is not available because it has a smaller disk.');
  if (droplet.status === 'active') return fail('Droplet is currently on. Please power it off to run this event.');
  return done({ size, disk: b.disk === true });
}

function parseBackupPolicy(raw: unknown, planRequired: boolean): BackupPolicy | { message: string } {
  if (!isRecord(raw)) return { message: "The 'backup_policy' attribute must be an object." };
  const { plan, weekday, hour } = raw;
  if (plan === undefined && planRequired) return { message: 'backup_policy.plan is required.' };
  if (plan !== undefined && plan !== 'daily' && plan !== 'weekly') {
    return { message: 'backup_policy.plan must be one of: daily, weekly.' };
  }
  if (weekday !== undefined && !(WEEKDAYS as readonly unknown[]).includes(weekday)) {
    return { message: 'backup_policy.weekday must be one of: SUN, MON, TUE, WED, THU, FRI, SAT.' };
  }
  if (hour !== undefined && !(HOURS as readonly unknown[]).includes(hour)) {
    return { message: 'backup_policy.hour must be one of: 0, 4, 8, 12, 16, 20.' };
  }
  const resolvedPlan = (plan ?? 'daily') as BackupPolicy['plan'];
  if (resolvedPlan === 'weekly' && weekday === undefined) {
    return { message: 'backup_policy.weekday is required for a weekly plan.' };
  }
  return {
    plan: resolvedPlan,
    weekday: (weekday ?? 'SUN') as BackupPolicy['weekday'],
    hour: (hour ?? 0) as BackupPolicy['hour'],
    window_length_hours: 4,
    retention_period_days: resolvedPlan === 'weekly' ? 28 : 7,
  };
}
