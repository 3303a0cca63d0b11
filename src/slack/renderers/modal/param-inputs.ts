// The inputs one action needs, built from live DigitalOcean choices: operators pick a size, an
// image, a backup or a kernel instead of remembering slugs and IDs. Pure.
import type { types } from '@slack/bolt';
import { actionEntry, type ActionType, type ModalInput, type ParamKey } from '../../../domain/catalogue/index.js';
import type { DropletDetail, Image, Kernel, Size } from '../../../digitalocean/catalog.js';
import { escapeText } from '../../../domain/chat-text.js';
import { FLEET_BLOCK_SUFFIX, PARAM_ACTION_PREFIX } from './ids.js';
import { FLEET_CHOICE_HINTS, notForFleets } from './fleet-inputs.js';

export interface Choices {
  sizes?: Size[];
  images?: { distributions: Image[]; applications: Image[]; snapshots: Image[] };
  backups?: Image[];
  kernels?: Kernel[];
  /** DigitalOcean could not be read: said in the modal instead of the missing choices. */
  error?: string;
}

export type Initial = Partial<Record<ParamKey, string>>;

const MAX_OPTIONS = 100;
const plain = (text: string): types.PlainTextElement => ({ type: 'plain_text', text });

/** Option text is limited to 75 characters; longer names are cut with an ellipsis. */
export function option(text: string, value: string, description?: string): types.PlainTextOption {
  const fit = (t: string) => (t.length > 75 ? `${t.slice(0, 74)}…` : t);
  return { text: plain(fit(escapeText(text))), value, ...(description ? { description: plain(fit(escapeText(description))) } : {}) };
}

/**
 * At most Slack's 100 options, from a list already in its display order, always keeping the
 * options in `keep` (the current size or kernel, the typed value), in that same order.
 */
export function fitOptions(options: types.PlainTextOption[], keep: Array<string | undefined> = []): types.PlainTextOption[] {
  if (options.length <= MAX_OPTIONS) return options;
  const wanted = new Set(keep.filter((v): v is string => v !== undefined));
  const kept = options.filter((o) => wanted.has(o.value ?? ''));
  const room = MAX_OPTIONS - kept.length;
  const chosen = new Set([...options.filter((o) => !wanted.has(o.value ?? '')).slice(0, Math.max(0, room)), ...kept]);
  return options.filter((o) => chosen.has(o));
}

const bySize = (a: Size, b: Size) => a.price_monthly - b.price_monthly || a.memory - b.memory || a.vcpus - b.vcpus || a.slug.localeCompare(b.slug);
const newestFirst = (a: { created_at?: string; id: number }, b: { created_at?: string; id: number }) => (b.created_at ?? '').localeCompare(a.created_at ?? '') || b.id - a.id;
const byLabel = (a: types.PlainTextOption, b: types.PlainTextOption) => a.text.text.localeCompare(b.text.text);

function blockId(key: ParamKey, action: ActionType, dependsOn?: number | typeof FLEET_BLOCK_SUFFIX): string {
  // Options that depend on the Droplet get a new block_id per Droplet (and one for a fleet), so
  // Slack drops a stale pick.
  return `param:${key}:${action}${dependsOn === undefined ? '' : `:${dependsOn}`}`;
}

function select(
  key: ParamKey,
  action: ActionType,
  label: string,
  all: types.PlainTextOption[],
  opts: { initial?: string; optional: boolean; hint?: string; dependsOn?: number; keep?: string },
): types.InputBlock {
  const options = fitOptions(all, [opts.keep, opts.initial]);
  const initial = options.find((o) => o.value === opts.initial);
  return {
    type: 'input',
    block_id: blockId(key, action, opts.dependsOn),
    optional: opts.optional,
    label: plain(label),
    ...(opts.hint ? { hint: plain(opts.hint) } : {}),
    element: {
      type: 'static_select',
      action_id: `${PARAM_ACTION_PREFIX}${key}`,
      placeholder: plain(`Choose a ${key}`),
      options,
      ...(initial ? { initial_option: initial } : {}),
    },
  };
}

