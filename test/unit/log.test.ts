import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { boltLogger, createLogger } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  const secrets = ['xoxb-2222-secret-bot-token', 'signing-secret-123456', 'dop_v1_feedfacefeedfacefeedface'];

  it('never writes a known secret, whatever field it is in', () => {
    const { lines, destination } = capture();
    const log = createLogger({ secrets, destination });
    log.info({ token: secrets[0] }, 'configured');
    log.info({ nested: { authorization: `Bearer ${secrets[2]}` } }, 'request');
    log.error({ err: `failed with ${secrets[1]} in the message` }, 'oops');
    log.warn(`url https://x/?t=${secrets[2]}`);
    boltLogger(log).error('bolt says', secrets[0]);
    const out = lines.join('');
    for (const s of secrets) expect(out).not.toContain(s);
    expect(out).toContain('[REDACTED]');
    expect(lines).toHaveLength(5);
  });

  it('scrubs token shapes it was never told about', () => {
    const { lines, destination } = capture();
    createLogger({ destination }).info('leak xoxb-9999-unknown-token and xapp-1-A0-something');
    expect(lines.join('')).not.toMatch(/xoxb-9999|xapp-1-A0/);
  });

  it('never writes a capability: response_url values, Slack hook URLs, or a Socket Mode ticket', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination, level: 'debug' });
    const payload = { type: 'slash_commands', payload: { text: 'reboot web-1', response_url: 'http://127.0.0.1:4000/response-url/cap-one' } };
    boltLogger(log).debug(`Received a message on the WebSocket: ${JSON.stringify(payload)}`);
    log.debug({ body: { response_urls: [{ response_url: 'http://127.0.0.1:4000/response-url/cap-two' }] } }, 'view');
    log.debug('posting to https://hooks.slack.com/commands/T0123/456/cap-three');
    boltLogger(log).debug(`http request result: ${JSON.stringify({ ok: true, url: 'wss://wss-primary.slack.com/link/?ticket=cap-four&app_id=A0BOT' })}`);
    const out = lines.join('');
    for (const cap of ['cap-one', 'cap-two', 'cap-three', 'cap-four']) expect(out).not.toContain(cap);
    expect(out).toContain('app_id=A0BOT');
    expect(lines).toHaveLength(4);
  });
});
