import { describe, expect, it } from 'vitest';
import { BotMetrics, endpointTemplate } from '../../src/ops/metrics.js';

describe('the metrics', () => {
  it('name each DigitalOcean endpoint by its template, not its IDs or query', () => {
    expect(endpointTemplate('POST', '/v2/droplets/3164444/actions')).toBe('POST /v2/droplets/{id}/actions');
    expect(endpointTemplate('GET', '/v2/actions?page=2&per_page=200')).toBe('GET /v2/actions');
    expect(endpointTemplate('GET', '/v2/droplets/12/actions/99')).toBe('GET /v2/droplets/{id}/actions/{id}');
  });

  it('count anything not in the catalogue as `other`, so no free text becomes a label', async () => {
    const m = new BotMetrics();
    m.request('<!channel> reboot', 'refused');
    const text = (await m.text()).body;
    expect(text).toContain('droplet_bot_requests_total{action="other",outcome="refused"} 1');
    expect(text).not.toContain('channel>');
  });

  it('never throw, whatever they are given: counting sits on paths where an exception would misreport', () => {
    const m = new BotMetrics();
    expect(() => m.actionEnded('reboot', Number.NaN)).not.toThrow();
    expect(() => m.pollerRoundTook(Number.NaN)).not.toThrow();
    expect(() => m.digitalOceanAnswer('GET', '/v2/actions', 200, Number.NaN)).not.toThrow();
  });
});
