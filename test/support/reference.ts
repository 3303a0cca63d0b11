// The read-only reference material (DigitalOcean spec, genuine Slack payloads) lives in the
// shared folder beside the repository, both here and in CI.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function referencePath(...parts: string[]): string {
  return fileURLToPath(new URL(`../../../shared/reference/${parts.join('/')}`, import.meta.url));
}

export function readReferenceJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(referencePath(...parts), 'utf8')) as T;
}
