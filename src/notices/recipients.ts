/**
 * Who a notice goes to: roster ids, `role:<name>` and e-mail addresses, resolved against the roster as it is
 * when the notice is sent (a notice is about now, unlike an incident's frozen plan). Lookups are by own
 * property and exact id; e-mail addresses are kept only when they are one valid address each, so a value
 * from a post-mortem or an action item can never add a header or a second recipient.
 */
import { emailAddressProblem } from '../domain/addresses.js';
import type { RosterMember } from '../runbook/roster.js';

/** The addresses found (de-duplicated, case-insensitively, first spelling kept) and the entries with none. */
export interface ResolvedRecipients {
  addresses: string[];
  unreachable: string[];
}

/** Resolves each entry to the e-mail addresses it names. */
export function resolveNoticeRecipients(
  entries: readonly string[],
  roster: readonly RosterMember[],
): ResolvedRecipients {
  const addresses = new Map<string, string>();
  const unreachable: string[] = [];
  const add = (address: string) => {
    const key = address.toLowerCase();
    if (!addresses.has(key)) addresses.set(key, address);
  };
  for (const raw of entries) {
    const entry = raw.trim();
    const role = /^role:(.+)$/.exec(entry)?.[1];
    if (role !== undefined) {
      const mailboxes = roster.filter((user) => user.roles.includes(role)).flatMap((user) => mailOf(user));
      if (mailboxes.length === 0) unreachable.push(entry);
      mailboxes.forEach(add);
      continue;
    }
    const person = roster.find((user) => user.id === entry);
    if (person !== undefined) {
      const mailbox = mailOf(person);
      if (mailbox.length === 0) unreachable.push(entry);
      mailbox.forEach(add);
    } else if (entry.includes('@') && emailAddressProblem(entry) === undefined) {
      add(entry);
    } else {
      unreachable.push(entry);
    }
  }
  return { addresses: [...addresses.values()], unreachable };
}

function mailOf(user: RosterMember): string[] {
  return user.email !== undefined && emailAddressProblem(user.email) === undefined ? [user.email] : [];
}
