/**
 * The durable watcher of one action item (`action-item:<itemId>`), started or woken by the API's
 * signal-with-start after every change of the item. It reads the item through activities, and:
 * - for each verification run still `pending`, waits for its incident to close (a long, heartbeating
 *   activity, retried on another worker if this one dies), judges it, records the result with a
 *   compare-and-set (`verified`, or reopened with the reason), and pages the owner when it failed;
 * - while the item is open or in progress and has a due date, reminds the owner `remindBefore` ahead and
 *   announces it overdue at the due date and every `overdueEvery` after, on timers a change re-arms;
 * - ends when nothing is left to watch: verified, won't-do, or done with no run pending.
 * It continues as new every `roundsPerRun` rounds (or when Temporal suggests it), carrying what it sent.
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities, VerificationOutcome, WatchedItem } from '../activities/index.js';
import {
  afterDueNotice,
  nextDueNotice,
  sentFor,
  type ActionItemPolicy,
  type DueNoticesSent,
  type DueTimings,
  type NextDueNotice,
} from '../src/domain/action-items.js';
import type { NoticeInput } from '../src/domain/notice.js';
import { itemChangedSignal, type ActionItemWatchResult, type WatchActionItem } from './action-item-definitions.js';
import { describeFailure } from './failures.js';

const { actionItemPolicy } = proxyLocalActivities<Activities>({
  startToCloseTimeout: 10_000,
  retry: { maximumAttempts: 5 },
  summary: 'read the due-date timings from the config',
});

// The store may be away for a while (a restart, the embedded store's lock): retried with backoff, for days.
const { readActionItem, settleVerificationRun } = proxyActivities<Activities>({
  startToCloseTimeout: 60_000,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 600_000, maximumAttempts: 1_000 },
});

// Waits as long as the incident runs; a worker that dies stops heartbeating and the wait moves to another.
const { awaitVerificationRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1 day',
  heartbeatTimeout: 30_000,
  retry: { initialInterval: 1_000, backoffCoefficient: 2, maximumInterval: 60_000 },
});

const { sendNotice } = proxyActivities<Activities>({
  startToCloseTimeout: 60_000,
  retry: { initialInterval: 5_000, backoffCoefficient: 2, maximumInterval: 600_000, maximumAttempts: 20 },
});

const ROUNDS_PER_RUN = 500;
const CLOSED = new Set(['verified', 'wont-do']);

/** Watches one action item until nothing is left to watch; see the module comment. */
export async function actionItemWorkflow(input: WatchActionItem): Promise<ActionItemWatchResult> {
  const { itemId } = input;
  let changed = true;
  setHandler(itemChangedSignal, () => {
    changed = true;
  });
  const policy = input.policy ?? (await actionItemPolicy());
  const watch = new VerificationWatch(itemId, policy, () => {
    changed = true;
  });
  let dueSent = input.dueSent;
  const rounds = input.roundsPerRun ?? ROUNDS_PER_RUN;
  for (let round = 1; ; round++) {
    watch.throwIfBroken();
    if (round > rounds || workflowInfo().continueAsNewSuggested) {
      await watch.stop();
      await condition(allHandlersFinished);
      return continueAsNew<typeof actionItemWorkflow>({ ...input, policy, ...(dueSent ? { dueSent } : {}) });
    }
    changed = false;
    const { item } = await readActionItem({ itemId });
    if (item === undefined) return { itemId, status: 'missing' };
    for (const incidentId of item.unsettled) watch.start(incidentId);
    if (finished(item) && watch.idle()) return { itemId, status: item.status };
    const next = dueNotice(item, dueSent, policy);
    if (next !== undefined && next.notice.at <= Date.now()) {
      await sendDueNotice(item, next.notice, policy);
      dueSent = afterDueNotice(next.sent, next.notice, Date.now(), policy);
      continue;
    }
    const wait = next === undefined ? undefined : next.notice.at - Date.now();
    await condition(() => changed || watch.broken !== undefined, wait, {
      summary:
        next === undefined ? 'wait for a change' : `${next.notice.kind} due ${new Date(next.notice.at).toISOString()}`,
    });
  }
}

/** Nothing left to watch: closed, or done with no run pending. */
function finished(item: WatchedItem): boolean {
  return CLOSED.has(item.status) || (item.status === 'done' && item.unsettled.length === 0);
}

/** The next due-date notice of an item still open or in progress with a due date. */
function dueNotice(
  item: WatchedItem,
  sent: DueNoticesSent | undefined,
  timings: DueTimings,
): { notice: NextDueNotice; sent: DueNoticesSent } | undefined {
  if (item.dueAt === undefined || (item.status !== 'open' && item.status !== 'in-progress')) return undefined;
  const current = sentFor(item.dueAt, sent);
  return { notice: nextDueNotice(current, Date.now(), timings), sent: current };
}

