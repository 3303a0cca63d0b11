// Every body the bot sends validates against DigitalOcean's own schema for its type.
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, actionBody, type ActionType } from '../../src/domain/catalogue/index.js';
import { parseCommand } from '../../src/domain/command.js';
import { readReferenceJson } from '../support/reference.js';

const spec = readReferenceJson('digitalocean', 'droplet-actions.openapi.json');

// One typed command per type, with every parameter the type takes.
const SAMPLES: Record<ActionType, string> = {
  enable_backups: 'enable-backups web-1 plan=weekly weekday=SUN hour=4',
  disable_backups: 'disable-backups web-1',
  change_backup_policy: 'change-backup-policy web-1 plan=daily hour=20',
  reboot: 'reboot web-1',
  power_cycle: 'power-cycle web-1',
  shutdown: 'shutdown web-1',
  power_off: 'power-off web-1',
  power_on: 'power-on web-1',
  restore: 'restore web-1 image=12389723',
  password_reset: 'password-reset web-1',
  resize: 'resize web-1 size=s-2vcpu-2gb disk=true',
  rebuild: 'rebuild web-1 image=ubuntu-24-04-x64',
  rename: 'rename web-1 name=web-01.example',
  change_kernel: 'change-kernel web-1 kernel=7515',
  enable_ipv6: 'enable-ipv6 web-1',
  snapshot: 'snapshot web-1 name="nightly 1"',
};

/** The spec's schema for one type, following its discriminator; `discriminator` itself is dropped for Ajv. */
function schemaFor(type: ActionType): object {
  const body = spec.paths['/v2/droplets/{droplet_id}/actions'].post.requestBody.content['application/json'].schema;
  const ref: string = body.discriminator.mapping[type];
  const schema = structuredClone(spec.components.schemas[ref.split('/').pop()!]);
  if (type === 'change_backup_policy') {
    // Upstream quirk (see the reference README): the type enum forgets change_backup_policy.
    schema.allOf[0].properties.type.enum.push('change_backup_policy');
  }
  return schema;
}

/** Property names a schema defines at the top level (through allOf), and whether each is readOnly. */
function properties(schema: any): Map<string, any> {
  const out = new Map<string, any>();
  for (const part of [schema, ...(schema.allOf ?? [])]) for (const [k, v] of Object.entries(part.properties ?? {})) out.set(k, v);
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });

describe('action bodies against the DigitalOcean spec', () => {
  it('covers all 16 action types', () => {
    expect(ACTION_TYPES).toHaveLength(16);
    expect(Object.keys(SAMPLES).sort()).toEqual([...ACTION_TYPES].sort());
  });

  for (const type of ACTION_TYPES) {
    it(`sends a valid ${type} body`, () => {
      const parsed = parseCommand(SAMPLES[type]);
      expect(parsed.kind, JSON.stringify(parsed)).toBe('action');
      if (parsed.kind !== 'action') return;
      const body = actionBody(parsed.action, parsed.params);
      const schema = schemaFor(type);
      const validate = ajv.compile(schema);
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      // The spec allows extra fields; DigitalOcean ignores or refuses them. Send none, and no read-only ones.
      const props = properties(schema);
      for (const [key, value] of Object.entries(body)) {
        expect(props.has(key), `${type} sends unknown field ${key}`).toBe(true);
        if (key === 'backup_policy') {
          const policyProps = properties(props.get(key).allOf[0]);
          for (const k of Object.keys(value as object)) {
            expect(policyProps.has(k), `unknown backup_policy field ${k}`).toBe(true);
            expect(policyProps.get(k).readOnly, `${k} is read-only`).not.toBe(true);
          }
        }
      }
    });
  }

  it('sends exactly the typed values', () => {
    const parsed = parseCommand('resize web-1 size=s-2vcpu-2gb disk=true');
    expect(parsed.kind === 'action' && actionBody(parsed.action, parsed.params)).toEqual({ type: 'resize', size: 's-2vcpu-2gb', disk: true });
    const snap = parseCommand('snapshot 3164444 name="nightly 1"');
    expect(snap.kind === 'action' && actionBody(snap.action, snap.params)).toEqual({ type: 'snapshot', name: 'nightly 1' });
    const policy = parseCommand('change_backup_policy web-1 plan=weekly weekday=mon hour=8');
    expect(policy.kind === 'action' && actionBody(policy.action, policy.params)).toEqual({
      type: 'change_backup_policy',
      backup_policy: { plan: 'weekly', weekday: 'MON', hour: 8 },
    });
    const rebuild = parseCommand('rebuild web-1 image=12345');
    expect(rebuild.kind === 'action' && rebuild.params.image).toBe(12345);
  });
});
