// The scopes one Slack user holds right now: their own roles plus those of the user groups
// they belong to. Group membership comes from Slack and is cached briefly per process.
import type { Scope } from './catalogue/index.js';
import { grantsOf, groupsInMap, rolesOf, scopesOf, type Grant, type RoleMap } from './policy.js';

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

  constructor(
    private readonly map: RoleMap,
    private readonly groups: GroupDirectory,
    private readonly ttlMs = 60_000,
    /** Told about each failed group lookup; the request goes on with the rights that could be checked. */
    private readonly onLookupError: (group: string, err: Error) => void = () => {},
  ) {}

  get roleMap(): RoleMap {
    return this.map;
  }

  async of(userId: string): Promise<Access> {
    const memberOf: string[] = [];
    const unchecked: string[] = [];
    // One failing group must not lock everybody out: people granted directly keep their rights.
    await Promise.all(
      groupsInMap(this.map).map(async (group) => {
        try {
          if ((await this.groupMembers(group)).has(userId)) memberOf.push(group);
        } catch (err) {
          unchecked.push(group);
          this.onLookupError(group, err as Error);
        }
      }),
    );
    const roles = rolesOf(this.map, userId, memberOf);
    return { roles, scopes: scopesOf(this.map, roles), grants: grantsOf(this.map, roles), unchecked: unchecked.sort() };
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
