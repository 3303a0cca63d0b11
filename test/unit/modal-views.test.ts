// The modal's pure parts: which commands open it, the views it builds (valid Block Kit, within
// Slack's limits, escaped), and reading submitted values back into validateParams' input.
import { describe, expect, it } from 'vitest';
import { ACTION_TYPES, validateParams } from '../../src/domain/catalogue/index.js';
import { parseCommand } from '../../src/domain/command.js';
import type { DropletDetail, Size } from '../../src/digitalocean/catalog.js';
import { viewProblems, type JsonObject } from 'droplet-bot-sandbox';
import { actionModal, loadingView } from '../../src/slack/renderers/modal/action-modal.js';
import { ACTION_BLOCK, ACTION_SELECT, DROPLET_BLOCK, DROPLET_SELECT, decodeMetadata } from '../../src/slack/renderers/modal/ids.js';
import { modalPrefill } from '../../src/slack/listeners/modal/prefill.js';
import { fieldErrors, readValues } from '../../src/slack/listeners/modal/read-values.js';
import { checkFleetInputs } from '../../src/slack/listeners/modal/submit-fleet.js';
import type { FleetSelector } from '../../src/domain/fleet/selector.js';

const droplet: DropletDetail = {
  id: 7,
  name: 'web-1',
  status: 'active',
  memory: 1024,
  vcpus: 1,
  disk: 25,
  locked: false,
  size_slug: 's-1vcpu-1gb',
  region: { slug: 'nyc3', name: 'New York 3' },
  image: { id: 1, slug: 'ubuntu-24-04-x64', distribution: 'Ubuntu', name: '24.04 x64' },
  kernel: { id: 2, name: 'k2', version: '2' },
};
const size = (i: number): Size => ({ slug: `s-${i}`, memory: 1024, vcpus: 1, disk: 25, price_monthly: i, regions: ['nyc3'], available: true });
const image = (i: number, name = `snap ${i}`) => ({ id: 1000 + i, name, type: 'snapshot', slug: null, public: false, created_at: '2024-06-01T00:00:00Z' });

describe('which commands open the modal', () => {
  const prefill = (text: string) => modalPrefill(parseCommand(text), text);
  it('opens for nothing typed, an action alone, or only required parameters missing', () => {
    expect(prefill('')).toEqual({});
    expect(prefill('resize')).toEqual({ action: 'resize' });
    expect(prefill('resize web-1 disk=true')).toEqual({ action: 'resize', target: { kind: 'name', name: 'web-1' }, raw: { disk: 'true' } });
    expect(prefill('rename 123')).toEqual({ action: 'rename', target: { kind: 'id', id: 123 }, raw: {} });
  });
  it('opens for a fleet with only required parameters missing, the selector and batch filled in', () => {
    expect(prefill('resize tag:env:prod batch=25%')).toEqual({ action: 'resize', selector: { kind: 'tag', tag: 'env:prod' }, raw: {}, rollout: { batch: '25%' } });
    expect(prefill('rename web-*')).toEqual({ action: 'rename', selector: { kind: 'glob', pattern: 'web-*' }, raw: {}, rollout: {} });
    // A wrong batch, a fleet restore (one Droplet's own backup) or a complete command: the usage or the plan, no form.
    expect(prefill('resize tag:web batch=0')).toBeUndefined();
    expect(prefill('restore tag:web')).toBeUndefined();
    expect(prefill('reboot tag:web')).toBeUndefined();
    const long = Array.from({ length: 30 }, (_, i) => `host-${i}`).join(',');
    expect(parseCommand(`resize ${long}`)).toMatchObject({ kind: 'invalid', selector: { kind: 'list' } });
    expect(prefill(`resize ${long}`)).toBeUndefined();
  });

  it('does not open for a wrong value, an unknown word, or a complete command', () => {
    expect(prefill('change-backup-policy web-1 plan=daily hour=5')).toBeUndefined();
    expect(prefill('resize web-1 size=BAD!')).toBeUndefined();
    expect(prefill('resize web-1 colour=red')).toBeUndefined();
    expect(prefill('rebot web-1')).toBeUndefined();
    expect(prefill('reboot web-1')).toBeUndefined();
    expect(prefill('help')).toBeUndefined();
    expect(prefill('reboot "bad name"')).toBeUndefined();
  });
});

