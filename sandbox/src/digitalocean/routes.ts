// The API v2 endpoints: a table of (method, path pattern, handler). Handlers are synchronous and
// return a Reply; transport concerns (auth, rate limits, faults, headers) live in server.ts.
import type { ActionEngine } from './actions.js';
import { imageKind } from './catalog.js';
import { findDroplet, findImage } from './lookup.js';
import { errorReply, listReply, ok, type Reply } from './reply.js';
import type { Droplet, Image, SimulatorState } from './types.js';
import { parseActionType, validateAction } from './validate-action.js';

export interface RequestContext {
  state: SimulatorState;
  engine: ActionEngine;
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** The body was present but not JSON. */
  bodyInvalid: boolean;
  requestId: string;
  baseUrl: string;
}

type Handler = (ctx: RequestContext, params: string[]) => Reply;

const ID = '(\\d+)';
const routes: Array<[method: string, pattern: RegExp, handler: Handler]> = [
  ['GET', /^\/v2\/droplets$/, listDroplets],
  ['POST', /^\/v2\/droplets\/actions$/, postTagActions],
  ['GET', new RegExp(`^/v2/droplets/${ID}$`), (ctx, [id]) => withDroplet(ctx, id, (d) => ok({ droplet: d }))],
  ['GET', new RegExp(`^/v2/droplets/${ID}/actions$`), listDropletActions],
  ['POST', new RegExp(`^/v2/droplets/${ID}/actions$`), postDropletAction],
  ['GET', new RegExp(`^/v2/droplets/${ID}/actions/${ID}$`), getDropletAction],
  ['GET', new RegExp(`^/v2/droplets/${ID}/kernels$`), listKernels],
  ['GET', new RegExp(`^/v2/droplets/${ID}/snapshots$`), (ctx, [id]) => listDropletImages(ctx, id, 'snapshots')],
  ['GET', new RegExp(`^/v2/droplets/${ID}/backups$`), (ctx, [id]) => listDropletImages(ctx, id, 'backups')],
  ['GET', /^\/v2\/actions$/, (ctx) => list(ctx, 'actions', [...ctx.state.actions].reverse())],
  ['GET', new RegExp(`^/v2/actions/${ID}$`), getAction],
  ['GET', /^\/v2\/sizes$/, (ctx) => list(ctx, 'sizes', ctx.state.sizes)],
  ['GET', /^\/v2\/images$/, listImages],
  ['GET', /^\/v2\/images\/([^/]+)$/, getImage],
];

export function route(ctx: RequestContext): Reply {
  for (const [method, pattern, handler] of routes) {
    if (method !== ctx.method) continue;
    const m = pattern.exec(ctx.path);
    if (!m) continue;
    const params = m.slice(1).map(safeDecode);
    // A malformed %-escape cannot name any resource.
    return params.includes(undefined) ? notFound(ctx) : handler(ctx, params as string[]);
  }
  return notFound(ctx);
}

