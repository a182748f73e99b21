/**
 * The contract between the `notify` step and its activities: what a message is rendered from, what a
 * render returns, and what a send takes and reports. Workflow-safe (types only); the activities
 * implement it over `src/templating` and `src/channels`.
 */
import type { JsonValue, MessageTemplates, NotifyChannel, Severity } from './plan.js';
import type { DecisionRecord, FactRecord, SenderIdentity } from './state.js';

/** Everything a message template may use. Facts are passed as records so their status is known. */
export interface MessageContext {
  incident: {
    id: string;
    title: string;
    severity: Severity;
    /** ISO 8601 instant. */
    startedAt: string;
    runbook: { id: string; title: string };
  };
  params: Record<string, JsonValue>;
  facts: Record<string, FactRecord>;
  decisions: Record<string, DecisionRecord>;
  sender: SenderIdentity;
  /** This message: which one of a repeating step it is, when it was rendered and when the next one is due. */
  message?: MessageInfo;
  /**
   * The steps the message's templates name (`steps.<id>.status`, `steps.<id>.output`), as they were when it
   * was rendered; absent when its templates name none. Never on a public channel (the status page).
   */
  steps?: Record<string, MessageStep>;
}

/** A step as a template sees it: its status and output (an action's output has its secrets redacted). */
export interface MessageStep {
  status: string;
  output?: JsonValue;
}

/** What a template knows about the message being rendered (`message.sequence`, `message.nextUpdateAt`). */
export interface MessageInfo {
  /** 1 for the first message of the step, 2, 3, ... for each repeat. */
  sequence: number;
  /** ISO 8601 instant the message was rendered (the workflow clock). */
  renderedAt: string;
  /** ISO 8601 instant of the next update, when the step repeats. */
  nextUpdateAt?: string;
}

/** Input of the `renderMessage` activity: the embedded templates and the context to render them with. */
export interface RenderMessageInput {
  incidentId: string;
  stepId: string;
  templates: MessageTemplates;
  channels: NotifyChannel[];
  context: MessageContext;
}

/** One channel's rendered parts and their fingerprint. */
export interface RenderedParts {
  channel: NotifyChannel;
  parts: Record<string, string>;
  fingerprint: string;
}

/**
 * Output of `renderMessage`. A problem with the data (a fact not set, a suspected fact rendered as plain
 * text) is a value, not a failure: the step waits for the facts to change and renders again.
 */
export type RenderMessageResult =
  | { ok: true; channels: RenderedParts[]; fingerprint: string }
  | { ok: false; code: string; message: string; variable?: string; file?: string };

/** Input of the `sendMessage` activity: exactly the approved parts of one channel. */
export interface SendMessageInput {
  incidentId: string;
  stepId: string;
  channel: NotifyChannel;
  /** E-mail addresses or webhook endpoint names (empty for the status page). */
  to: string[];
  from: SenderIdentity;
  replyTo?: string;
  parts: Record<string, string>;
  /** The message fingerprint the approvers approved. */
  fingerprint: string;
  /** Stable per incident, step, repeat and channel; each recipient's id is derived from it. */
  idempotencyKey: string;
}

/** Output of `sendMessage`: who accepted, with the stable id each receiver saw. */
export interface SendMessageResult {
  channel: NotifyChannel;
  accepted: string[];
  deliveries: Array<{ recipient: string; messageId: string; status?: number; response?: string }>;
}

/** The fingerprint over a message's channels: what approvers vote on. `sha` is the SHA-256 hex function. */
export function messageFingerprint(channels: readonly RenderedParts[], sha: (text: string) => string): string {
  return `sha256:${sha(JSON.stringify(channels.map((entry) => [entry.channel, entry.fingerprint])))}`;
}