describe('the views', () => {
  const choices = {
    sizes: Array.from({ length: 150 }, (_, i) => size(i)),
    images: { distributions: [image(1, 'x'.repeat(200))], applications: [], snapshots: Array.from({ length: 130 }, (_, i) => image(i)) },
    backups: [image(5)],
    kernels: [{ id: 2, name: 'k2', version: '2' }],
  };

  it('are valid modals within Slack limits for every action, with and without a Droplet', () => {
    expect(viewProblems(loadingView('C0OPS') as unknown as JsonObject)).toEqual([]);
    for (const action of ACTION_TYPES) {
      for (const d of [undefined, droplet]) {
        const view = actionModal({ channel: 'C0OPS', allowed: [...ACTION_TYPES], action, ...(d ? { droplet: d } : {}), choices });
        expect(viewProblems(view as unknown as JsonObject), action).toEqual([]);
        const json = JSON.stringify(view);
        for (const m of json.matchAll(/"options":\[(.*?)\]/g)) expect(m[1]!.split('"value"').length - 1).toBeLessThanOrEqual(100);
      }
    }
    const resize = actionModal({ channel: 'C0OPS', allowed: ['resize'], action: 'resize', droplet, choices });
    const sizes = resize.blocks.find((b) => String(b.block_id).startsWith('param:size:')) as unknown as { element: { options: unknown[] } };
    expect(sizes.element.options).toHaveLength(100);
    expect(decodeMetadata(resize.private_metadata)).toEqual({ channel: 'C0OPS' });
  });

  it('sorts option lists before cutting them to 100, and always keeps the current size and kernel', () => {
    // DigitalOcean's order, shuffled; the Droplet runs the dearest size and the oldest kernel.
    const sizes = Array.from({ length: 150 }, (_, i) => size((i * 37) % 150));
    const kernels = Array.from({ length: 130 }, (_, i) => ({ id: 1000 - ((i * 7) % 130), name: `k${i}`, version: String(i) }));
    const current = { ...droplet, size_slug: 's-149', kernel: kernels.find((k) => k.id === 871)! };
    const optionsOf = (action: 'resize' | 'change_kernel', key: string) => {
      const view = actionModal({ channel: 'C0OPS', allowed: [action], action, droplet: current, choices: { sizes, kernels } });
      expect(viewProblems(view as unknown as JsonObject)).toEqual([]);
      const b = view.blocks.find((x) => String(x.block_id).startsWith(`param:${key}:`)) as unknown as { element: { options: Array<{ value: string }> } };
      return b.element.options.map((o) => o.value);
    };
    const sizeValues = optionsOf('resize', 'size');
    expect(sizeValues).toHaveLength(100);
    expect(sizeValues.slice(0, 99)).toEqual(Array.from({ length: 99 }, (_, i) => `s-${i}`));
    expect(sizeValues.at(-1)).toBe('s-149');
    const kernelValues = optionsOf('change_kernel', 'kernel');
    expect(kernelValues).toHaveLength(100);
    expect(kernelValues.slice(0, 99)).toEqual(Array.from({ length: 99 }, (_, i) => String(1000 - i)));
    expect(kernelValues).toContain('871');
  });

  it('offers no form to someone who may run nothing', () => {
    const view = actionModal({ channel: 'C0OPS', allowed: [] });
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain('You may not run any Droplet action yet');
  });

  it('escapes what DigitalOcean returned and cuts long option texts', () => {
    const view = actionModal({ channel: 'C0OPS', allowed: ['rebuild'], action: 'rebuild', choices: { images: { distributions: [], applications: [], snapshots: [image(1, '<!channel> & <http://x|y>')] } } });
    const json = JSON.stringify(view);
    expect(json).toContain('&lt;!channel&gt; &amp; &lt;http://x|y&gt;');
    expect(json).not.toContain('<!channel>');
    const long = actionModal({ channel: 'C0OPS', allowed: ['rebuild'], action: 'rebuild', choices });
    expect(viewProblems(long as unknown as JsonObject)).toEqual([]);
    expect(JSON.stringify(long)).toContain('…');
  });
});

