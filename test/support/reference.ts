// Reference material copied byte for byte from the team's shared reference folder: DigitalOcean's
// OpenAPI subset and genuine Slack payloads. test/unit/fixtures.test.ts checks the copies.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function referencePath(...parts: string[]): string {
  return fileURLToPath(new URL(`../fixtures/${parts.join('/')}`, import.meta.url));
}

export function readReferenceJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(referencePath(...parts), 'utf8')) as T;
}