function safeDecode(part: string): string | undefined {
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

const notFound = (ctx: RequestContext): Reply => errorReply(404, ctx.requestId);
const unprocessable = (ctx: RequestContext, message: string): Reply => errorReply(422, ctx.requestId, message);
const list = <T>(ctx: RequestContext, key: string, items: T[]): Reply => listReply(key, items, ctx.query, ctx.baseUrl, ctx.path);

function withDroplet(ctx: RequestContext, id: string | undefined, fn: (d: Droplet) => Reply): Reply {
  const droplet = findDroplet(ctx.state, Number(id));
  return droplet ? fn(droplet) : notFound(ctx);
}

function listDroplets(ctx: RequestContext): Reply {
  const { name, tag_name: tag, type } = ctx.query;
  // The spec: `name` "can not be combined with `tag_name`".
  if (name !== undefined && tag !== undefined) return unprocessable(ctx, 'The name and tag_name filters cannot be combined.');
  // No GPU droplets exist here, so `type=gpus` is always empty.
  if (type === 'gpus') return list(ctx, 'droplets', []);
  let droplets = [...ctx.state.droplets].sort((a, b) => a.id - b.id);
  // Name matching is exact but case-insensitive, per the spec.
  if (name !== undefined) droplets = droplets.filter((d) => d.name.toLowerCase() === name.toLowerCase());
  if (tag !== undefined) droplets = droplets.filter((d) => d.tags.includes(tag));
  return list(ctx, 'droplets', droplets);
}

function listDropletActions(ctx: RequestContext, [id]: string[]): Reply {
  return withDroplet(ctx, id, (d) =>
    list(ctx, 'actions', ctx.state.actions.filter((a) => a.resource_id === d.id).reverse()),
  );
}

function getDropletAction(ctx: RequestContext, [id, actionId]: string[]): Reply {
  return withDroplet(ctx, id, (d) => {
    const action = ctx.state.actions.find((a) => a.id === Number(actionId) && a.resource_id === d.id);
    return action ? ok({ action }) : notFound(ctx);
  });
}

function getAction(ctx: RequestContext, [actionId]: string[]): Reply {
  const action = ctx.state.actions.find((a) => a.id === Number(actionId));
  return action ? ok({ action }) : notFound(ctx);
}

function postDropletAction(ctx: RequestContext, [id]: string[]): Reply {
  return withDroplet(ctx, id, (droplet) => {
    if (ctx.bodyInvalid) return errorReply(400, ctx.requestId);
    const busy = ctx.engine.isBusy(droplet);
    const v = validateAction(ctx.state, droplet, ctx.body, { bulk: false, busy });
    if (!v.ok) return unprocessable(ctx, v.message);
    return ok({ action: ctx.engine.start(droplet, v.type, v.params) }, 201);
  });
}

/**
 * POST /v2/droplets/actions?tag_name=: one action per tagged droplet. All-or-nothing: every
 * droplet is validated before any action starts, so a 422 never leaves half the tag acted on.
 */
function postTagActions(ctx: RequestContext): Reply {
  if (ctx.bodyInvalid) return errorReply(400, ctx.requestId);
  const tag = ctx.query.tag_name;
  if (!tag) return unprocessable(ctx, "The 'tag_name' query parameter is required.");
  const type = parseActionType(ctx.body, true);
  if (typeof type !== 'string') return unprocessable(ctx, type.message);

  const droplets = ctx.state.droplets.filter((d) => d.tags.includes(tag)).sort((a, b) => a.id - b.id);
  const plans = [];
  for (const droplet of droplets) {
    const v = validateAction(ctx.state, droplet, ctx.body, { bulk: true, busy: ctx.engine.isBusy(droplet) });
    if (!v.ok) return unprocessable(ctx, v.message);
    plans.push({ droplet, v });
  }
  const actions = plans.map(({ droplet, v }) => ctx.engine.start(droplet, v.type, v.params));
  return ok({ actions }, 201);
}

function listKernels(ctx: RequestContext, [id]: string[]): Reply {
  return withDroplet(ctx, id, (d) => list(ctx, 'kernels', ctx.state.kernels.get(d.id) ?? []));
}

/** Snapshots and backups are images; these endpoints show them with the spec's reduced fields. */
function listDropletImages(ctx: RequestContext, id: string | undefined, kind: 'snapshots' | 'backups'): Reply {
  return withDroplet(ctx, id, (d) => {
    const ids = kind === 'snapshots' ? d.snapshot_ids : d.backup_ids;
    const images = ids.map((i) => findImage(ctx.state, i)).filter((i): i is Image => i !== undefined);
    const view = images.map((i) => {
      const common = {
        id: i.id,
        name: i.name,
        created_at: i.created_at,
        regions: i.regions,
        min_disk_size: i.min_disk_size ?? 0,
        size_gigabytes: i.size_gigabytes ?? 0,
        type: i.type,
      };
      return kind === 'snapshots' ? common : { ...common, distribution: i.distribution, slug: i.slug, public: i.public };
    });
    return list(ctx, kind, view);
  });
}

function listImages(ctx: RequestContext): Reply {
  const { type, private: priv, tag_name: tag } = ctx.query;
  let images = ctx.state.images;
  if (type === 'distribution' || type === 'application') images = images.filter((i) => imageKind(i) === type);
  if (priv === 'true') images = images.filter((i) => !i.public);
  if (tag !== undefined) images = images.filter((i) => i.tags.includes(tag));
  return list(ctx, 'images', images);
}

function getImage(ctx: RequestContext, [ref]: string[]): Reply {
  const image = ref === undefined ? undefined : findImage(ctx.state, ref);
  return image ? ok({ image }) : notFound(ctx);
}
