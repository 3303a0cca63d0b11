// Procedures as data: the grammar of their keys, the plan a request becomes, and each state
// change of the engine's pure core.
import { describe, expect, it } from 'vitest';
import { commandUsage, parseCommand } from '../../src/domain/command.js';
import { PROCEDURES } from '../../src/domain/procedures/declarations.js';
import { readDuration } from '../../src/domain/procedures/options.js';
import { planRequest, skipsSafety, snapshotNameFor } from '../../src/domain/procedures/plan.js';
import { current, done, failedStep, finished, outcomeOf, precondition, procedureActions, skipped, started, stepDecls, waitMet, type ProcedureState } from '../../src/domain/procedures/state.js';
import { roleMapSchema } from '../../src/domain/policy.js';

const NOW = Date.UTC(2026, 11, 4, 7, 40);

describe('the grammar of procedure keys', () => {
  it('reads /droplet stop with and without a timeout', () => {
    expect(parseCommand('stop web-1')).toMatchObject({ kind: 'action', action: 'shutdown', target: { kind: 'name', name: 'web-1' }, options: { stop: true } });
    expect(parseCommand('stop web-1 timeout=5m')).toMatchObject({ options: { stop: true, timeoutMs: 300_000 } });
    expect(parseCommand('stop web-1 timeout=90s')).toMatchObject({ options: { timeoutMs: 90_000 } });
    expect(parseCommand('stop web-1 timeout=600')).toMatchObject({ options: { timeoutMs: 600_000 } });
  });

  it('refuses a timeout outside 10 s to 30 min, or not a duration, with what to type', () => {
    for (const bad of ['5s', '31m', '2h', 'soon', '']) {
      const c = parseCommand(`stop web-1 timeout=${bad}`);
      expect(c.kind).toBe('invalid');
      expect(c.kind === 'invalid' && c.message).toContain('timeout must be a duration from 10s to 30m, such as timeout=2m or timeout=90s');
      expect(c.kind === 'invalid' && c.message).toContain('Usage: `/droplet stop &lt;droplet&gt; [timeout=');
    }
  });

  it('reads power_on= on resize and snapshot_first= on rebuild and restore, kept out of the body', () => {
    expect(parseCommand('resize web-1 size=s-2vcpu-4gb power_on=false')).toMatchObject({ kind: 'action', params: { size: 's-2vcpu-4gb' }, options: { powerOn: false } });
    expect(parseCommand('rebuild web-1 image=ubuntu-24-04-x64 snapshot_first=true')).toMatchObject({ params: { image: 'ubuntu-24-04-x64' }, options: { snapshotFirst: true } });
    expect(parseCommand('restore web-1 image=42 snapshot_first=false')).toMatchObject({ options: { snapshotFirst: false } });
    expect(parseCommand('reboot web-1')).not.toHaveProperty('options');
  });

  it('refuses a key the verb does not take, a bad boolean, and any of them on a fleet', () => {
    const wrong = parseCommand('reboot web-1 power_on=true');
    expect(wrong.kind === 'invalid' && wrong.message).toContain('reboot does not take power_on=; only `resize` takes it');
    const bool = parseCommand('resize web-1 size=s-2vcpu-4gb power_on=maybe');
    expect(bool.kind === 'invalid' && bool.message).toContain('power_on must be true or false, not "maybe"');
    const fleet = parseCommand('rebuild tag:web image=ubuntu-24-04-x64 snapshot_first=true');
    expect(fleet.kind === 'invalid' && fleet.message).toContain('snapshot_first= works on one Droplet at a time');
    const stopFleet = parseCommand('stop tag:web');
    expect(stopFleet.kind === 'invalid' && stopFleet.message).toContain('stop works on one Droplet at a time');
  });

  it('suggests stop for a near miss, and shows the keys in usage lines', () => {
    const typo = parseCommand('stpo web-1');
    expect(typo.kind === 'invalid' && typo.message).toContain('Did you mean `stop`?');
    expect(commandUsage('resize')).toContain('[power_on=true|false');
    expect(commandUsage('rebuild')).toContain('[snapshot_first=true|false');
    expect(commandUsage('stop')).toMatch(/^\/droplet stop <droplet> \[timeout=/);
  });

  it('reads durations', () => {
    expect([readDuration('10s'), readDuration('2m'), readDuration('2min'), readDuration('1h'), readDuration('45'), readDuration('x')]).toEqual([10_000, 120_000, 120_000, 3_600_000, 45_000, undefined]);
  });
});

describe('the plan a request becomes', () => {
  const on = { status: 'active' };
  const off = { status: 'off' };
  it('a stop of a Droplet that is off is nothing to do; of a running one, a graceful stop', () => {
    expect(planRequest({ body: { type: 'shutdown' }, options: { stop: true }, droplet: off, now: NOW })).toEqual({ kind: 'nothing', why: 'already_off' });
    const p = planRequest({ body: { type: 'shutdown' }, options: { stop: true, timeoutMs: 60_000 }, droplet: on, now: NOW });
    expect(p).toMatchObject({ kind: 'procedure', procedure: { name: 'stop', timeoutMs: 60_000, at: 0 } });
  });

  it('a resize is a procedure only on a Droplet that is not off', () => {
    expect(planRequest({ body: { type: 'resize', size: 's-2' }, droplet: off, now: NOW })).toEqual({ kind: 'single' });
    expect(planRequest({ body: { type: 'resize', size: 's-2' }, options: { powerOn: false }, droplet: on, now: NOW })).toMatchObject({ procedure: { name: 'resize', size: 's-2', powerOn: false, timeoutMs: 120_000 } });
  });

  it('snapshot first when asked, or by the safety section unless asked not to', () => {
    const safety = { snapshot_before: ['rebuild' as const] };
    expect(planRequest({ body: { type: 'rebuild', image: 'x' }, droplet: on, now: NOW })).toEqual({ kind: 'single' });
    expect(planRequest({ body: { type: 'rebuild', image: 'x' }, droplet: on, safety, now: NOW })).toMatchObject({ procedure: { name: 'snapshot_first', snapshotName: 'before rebuild 2026-12-04 07:40 UTC' } });
    expect(planRequest({ body: { type: 'rebuild', image: 'x' }, options: { snapshotFirst: false }, droplet: on, safety, now: NOW })).toEqual({ kind: 'single' });
    expect(planRequest({ body: { type: 'restore', image: 1 }, options: { snapshotFirst: true }, droplet: off, now: NOW })).toMatchObject({ procedure: { name: 'snapshot_first', action: 'restore' } });
    expect(skipsSafety('rebuild', { snapshotFirst: false }, safety)).toContain('snapshot_first=false turns off the snapshot');
    expect(skipsSafety('rebuild', {}, safety)).toBeUndefined();
    expect(skipsSafety('restore', { snapshotFirst: false }, safety)).toBeUndefined();
    expect(snapshotNameFor('restore', NOW)).toBe('before restore 2026-12-04 07:40 UTC');
  });

  it('the role map takes safety.snapshot_before for rebuild and restore only', () => {
    const base = { roles: { a: ['droplet:update'] } };
    expect(roleMapSchema.parse({ ...base, safety: { snapshot_before: ['rebuild', 'restore'] } }).safety?.snapshot_before).toEqual(['rebuild', 'restore']);
    expect(roleMapSchema.safeParse({ ...base, safety: { snapshot_before: ['reboot'] } }).success).toBe(false);
  });

  it('covers every action a procedure may send with its rights and approval, fallback and recovery included', () => {
    expect(procedureActions({ name: 'stop', action: 'shutdown' }).sort()).toEqual(['power_off', 'shutdown']);
    expect(procedureActions({ name: 'resize', action: 'resize' }).sort()).toEqual(['power_off', 'power_on', 'resize', 'shutdown']);
    expect(procedureActions({ name: 'snapshot_first', action: 'rebuild' }).sort()).toEqual(['rebuild', 'snapshot']);
  });
});

describe('the engine core', () => {
  const resize = (): ProcedureState => {
    const p = planRequest({ body: { type: 'resize', size: 's-2' }, droplet: { status: 'active' }, now: NOW });
    if (p.kind !== 'procedure') throw new Error('expected a procedure');
    return p.procedure;
  };

  it('declares every step with an action the catalogue knows, a wait, and a failure rule', () => {
    for (const name of Object.keys(PROCEDURES) as Array<keyof typeof PROCEDURES>) {
      for (const step of stepDecls(name)) {
        expect(['action', 'off', 'on', 'size']).toContain(step.waitFor);
        expect(['next', 'fail']).toContain(step.onFailure);
        if (step.waitFor !== 'action') expect(step.timeout).toBeDefined();
      }
    }
  });

  it('skips a step whose precondition does not hold, and a power_on the request did not want', () => {
    const p = resize();
    const step = current(p)!.decl;
    expect(precondition(p, step, { status: 'off', size_slug: 's-1' })).toEqual({ runs: false, why: 'the Droplet is already off' });
    expect(precondition(p, step, { status: 'active', size_slug: 's-1' })).toEqual({ runs: true });
    const powerOn = stepDecls('resize').find((s) => s.id === 'power_on')!;
    expect(precondition({ ...p, powerOn: false }, powerOn, { status: 'off', size_slug: 's-2' })).toEqual({ runs: false, why: 'power_on=false: left off' });
  });

  it('waits for the Droplet itself: off, on, the new size', () => {
    const p = resize();
    const [shutdown, , , powerOn, check] = stepDecls('resize');
    expect(waitMet(p, shutdown!, { status: 'active', size_slug: 's-1' })).toBe(false);
    expect(waitMet(p, shutdown!, { status: 'off', size_slug: 's-1' })).toBe(true);
    expect(waitMet(p, powerOn!, { status: 'active', size_slug: 's-2' })).toBe(true);
    expect(waitMet(p, check!, { status: 'active', size_slug: 's-1' })).toBe(false);
  });

  it('a shutdown that timed out gives way to power_off; a resize that failed skips the rest and runs the recovery', () => {
    let p = started(resize(), 1);
    p = failedStep(p, current(p)!.decl, 2, 'still on');
    expect(p.at).toBe(1);
    expect(p.failed).toBeUndefined();
    p = done(started(p, 3), 4);
    expect(current(p)!.decl.id).toBe('resize');
    p = failedStep(started(p, 5), current(p)!.decl, 6, 'errored');
    expect(p.failed).toEqual({ step: 'resize', message: 'errored' });
    expect(current(p)!.decl.id).toBe('power_on_again');
    expect(p.steps.map((s) => s.status)).toEqual(['failed', 'done', 'failed', 'skipped', 'skipped', 'waiting']);
    p = done(started(p, 7), 8);
    expect(finished(p)).toBe(true);
    expect(outcomeOf(p)).toBe('errored');
  });

  it('ends without the recovery when every main step went well', () => {
    let p = resize();
    for (let i = 0; i < 5; i++) p = i === 1 ? skipped(p, 'already off') : done(started(p, i), i + 1);
    expect(finished(p)).toBe(true);
    expect(p.steps.at(-1)!.status).toBe('waiting');
    expect(outcomeOf(p)).toBe('completed');
  });
});
