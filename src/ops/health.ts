// What /healthz says: each half of the process adds its checks, and the answer is healthy only
// when every check is. One process running both halves answers for both on its one port.

export interface HealthCheck {
  ok: boolean;
  /** Short, fixed words (no secrets, no free text): `up`, `running`, a connection state. */
  details: Record<string, string>;
}

export class Health {
  private readonly checks: Array<() => HealthCheck> = [];

  add(check: () => HealthCheck): void {
    this.checks.push(check);
  }

  report(): HealthCheck {
    // Nothing has said it is up yet: the process is still starting.
    if (this.checks.length === 0) return { ok: false, details: { status: 'starting' } };
    let ok = true;
    const details: Record<string, string> = {};
    for (const check of this.checks) {
      const r = check();
      ok &&= r.ok;
      Object.assign(details, r.details);
    }
    return { ok, details };
  }
}
