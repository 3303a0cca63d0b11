// The role map as it is now, for every check in this process. The file is read again when it
// changes (looked at every few seconds) and at once on SIGHUP. A new file that does not validate
// changes nothing: the old rules stay, and the problem (with the field that is wrong) is reported.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RoleMap } from '../domain/policy.js';
import { loadRoleMap, parseRoleMapText, RoleMapError, unreadable } from './load-role-map.js';

export interface RoleMapSourceOptions {
  /** How often the file is looked at (default 2 s: a change is picked up well within 10 s). */
  pollMs?: number;
  /** Told about each new set of rules. */
  onReload?: (map: RoleMap) => void;
  /** Told when a changed file is not valid (once per content, named by its digest); the old rules stay. */
  onInvalid?: (err: RoleMapError, digest: string) => void;
  /** Reload on SIGHUP (default true when a file is watched). */
  sighup?: boolean;
}

export type ReloadResult = 'changed' | 'unchanged' | 'invalid';

export class RoleMapSource {
  private map: RoleMap;
  private digest: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly onHup = () => void this.reload(true);
  private readonly listeners: Array<Pick<RoleMapSourceOptions, 'onReload' | 'onInvalid'>> = [];

  private constructor(
    initial: RoleMap,
    private readonly path: string | undefined,
    private readonly opts: RoleMapSourceOptions,
  ) {
    this.map = initial;
    this.digest = path ? digestOf(path) : undefined;
  }

  /** Rules that never change (tests, the sandbox). */
  static fixed(map: RoleMap): RoleMapSource {
    return new RoleMapSource(map, undefined, {});
  }

  /**
   * The text of a setting (ROLE_MAP_YAML): fixed for the life of the process, since a setting
   * changes only with a restart. Throws RoleMapError, naming `source`, when it is not valid.
   */
  static fromText(text: string, source: string): RoleMapSource {
    return new RoleMapSource(parseRoleMapText(text, source), undefined, {});
  }

  /** Reads the file now; throws RoleMapError when it is missing or invalid (the bot then does not start). */
  static fromFile(path: string, opts: RoleMapSourceOptions = {}): RoleMapSource {
    return new RoleMapSource(loadRoleMap(path), path, opts);
  }

  get current(): RoleMap {
    return this.map;
  }

  /**
   * Reads the file again if its content changed (or whatever it holds, with `force`, as SIGHUP
   * does); an invalid file keeps the old rules. The bytes that are hashed are the bytes parsed.
   */
  reload(force = false): ReloadResult {
    if (!this.path) return 'unchanged';
    let text: string;
    let digest: string;
    try {
      const bytes = readFileSync(this.path);
      text = bytes.toString('utf8');
      digest = createHash('sha256').update(bytes).digest('hex');
    } catch (err) {
      // Missing for a moment (an editor's rename, say): report it once, keep the rules.
      return this.invalid(unreadable(this.path, err), 'unreadable');
    }
    if (!force && digest === this.digest) return 'unchanged';
    try {
      const next = parseRoleMapText(text, this.path);
      this.digest = digest;
      this.map = next;
      for (const l of [this.opts, ...this.listeners]) l.onReload?.(next);
      return 'changed';
    } catch (err) {
      if (!(err instanceof RoleMapError)) throw err;
      return this.invalid(err, digest);
    }
  }

  private invalid(err: RoleMapError, digest: string): ReloadResult {
    // Reported once per content: a broken file is not reported again every few seconds.
    if (digest !== this.digest) for (const l of [this.opts, ...this.listeners]) l.onInvalid?.(err, digest);
    this.digest = digest;
    return 'invalid';
  }

  /** Also tells `listener` of reloads and invalid files (each half of the bot adds its own). */
  subscribe(listener: Pick<RoleMapSourceOptions, 'onReload' | 'onInvalid'>): void {
    this.listeners.push(listener);
  }

  /** Starts looking at the file (and listening for SIGHUP); a fixed source does nothing. */
  start(): void {
    if (!this.path || this.timer) return;
    this.timer = setInterval(() => this.reload(), this.opts.pollMs ?? 2000);
    this.timer.unref();
    if (this.opts.sighup ?? true) process.on('SIGHUP', this.onHup);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    process.off('SIGHUP', this.onHup);
  }
}

function digestOf(path: string): string | undefined {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return undefined;
  }
}

/** A source as given, or fixed rules around a plain role map. */
export function roleMapSource(map: RoleMap | RoleMapSource): RoleMapSource {
  return map instanceof RoleMapSource ? map : RoleMapSource.fixed(map);
}
