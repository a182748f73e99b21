/**
 * Activities: a thin factory over injected ports (samples-typescript activities-dependency-injection).
 * `runAction` validates a step's interpolated `with` against the action's schema, runs the action with
 * cancellation, heartbeats and a per-call secret scope, and maps errors to ApplicationFailures at the edge.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createActionContext } from '../src/actions/context.js';
import type { ActionRegistry } from '../src/actions/registry.js';
import type { ActionResult, Logger } from '../src/actions/types.js';
import type { MessageRouter } from '../src/channels/types.js';
import { ErrorCode, FirebreakError } from '../src/domain/errors.js';
import type {
  RenderMessageInput,
  RenderMessageResult,
  SendMessageInput,
  SendMessageResult,
} from '../src/domain/notify.js';
import type { RunbookCatalog } from '../src/runbook/catalog.js';
import type { RosterMember } from '../src/runbook/roster.js';
import { renderEmbedded } from '../src/templating/embedded.js';
import type { DeclaredSecretResolver, SecretCatalog } from '../src/secrets/declared.js';
import { createSecretScope } from '../src/secrets/scope.js';
import { findCancelRequest, type CancelRequestInput, type CancelRequestResult } from './cancel-request.js';
import { toActivityFailure } from './failures.js';
import { applySecretSlots, prepareAction, runSignal, withFields, type RunActionInput } from './run-action.js';
import { createActionItemActivities } from './action-items.js';
import { createNoticeActivities } from './notices.js';
import { createPostmortemActivities, type PostmortemActivityDeps } from './postmortem.js';
import { createReviewActivities } from './postmortem-review.js';
import { createScheduledActivities } from './scheduled.js';

export type { Logger } from '../src/actions/types.js';
export type {
  AwaitVerificationInput,
  ReadActionItemInput,
  ReadActionItemResult,
  SettleVerificationInput,
  SettleVerificationResult,
  WatchedItem,
} from './action-items.js';
export type { VerificationOutcome } from '../src/postmortems/verification.js';
export type { RunActionInput } from './run-action.js';
export type { PreparedScheduledIncident } from './scheduled.js';
export type { ReadPostmortemReviewInput, SendReviewNoticeInput, SendReviewNoticeResult } from './postmortem-review.js';
export type {
  DraftPostmortemInput,
  DraftPostmortemResult,
  PostmortemActivityDeps,
  PostmortemPolicy,
} from './postmortem.js';

/** The ports activities run over; the worker bootstrap builds the concrete ones. */
export interface ActivityDeps {
  actions: ActionRegistry;
  /** The secrets firebreak.yaml declares, resolved by name for the runbook of the step. */
  declaredSecrets: DeclaredSecretResolver;
  /** The declared secrets' names, for checking a scheduled run's params. */
  secretCatalog?: SecretCatalog;
  logger: Logger;
  /** Where approved messages go (email, webhook, chat, status page); built from `channels` in the config. */
  messages?: MessageRouter;
  /** How often a running action heartbeats (so that cancellation reaches it). Default 2 s. */
  heartbeatIntervalMs?: number;
  /** Loads the runbooks as they are now, for scheduled runs (each prepares its incident from the current runbook). */
  runbooks?: () => Promise<RunbookCatalog>;
  /** The roster scheduled runs bind their plans to, and notices are addressed over (`sendNotice`). */
  roster?: readonly RosterMember[];
  /** The `postmortems` config and the post-mortem store, for drafting when an incident closes. */
  postmortems?: PostmortemActivityDeps;
}

/** Output of `runAction`: the action's output and optional timeline note, secrets redacted. */
export type RunActionResult = ActionResult;