describe('the form for several Droplets', () => {
  const tag: FleetSelector = { kind: 'tag', tag: 'env:prod' };
  const choices = { images: { distributions: [image(1)], applications: [], snapshots: [] } };
  const blockIds = (view: { blocks: Array<{ block_id?: string }> }) => view.blocks.map((b) => b.block_id).filter(Boolean);

  it('is a valid modal for every action, with batch and max_failures, no Droplet line, and a submit that only shows the plan', () => {
    for (const action of ACTION_TYPES) {
      const view = actionModal({ channel: 'C0OPS', allowed: [...ACTION_TYPES], action, fleet: tag, choices, rollout: { batch: '2' } });
      expect(viewProblems(view as unknown as JsonObject), action).toEqual([]);
      expect(blockIds(view)).toEqual(expect.arrayContaining(['rollout:batch', 'rollout:max_failures']));
      expect(view.submit?.text).toBe('Show the plan');
      const json = JSON.stringify(view);
      expect(json).toContain('Nothing runs until you click Run');
      expect(json).not.toContain('Pick a Droplet to see the choices');
    }
    const view = actionModal({ channel: 'C0OPS', allowed: ['reboot'], action: 'reboot', fleet: tag, rollout: { batch: '2' } });
    const picker = view.blocks.find((b) => b.block_id === DROPLET_BLOCK) as unknown as { element: { initial_option: { value: string } } };
    expect(picker.element.initial_option.value).toBe('tag:env:prod');
    const batch = view.blocks.find((b) => b.block_id === 'rollout:batch') as unknown as { optional: boolean; element: { initial_value: string }; hint: { text: string } };
    expect(batch).toMatchObject({ optional: true, element: { initial_value: '2' } });
    expect(batch.hint.text).toContain('25%');
  });

  it('asks for a size or kernel by typing it, keeps the lists that do not depend on one Droplet, and explains why restore cannot run on a fleet', () => {
    const resize = actionModal({ channel: 'C0OPS', allowed: ['resize'], action: 'resize', fleet: tag });
    const size = resize.blocks.find((b) => b.block_id === 'param:size:resize:fleet') as unknown as { element: { type: string }; hint: { text: string } };
    expect(size.element.type).toBe('plain_text_input');
    expect(size.hint.text).toContain('each Droplet\'s region must offer it');
    expect(blockIds(actionModal({ channel: 'C0OPS', allowed: ['change_kernel'], action: 'change_kernel', fleet: tag }))).toContain('param:kernel:change_kernel:fleet');
    const rebuild = actionModal({ channel: 'C0OPS', allowed: ['rebuild'], action: 'rebuild', fleet: tag, choices });
    expect(blockIds(rebuild)).toContain('param:image:rebuild');
    const restore = actionModal({ channel: 'C0OPS', allowed: ['restore'], action: 'restore', fleet: tag });
    expect(JSON.stringify(restore.blocks)).toContain('cannot run on several Droplets at once. Pick one Droplet.');
    expect(blockIds(restore).filter((id) => id!.startsWith('param:'))).toEqual([]);
  });

  it('reads the selector, the fleet inputs and batch and max_failures back, and puts their problems under their own fields', () => {
    const values = readValues({
      [ACTION_BLOCK]: { [ACTION_SELECT]: { type: 'static_select', selected_option: { value: 'resize' } } },
      [DROPLET_BLOCK]: { [DROPLET_SELECT]: { type: 'external_select', selected_option: { value: 'tag:env:prod' } } },
      'param:size:resize:fleet': { 'param:size': { type: 'plain_text_input', value: 's-2vcpu-4gb' } },
      'param:size:resize:7': { 'param:size': { type: 'static_select', selected_option: { value: 's-8vcpu-16gb' } } },
      'rollout:batch': { 'rollout:batch': { type: 'plain_text_input', value: 'half' } },
      'rollout:max_failures': { 'rollout:max_failures': { type: 'plain_text_input', value: '2' } },
    });
    expect(values).toMatchObject({ action: 'resize', selector: tag, raw: { size: 's-2vcpu-4gb' }, rollout: { batch: 'half', max_failures: '2' } });
    expect(values.dropletId).toBeUndefined();
    expect(checkFleetInputs('resize', values)).toEqual({ errors: { 'rollout:batch': expect.stringContaining('batch must be a number of Droplets from 1 to 1000') } });
    expect(checkFleetInputs('resize', { ...values, rollout: { batch: '25%' } })).toEqual({ rollout: { batch: { kind: 'percent', percent: 25 }, maxFailures: 0 }, errors: {} });
    expect(checkFleetInputs('resize', { ...values, rollout: { max_failures: '1' } }).errors).toEqual({ 'rollout:max_failures': expect.stringContaining('max_failures needs batch=') });
    expect(checkFleetInputs('restore', { ...values, rollout: {} }).errors[DROPLET_BLOCK]).toContain('cannot run on several Droplets');
    const bad = readValues({ [DROPLET_BLOCK]: { [DROPLET_SELECT]: { type: 'external_select', selected_option: { value: 'web-1,,web-2' } } } });
    expect(bad.problem).toContain('has an empty item');
  });
});

