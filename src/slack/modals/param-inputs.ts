// The inputs one action needs, built from live DigitalOcean choices: operators pick a size, an
// image, a backup or a kernel instead of remembering slugs and IDs. Pure.
import type { types } from '@slack/bolt';
import { BACKUP_HOURS, BACKUP_PLANS, WEEKDAYS, actionSpec, type ActionType, type ParamKey } from '../../domain/actions.js';
import type { DropletDetail, Image, Kernel, Size } from '../../digitalocean/catalog.js';
import { escapeText } from '../escape.js';
import { PARAM_ACTION_PREFIX } from './ids.js';

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

function blockId(key: ParamKey, action: ActionType, dependsOn?: number): string {
  // Options that depend on the Droplet get a new block_id per Droplet, so Slack drops a stale pick.
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

const WEEKDAY_NAMES: Record<(typeof WEEKDAYS)[number], string> = { SUN: 'Sunday', MON: 'Monday', TUE: 'Tuesday', WED: 'Wednesday', THU: 'Thursday', FRI: 'Friday', SAT: 'Saturday' };
const pad = (h: number) => String(h).padStart(2, '0');

function backupPolicyInputs(action: ActionType, initial: Initial): types.KnownBlock[] {
  const required = action === 'change_backup_policy';
  return [
    select('plan', action, 'Backup plan', BACKUP_PLANS.map((p) => option(p === 'daily' ? 'Daily' : 'Weekly', p)), { initial: initial.plan?.toLowerCase(), optional: !required }),
    select('weekday', action, 'Weekday (weekly plans only)', WEEKDAYS.map((d) => option(WEEKDAY_NAMES[d], d)), { initial: initial.weekday?.toUpperCase(), optional: true }),
    select('hour', action, 'Backup window (UTC)', BACKUP_HOURS.map((h) => option(`${pad(h)}:00–${pad((h + 4) % 24)}:00 UTC`, String(h))), {
      initial: initial.hour,
      optional: true,
      hint: 'Backups start some time in this 4-hour window.',
    }),
  ];
}

/** Input blocks (and notes) for `action`; `droplet` is undefined until one is picked. */
export function paramInputs(action: ActionType, droplet: DropletDetail | undefined, choices: Choices, initial: Initial): types.KnownBlock[] {
  const pickFirst = note('_Pick a Droplet to see the choices for it._');
  const failed = choices.error ? [note(`:warning: Could not read the choices from DigitalOcean (${escapeText(choices.error)}). Try again, or type the command instead.`)] : [];
  switch (action) {
    case 'resize': {
      if (!droplet) return [pickFirst];
      const blocks: types.KnownBlock[] = [...failed];
      if (choices.sizes) {
        blocks.push(
          select('size', action, `New size (sizes offered in ${droplet.region.slug})`, sizeOptions(choices.sizes, droplet.size_slug), {
            initial: initial.size,
            optional: false,
            dependsOn: droplet.id,
            keep: droplet.size_slug,
            hint: 'Prices are per month. The Droplet must be powered off to resize.',
          }),
        );
      }
      const disk: types.PlainTextOption = option('Also resize the disk', 'true', 'A disk resize cannot be undone');
      blocks.push({
        type: 'input',
        block_id: blockId('disk', action),
        optional: true,
        label: plain('Disk'),
        hint: plain('A disk resize cannot be undone: the Droplet can never go back to a size with a smaller disk. Leave this off to change only CPU and RAM.'),
        element: { type: 'checkboxes', action_id: `${PARAM_ACTION_PREFIX}disk`, options: [disk], ...(initial.disk?.toLowerCase() === 'true' ? { initial_options: [disk] } : {}) },
      });
      return blocks;
    }
    case 'rebuild': {
      const warn = note(':warning: *Rebuild erases the Droplet\'s disk* and installs the image you pick.');
      if (!choices.images) return [...failed, warn];
      const { distributions, applications, snapshots } = choices.images;
      return [
        ...failed,
        groupedSelect(
          'image',
          action,
          'Image',
          [
            ['Distributions', distributions.map(imageOption).sort(byLabel)],
            ['Applications', applications.map(imageOption).sort(byLabel)],
            ['Your snapshots', [...snapshots].sort(newestFirst).map(imageOption)],
          ],
          initial.image,
          'Distributions and 1-Click applications by slug, your snapshots by ID.',
        ),
        warn,
      ];
    }
    case 'restore': {
      if (!droplet) return [pickFirst];
      const warn = note(':warning: *Restoring overwrites the Droplet\'s disk* with the backup.');
      if (!choices.backups) return [...failed, warn];
      if (choices.backups.length === 0) return [note(`*${escapeText(droplet.name)}* has no backups to restore from.`)];
      const options = [...choices.backups].sort(newestFirst).map((b) => option(`${b.name}`, String(b.id), `backup ${b.id} · ${day(b.created_at)}`));
      return [select('image', action, 'Backup to restore', options, { initial: initial.image, optional: false, dependsOn: droplet.id }), warn];
    }
    case 'change_kernel': {
      if (!droplet) return [pickFirst];
      if (!choices.kernels) return failed;
      const current = droplet.kernel?.id;
      // Newest first (DigitalOcean numbers kernels in the order it adds them), the current one always kept.
      const options = [...choices.kernels].sort((a, b) => b.id - a.id).map((k) => option(`${k.name}${k.id === current ? ' (current)' : ''}`, String(k.id), k.version));
      return [select('kernel', action, 'Kernel', options, { initial: initial.kernel, optional: false, dependsOn: droplet.id, ...(current !== undefined ? { keep: String(current) } : {}) })];
    }
    case 'enable_backups':
    case 'change_backup_policy':
      return backupPolicyInputs(action, initial);
    case 'snapshot':
    case 'rename': {
      const rename = action === 'rename';
      return [
        {
          type: 'input',
          block_id: blockId('name', action),
          optional: !rename,
          label: plain(rename ? 'New name' : 'Snapshot name'),
          hint: plain(rename ? 'A hostname: letters, digits, dots and hyphens.' : 'Leave empty and DigitalOcean names it for you.'),
          element: {
            type: 'plain_text_input',
            action_id: `${PARAM_ACTION_PREFIX}name`,
            max_length: 255,
            ...(initial.name ? { initial_value: initial.name } : {}),
          },
        },
      ];
    }
    default:
      return actionSpec(action).params.length === 0 ? [] : failed;
  }
}
