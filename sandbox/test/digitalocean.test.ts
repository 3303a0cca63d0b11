// The DigitalOcean simulator, exercised over real HTTP with global fetch. Response bodies are
// checked against the response schemas of the official OpenAPI subset, so the simulator cannot
// drift from what DigitalOcean documents.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DROPLET_ACTION_TYPES,
  startDigitalOceanSimulator,
  type Action,
  type DigitalOceanSimulator,
  type Droplet,
  type SimulatorOptions,
} from '../src/digitalocean/index.js';
import { readReferenceJson } from '../../test/support/reference.js';

// ---------------------------------------------------------------------------------------------
// OpenAPI schemas

const spec = readReferenceJson('digitalocean', 'droplet-actions.openapi.json') as {
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, unknown> };
};

/** Ajv's `discriminator` needs oneOf; the spec pairs it with anyOf, so drop it (see README). */
function withoutDiscriminator(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDiscriminator);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([k]) => k !== 'discriminator')
      .map(([k, v]) => [k, withoutDiscriminator(v)]),
  );
}

const ajv = new Ajv({ strict: false, allErrors: true });
// Formats the spec uses; declared here rather than pulling in ajv-formats.
ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
ajv.addFormat('ipv4', /^(\d{1,3}\.){3}\d{1,3}$/);
ajv.addFormat('ipv6', /^[0-9a-f:]+$/i);
ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
ajv.addFormat('float', { type: 'number', validate: () => true });

const compiled = new Map<string, ValidateFunction>();
function compile(key: string, schema: unknown): ValidateFunction {
  let fn = compiled.get(key);
  if (!fn) {
    fn = ajv.compile(withoutDiscriminator(schema) as object);
    compiled.set(key, fn);
  }
  return fn;
}

