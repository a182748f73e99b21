/**
 * The compiled, frozen runbook plan: what a workflow run executes. Produced by `src/runbook/compile.ts`
 * from a validated runbook, resolved against the roster at trigger time, and passed whole to the workflow
 * so that editing a runbook never changes a run in flight. Workflow-safe: plain data, no zod, no Node.
 *
 * Strings in `with`, `task`, `approval` and similar fields may embed `${{ expr }}`; they are kept as
 * written and interpolated by the workflow when the step starts.
 */

/** The plan layout version; bumped when a change to these types is not backwards compatible. */
export const PLAN_FORMAT = 1;

export type Severity = 'sev1' | 'sev2' | 'sev3' | 'sev4';
export const SEVERITIES: readonly Severity[] = ['sev1', 'sev2', 'sev3', 'sev4'];

/** What a runbook's runs are: incidents, or scheduled jobs (backups, drills) that lists keep apart. */
export type RunKind = 'incident' | 'job';
export const RUN_KINDS: readonly RunKind[] = ['incident', 'job'];

/** A plan's kind; plans compiled before kinds existed have none and are incidents. */
export function kindOfPlan(plan: Pick<Plan, 'kind'>): RunKind {
  return plan.kind ?? 'incident';
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Where something was written in the runbook source, for messages at run time. */
export interface SourceLocation {
  line: number;
  col: number;
}

export type ParamType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'list' | 'secret';
export const PARAM_TYPES: readonly ParamType[] = [
  'string',
  'integer',
  'number',
  'boolean',
  'datetime',
  'list',
  'secret',
];

/** An input given at trigger time. A `secret` param's value is a reference (`env:NAME`, `file:PATH`). */
export interface ParamPlan {
  type: ParamType;
  required: boolean;
  default?: JsonValue;
  enum?: string[];
  description?: string;
}

export type FactType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'list';
export const FACT_TYPES: readonly FactType[] = ['string', 'integer', 'number', 'boolean', 'datetime', 'list'];

/** Something responders must establish during the incident. */
export interface FactPlan {
  type: FactType;
  description?: string;
}

/**
 * A role and who holds it. `members` are user ids or e-mail addresses; at trigger time the roster from
 * the config file is merged in, so the plan a run receives carries the frozen membership.
 */
export interface RolePlan {
  members: string[];
  description?: string;
  /** The name (and mailbox) messages sent from this role are signed with. */
  sender?: { name: string; email?: string };
  /** Role that may act in this role's place once `afterMs` has passed without action. */
  escalateTo?: string;
  afterMs?: number;
}

/** A reference to who acts: a role declared in the runbook. */
export interface RoleRef {
  role: string;
}

/** A clock that starts when a decision is recorded and is met when a step succeeds. */
export interface DeadlinePlan {
  id: string;
  title: string;
  startsAt: { decision: string };
  withinMs: number;
  /** Offsets after the start at which reminders are raised. */
  remindMs: number[];
  remindTo?: RoleRef;
  metBy: { step: string };
  /** CEL: whether the deadline applies. Until it evaluates, the clock runs and reminders are raised. */
  when?: string;
}

export interface RetryPlan {
  maxAttempts: number;
  initialIntervalMs?: number;
  maximumIntervalMs?: number;
  backoffCoefficient?: number;
}

export type OnFailure = 'abort' | 'continue';

/** Fields every step has, whatever its kind. */
export interface StepCommon {
  id: string;
  title: string;
  when?: string;
  timeoutMs?: number;
  retry?: RetryPlan;
  onFailure: OnFailure;
  /** Id of an entry in `Plan.compensations`, registered once this step succeeds. */
  compensate?: string;
  tags: string[];
  loc?: SourceLocation;
}

export interface ActionStep extends StepCommon {
  kind: 'action';
  action: string;
  with: JsonObject;
  /** An approval step that must have been approved before this step runs (`requires: approval:<step>`). */
  requires?: { approval: string };
}

export interface TaskStep extends StepCommon {
  kind: 'task';
  task: string;
  assignee?: RoleRef;
  sets: string[];
  dueMs?: number;
}

export interface DecisionStep extends StepCommon {
  kind: 'decision';
  decision: string;
  options?: string[];
  by?: RoleRef;
}

export type OnApprovalTimeout = 'escalate' | 'reject' | 'abort';

export interface ApprovalStep extends StepCommon {
  kind: 'approval';
  approval: string;
  approvers: RoleRef[];
  /** Total approvals needed; when absent, one approval from each listed role. */
  quorum?: number;
  /**
   * The two-person rule: approving people needed, by roster id (an e-mail alias is the same person), in
   * addition to `quorum`/the roles; whoever triggered the incident never counts. Absent: no such rule.
   */
  distinct?: number;
  onTimeout: OnApprovalTimeout;
  /** The person who triggered the incident may vote; absent (older plans) means false. */
  allowRequester?: boolean;
}

export interface ParallelStep extends StepCommon {
  kind: 'parallel';
  branches: StepPlan[];
}

export interface RunbookStep extends StepCommon {
  kind: 'runbook';
  runbook: string;
  with: JsonObject;
  /** The child runbook's plan, embedded when the parent is triggered so the whole run is frozen. */
  plan: Plan;
}

export interface WaitStep extends StepCommon {
  kind: 'wait';
  waitMs: number;
}

/**
 * A `postmortem` step: the incident needs a post-mortem, run by the facilitator role and reviewed by the
 * reviewer roles, published to the audience roles. It never waits: the run records the requirement and
 * goes on; the post-mortem itself is drafted when the incident closes.
 */
export interface PostmortemStep extends StepCommon {
  kind: 'postmortem';
  facilitator: RoleRef;
  reviewers: RoleRef[];
  audience: RoleRef[];
  /** How long after the incident closes the review is due; absent: no due date. */
  dueMs?: number;
  /** The step whose end marks containment (for the time to containment). */
  containedBy?: string;
  /** Tags the post-mortem starts with (for search and the periodic review). */
  tags: string[];
}

/** The channels a `notify` step can send through. `chat` is a webhook endpoint in Slack format. */
export type NotifyChannel = 'email' | 'webhook' | 'chat' | 'statuspage';
export const NOTIFY_CHANNELS: readonly NotifyChannel[] = ['email', 'webhook', 'chat', 'statuspage'];

/**
 * The template sources of one message, embedded in the plan when the runbook is compiled, so that editing
 * a template never changes a run in flight (the same rule as for runbooks).
 */
export interface MessageTemplates {
  message: string;
  /** Channel -> part (`subject`, `text`, `html`, `json`, `md`) -> Handlebars source. */
  channels: Partial<Record<NotifyChannel, Record<string, string>>>;
  /** Channel -> part -> the file it came from, for messages. */
  files: Partial<Record<NotifyChannel, Record<string, string>>>;
  /** Every partial the message's templates call, transitively: name -> source. */
  partials: Record<string, string>;
  /** Context paths the templates use (`facts.recordsAffected`, `params.organisation`), from the AST. */
  variables: string[];
  /** `sha256:<hex>` over the sources above. */
  contentHash: string;
}

/** Who a `notify` step sends to, per channel. Email entries are addresses or `role:<name>` (its members' e-mails). */
export interface NotifyRecipients {
  email?: string[];
  /** Names of endpoints under `channels.webhook.endpoints` (format json). */
  webhook?: string[];
  /** Names of endpoints under `channels.webhook.endpoints` (format slack). */
  chat?: string[];
}

/** `repeat:` of a `notify` step: send an update every `everyMs` until a step completes or the incident closes. */
export interface NotifyRepeatPlan {
  everyMs: number;
  /** Step id whose completion stops the repeats. */
  until?: string;
  /** Repeats go out without a new approval (the first message is still approved). */
  preApproved: boolean;
}

export interface NotifyStep extends StepCommon {
  kind: 'notify';
  message: string;
  channels: NotifyChannel[];
  to: NotifyRecipients;
  /** The role whose member the message comes from (the first member on the frozen roster). */
  from: RoleRef;
  replyTo?: string;
  /** Roles that must approve the exact rendered message; empty means it is sent without approval. */
  approvers: RoleRef[];
  quorum?: number;
  /** The two-person rule, as on approval steps: different people who must approve; absent: no such rule. */
  distinct?: number;
  /** Facts that must be confirmed before the message is rendered for approval. */
  requires: string[];
  /**
   * The person who last set a fact the message uses may not approve it, nor the person who supplied the
   * params it uses (the trigger params: whoever triggered the incident).
   */
  fourEyes: boolean;
  /** The person who triggered the incident may approve the message; absent (older plans) means false. */
  allowRequester?: boolean;
  onTimeout: OnApprovalTimeout;
  repeat?: NotifyRepeatPlan;
  templates: MessageTemplates;
}

export type StepPlan =
  | ActionStep
  | TaskStep
  | DecisionStep
  | ApprovalStep
  | NotifyStep
  | ParallelStep
  | RunbookStep
  | WaitStep
  | PostmortemStep;
export type StepKind = StepPlan['kind'];
export const STEP_KINDS: readonly StepKind[] = [
  'action',
  'task',
  'decision',
  'approval',
  'notify',
  'parallel',
  'runbook',
  'wait',
  'postmortem',
];

/** A compiled runbook. Frozen (deeply) by the compiler. */
export interface Plan {
  format: typeof PLAN_FORMAT;
  runbookId: string;
  title: string;
  version: number;
  /** `sha256:<hex>` of the runbook file's bytes. */
  contentHash: string;
  description?: string;
  severity: Severity;
  /** Incident or scheduled job; absent in plans compiled before kinds existed (an incident). */
  kind?: RunKind;
  tags: string[];
  params: Record<string, ParamPlan>;
  roles: Record<string, RolePlan>;
  facts: Record<string, FactPlan>;
  /** Decision names declared by decision steps, with their options when they have any. */
  decisions: Record<string, { options?: string[] }>;
  deadlines: DeadlinePlan[];
  steps: StepPlan[];
  compensations: Record<string, ActionStep>;
  /** Who may cancel a run; absent: `commander` when the runbook declares it, else any role holder. */
  cancel?: { roles: string[] };
  /** The runbook's periodic review (`review:`); absent when it declares none. */
  review?: ReviewPlan;
  source: { file: string };
  /**
   * People on the roster by id (name and e-mail), filled at trigger time with the roles, so a message's
   * sender identity is frozen with the run.
   */
  people?: Record<string, PersonPlan>;
}

/** A runbook's periodic review: due when `last` is absent or `last + every` has been reached. */
export interface ReviewPlan {
  /** As written (`90d`). */
  every: string;
  everyMs: number;
  /** The role that reviews it (without `role:`). */
  owner: string;
  /** The day of the last review, `YYYY-MM-DD`. */
  last?: string;
}

/** A person as the plan knows them: for sender identities. */
export interface PersonPlan {
  name?: string;
  email?: string;
}

/** Deep-freezes a value in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
