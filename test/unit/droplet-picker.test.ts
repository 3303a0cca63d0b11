// The Droplet picker's type-ahead: Droplets, and fleet selectors with their counts, always within
// Slack's option limits and always a value the form reads back as the same selector.
import { describe, expect, it } from 'vitest';
import type { types } from '@slack/bolt';
import { parseSelector } from '../../src/domain/fleet/selector.js';
import { pickerOptions, type PickerDroplet } from '../../src/slack/renderers/modal/droplet-picker.js';
import { readTarget } from '../../src/slack/listeners/modal/read-values.js';

let nextId = 100;
const d = (name: string, tags: string[] = [], id = ++nextId): PickerDroplet => ({ id, name, tags, status: 'active', region: { slug: 'nyc3', name: 'New York 3' } });
const droplets: PickerDroplet[] = [
  d('web-1', ['web', 'env:prod']),
  d('web-2', ['web', 'env:prod']),
  d('db-1', ['db', 'env:prod']),
  d('worker', ['worker'], 201),
  d('worker', ['worker'], 202),
  d('staging-1', ['env:staging']),
];
const texts = (options: types.PlainTextOption[]) => options.map((o) => o.text.text);
const values = (options: types.PlainTextOption[]) => options.map((o) => o.value);

/** Slack's limits, and every value reads back as what it offers. */
function checked(options: types.PlainTextOption[]): types.PlainTextOption[] {
  expect(options.length).toBeLessThanOrEqual(100);
  for (const o of options) {
    expect(o.text.text.length, o.text.text).toBeLessThanOrEqual(75);
    expect((o.description?.text ?? '').length).toBeLessThanOrEqual(75);
    expect(o.value!.length).toBeLessThanOrEqual(150);
    const target = readTarget(o.value);
    expect(target.problem).toBeUndefined();
    expect(target.dropletId !== undefined || target.selector !== undefined, o.value).toBe(true);
  }
  return options;
}

describe('the Droplet picker', () => {
  it('offers the tags that match what follows tag:, with their counts and members', () => {
    const options = checked(pickerOptions('tag:env', droplets));
    expect(texts(options)).toEqual(['tag:env:prod · 3 Droplets', 'tag:env:staging · 1 Droplet']);
    expect(values(options)).toEqual(['tag:env:prod', 'tag:env:staging']);
    expect(options[0]!.description?.text).toBe('db-1, web-1, web-2');
    // Tags starting with the typed text come first; the match ignores case.
    expect(values(checked(pickerOptions('TAG:W', droplets)))).toEqual(['tag:web', 'tag:worker']);
    expect(values(pickerOptions('tag:', droplets))).toEqual(['tag:db', 'tag:env:prod', 'tag:env:staging', 'tag:web', 'tag:worker']);
    expect(pickerOptions('tag:nothing-like-it', droplets)).toEqual([]);
  });

  it('offers a name pattern with its match count, and nothing for one that matches nothing or is not a pattern', () => {
    expect(texts(checked(pickerOptions('web-*', droplets)))).toEqual(['web-* · 2 Droplets']);
    expect(texts(checked(pickerOptions('*-?', droplets)))).toEqual(['*-? · 4 Droplets']);
    expect(pickerOptions('zz-*', droplets)).toEqual([]);
    expect(pickerOptions('web [*', droplets)).toEqual([]);
  });

  it('completes a comma list item by item, using IDs for shared names, and offers the list once every item is known', () => {
    const next = checked(pickerOptions('web-1,', droplets));
    expect(values(next)).toEqual(['web-1,db-1', 'web-1,staging-1', 'web-1,web-2', 'web-1,201', 'web-1,202']);
    expect(texts(next)[0]).toBe('web-1,db-1 · 2 Droplets');
    expect(values(checked(pickerOptions('web-1,web-2', droplets)))[0]).toBe('web-1,web-2');
    expect(values(checked(pickerOptions('web-1,web-2,', droplets)))[0]).toBe('web-1,web-2');
    // An item that names no Droplet, or several, offers nothing more after it.
    expect(pickerOptions('web-9,', droplets)).toEqual([]);
    expect(pickerOptions('worker,', droplets)).toEqual([]);
    expect(values(pickerOptions('web-1,worker', droplets))).toEqual(['web-1,201', 'web-1,202']);
  });

  it('keeps to 150 characters a value and 75 a text: long lists are refused, long texts cut where the new item stays visible', () => {
    const many = Array.from({ length: 40 }, (_, i) => d(`host-number-${String(i).padStart(2, '0')}`));
    const typed = many.slice(0, 9).map((x) => x.name).join(',');
    const options = checked(pickerOptions(`${typed},`, many));
    expect(options.length).toBeGreaterThan(0);
    expect(options.every((o) => o.value!.length <= 150)).toBe(true);
    expect(texts(options).at(-1)).toMatch(/^….*host-number-39 · 10 Droplets$/);
    const tooLong = many.slice(0, 11).map((x) => x.name).join(',');
    expect(tooLong.length).toBeGreaterThan(150);
    expect(pickerOptions(`${tooLong},`, many)).toEqual([]);
    const longTag = `team:${'x'.repeat(100)}`;
    const tagged = checked(pickerOptions('tag:team', [d('a', [longTag]), d('b', [`team:${'y'.repeat(160)}`])]));
    expect(values(tagged)).toEqual([`tag:${longTag}`]);
    expect(texts(tagged)[0]).toMatch(/^tag:team:x+… · 1 Droplet$/);
  });

  it('with nothing typed lists the Droplets, then the most common tags', () => {
    const options = checked(pickerOptions('', droplets));
    expect(texts(options).slice(0, 6)).toEqual(['db-1 · nyc3 · active', 'staging-1 · nyc3 · active', 'web-1 · nyc3 · active', 'web-2 · nyc3 · active', 'worker · nyc3 · active', 'worker · nyc3 · active']);
    expect(values(options).slice(6)).toEqual(['tag:env:prod', 'tag:web', 'tag:worker', 'tag:db', 'tag:env:staging']);
    // Typed text that is no selector finds Droplets by name or ID only.
    expect(values(checked(pickerOptions('WEB', droplets)))).toEqual(values(pickerOptions('web', droplets)));
    expect(texts(pickerOptions('web', droplets))).toEqual(['web-1 · nyc3 · active', 'web-2 · nyc3 · active']);
  });

  it('offers only values the command grammar takes as the same selector', () => {
    for (const q of ['tag:', 'web-*', 'web-1,', 'web-1,web-2', '']) {
      for (const o of pickerOptions(q, droplets)) {
        if (/^\d+$/.test(o.value!)) continue;
        const parsed = parseSelector(o.value!);
        expect(parsed.ok, o.value).toBe(true);
      }
    }
  });
});
