// What the app's manifest.yml tells Slack about it, as far as the sandbox needs it: the bot's
// scopes (the simulated workspace grants exactly those), its shortcuts (the playground lists them
// in the shortcuts menu and in each message's "More actions") and whether it has a Home tab.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';

export interface AppShortcut {
  name: string;
  type: 'global' | 'message';
  callback_id: string;
  description: string;
}

/** The parts of the app the playground shows a person. */
export interface PlaygroundApp {
  shortcuts: AppShortcut[];
  homeTab: boolean;
}

export interface AppManifest extends PlaygroundApp {
  /** undefined when the manifest names none. */
  botScopes?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a parsed manifest declares; anything malformed is left out rather than guessed. */
export function describeManifest(manifest: unknown): AppManifest {
  const root = isObject(manifest) ? manifest : {};
  const features = isObject(root.features) ? root.features : {};
  const shortcuts = (Array.isArray(features.shortcuts) ? features.shortcuts : []).flatMap((s): AppShortcut[] =>
    isObject(s) && (s.type === 'global' || s.type === 'message') && typeof s.name === 'string' && typeof s.callback_id === 'string'
      ? [{ name: s.name, type: s.type, callback_id: s.callback_id, description: typeof s.description === 'string' ? s.description : '' }]
      : [],
  );
  const oauth = isObject(root.oauth_config) ? root.oauth_config : {};
  const scopes = isObject(oauth.scopes) ? oauth.scopes.bot : undefined;
  return {
    shortcuts,
    homeTab: isObject(features.app_home) && features.app_home.home_tab_enabled === true,
    ...(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string') ? { botScopes: scopes as string[] } : {}),
  };
}

/**
 * The app's manifest.yml. It sits two folders above both sandbox/src/playground's parent and
 * sandbox/dist's; the working directory is the second place to look. undefined when there is none.
 */
export function readManifest(): AppManifest | undefined {
  for (const place of [new URL('../../../manifest.yml', import.meta.url), resolve('manifest.yml')]) {
    try {
      return describeManifest(parse(readFileSync(place, 'utf8')));
    } catch {
      // Not there: try the next place.
    }
  }
  return undefined;
}
