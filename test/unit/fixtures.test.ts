import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { referencePath } from '../support/reference.js';

describe('reference fixtures', () => {
  it("hold DigitalOcean's spec unchanged (sha256 from its README)", () => {
    const readme = readFileSync(referencePath('digitalocean', 'README.md'), 'utf8');
    const expected = /sha256\*\* of the JSON file: `([0-9a-f]{64})`/.exec(readme)?.[1];
    const actual = createHash('sha256').update(readFileSync(referencePath('digitalocean', 'droplet-actions.openapi.json'))).digest('hex');
    expect(expected).toBeDefined();
    expect(actual).toBe(expected);
  });

  it("hold App Platform's app spec schema unchanged (sha256 as copied)", () => {
    const actual = createHash('sha256').update(readFileSync(referencePath('digitalocean', 'app-spec.schema.json'))).digest('hex');
    expect(actual).toBe('0794560a47476237c2702b3f01c5e9c13ab8c6214dfa0faf8665b191c42467db');
  });
});