describe('reading submitted values', () => {
  const sel = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });
  it('gives validateParams the same strings a typed command would, only for the chosen action and Droplet', () => {
    const values = readValues({
      [ACTION_BLOCK]: { [ACTION_SELECT]: sel('resize') },
      [DROPLET_BLOCK]: { [DROPLET_SELECT]: { type: 'external_select', selected_option: { value: '7' } } },
      'param:size:resize:7': { 'param:size': sel('s-2vcpu-4gb') },
      'param:size:resize:8': { 'param:size': sel('s-8vcpu-16gb') },
      'param:disk:resize': { 'param:disk': { type: 'checkboxes', selected_options: [{ value: 'true' }] } },
      'param:name:rename': { 'param:name': { type: 'plain_text_input', value: 'left over' } },
    });
    expect(values).toEqual({ action: 'resize', dropletId: 7, raw: { size: 's-2vcpu-4gb', disk: 'true' }, rollout: {}, blockOf: { size: 'param:size:resize:7', disk: 'param:disk:resize' }, options: {}, optionBlockOf: {} });
    expect(validateParams('resize', values.raw)).toEqual({ ok: true, params: { size: 's-2vcpu-4gb', disk: true } });
  });

  it('treats an empty optional input as not given', () => {
    const values = readValues({
      [ACTION_BLOCK]: { [ACTION_SELECT]: sel('snapshot') },
      'param:name:snapshot': { 'param:name': { type: 'plain_text_input', value: null } },
      'param:disk:resize': { 'param:disk': { type: 'checkboxes', selected_options: [] } },
    });
    expect(values.raw).toEqual({});
    expect(values.dropletId).toBeUndefined();
  });

  it('puts each problem next to its field, and the rest next to the Droplet', () => {
    const checked = validateParams('change_backup_policy', { plan: 'daily', weekday: 'MON' });
    expect(checked.ok).toBe(false);
    const errors = fieldErrors(!checked.ok ? checked.problems : [], { weekday: 'param:weekday:change_backup_policy' });
    expect(errors).toEqual({ 'param:weekday:change_backup_policy': 'weekday only applies to plan=weekly' });
    expect(fieldErrors([{ key: 'image', message: 'image is required' }], {})).toEqual({ [DROPLET_BLOCK]: 'image is required' });
  });
});