/** Sends a due reminder or an overdue notice to the owner; a delivery failure is logged, never fatal. */
async function sendDueNotice(item: WatchedItem, notice: NextDueNotice, policy: ActionItemPolicy): Promise<void> {
  const kind = notice.kind === 'reminder' ? 'action-item-reminder' : 'action-item-overdue';
  await page({
    kind,
    to: [item.owner],
    data: noticeData(item, policy),
    idempotencyKey: `action-item:${item.id}:${kind}:${item.dueAt ?? ''}:${new Date(notice.at).toISOString()}`,
    about: { kind: 'action-item', id: item.id },
  });
}

/** What every action item notice's templates show: the item, its post-mortem, the time zone. */
function noticeData(item: WatchedItem, policy: ActionItemPolicy): NoticeInput['data'] {
  return {
    item: itemData(item),
    postmortem: item.postmortem ?? { id: 'unknown', title: '(no post-mortem found)', incidentId: 'unknown' },
    timeZone: policy.timeZone,
  };
}

/** The item's fields the notice templates show. */
function itemData(item: WatchedItem): { [key: string]: string } {
  return {
    id: item.id,
    title: item.title,
    owner: item.owner,
    status: item.status,
    priority: item.priority,
    ...(item.dueAt === undefined ? {} : { dueAt: item.dueAt }),
    ...(item.trackerUrl === undefined ? {} : { trackerUrl: item.trackerUrl }),
    ...(item.statusReason === undefined ? {} : { statusReason: item.statusReason }),
  };
}

/** Sends a notice; nobody reachable, or a failure after the retries, is logged by the worker and never fatal. */
async function page(notice: NoticeInput): Promise<void> {
  const fields = { actionItemId: notice.about.id, notice: notice.kind };
  try {
    const result = await sendNotice(notice);
    if (result.skipped !== undefined || result.unreachable.length > 0) {
      log.warn('an action item notice reached nobody or not everyone', { ...fields, ...result });
    }
  } catch (error) {
    log.error('an action item notice was not delivered', { ...fields, error: describeFailure(error).message });
  }
}

/**
 * The waits for verification incidents in flight, one per incident. A wait can be cancelled (to continue
 * as new; the next run starts it again); recording the result and paging cannot, so nothing is lost.
 */
class VerificationWatch {
  private readonly waits = new Map<string, CancellationScope>();
  private recording = 0;
  /** The failure that stops the watcher: a run it could not record even after its retries. */
  broken: ApplicationFailure | undefined;

  constructor(
    private readonly itemId: string,
    private readonly policy: ActionItemPolicy,
    private readonly wake: () => void,
  ) {}

  idle(): boolean {
    return this.waits.size === 0 && this.recording === 0;
  }

  start(incidentId: string): void {
    if (this.waits.has(incidentId)) return;
    const scope = new CancellationScope();
    this.waits.set(incidentId, scope);
    void scope
      .run(() => awaitVerificationRun({ itemId: this.itemId, incidentId }))
      .then(
        (outcome) => this.record(incidentId, outcome),
        (error: unknown) => {
          if (!isCancellation(error)) this.fail(incidentId, error);
        },
      )
      .finally(() => {
        this.waits.delete(incidentId);
        this.wake();
      });
  }

  /** Cancels the waits and lets any recording in progress finish. */
  async stop(): Promise<void> {
    for (const scope of this.waits.values()) scope.cancel();
    await condition(() => this.idle());
  }

  throwIfBroken(): void {
    if (this.broken !== undefined) throw this.broken;
  }

  private async record(incidentId: string, outcome: VerificationOutcome): Promise<void> {
    this.recording++;
    try {
      await CancellationScope.nonCancellable(async () => {
        const settled = await settleVerificationRun({ itemId: this.itemId, incidentId, outcome });
        if (!settled.page || settled.item === undefined) return;
        const item = settled.item;
        await page({
          kind: 'verification-failed',
          to: [item.owner],
          data: {
            ...noticeData(item, this.policy),
            verification: { runbook: item.verifyRunbook ?? 'unknown', incidentId, reason: outcome.reason },
          },
          idempotencyKey: `action-item:${item.id}:verification-failed:${incidentId}`,
          about: { kind: 'action-item', id: item.id },
        });
      });
    } catch (error) {
      this.fail(incidentId, error);
    } finally {
      this.recording--;
    }
  }

  private fail(incidentId: string, error: unknown): void {
    const cause = describeFailure(error);
    this.broken ??= ApplicationFailure.nonRetryable(
      `The verification run ${incidentId} of action item ${this.itemId} could not be recorded: ${cause.message}`,
      cause.code,
    );
  }
}