function groupedSelect(key: ParamKey, action: ActionType, label: string, groups: Array<[string, types.PlainTextOption[]]>, initial: string | undefined, hint: string): types.InputBlock {
  const nonEmpty = groups.filter(([, opts]) => opts.length > 0).map(([name, opts]) => ({ label: plain(name), options: fitOptions(opts, [initial]) }));
  const initialOption = nonEmpty.flatMap((g) => g.options).find((o) => o.value === initial);
  return {
    type: 'input',
    block_id: blockId(key, action),
    label: plain(label),
    hint: plain(hint),
    element: {
      type: 'static_select',
      action_id: `${PARAM_ACTION_PREFIX}${key}`,
      placeholder: plain(`Choose an ${key}`),
      option_groups: nonEmpty,
      ...(initialOption ? { initial_option: initialOption } : {}),
    },
  };
}

function note(text: string): types.ContextBlock {
  return { type: 'context', elements: [{ type: 'mrkdwn', text }] };
}

const gb = (mb: number) => (mb >= 1024 ? `${mb / 1024} GB` : `${mb} MB`);
const day = (iso?: string) => (iso ? iso.slice(0, 10) : '');

function sizeOptions(sizes: Size[], current: string): types.PlainTextOption[] {
  return [...sizes].sort(bySize).map((s) =>
    option(`${s.slug}${s.slug === current ? ' (current)' : ''}`, s.slug, `${s.vcpus} vCPU · ${gb(s.memory)} RAM · ${s.disk} GB disk · $${s.price_monthly}/month`),
  );
}

/** Public images go by slug, snapshots by ID: the values rebuild accepts as typed. */
function imageOption(i: Image): types.PlainTextOption {
  const label = i.public ? `${i.distribution ?? ''} ${i.name}`.trim() : i.name;
  return option(label, i.slug ?? String(i.id), i.slug ?? `snapshot ${i.id}${i.created_at ? ` · ${day(i.created_at)}` : ''}`);
}

/**
 * Input blocks (and notes) for `action`, from its catalogue entry; `droplet` is undefined until
 * one is picked, and for a fleet, where a per-Droplet list becomes a text input.
 */
export function paramInputs(action: ActionType, droplet: DropletDetail | undefined, choices: Choices, initial: Initial, fleet = false): types.KnownBlock[] {
  const entry = actionEntry(action);
  const refused = fleet ? notForFleets(action) : undefined;
  if (refused) return [note(refused)];
  const perDroplet = entry.params.some(({ param }) => param.input.kind === 'choice' && param.input.perDroplet);
  if (perDroplet && !droplet && !fleet) return [note('_Pick a Droplet to see the choices for it._')];
  const blocks: types.KnownBlock[] = choices.error ? [note(`:warning: Could not read the choices from DigitalOcean (${escapeText(choices.error)}). Try again, or type the command instead.`)] : [];
  for (const { param, required } of entry.params) {
    const input = param.input;
    switch (input.kind) {
      case 'choice': {
        if (fleet && input.perDroplet) {
          blocks.push(fleetChoiceInput(action, param.key, input, required, initial[param.key]));
          break;
        }
        const rendered = choiceInput(action, param.key, input, required, droplet, choices, initial);
        // A choice with nothing to choose from says so instead of the form.
        if (rendered === 'none left') return [note(`*${escapeText(droplet?.name ?? '')}* has no backups to restore from.`)];
        if (rendered) blocks.push(rendered);
        break;
      }
      case 'options': {
        const options = input.options.map((o) => option(o.text, o.value));
        const typed = initial[param.key]?.toLowerCase();
        const match = options.find((o) => o.value?.toLowerCase() === typed)?.value;
        blocks.push(select(param.key, action, input.label, options, { ...(match ? { initial: match } : {}), optional: !required, ...(input.hint ? { hint: input.hint } : {}) }));
        break;
      }
      case 'checkbox': {
        const box: types.PlainTextOption = option(input.text, 'true', input.description);
        blocks.push({
          type: 'input',
          block_id: blockId(param.key, action),
          optional: true,
          label: plain(input.label),
          hint: plain(input.hint),
          element: { type: 'checkboxes', action_id: `${PARAM_ACTION_PREFIX}${param.key}`, options: [box], ...(initial[param.key]?.toLowerCase() === 'true' ? { initial_options: [box] } : {}) },
        });
        break;
      }
      case 'text':
        blocks.push({
          type: 'input',
          block_id: blockId(param.key, action),
          optional: !required,
          label: plain(input.label),
          hint: plain(input.hint),
          element: {
            type: 'plain_text_input',
            action_id: `${PARAM_ACTION_PREFIX}${param.key}`,
            max_length: input.maxLength,
            ...(initial[param.key] ? { initial_value: initial[param.key] } : {}),
          },
        });
        break;
    }
  }
  if ('warning' in entry && entry.warning) blocks.push(note(entry.warning));
  return blocks;
}

