// The playground page's files: plain HTML/CSS/JS with no build step, read from `public/` next to
// this module. In the source tree that is sandbox/src/playground/public/ (vitest, tsx); the
// sandbox's build copies the folder to sandbox/dist/playground/public/, as tsc copies only .ts output.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

export const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
};

/** A file of the page by bare name (no folders, so no path can leave PUBLIC_DIR), or undefined. */
export async function publicFile(name: string): Promise<{ type: string; body: Buffer } | undefined> {
  const match = /^[a-z0-9][a-z0-9-]*\.(html|js|css|svg|png)$/.exec(name);
  if (!match) return undefined;
  try {
    return { type: TYPES[match[1]!]!, body: await readFile(PUBLIC_DIR + name) };
  } catch {
    return undefined;
  }
}
