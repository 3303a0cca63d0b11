// The scopes one Slack user holds right now: their own roles plus those of the user groups
// they belong to. Group membership comes from Slack and is cached briefly per process.
import type { ActionType, Scope } from './catalogue/index.js';
import type { Selectable } from './fleet/selector.js';
import { allowedHere, decideAll, type RightsDecision } from './rights.js';
import { grantsOf, groupsInMap, roleSources, rolesOf, scopesOf, type Grant, type RoleMap } from './policy.js';

export interface GroupDirectory {
  /** Member user IDs of a Slack user group. */
  members(groupId: string): Promise<string[]>;
}

export interface Access {
  roles: Set<string>;
  /** Every scope granted on some Droplet: enough to list what one may ask for. */
  scopes: Set<Scope>;
  /** Each role's scopes and the Droplets they cover: what decides a request on one Droplet. */
  grants: Grant[];
  /** User groups whose membership could not be read just now; their roles are not counted. */
  unchecked: string[];
}

export class AccessResolver {
  private readonly cache = new Map<string, { at: number; members: Promise<Set<string>> }>();

  private readonly current: () => RoleMap;

  constructor(
    /** The role map, or a function that returns it as it is now (it reloads while the bot runs). */
    map: RoleMap | (() => RoleMap),
    private readonly groups: GroupDirectory,
    private readonly ttlMs = 60_000,
    /** Told about each failed group lookup; the request goes on with the rights that could be checked. */
    private readonly onLookupError: (group: string, err: Error) => void = () => {},
  ) {
    this.current = typeof map === 'function' ? map : () => map;
  }

  get roleMap(): RoleMap {
    return this.current();
  }

  async of(userId: string): Promise<Access> {
    const map = this.current();
    const memberOf: string[] = [];
    const unchecked: string[] = [];
    // One failing group must not lock everybody out: people granted directly keep their rights.
    await Promise.all(
      groupsInMap(map).map(async (group) => {
        try {
          if ((await this.groupMembers(group)).has(userId)) memberOf.push(group);
        } catch (err) {
          unchecked.push(group);
          this.onLookupError(group, err as Error);
        }
      }),
    );
    const roles = rolesOf(map, userId, memberOf);
    return { roles, scopes: scopesOf(map, roles), grants: grantsOf(map, roles, roleSources(map, userId, memberOf)), unchecked: unchecked.sort() };
  }

  /**
   * The decision for one user: `action` (or every one of several) on `droplet` (any Droplet when absent) from `channel`,
   * with the rules that decided it, read against the role map as it is now.
   */
  async decide(userId: string, action: ActionType | readonly ActionType[], where: { droplet?: Selectable; channel?: string }): Promise<RightsDecision & { access: Access }> {
    const access = await this.of(userId);
    return { ...decideAll(this.current(), access.grants, typeof action === 'string' ? [action] : action, where), access };
  }

  /** The actions this user may run on some Droplet from this channel: what help and the modal offer. */
  async allowedHere(userId: string, channel: string | undefined): Promise<ActionType[]> {
    return allowedHere(this.current(), (await this.of(userId)).grants, channel);
  }

  private groupMembers(group: string): Promise<Set<string>> {
    const hit = this.cache.get(group);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.members;
    const members = this.groups.members(group).then(
      (ids) => new Set(ids),
      (err) => {
        // A failed lookup is not cached: the next request asks Slack again.
        this.cache.delete(group);
        throw err;
      },
    );
    this.cache.set(group, { at: Date.now(), members });
    return members;
  }
}
