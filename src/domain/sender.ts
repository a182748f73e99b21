/** Who a message is sent as, and who a roster member is. Workflow-safe: the workflow and `comms preview` share it. */
import { own } from './own.js';
import type { Plan, RolePlan } from './plan.js';
import type { SenderIdentity } from './state.js';

/**
 * A message is sent in the name of its `from` role: the role's `sender` (name and mailbox) when the
 * runbook gives one, else the role's name. Never one of its members: the first member of a role need
 * not be the one who approved the message, or have seen it at all.
 */
export function roleSender(roles: Readonly<Record<string, RolePlan>>, role: string): SenderIdentity {
  const sender = own(roles, role)?.sender;
  return {
    id: `role:${role}`,
    name: sender?.name ?? role,
    ...(sender?.email === undefined ? {} : { email: sender.email }),
  };
}

/** A roster member (id or e-mail) as a sender identity, with the name and e-mail the plan's `people` give them. */
export function personOf(plan: Pick<Plan, 'people'>, member: string): SenderIdentity {
  const people = plan.people ?? {};
  const byId = own(people, member);
  if (byId !== undefined) return { id: member, ...byId };
  const lower = member.toLowerCase();
  const entry = Object.entries(people).find(([, person]) => person.email?.toLowerCase() === lower);
  if (entry !== undefined) return { id: entry[0], ...entry[1] };
  return member.includes('@') ? { id: member, email: member } : { id: member };
}