/** Creates the activities over their dependencies. */
export function createActivities(deps: ActivityDeps) {
  const heartbeatIntervalMs = deps.heartbeatIntervalMs ?? 2_000;
  const notices = createNoticeActivities(deps);
  return {
    ...createScheduledActivities(deps),
    ...createPostmortemActivities(deps),
    ...notices,
    ...createReviewActivities(deps, (input) => notices.sendNotice(input)),
    ...createActionItemActivities(deps),

    /** Runs one registered action for one step. */
    async runAction(input: RunActionInput): Promise<RunActionResult> {
      const activity = Context.current();
      const { definition, data } = prepareAction(deps.actions, input);
      const { incidentId, stepId, action } = input;
      const logger = withFields(deps.logger, { incidentId, stepId, action, attempt: activity.info.attempt });
      const run = runSignal(activity.cancellationSignal, input);
      // The interval beats repeat the action's last progress, so they never erase the offset it reported.
      const resumeFrom: unknown = activity.info.heartbeatDetails;
      let progress: unknown = resumeFrom;
      const heartbeat = (details?: unknown) => {
        if (details !== undefined) progress = details;
        activity.heartbeat(progress);
      };
      // Cancellation only reaches an activity that heartbeats; this way no action has to remember to.
      const beat = setInterval(() => heartbeat(), heartbeatIntervalMs);
      const lastAttempt = input.maxAttempts !== undefined && activity.info.attempt >= input.maxAttempts;
      const init = {
        incidentId,
        stepId,
        signal: run.signal,
        logger,
        heartbeat,
        resumeFrom,
        lastAttempt,
      };
      const scope = createSecretScope((name) => deps.declaredSecrets.resolve(name, input.runbook));
      const { ctx } = createActionContext({ ...init, secrets: scope });
      logger.info({}, 'action started');
      try {
        await applySecretSlots(definition, data, input.secrets ?? [], scope);
        const result = await definition.execute(data, ctx);
        logger.info({}, 'action succeeded');
        // Redacted again here: an action may have copied a resolved value somewhere it did not redact.
        const output = scope.redactJson(result.output);
        return result.note === undefined ? { output } : { output, note: scope.redact(result.note) };
      } catch (error) {
        const failure = toActivityFailure(error, scope);
        const type = failure instanceof ApplicationFailure ? failure.type : failure.name;
        logger.warn({ error: failure.message, type }, 'action failed');
        throw failure;
      } finally {
        clearInterval(beat);
        run.dispose();
      }
    },

    /**
     * Renders a `notify` step's message for every channel from the templates embedded in the plan. Pure:
     * a problem with the data (a fact not set, a suspected fact as plain text) is returned, not thrown.
     */
    renderMessage(input: RenderMessageInput): Promise<RenderMessageResult> {
      return Promise.resolve(renderEmbedded(input.templates, input.channels, input.context));
    },

    /** Who asked Temporal directly (UI, CLI) to cancel an incident: the identity in its cancel request. */
    async cancelRequest(input: CancelRequestInput): Promise<CancelRequestResult> {
      try {
        return await findCancelRequest(input);
      } catch (error) {
        throw toActivityFailure(error);
      }
    },

    /** Sends exactly the approved parts of one channel of a message to its recipients. */
    async sendMessage(input: SendMessageInput): Promise<SendMessageResult> {
      const logger = withFields(deps.logger, {
        incidentId: input.incidentId,
        stepId: input.stepId,
        channel: input.channel,
        attempt: Context.current().info.attempt,
      });
      try {
        if (!deps.messages) {
          throw new FirebreakError(ErrorCode.InvalidInput, 'this worker has no message channels configured');
        }
        const result = await deps.messages.send(input);
        logger.info({ accepted: result.accepted.length, fingerprint: input.fingerprint }, 'message delivered');
        return result;
      } catch (error) {
        const failure = toActivityFailure(error);
        const type = failure instanceof ApplicationFailure ? failure.type : failure.name;
        logger.warn({ error: failure.message, type }, 'message delivery failed');
        throw failure;
      }
    },
  };
}

/** The activities' type, for `proxyActivities<Activities>()` in workflows (import type only). */
export type Activities = ReturnType<typeof createActivities>;
