/**
 * `sendNotice`: Firebreak's own messages to people (review reminders, a published post-mortem's summary,
 * action item reminders, a failed verification). Recipients are resolved against the worker's roster as it
 * is now, the kind's templates rendered, and the result sent by e-mail with the caller's idempotency key, so
 * a retried or replayed notice gives each recipient the same Message-ID. Nobody reachable is a result, not
 * a failure: the caller records it, and a notice never blocks what it is about.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../src/actions/types.js';
import type { MessageRouter } from '../src/channels/types.js';
import type { NoticeInput, NoticeResult } from '../src/domain/notice.js';
import { resolveNoticeRecipients } from '../src/notices/recipients.js';
import { NoticeTemplates } from '../src/notices/render.js';
import type { RosterMember } from '../src/runbook/roster.js';
import { fingerprintOf } from '../src/templating/render.js';
import { toActivityFailure } from './failures.js';

/** Who Firebreak's own notices come from: the email channel's default From, under this name. */
export const NOTICE_SENDER = { id: 'firebreak', name: 'Firebreak' } as const;

/** What notices need from the worker. */
export interface NoticeActivityDeps {
  messages?: MessageRouter;
  roster?: readonly RosterMember[];
  logger: Logger;
  /** The notice templates (default: the package's `templates/notices/`). */
  notices?: NoticeTemplates;
}

/** Creates `sendNotice` over the worker's channels and roster. */
export function createNoticeActivities(deps: NoticeActivityDeps) {
  let templates: NoticeTemplates | undefined = deps.notices;
  return {
    /** Renders and e-mails one notice to everyone its `to` reaches. */
    async sendNotice(input: NoticeInput): Promise<NoticeResult> {
      const about = `${input.about.kind}:${input.about.id}`;
      const fields = { notice: input.kind, about, attempt: Context.current().info.attempt };
      try {
        const { addresses, unreachable } = resolveNoticeRecipients(input.to, deps.roster ?? []);
        if (deps.messages === undefined) {
          deps.logger.warn({ ...fields }, 'notice not sent: this worker has no message channels');
          return { sent: [], unreachable, skipped: 'no-email-channel' };
        }
        if (addresses.length === 0) {
          deps.logger.warn({ ...fields, unreachable }, 'notice not sent: nobody it names has an e-mail address');
          return { sent: [], unreachable, skipped: 'nobody-reachable' };
        }
        const parts = { ...(templates ??= new NoticeTemplates()).render(input.kind, input.data) };
        const result = await deps.messages.send({
          incidentId: about,
          stepId: `notice:${input.kind}`,
          channel: 'email',
          to: addresses,
          from: { ...NOTICE_SENDER },
          parts,
          fingerprint: fingerprintOf('email', parts),
          idempotencyKey: input.idempotencyKey,
        });
        deps.logger.info({ ...fields, accepted: result.accepted.length }, 'notice sent');
        return { sent: result.accepted, unreachable };
      } catch (error) {
        const failure = toActivityFailure(error);
        const type = failure instanceof ApplicationFailure ? failure.type : failure.name;
        deps.logger.warn({ ...fields, error: failure.message, type }, 'notice failed');
        throw failure;
      }
    },
  };
}
