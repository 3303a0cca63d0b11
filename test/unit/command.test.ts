import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand, tokenize } from '../../src/domain/command.js';

function invalidMessage(text: string): string {
  const parsed = parseCommand(text);
  expect(parsed.kind, `expected "${text}" to be refused`).toBe('invalid');
  return parsed.kind === 'invalid' ? parsed.message : '';
}

describe('command grammar', () => {
  it('reads an action and a droplet name', () => {
    expect(parseCommand('reboot web-1')).toMatchObject({ kind: 'action', action: 'reboot', target: { kind: 'name', name: 'web-1' }, params: {} });
  });

  it('reads a numeric droplet ID', () => {
    expect(parseCommand('power_on 3164444')).toMatchObject({ action: 'power_on', target: { kind: 'id', id: 3164444 } });
  });

  it('accepts hyphens, underscores and upper case in action names', () => {
    for (const spelling of ['power-off', 'power_off', 'POWER-OFF', 'Power_Off']) {
      expect(parseCommand(`${spelling} web-1`)).toMatchObject({ kind: 'action', action: 'power_off' });
    }
  });

  it('keeps quoted values with spaces together', () => {
    expect(tokenize('snapshot web-1 name="nightly 1"')).toEqual({ tokens: ['snapshot', 'web-1', 'name=nightly 1'] });
    expect(parseCommand('snapshot web-1 name="nightly \\"big\\" one"')).toMatchObject({ params: { name: 'nightly "big" one' } });
  });

  it('treats curly quotes from phones and Slack entities like plain text', () => {
    expect(parseCommand('snapshot web-1 name=\u201Cnightly 1\u201D')).toMatchObject({ params: { name: 'nightly 1' } });
    expect(parseCommand('snapshot web-1 name="a &amp; b"')).toMatchObject({ params: { name: 'a & b' } });
  });

  it('recognises help, an empty command and history', () => {
    expect(parseCommand('help')).toEqual({ kind: 'help' });
    expect(parseCommand('   ')).toEqual({ kind: 'empty' });
    expect(parseCommand('history web-1')).toEqual({ kind: 'history', target: { kind: 'name', name: 'web-1' } });
  });

  it('refuses an unknown action and suggests the closest one', () => {
    const message = invalidMessage('rebot web-1');
    expect(message).toContain('Unknown action `rebot`');
    expect(message).toContain('Did you mean `reboot`?');
    expect(message).toContain('/droplet help');
  });

  it('refuses a missing droplet with the usage line', () => {
    expect(invalidMessage('reboot')).toContain('Usage: `/droplet reboot &lt;droplet&gt;`');
  });

  it('refuses a missing required parameter and says what to type', () => {
    const parsed = parseCommand('resize web-1');
    expect(parsed).toMatchObject({ kind: 'invalid', action: 'resize', target: { kind: 'name', name: 'web-1' } });
    expect(invalidMessage('resize web-1')).toContain('size is required: size=&lt;size slug');
  });

  it('refuses values the API would refuse', () => {
    expect(invalidMessage('change-backup-policy web-1 plan=daily hour=5')).toContain('hour must be one of 0, 4, 8, 12, 16, 20');
    expect(invalidMessage('change-backup-policy web-1 plan=monthly')).toContain('plan must be daily or weekly');
    expect(invalidMessage('change-backup-policy web-1 plan=weekly weekday=FUNDAY')).toContain('weekday must be one of SUN');
    expect(invalidMessage('change-backup-policy web-1 plan=daily weekday=MON')).toContain('weekday only applies to plan=weekly');
    expect(invalidMessage('change-backup-policy web-1 plan=daily window_length_hours=4')).toContain('window_length_hours is read-only');
    expect(invalidMessage('enable-backups web-1 retention_period_days=7')).toContain('retention_period_days is read-only');
    expect(invalidMessage('resize web-1 size=s-1vcpu-1gb disk=maybe')).toContain('disk must be true or false');
    expect(invalidMessage('resize web-1 size="big one"')).toContain('size must be a size slug');
    expect(invalidMessage('restore web-1 image=ubuntu')).toContain('numeric ID of one of this Droplet');
    expect(invalidMessage('change-kernel web-1 kernel=latest')).toContain('kernel must be a numeric kernel ID');
    expect(invalidMessage('rename web-1 name="web 1"')).toContain('name must be a valid hostname');
    expect(invalidMessage('rebuild web-1 image="Ubuntu 24"')).toContain('image must be an image slug');
  });

  it('refuses parameters an action does not take, unknown keys, repeats and stray words', () => {
    expect(invalidMessage('reboot web-1 size=s-1vcpu-1gb')).toContain('reboot does not take size=; it takes no parameters');
    expect(invalidMessage('resize web-1 sise=s-1vcpu-1gb')).toContain('unknown parameter `sise` (did you mean `size`?)');
    expect(invalidMessage('resize web-1 size=a size=b')).toContain('size is given twice');
    expect(invalidMessage('reboot web-1 now')).toContain('`now` is not a parameter');
  });

  it('escapes what the user typed when it quotes it back, so it cannot ping or link', () => {
    const message = invalidMessage('<!channel> web-1');
    expect(message).toContain('Unknown action `&lt;!channel&gt;`');
    expect(message).not.toContain('<!channel>');
    expect(invalidMessage('reboot')).toContain('`/droplet reboot &lt;droplet&gt;`');
  });

  it('refuses a malformed droplet and an unclosed quote', () => {
    expect(invalidMessage('reboot <!channel>')).toContain('is not a Droplet name or ID');
    expect(invalidMessage('snapshot web-1 name="oops')).toContain('double quote is not closed');
  });

  it('never throws, and every refusal is a usage message', () => {
    const words = fc.constantFrom('reboot', 'resize', 'snapshot', 'power-off', 'help', 'history', 'web-1', '123', 'size=', 'name="x y"', '"', '=', 'hour=5', '<!here>', '&amp;', '\u201C');
    const text = fc.oneof(fc.string({ maxLength: 200 }), fc.array(words, { maxLength: 8 }).map((w) => w.join(' ')), fc.string({ unit: 'binary', maxLength: 80 }));
    fc.assert(
      fc.property(text, (input) => {
        const parsed = parseCommand(input);
        if (parsed.kind === 'invalid') {
          expect(parsed.message.length).toBeGreaterThan(10);
          expect(parsed.message).toMatch(/Usage:|\/droplet help|Type `|write|quote|parameter|Which Droplet/i);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('reads `can` for oneself, for a mentioned person (escaped or as an ID), and says how to mention', () => {
    expect(parseCommand('can reboot web-1')).toEqual({ kind: 'can', action: 'reboot', target: { kind: 'name', name: 'web-1' } });
    expect(parseCommand('can <@U0ABC123|bob> power-off 3164444')).toEqual({ kind: 'can', user: 'U0ABC123', action: 'power_off', target: { kind: 'id', id: 3164444 } });
    expect(parseCommand('can &lt;@W0ABC123&gt; rebuild db-1')).toMatchObject({ kind: 'can', user: 'W0ABC123', action: 'rebuild' });
    expect(invalidMessage('can @bob reboot web-1')).toContain('is a name, not a mention');
    expect(invalidMessage('can reboop web-1')).toContain('Did you mean `reboot`?');
    expect(invalidMessage('can reboot')).toContain('Which Droplet?');
  });
});