type ChoiceInput = Extract<ModalInput, { kind: 'choice' }>;

/** A fleet has no one region or Droplet to list sizes or kernels for: the value is typed instead. */
function fleetChoiceInput(action: ActionType, key: ParamKey, input: ChoiceInput, required: boolean, initial: string | undefined): types.InputBlock {
  const hint = FLEET_CHOICE_HINTS[input.source] ?? input.hint;
  return {
    type: 'input',
    block_id: blockId(key, action, FLEET_BLOCK_SUFFIX),
    optional: !required,
    label: plain(input.label),
    ...(hint ? { hint: plain(hint) } : {}),
    element: { type: 'plain_text_input', action_id: `${PARAM_ACTION_PREFIX}${key}`, max_length: 64, ...(initial ? { initial_value: initial } : {}) },
  };
}

/** The select for a live list; undefined while the list is not loaded, 'none left' for an empty list of backups. */
function choiceInput(
  action: ActionType,
  key: ParamKey,
  input: ChoiceInput,
  required: boolean,
  droplet: DropletDetail | undefined,
  choices: Choices,
  initial: Initial,
): types.InputBlock | 'none left' | undefined {
  const dependsOn = input.perDroplet ? droplet?.id : undefined;
  const common = { initial: initial[key], optional: !required, ...(dependsOn !== undefined ? { dependsOn } : {}), ...(input.hint ? { hint: input.hint } : {}) };
  switch (input.source) {
    case 'sizes':
      if (!choices.sizes || !droplet) return undefined;
      return select(key, action, `${input.label} (sizes offered in ${droplet.region.slug})`, sizeOptions(choices.sizes, droplet.size_slug), { ...common, keep: droplet.size_slug });
    case 'images': {
      if (!choices.images) return undefined;
      const { distributions, applications, snapshots } = choices.images;
      return groupedSelect(
        key,
        action,
        input.label,
        [
          ['Distributions', distributions.map(imageOption).sort(byLabel)],
          ['Applications', applications.map(imageOption).sort(byLabel)],
          ['Your snapshots', [...snapshots].sort(newestFirst).map(imageOption)],
        ],
        initial[key],
        input.hint,
      );
    }
    case 'backups': {
      if (!choices.backups) return undefined;
      if (choices.backups.length === 0) return 'none left';
      const options = [...choices.backups].sort(newestFirst).map((b) => option(`${b.name}`, String(b.id), `backup ${b.id} · ${day(b.created_at)}`));
      return select(key, action, input.label, options, common);
    }
    case 'kernels': {
      if (!choices.kernels) return undefined;
      const current = droplet?.kernel?.id;
      // Newest first (DigitalOcean numbers kernels in the order it adds them), the current one always kept.
      const options = [...choices.kernels].sort((a, b) => b.id - a.id).map((k) => option(`${k.name}${k.id === current ? ' (current)' : ''}`, String(k.id), k.version));
      return select(key, action, input.label, options, { ...common, ...(current !== undefined ? { keep: String(current) } : {}) });
    }
  }
}