describe('procedures in the modal', () => {
  const sel = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });
  const text = (v: unknown) => JSON.stringify(v);
  const all = [...ACTION_TYPES];

  it('offers stop next to shutdown, and opens on it for `/droplet stop`', () => {
    const view = actionModal({ channel: 'C0OPS0001', allowed: all });
    const options = (view.blocks.find((b) => b.block_id === ACTION_BLOCK) as { element: { options: Array<{ value: string }> } }).element.options.map((o) => o.value);
    expect(options.slice(options.indexOf('stop'), options.indexOf('stop') + 2)).toEqual(['stop', 'shutdown']);
    expect(options.includes('stop') && !actionModal({ channel: 'C0OPS0001', allowed: ['shutdown', 'reboot'] }).blocks.some((b) => text(b).includes('"value":"stop"'))).toBe(true);
    expect(modalPrefill(parseCommand('stop'), 'stop')).toEqual({ action: 'shutdown', stop: true });
  });

  it('states the downtime plan for a running Droplet before anything runs, and takes timeout and power_on', () => {
    const view = actionModal({ channel: 'C0OPS0001', allowed: all, action: 'resize', droplet, choices: { sizes: [size(1), size(2)] } });
    expect(viewProblems(view as unknown as JsonObject)).toEqual([]);
    expect(text(view)).toContain('*web-1* is running: it will be shut down, resized and powered on again');
    expect(text(view)).toContain('"block_id":"option:power_on:resize"');
    expect(text(view)).toContain('"block_id":"option:timeout:resize"');
    const off = actionModal({ channel: 'C0OPS0001', allowed: all, action: 'resize', droplet: { ...droplet, status: 'off' }, choices: { sizes: [size(1)] } });
    expect(text(off)).not.toContain('will be shut down');
    const stop = actionModal({ channel: 'C0OPS0001', allowed: all, action: 'shutdown', stop: true, droplet: { ...droplet, status: 'off' } });
    expect(text(stop)).toContain('*web-1* is already off, so nothing was sent. Submitting sends nothing.');
  });

  it('ticks "snapshot first" when the role map asks for it, and reads an untick as snapshot_first=false', () => {
    const view = actionModal({ channel: 'C0OPS0001', allowed: all, action: 'rebuild', droplet, safety: { snapshot_before: ['rebuild'] } });
    const block = view.blocks.find((b) => b.block_id === 'option:snapshot_first:rebuild') as { element: { initial_options?: unknown[] } };
    expect(block.element.initial_options).toHaveLength(1);
    expect(text(view)).toContain('A snapshot of *web-1* named');
    const unticked = readValues({
      [ACTION_BLOCK]: { [ACTION_SELECT]: sel('rebuild') },
      'option:snapshot_first:rebuild': { 'option:snapshot_first': { type: 'checkboxes', selected_options: [] } },
      'option:power_on:resize': { 'option:power_on': { type: 'checkboxes', selected_options: [{ value: 'true' }] } },
    });
    expect(unticked.options).toEqual({ snapshot_first: 'false' });
  });

  it('reads a stop with its timeout, and a ticked "leave it off" as power_on=false', () => {
    const stop = readValues({ [ACTION_BLOCK]: { [ACTION_SELECT]: sel('stop') }, 'option:timeout:stop': { 'option:timeout': { type: 'plain_text_input', value: '5m' } } });
    expect(stop).toMatchObject({ action: 'shutdown', stop: true, options: { timeout: '5m' }, optionBlockOf: { timeout: 'option:timeout:stop' } });
    const resize = readValues({ [ACTION_BLOCK]: { [ACTION_SELECT]: sel('resize') }, 'option:power_on:resize': { 'option:power_on': { type: 'checkboxes', selected_options: [{ value: 'true' }] } } });
    expect(resize.options).toEqual({ power_on: 'false' });
  });
});