function expectResponseSchema(path: string, method: 'get' | 'post', status: '200' | '201', body: unknown): void {
  const schema = spec.paths[path]?.[method]?.responses?.[status]?.content?.['application/json']?.schema;
  expect(schema, `${method} ${path} ${status} schema`).toBeDefined();
  const validate = compile(`${method} ${path} ${status}`, schema);
  expect(validate(body), `${method.toUpperCase()} ${path}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

function expectErrorSchema(body: unknown): void {
  const validate = compile('error', spec.components.schemas.error);
  expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);
}

function expectActionRequestSchema(body: { type: string }): void {
  // Upstream quirk: change_backup_policy is missing from the type enum, so a correct body fails.
  if (body.type === 'change_backup_policy') return;
  const schema = spec.paths['/v2/droplets/{droplet_id}/actions']?.post?.requestBody?.content?.['application/json']?.schema;
  const validate = compile('action request', schema);
  expect(validate(body), ajv.errorsText(validate.errors)).toBe(true);
}

// ---------------------------------------------------------------------------------------------
// Helpers

let sim: DigitalOceanSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: SimulatorOptions = {}): Promise<DigitalOceanSimulator> {
  sim = await startDigitalOceanSimulator({ timeScale: 0.005, ...opts });
  return sim;
}

interface Res {
  status: number;
  headers: Headers;
  body: any;
}

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res> {
  if (!sim) throw new Error('simulator not started');
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const get = (path: string) => call('GET', path);
const post = (path: string, body: unknown) => call('POST', path, body);

async function getDroplet(id: number): Promise<Droplet> {
  return (await get(`/v2/droplets/${id}`)).body.droplet as Droplet;
}

async function waitForAction(id: number, timeoutMs = 5000): Promise<Action> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await get(`/v2/actions/${id}`);
    if (body.action.status !== 'in-progress') return body.action as Action;
    if (Date.now() > deadline) throw new Error(`action ${id} still in progress`);
    await new Promise((r) => setTimeout(r, 15));
  }
}

const WEB_1 = 3164444;
const WEB_2 = 3164445;
const DB_1 = 3164446;
const STAGING_1 = 3164449; // powered off, ams3

// ---------------------------------------------------------------------------------------------

describe('droplets', () => {
  it('lists by exact name, case-insensitively, including same-named droplets', async () => {
    await start();
    const web1 = await get('/v2/droplets?name=web-1');
    expect(web1.status).toBe(200);
    expectResponseSchema('/v2/droplets', 'get', '200', web1.body);
    expect(web1.body.droplets.map((d: Droplet) => d.id)).toEqual([WEB_1]);
    expect(web1.body.meta).toEqual({ total: 1 });

    const workers = await get('/v2/droplets?name=WORKER');
    expect(workers.body.droplets.map((d: Droplet) => d.region.slug).sort()).toEqual(['ams3', 'nyc3']);
    expect((await get('/v2/droplets?name=web')).body.droplets).toEqual([]);
  });

  it('filters by tag and paginates with links that keep the filter', async () => {
    await start();
    const page1 = await get('/v2/droplets?tag_name=web&per_page=2');
    expectResponseSchema('/v2/droplets', 'get', '200', page1.body);
    expect(page1.body.meta.total).toBe(3);
    expect(page1.body.droplets).toHaveLength(2);
    expect(page1.body.links.pages.first).toBeUndefined();
    const next = new URL(page1.body.links.pages.next as string);
    expect(next.searchParams.get('tag_name')).toBe('web');

    const page2 = await get(`${next.pathname}${next.search}`);
    expect(page2.body.droplets).toHaveLength(1);
    expect(page2.body.links.pages.prev).toBeDefined();
    expect(page2.body.links.pages.next).toBeUndefined();
    expect((await get('/v2/droplets?name=web-1&tag_name=web')).status).toBe(422);
  });

  it('gets one droplet, and 404s in DigitalOcean shape with a matching request id', async () => {
    await start();
    const one = await get(`/v2/droplets/${WEB_1}`);
    expect(one.status).toBe(200);
    expectResponseSchema('/v2/droplets/{droplet_id}', 'get', '200', one.body);
    expect(one.body.droplet).toMatchObject({ id: WEB_1, name: 'web-1', status: 'active', locked: false });

    for (const path of ['/v2/droplets/999', '/v2/droplets/abc', '/v2/nope', '/v2/actions/1']) {
      const missing = await get(path);
      expect(missing.status, path).toBe(404);
      expect(missing.body).toMatchObject({ id: 'not_found', message: 'The resource you were accessing could not be found.' });
      expect(missing.body.request_id).toBe(missing.headers.get('x-request-id'));
      expectErrorSchema(missing.body);
    }
  });

  it('serves kernels, snapshots and backups per droplet', async () => {
    await start();
    const kernels = await get(`/v2/droplets/${DB_1}/kernels`);
    expectResponseSchema('/v2/droplets/{droplet_id}/kernels', 'get', '200', kernels.body);
    expect(kernels.body.kernels.length).toBeGreaterThan(0);
    const snapshots = await get(`/v2/droplets/${WEB_1}/snapshots`);
    expectResponseSchema('/v2/droplets/{droplet_id}/snapshots', 'get', '200', snapshots.body);
    expect(snapshots.body.snapshots).toHaveLength(1);
    const backups = await get(`/v2/droplets/${WEB_1}/backups`);
    expectResponseSchema('/v2/droplets/{droplet_id}/backups', 'get', '200', backups.body);
    expect(backups.body.backups.map((b: { type: string }) => b.type)).toEqual(['backup', 'backup']);
    expect((await get('/v2/droplets/42/backups')).status).toBe(404);
  });

  it('starts empty with seed: false, keeping the catalogue, and serves added droplets', async () => {
    const s = await start({ seed: false });
    expect((await get('/v2/droplets')).body).toMatchObject({ droplets: [], meta: { total: 0 } });
    expect((await get('/v2/sizes')).body.sizes.length).toBeGreaterThan(0);
    const added = s.addDroplet({ name: 'solo', size_slug: 's-2vcpu-2gb', tags: ['solo'] });
    const listed = await get('/v2/droplets?tag_name=solo');
    expectResponseSchema('/v2/droplets', 'get', '200', listed.body);
    expect(listed.body.droplets[0]).toMatchObject({ id: added.id, memory: 2048, vcpus: 2, size_slug: 's-2vcpu-2gb' });
  });
});

describe('catalogue', () => {
  it('lists sizes with prices and per-region availability', async () => {
    await start();
    const sizes = await get('/v2/sizes?per_page=200');
    expectResponseSchema('/v2/sizes', 'get', '200', sizes.body);
    const bySlug = new Map(sizes.body.sizes.map((s: any) => [s.slug, s]));
    expect(bySlug.get('s-1vcpu-1gb')).toMatchObject({ memory: 1024, vcpus: 1, price_monthly: 6, available: true });
    expect((bySlug.get('s-8vcpu-16gb') as any).regions).not.toContain('ams3');
  });

  it('filters images by type and privacy, and gets one by slug or id', async () => {
    await start();
    const distributions = await get('/v2/images?type=distribution');
    expectResponseSchema('/v2/images', 'get', '200', distributions.body);
    const slugs = distributions.body.images.map((i: any) => i.slug);
    expect(slugs).toEqual(expect.arrayContaining(['ubuntu-24-04-x64', 'debian-12-x64']));
    const apps = await get('/v2/images?type=application');
    expect(apps.body.images.length).toBeGreaterThanOrEqual(2);
    expect(apps.body.images.every((i: any) => !slugs.includes(i.slug))).toBe(true);
    const mine = await get('/v2/images?private=true');
    expect(mine.body.images.every((i: any) => i.public === false)).toBe(true);

    const bySlug = await get('/v2/images/ubuntu-24-04-x64');
    expectResponseSchema('/v2/images/{image_id}', 'get', '200', bySlug.body);
    expect((await get(`/v2/images/${bySlug.body.image.id}`)).body.image.slug).toBe('ubuntu-24-04-x64');
    expect((await get('/v2/images/no-such-image')).status).toBe(404);
  });
});

describe('droplet actions', () => {
  /** Each type on a fresh droplet in the state it needs, with the change it must make. */
  const cases: Array<{
    type: string;
    setup?: Partial<Droplet>;
    dropletId?: number;
    body?: Record<string, unknown>;
    check: (after: Droplet, before: Droplet) => void | Promise<void>;
  }> = [
    { type: 'enable_backups', check: (d) => (expect(d.features).toContain('backups'), expect(d.next_backup_window).not.toBeNull()) },
    { type: 'disable_backups', dropletId: WEB_1, check: (d) => (expect(d.features).not.toContain('backups'), expect(d.backup_ids).toEqual([])) },
    {
      type: 'change_backup_policy',
      dropletId: WEB_1,
      body: { backup_policy: { plan: 'weekly', weekday: 'TUE', hour: 8 } },
      check: (d) => {
        const start = new Date(d.next_backup_window?.start ?? '');
        expect([start.getUTCDay(), start.getUTCHours()]).toEqual([2, 8]);
      },
    },
    { type: 'reboot', check: (d) => expect(d.status).toBe('active') },
    { type: 'power_cycle', setup: { status: 'off' }, check: (d) => expect(d.status).toBe('active') },
    { type: 'shutdown', check: (d) => expect(d.status).toBe('off') },
    { type: 'power_off', check: (d) => expect(d.status).toBe('off') },
    { type: 'power_on', setup: { status: 'off' }, check: (d) => expect(d.status).toBe('active') },
    { type: 'restore', dropletId: WEB_1, body: { image: 163000201 }, check: (d, b) => expect(d.image).toEqual(b.image) },
    { type: 'password_reset', check: (d, b) => expect({ ...d, locked: false }).toEqual({ ...b, locked: false }) },
    {
      type: 'resize',
      setup: { status: 'off' },
      body: { size: 's-2vcpu-4gb', disk: true },
      check: (d) => expect([d.size_slug, d.size.slug, d.memory, d.vcpus, d.disk]).toEqual(['s-2vcpu-4gb', 's-2vcpu-4gb', 4096, 2, 80]),
    },
    { type: 'rebuild', body: { image: 'debian-12-x64' }, check: (d) => expect(d.image.slug).toBe('debian-12-x64') },
    { type: 'rename', body: { name: 'renamed.example.com' }, check: (d) => expect(d.name).toBe('renamed.example.com') },
    { type: 'change_kernel', dropletId: DB_1, body: { kernel: 9311 }, check: (d) => expect(d.kernel?.id).toBe(9311) },
    {
      type: 'enable_ipv6',
      check: (d) => (expect(d.features).toContain('ipv6'), expect(d.networks.v6).toHaveLength(1)),
    },
    {
      type: 'snapshot',
      body: { name: 'before-upgrade' },
      check: async (d, b) => {
        expect(d.snapshot_ids).toHaveLength(b.snapshot_ids.length + 1);
        const images = (await get('/v2/images?private=true')).body.images;
        expect(images.find((i: any) => i.id === d.snapshot_ids.at(-1))).toMatchObject({ name: 'before-upgrade', type: 'snapshot' });
      },
    },
  ];

  it('covers all 16 action types', () => {
    expect(cases.map((c) => c.type).sort()).toEqual([...DROPLET_ACTION_TYPES].sort());
  });

  it.each(cases)('$type: 201 in-progress, then completed with the droplet changed', async ({ type, setup, dropletId, body, check }) => {
    // Long enough that a loaded machine still sees the action in progress, short enough to wait for.
    const s = await start({ timeScale: 0.005, durations: { [type]: 700 } });
    const id = dropletId ?? s.addDroplet({ name: `t-${type.replaceAll('_', '-')}`, ...setup }).id;
    const before = await getDroplet(id);
    const request = { type, ...body };
    expectActionRequestSchema(request);

    const created = await post(`/v2/droplets/${id}/actions`, request);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expectResponseSchema('/v2/droplets/{droplet_id}/actions', 'post', '201', created.body);
    expect(created.body.action).toMatchObject({
      status: 'in-progress',
      type,
      completed_at: null,
      resource_id: id,
      resource_type: 'droplet',
      region_slug: before.region.slug,
    });
    expect((await getDroplet(id)).locked).toBe(true);

    const done = await waitForAction(created.body.action.id);
    expect(done.status).toBe('completed');
    expect(done.completed_at).toMatch(/Z$/);
    const after = await getDroplet(id);
    expect(after.locked).toBe(false);
    await check(after, before);
  });

  it('names a snapshot `<droplet>-<timestamp>` by default and lists it under the droplet', async () => {
    await start();
    const created = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'snapshot' });
    await waitForAction(created.body.action.id);
    const snapshots = (await get(`/v2/droplets/${WEB_2}/snapshots`)).body.snapshots;
    expect(snapshots).toHaveLength(1);
    expect(snapshots[0].name).toMatch(/^web-2-\d{13}$/);
  });

  it('grows the disk only when resize asks for it', async () => {
    const s = await start();
    const d = s.addDroplet({ name: 'flex', status: 'off' });
    const created = await post(`/v2/droplets/${d.id}/actions`, { type: 'resize', size: 's-2vcpu-4gb' });
    await waitForAction(created.body.action.id);
    expect(await getDroplet(d.id)).toMatchObject({ size_slug: 's-2vcpu-4gb', memory: 4096, disk: 25 });
  });

  it('refuses a second action while one is pending, and the droplet is locked meanwhile', async () => {
    await start({ timeScale: 1 });
    expect((await post(`/v2/droplets/${WEB_2}/actions`, { type: 'reboot' })).status).toBe(201);
    expect((await getDroplet(WEB_2)).locked).toBe(true);
    const second = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' });
    expect(second.status).toBe(422);
    expect(second.body).toMatchObject({ id: 'unprocessable_entity', message: 'Droplet already has a pending event.' });
    expectErrorSchema(second.body);
  });

  it.each([
    [WEB_2, { type: 'explode' }, /not a valid action type/],
    [WEB_2, {}, /type/],
    [WEB_2, { type: 'resize', size: 's-2vcpu-4gb' }, /^Droplet is currently on\. Please power it off to run this event\.$/],
    [STAGING_1, { type: 'resize' }, /size/],
    [STAGING_1, { type: 'resize', size: 's-99vcpu' }, /invalid size/],
    [STAGING_1, { type: 'resize', size: 's-8vcpu-16gb' }, /not available in this region/],
    [STAGING_1, { type: 'resize', size: 'm-2vcpu-16gb' }, /not available/],
    [STAGING_1, { type: 'resize', size: 's-1vcpu-1gb' }, /already set to this size/],
    [STAGING_1, { type: 'resize', size: 's-2vcpu-4gb', disk: 'yes' }, /disk/],
    [WEB_2, { type: 'rebuild', image: 'no-such-os' }, /invalid image/],
    [WEB_2, { type: 'rebuild' }, /image/],
    [WEB_2, { type: 'restore', image: 163000201 }, /not a backup of this Droplet/],
    [WEB_1, { type: 'restore', image: 'web-1 2024-06-09' }, /backup/],
    [WEB_2, { type: 'change_kernel', kernel: 9311 }, /kernel/],
    [WEB_2, { type: 'rename', name: 'bad_name!' }, /^Only valid hostname characters are allowed/],
    [WEB_2, { type: 'rename' }, /name/],
    [WEB_1, { type: 'change_backup_policy', backup_policy: { plan: 'weekly', weekday: 'TUE', hour: 3 } }, /hour/],
    [WEB_1, { type: 'change_backup_policy', backup_policy: { plan: 'weekly', weekday: 'FUNDAY', hour: 4 } }, /weekday/],
    [WEB_1, { type: 'change_backup_policy', backup_policy: { plan: 'monthly' } }, /plan/],
    [WEB_1, { type: 'change_backup_policy' }, /backup_policy/],
    [WEB_2, { type: 'change_backup_policy', backup_policy: { plan: 'daily', hour: 4 } }, /not enabled/],
    [WEB_1, { type: 'enable_backups' }, /already been enabled/],
    [WEB_2, { type: 'disable_backups' }, /already been disabled/],
    [WEB_1, { type: 'enable_ipv6' }, /already been enabled/],
    [WEB_2, { type: 'power_on' }, /already powered on/],
    [STAGING_1, { type: 'power_off' }, /already powered off/],
  ])('droplet %i, body %j → 422 %s', async (id, body, message) => {
    await start();
    const res = await post(`/v2/droplets/${id}/actions`, body);
    expect(res.status).toBe(422);
    expect(res.body.id).toBe('unprocessable_entity');
    expect(res.body.message).toMatch(message);
    expectErrorSchema(res.body);
    expect((await getDroplet(id)).locked).toBe(false);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const s = await start();
    const res = await fetch(`${s.url}/v2/droplets/${WEB_2}/actions`, { method: 'POST', body: '{"type":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ id: 'bad_request' });
  });

  it('ends an action `errored` with no droplet change after errorNextAction', async () => {
    const s = await start();
    s.errorNextAction({ dropletId: WEB_2, type: 'power_off' });
    const created = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' });
    const done = await waitForAction(created.body.action.id);
    expect(done.status).toBe('errored');
    expect(done.completed_at).not.toBeNull();
    expect(await getDroplet(WEB_2)).toMatchObject({ status: 'active', locked: false });

    // One-shot: the next one completes.
    const again = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' });
    expect((await waitForAction(again.body.action.id)).status).toBe('completed');
  });

  it('completes a shutdown that leaves the droplet running after completeWithoutEffect (api-v2#79)', async () => {
    const s = await start();
    s.completeWithoutEffect({ dropletId: WEB_2, type: 'shutdown' });
    const created = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'shutdown' });
    expect((await waitForAction(created.body.action.id)).status).toBe('completed');
    expect(await getDroplet(WEB_2)).toMatchObject({ status: 'active', locked: false });
    // One-shot: the next shutdown turns it off.
    const again = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'shutdown' });
    await waitForAction(again.body.action.id);
    expect((await getDroplet(WEB_2)).status).toBe('off');
  });

  it('leaves a droplet off and at its old size after a resize that errored', async () => {
    const s = await start();
    const off = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' });
    await waitForAction(off.body.action.id);
    const before = (await getDroplet(WEB_2)).size_slug;
    s.errorNextAction({ dropletId: WEB_2, type: 'resize' });
    const resized = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'resize', size: 's-2vcpu-4gb' });
    expect((await waitForAction(resized.body.action.id)).status).toBe('errored');
    expect(await getDroplet(WEB_2)).toMatchObject({ status: 'off', size_slug: before, locked: false });
  });

  it('lists actions newest first, account-wide and per droplet', async () => {
    await start({ timeScale: 1 });
    const ids: number[] = [];
    for (const id of [WEB_1, WEB_2, DB_1]) ids.push((await post(`/v2/droplets/${id}/actions`, { type: 'reboot' })).body.action.id);

    const all = await get('/v2/actions');
    expectResponseSchema('/v2/actions', 'get', '200', all.body);
    expect(all.body.actions.map((a: Action) => a.id)).toEqual([...ids].reverse());
    expect(all.body.meta.total).toBe(3);
    expect((await get('/v2/actions?per_page=1&page=2')).body.actions[0].id).toBe(ids[1]);

    const one = await get(`/v2/actions/${ids[0]}`);
    expectResponseSchema('/v2/actions/{action_id}', 'get', '200', one.body);
    const perDroplet = await get(`/v2/droplets/${WEB_2}/actions`);
    expectResponseSchema('/v2/droplets/{droplet_id}/actions', 'get', '200', perDroplet.body);
    expect(perDroplet.body.actions.map((a: Action) => a.id)).toEqual([ids[1]]);
    const scoped = await get(`/v2/droplets/${WEB_2}/actions/${ids[1]}`);
    expectResponseSchema('/v2/droplets/{droplet_id}/actions/{action_id}', 'get', '200', scoped.body);
    expect((await get(`/v2/droplets/${WEB_2}/actions/${ids[0]}`)).status).toBe(404);
  });

  it('acts on every droplet with a tag, only for the allowed types', async () => {
    await start();
    const res = await post('/v2/droplets/actions?tag_name=worker', { type: 'power_off' });
    expect(res.status).toBe(201);
    expectResponseSchema('/v2/droplets/actions', 'post', '201', res.body);
    expect(res.body.actions.map((a: Action) => a.resource_id)).toEqual([3164447, 3164448]);
    await Promise.all(res.body.actions.map((a: Action) => waitForAction(a.id)));
    expect((await get('/v2/droplets?tag_name=worker')).body.droplets.map((d: Droplet) => d.status)).toEqual(['off', 'off']);

    const rejected = await post('/v2/droplets/actions?tag_name=worker', { type: 'reboot' });
    expect(rejected.status).toBe(422);
    const busy = await post(`/v2/droplets/${WEB_1}/actions`, { type: 'reboot' });
    expect(busy.status).toBe(201);
    expect((await post('/v2/droplets/actions?tag_name=web', { type: 'power_cycle' })).body.message).toBe(
      'Droplet already has a pending event.',
    );
  });
});

describe('transport', () => {
  it('sends rate-limit headers and a request id on every response', async () => {
    await start();
    for (const path of ['/v2/droplets', '/v2/nope']) {
      const res = await get(path);
      expect(res.headers.get('ratelimit-limit')).toBe('5000');
      expect(Number(res.headers.get('ratelimit-remaining'))).toBeGreaterThan(4990);
      expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('answers 429 with retry-after past the per-minute limit', async () => {
    await start({ rateLimit: { perMinute: 3, perHour: 100 } });
    for (let i = 0; i < 3; i++) expect((await get('/v2/sizes')).status).toBe(200);
    const limited = await get('/v2/sizes');
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ id: 'too_many_requests', message: 'API Rate limit exceeded.' });
    expectErrorSchema(limited.body);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('answers 429 without retry-after past the hourly limit', async () => {
    await start({ rateLimit: { perMinute: 100, perHour: 2 } });
    await get('/v2/sizes');
    expect((await get('/v2/sizes')).headers.get('ratelimit-remaining')).toBe('0');
    const limited = await get('/v2/sizes');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeNull();
  });

  it('requires the bearer token when one is configured', async () => {
    await start({ token: 'dop_v1_test' });
    const denied = await get('/v2/droplets');
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ id: 'unauthorized', message: 'Unable to authenticate you' });
    expect((await call('GET', '/v2/droplets', undefined, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await call('GET', '/v2/droplets', undefined, { authorization: 'Bearer dop_v1_test' })).status).toBe(200);
  });

  it('records every request in order', async () => {
    const s = await start();
    await get('/v2/droplets?name=web-1');
    await post(`/v2/droplets/${WEB_2}/actions`, { type: 'reboot' });
    expect(s.requests.map(({ method, path, query, body }) => ({ method, path, query, body }))).toEqual([
      { method: 'GET', path: '/v2/droplets', query: { name: 'web-1' }, body: undefined },
      { method: 'POST', path: `/v2/droplets/${WEB_2}/actions`, query: {}, body: { type: 'reboot' } },
    ]);
  });
});

describe('failNext', () => {
  it('returns a canned reply once, for the matching request only', async () => {
    const s = await start();
    s.failNext({ method: 'GET', path: /^\/v2\/droplets\/\d+$/ }, { status: 503, headers: { 'retry-after': '2' } });
    expect((await get('/v2/sizes')).status).toBe(200);
    const failed = await get(`/v2/droplets/${WEB_1}`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('2');
    expect(failed.headers.get('ratelimit-limit')).toBe('5000');
    expect(failed.body.request_id).toBe(failed.headers.get('x-request-id'));
    expect((await get(`/v2/droplets/${WEB_1}`)).status).toBe(200);
  });

  it('drops the connection without performing the request', async () => {
    const s = await start();
    s.failNext({ method: 'POST' }, { dropConnection: true });
    await expect(post(`/v2/droplets/${WEB_2}/actions`, { type: 'reboot' })).rejects.toThrow();
    expect(s.state.actions).toHaveLength(0);
    expect(s.requests).toHaveLength(1);
  });

  it('afterEffect: the action is created, then the connection drops', async () => {
    const s = await start({ timeScale: 1 });
    s.failNext({ method: 'POST', path: `/v2/droplets/${WEB_2}/actions` }, { dropConnection: true, afterEffect: true });
    await expect(post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' })).rejects.toThrow();
    const actions = (await get(`/v2/droplets/${WEB_2}/actions`)).body.actions;
    expect(actions.map((a: Action) => a.type)).toEqual(['power_off']);
    // A blind client retry now hits the pending event.
    expect((await post(`/v2/droplets/${WEB_2}/actions`, { type: 'power_off' })).status).toBe(422);
  });

  it('afterEffect with a status: the action is created but the client sees the error', async () => {
    const s = await start();
    s.failNext({ path: `/v2/droplets/${WEB_2}/actions` }, { status: 504, body: { id: 'gateway_timeout', message: 'upstream' }, afterEffect: true });
    const res = await post(`/v2/droplets/${WEB_2}/actions`, { type: 'reboot' });
    expect(res.status).toBe(504);
    expect(res.body).toEqual({ id: 'gateway_timeout', message: 'upstream' });
    expect(s.state.actions).toHaveLength(1);
  });

  it('delays the real reply when no status is given', async () => {
    const s = await start();
    s.failNext({ path: '/v2/sizes' }, { delayMs: 150 });
    const t0 = Date.now();
    const res = await get('/v2/sizes');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    expect(res.status).toBe(200);
    expect(res.body.sizes.length).toBeGreaterThan(0);
  });

  it('close() does not wait for delayed replies or running actions', async () => {
    const s = await start({ timeScale: 1 });
    await post(`/v2/droplets/${WEB_1}/actions`, { type: 'snapshot' });
    s.failNext({ path: '/v2/sizes' }, { delayMs: 60_000 });
    const pending = get('/v2/sizes').catch((e: unknown) => e);
    while (!s.requests.some((r) => r.path === '/v2/sizes')) await new Promise((r) => setTimeout(r, 5));
    // Waiting for the 60 s reply would run far past the test's time limit.
    await s.close();
    expect(await pending).toBeInstanceOf(Error);
  });
});
