/**
 * Binding a plan to the people on call: at trigger time each role's members are merged with every
 * roster user holding that role, and the people in those roles are recorded with their name and e-mail
 * (for sender identities), so the run carries a frozen membership that later roster edits do not change.
 */
import { deepFreeze, PLAN_FORMAT, type PersonPlan, type Plan, type RolePlan } from '../domain/plan.js';

/** A person on the roster as the plan needs them: an id, optional name and e-mail, and the roles they hold. */
export interface RosterMember {
  id: string;
  name?: string;
  email?: string;
  roles: readonly string[];
}

/** The roster as the plan sees it, from configured users (extra fields such as token hashes are dropped). */
export function rosterMembers(users: readonly RosterMember[]): RosterMember[] {
  return users.map((user) => ({
    id: user.id,
    roles: user.roles,
    ...(user.name ? { name: user.name } : {}),
    ...(user.email ? { email: user.email } : {}),
  }));
}

/**
 * Returns a new frozen plan whose roles include every roster member holding them (id and e-mail), and
 * whose `people` has the name and e-mail of every roster user in those roles; children included.
 */
export function resolveRoster(plan: Plan, roster: readonly RosterMember[]): Plan {
  return deepFreeze(resolvePlan(plan, roster));
}

function resolvePlan(plan: Plan, roster: readonly RosterMember[]): Plan {
  const roles: Record<string, RolePlan> = {};
  for (const [name, role] of Object.entries(plan.roles)) {
    const fromRoster = roster
      .filter((user) => user.roles.includes(name))
      .flatMap((user) => (user.email ? [user.id, user.email] : [user.id]));
    roles[name] = { ...role, members: [...new Set([...role.members, ...fromRoster])] };
  }
  return { ...rewritePlans(plan, roster), roles, people: peopleIn(roles, roster) };
}

/** The roster users a role names, by id or (case-insensitively) by e-mail: only they can send as the role. */
function peopleIn(roles: Record<string, RolePlan>, roster: readonly RosterMember[]): Record<string, PersonPlan> {
  const members = new Set(Object.values(roles).flatMap((role) => role.members));
  const emails = new Set([...members].map((member) => member.toLowerCase()));
  const people: Record<string, PersonPlan> = {};
  for (const user of roster) {
    if (!members.has(user.id) && !(user.email && emails.has(user.email.toLowerCase()))) continue;
    people[user.id] = {
      ...(user.name ? { name: user.name } : {}),
      ...(user.email ? { email: user.email } : {}),
    };
  }
  return people;
}

// Child plans sit inside steps; they are found by shape, so this code needs no knowledge of step kinds.
function rewritePlans<T>(value: T, roster: readonly RosterMember[]): T {
  if (Array.isArray(value)) return value.map((item: unknown) => rewriteValue(item, roster)) as T;
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewriteValue(item, roster)])) as T;
}

function rewriteValue(value: unknown, roster: readonly RosterMember[]): unknown {
  return isPlan(value) ? resolvePlan(value, roster) : rewritePlans(value, roster);
}

function isPlan(value: unknown): value is Plan {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Partial<Plan>;
  return (
    candidate.format === PLAN_FORMAT && typeof candidate.runbookId === 'string' && typeof candidate.roles === 'object'
  );
}
