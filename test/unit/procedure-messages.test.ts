// What people read about a procedure: the plan, the checklist and the closing line, escaped.
import { describe, expect, it } from 'vitest';
import { planRequest } from '../../src/domain/procedures/plan.js';
import { current, done, failedStep, skipped, started, type ProcedureState } from '../../src/domain/procedures/state.js';
import { checklist, planText, summaryText } from '../../src/slack/renderers/procedure-messages.js';

function resize(size = 's-2vcpu-4gb'): ProcedureState {
  const p = planRequest({ body: { type: 'resize', size }, droplet: { status: 'active' }, now: 0 });
  if (p.kind !== 'procedure') throw new Error('expected a procedure');
  return p.procedure;
}

describe('procedure messages', () => {
  it('states the plan with escaped names', () => {
    expect(planText('<!channel>', resize())).toBe(
      '*&lt;!channel&gt;* is running: it will be shut down, resized to `s-2vcpu-4gb` and powered on again (a graceful shutdown first, then `power_off` if it still reports itself on after 2 min). If a step after the stop fails, it is powered on again.',
    );
  });

  it('never claims what did not happen when the job ended before the procedure did', () => {
    const p = done(started(resize(), 1), 2);
    expect(summaryText(p)).toBe('stopped at "Power off (still on after the shutdown)" before the procedure ended: check the Droplet');
  });

  it('quotes a failure escaped, and hides recovery steps that never ran', () => {
    let p = skipped(skipped(resize(), 'the Droplet is already off'), 'the Droplet is already off');
    p = failedStep(started(p, 0), current(p)!.decl, 1, 'size <b> unavailable');
    expect(checklist(p)).toContain(':x: Resize · failed');
    expect(checklist(p)).not.toContain('Power on again after the failure');
    p = done(started(p, 2), 3);
    expect(summaryText(p)).toBe('failed at "Resize": size &lt;b&gt; unavailable; it was powered on again');
    expect(checklist(p)).toContain('Power on again after the failure · done');
    const ok = done(done(done(started(skipped(skipped(resize(), 'off'), 'off'), 0), 1), 2), 3);
    expect(checklist(ok)).not.toContain('Power on again');
    expect(summaryText(ok)).toBe('resized to s-2vcpu-4gb and powered on again; it was already off');
  });
});
