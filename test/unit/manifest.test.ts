import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { BOT_SCOPES } from '../../src/slack/scopes.js';
import { GLOBAL_SHORTCUT, MESSAGE_SHORTCUT } from '../../src/slack/listeners/shortcuts.js';
import { readReferenceJson } from '../support/reference.js';

const manifest = parse(readFileSync(new URL('../../manifest.yml', import.meta.url), 'utf8'));
const schema = readReferenceJson('slack', 'manifest.schema.json');

describe('manifest.yml', () => {
  it("validates against Slack's manifest schema", () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    expect(validate(manifest), JSON.stringify(validate.errors, null, 2)).toBe(true);
  });

  it('declares /droplet and interactivity at the receiver endpoint', () => {
    const [command] = manifest.features.slash_commands;
    expect(command.command).toBe('/droplet');
    expect(command.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toBe(command.url);
  });

  it('declares the shortcuts the bot listens for', () => {
    expect(manifest.features.shortcuts).toEqual([
      expect.objectContaining({ type: 'global', callback_id: GLOBAL_SHORTCUT, name: 'Droplet action' }),
      expect.objectContaining({ type: 'message', callback_id: MESSAGE_SHORTCUT, name: 'Run a Droplet action' }),
    ]);
  });

  it('asks for exactly the bot scopes the code uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(Object.keys(BOT_SCOPES).sort());
  });
});
