// Who is who in the sandbox: the seeded Slack people (seed.ts) with the roles the sandbox's role
// map gives them, chosen so that every kind of flow can be tried alone by switching user:
// Bob asks, Alice approves, Carol is refused.
import { roleMapSchema, type RoleMap } from 'droplet-bot';
import { SANDBOX_USERS } from '../slack/seed.js';

export interface PlaygroundPerson {
  id: string;
  /** The role as the switcher shows it. */
  role: string;
  /** One line on what this person can try. */
  can: string;
}

export const PLAYGROUND_PEOPLE: PlaygroundPerson[] = [
  { id: SANDBOX_USERS.bob, role: 'operator (requester)', can: 'runs actions; rebuild, restore and password reset wait for an approver' },
  { id: SANDBOX_USERS.alice, role: 'admin (approver)', can: 'runs every action and approves or denies requests from others' },
  { id: SANDBOX_USERS.carol, role: 'no rights', can: 'is in no role, so every action is refused' },
];

/** The sandbox's role map, validated by the same schema as roles.yml. */
export function sandboxRoleMap(): RoleMap {
  return roleMapSchema.parse({
    roles: {
      operator: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
      admin: ['droplet:update', 'droplet:create', 'droplet:admin', 'image:create'],
    },
    members: {
      [SANDBOX_USERS.bob]: ['operator'],
      [SANDBOX_USERS.alice]: ['admin'],
    },
    // Four-eyes: the actions that destroy data need a second person with the admin role.
    approvals: {
      actions: ['rebuild', 'restore', 'password_reset'],
      approvers: ['admin'],
      expires_after: '30m',
    },
  });
}
