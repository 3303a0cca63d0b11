// Fleet selectors and rollout rules in the /droplet grammar: what each form means, and what a
// mistyped one says instead of running anything.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/domain/command.js';
import { batchSize, parseRollout } from '../../src/domain/fleet/rollout.js';
import { globRegExp, parseSelector, selects } from '../../src/domain/fleet/selector.js';

describe('fleet selectors', () => {
  it('reads a tag, colons and all', () => {
    const c = parseCommand('reboot tag:env:prod');
    expect(c).toMatchObject({ kind: 'fleet', action: 'reboot', selector: { kind: 'tag', tag: 'env:prod' }, rollout: { maxFailures: 0 } });
  });

  it('reads a name pattern and a comma list of names and IDs, without repeats', () => {
    expect(parseCommand('power-off web-*')).toMatchObject({ kind: 'fleet', selector: { kind: 'glob', pattern: 'web-*' } });
    expect(parseCommand('reboot web-1,web-2,3164444,web-1')).toMatchObject({
      kind: 'fleet',
      selector: { kind: 'list', items: [{ kind: 'name', name: 'web-1' }, { kind: 'name', name: 'web-2' }, { kind: 'id', id: 3164444 }] },
    });
  });

  it('keeps one Droplet a single request', () => {
    expect(parseCommand('reboot web-1')).toMatchObject({ kind: 'action', target: { kind: 'name', name: 'web-1' } });
  });

  it('explains a bad selector and what to type instead', () => {
    for (const [text, says] of [
      ['reboot tag:', 'is not a tag'],
      ['reboot tag:web!', 'is not a tag'],
      ['reboot web-1,,web-2', 'has an empty item'],
      ['reboot web-1,web_$', 'is not a Droplet name or ID'],
      ['reboot web/*', 'is not a name pattern'],
    ] as const) {
      const c = parseCommand(text);
      expect(c.kind, text).toBe('invalid');
      expect(c.kind === 'invalid' && c.message, text).toContain(says);
    }
  });

  it('matches globs on whole names, case-sensitively', () => {
    expect(globRegExp('web-*').test('web-12')).toBe(true);
    expect(globRegExp('web-*').test('xweb-1')).toBe(false);
    expect(globRegExp('web-?').test('web-12')).toBe(false);
    expect(globRegExp('WEB-*').test('web-1')).toBe(false);
    expect(globRegExp('db.1').test('dbx1')).toBe(false);
  });

  it('never lets a typed pattern become more than a pattern (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9.-]{1,20}$/), (name) => {
        const parsed = parseSelector(`${name}*`);
        return parsed.ok && selects(parsed.selector, { id: 1, name: `${name}anything` }) && !selects(parsed.selector, { id: 1, name: `~${name}` }) && !selects(parsed.selector, { id: 1, name: name.slice(1) });
      }),
    );
  });
});

describe('rollout rules', () => {
  it('reads batch counts and percentages, and max_failures', () => {
    expect(parseCommand('reboot tag:web batch=2 max_failures=1')).toMatchObject({ kind: 'fleet', rollout: { batch: { kind: 'count', count: 2 }, maxFailures: 1 } });
    expect(parseCommand('reboot tag:web batch=25%')).toMatchObject({ kind: 'fleet', rollout: { batch: { kind: 'percent', percent: 25 } } });
  });

  it('rounds a percentage up to whole Droplets, at least one, at most the fleet', () => {
    const r = (batch: string) => {
      const p = parseRollout({ batch });
      if (!p.ok) throw new Error(p.problems.join());
      return p.rollout;
    };
    expect(batchSize(r('25%'), 10)).toBe(3);
    expect(batchSize(r('1%'), 10)).toBe(1);
    expect(batchSize(r('100%'), 10)).toBe(10);
    expect(batchSize(r('50'), 10)).toBe(10);
    expect(batchSize({ maxFailures: 0 }, 12)).toBe(12);
  });

  it('refuses bad rules, and rules on one Droplet, saying what to type', () => {
    const bad = (text: string) => {
      const c = parseCommand(text);
      expect(c.kind, text).toBe('invalid');
      return c.kind === 'invalid' ? c.message : '';
    };
    expect(bad('reboot tag:web batch=0')).toContain('batch=25%');
    expect(bad('reboot tag:web batch=120%')).toContain('from 1% to 100%');
    expect(bad('reboot tag:web batch=2 max_failures=-1')).toContain('max_failures=1');
    // Without a batch rule everything starts at once: a stop rule would hold nothing back.
    expect(bad('reboot tag:web max_failures=2')).toContain('max_failures needs batch=');
    expect(bad('reboot web-1 batch=2')).toContain('only applies to many Droplets at once');
    expect(bad('reboot tag:web batch=2 batch=3')).toContain('batch is given twice');
    expect(bad('reboot tag:web bacth=2')).toContain('did you mean `batch`');
  });
});
