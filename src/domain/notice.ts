/**
 * Notices: the messages Firebreak sends to people on its own account, as opposed to an incident's approved
 * communications: a post-mortem's review reminders, its published summary, an action item's reminders and
 * a failed verification. Nobody approves their text (they say what Firebreak did or what is asked), so
 * they carry no incident facts beyond what the notice is about. Workflow-safe: types and names only; the
 * `sendNotice` activity renders `templates/notices/<kind>/` and sends by e-mail.
 */
import type { JsonValue } from './plan.js';

/** Every kind of notice; each has `templates/notices/<kind>/email.subject.hbs` and `email.text.hbs`. */
export const NOTICE_KINDS = [
  'review-reminder',
  'review-overdue',
  'postmortem-published',
  'action-item-reminder',
  'action-item-overdue',
  'verification-failed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** What a notice is about: named in the audit log and in the message's headers. */
export interface NoticeSubject {
  kind: 'postmortem' | 'action-item';
  id: string;
}

/** Input of the `sendNotice` activity. */
export interface NoticeInput {
  kind: NoticeKind;
  /** Roster ids, `role:<name>` (every roster user holding the role) or e-mail addresses. */
  to: string[];
  /** What the kind's templates show. */
  data: Record<string, JsonValue>;
  /** Stable for this notice: a retry or a replay sends the same key, and each recipient a stable Message-ID. */
  idempotencyKey: string;
  about: NoticeSubject;
}

/** What `sendNotice` did. */
export interface NoticeResult {
  /** Addresses the e-mail channel accepted. */
  sent: string[];
  /** Entries that lead to no address: a role nobody on the roster holds, a person without an e-mail. */
  unreachable: string[];
  /** Why nothing was sent, when nothing was: no e-mail channel on this worker, or nobody reachable. */
  skipped?: 'no-email-channel' | 'nobody-reachable';
}
