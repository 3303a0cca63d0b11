// The action catalogue is the one place an action is declared. These tests hold it to the two
// documents outside the code that describe the same actions: README's action table and
// DigitalOcean's own API spec.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, CATALOGUE, actionBodySchema, displayName, requiredScopes, type ActionType } from '../../src/domain/catalogue/index.js';
import { readReferenceJson } from '../support/reference.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** README's "Command reference" table: action names -> [parameters cell, scopes cell]. */
function readmeActionTable(): Map<ActionType, { params: string; scopes: string }> {
  const section = readme.slice(readme.indexOf('## Command reference'), readme.indexOf('## Modals'));
  const rows = section.split('\n').filter((l) => /^\| `[a-z-]+`/.test(l));
  const table = new Map<ActionType, { params: string; scopes: string }>();
  for (const row of rows) {
    const cells = row.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    const [names, params, scopes] = cells as [string, string, string];
    for (const name of names.match(/`([a-z0-9-]+)`/g) ?? []) {
      const type = name.replace(/`/g, '').replace(/-/g, '_') as ActionType;
      expect(table.has(type), `${name} appears twice`).toBe(false);
      table.set(type, { params: params.replace(/\\\|/g, '|'), scopes });
    }
  }
  return table;
}

describe('the catalogue', () => {
  it('declares the 16 action types of the API', () => {
    expect(ACTION_TYPES).toHaveLength(16);
  });

  it("matches README's action table: every action once, its parameters, required or optional, and its scopes", () => {
    const table = readmeActionTable();
    expect([...table.keys()].sort()).toEqual([...ACTION_TYPES].sort());
    for (const type of ACTION_TYPES) {
      const row = table.get(type)!;
      expect(row.scopes, type).toBe(requiredScopes(type).join(', '));
      const params = CATALOGUE[type].params;
      if (params.length === 0) expect(row.params, type).toBe('none');
      for (const { param, required } of params) {
        const written = required ? new RegExp(`(^|[\\s\`])${param.key}=`) : new RegExp(`\\[${param.key}=`);
        expect(row.params, `${displayName(type)} ${param.key} (${required ? 'required' : 'optional'})`).toMatch(written);
        if (required) expect(row.params, `${displayName(type)} ${param.key} is required`).not.toMatch(new RegExp(`\\[${param.key}=`));
      }
    }
  });

  it("matches DigitalOcean's spec: each type's writable fields, and the ones it requires", () => {
    const spec = readReferenceJson('digitalocean', 'droplet-actions.openapi.json');
    const body = spec.paths['/v2/droplets/{droplet_id}/actions'].post.requestBody.content['application/json'].schema;
    const schemas = spec.components.schemas;
    const fieldsOf = (schema: any): { props: Map<string, any>; required: Set<string> } => {
      const props = new Map<string, any>();
      const required = new Set<string>();
      for (const part of [schema, ...(schema.allOf ?? [])]) {
        const resolved = part.$ref ? schemas[part.$ref.split('/').pop()] : part;
        if (resolved !== part) {
          const inner = fieldsOf(resolved);
          for (const [k, v] of inner.props) props.set(k, v);
          for (const r of inner.required) required.add(r);
          continue;
        }
        for (const [k, v] of Object.entries(part.properties ?? {})) props.set(k, v);
        for (const r of part.required ?? []) required.add(r);
      }
      return { props, required };
    };
    expect(Object.keys(body.discriminator.mapping).sort()).toEqual([...ACTION_TYPES].sort());
    for (const type of ACTION_TYPES) {
      const { props, required } = fieldsOf(schemas[body.discriminator.mapping[type].split('/').pop()]);
      props.delete('type');
      required.delete('type');
      const ours = new Map<string, boolean>();
      for (const { param, required: req } of CATALOGUE[type].params) {
        const top = param.path[0];
        ours.set(top, (ours.get(top) ?? false) || req);
        if (param.path[1]) {
          const nested = fieldsOf(props.get(top).allOf?.[0] ?? props.get(top));
          expect(nested.props.has(param.path[1]), `${type}.${param.path.join('.')} is in the spec`).toBe(true);
          expect(nested.props.get(param.path[1]).readOnly, `${type}.${param.path.join('.')} is writable`).not.toBe(true);
        }
      }
      expect([...ours.keys()].sort(), `${type}: the fields we fill`).toEqual([...props.keys()].filter((k) => props.get(k).readOnly !== true).sort());
      // The spec marks few fields required; a field it requires, we require too (we may ask for more:
      // a resize without a size is refused by DigitalOcean anyway).
      for (const field of required) expect(ours.get(field), `${type}.${field} is required, as in the spec`).toBe(true);
    }
  });

  it("marks exactly the types DigitalOcean's bulk tag endpoint lists as byTag", () => {
    const spec = readReferenceJson('digitalocean', 'droplet-actions.openapi.json');
    const listed = [...String(spec.paths['/v2/droplets/actions'].post.description).matchAll(/^- `([a-z0-9_]+)`/gm)].map((m) => m[1]);
    expect(listed).toHaveLength(8);
    expect(ACTION_TYPES.filter((t) => (CATALOGUE[t] as { byTag?: true }).byTag).sort()).toEqual(listed.sort());
  });
});

describe('the job body schema', () => {
  it('refuses a body with a field its type does not take, and one without a required field', () => {
    expect(actionBodySchema.safeParse({ type: 'reboot' }).success).toBe(true);
    expect(actionBodySchema.safeParse({ type: 'reboot', size: 'x' }).success).toBe(false);
    expect(actionBodySchema.safeParse({ type: 'resize', size: 's-1vcpu-1gb', disk: true }).success).toBe(true);
    expect(actionBodySchema.safeParse({ type: 'resize', disk: true }).success).toBe(false);
    expect(actionBodySchema.safeParse({ type: 'snapshot', name: 'x', kernel: 1 }).success).toBe(false);
    expect(actionBodySchema.safeParse({ type: 'change_backup_policy', backup_policy: { plan: 'weekly', hour: 4 } }).success).toBe(true);
    expect(actionBodySchema.safeParse({ type: 'change_backup_policy', backup_policy: { plan: 'weekly', window_length_hours: 4 } }).success).toBe(false);
    expect(actionBodySchema.safeParse({ type: 'teleport' }).success).toBe(false);
  });
});
