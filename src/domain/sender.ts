/** Who a message is sent as. Workflow-safe: the workflow and `comms preview` share it. */
import { own } from './own.js';
import type { RolePlan } from './plan.js';
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
