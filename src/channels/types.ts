/**
 * The channel port: one interface every outbound communication adapter (email, webhook) implements, and
 * the message and receipt it speaks. Adapters are side-effecting and live behind activities only.
 */
import type { SendMessageInput, SendMessageResult } from '../domain/notify.js';

/** The channels this port covers; the status page "delivers" by publishing to its blob store. */
export type ChannelName = 'email' | 'webhook' | 'statuspage';

/** Who a message is sent as: a person from the users list (or the system), with an optional mailbox. */
export interface SenderIdentity {
  id: string;
  name?: string;
  email?: string;
}

/** One rendered, approved message, ready to go out to every recipient of one channel. */
export interface OutboundMessage {
  incidentId: string;
  stepId: string;
  /**
   * Stable for this incident, step and message: a retry or a replay after a crash passes the same key.
   * Adapters derive one key per recipient from it (see `deliveryKey`), so ids are stable per recipient.
   */
  idempotencyKey: string;
  from: SenderIdentity;
  /** Email addresses (email) or configured endpoint names (webhook). */
  to: string[];
  /** Rendered parts, sent byte for byte: email `subject`, `text`, `html?`; webhook `json` or `text`. */
  parts: Record<string, string>;
  /** SHA-256 of the rendered parts that the approvers approved; carried along for the receiver's audit. */
  fingerprint: string;
  /** Where replies should go; defaults to the channel's configured Reply-To, then the sender's email. */
  replyTo?: string;
}

/** What happened for one recipient of a message. */
export interface RecipientDelivery {
  recipient: string;
  /** The stable id the receiver sees: the Message-ID (email) or the X-Firebreak-Delivery id (webhook). */
  messageId: string;
  status?: number;
  response?: string;
}

/** Proof that every recipient accepted the message. */
export interface DeliveryReceipt {
  channel: ChannelName;
  accepted: string[];
  /** The first recipient's id (the only one when there is one recipient); see `deliveries` for all. */
  messageId?: string;
  /** The first recipient's status (SMTP reply code or HTTP status). */
  status?: number;
  /** The first recipient's response line or excerpt. */
  response?: string;
  deliveries: RecipientDelivery[];
}

/**
 * An outbound channel. `send` resolves only when every recipient accepted; otherwise it throws a
 * FirebreakError: DELIVERY_REJECTED (or another non-retryable code) when a receiver refused for good, a
 * retryable code (TRANSIENT, HTTP_STATUS, TIMEOUT) when trying again may succeed.
 */
export interface Channel {
  readonly name: ChannelName;
  send(message: OutboundMessage): Promise<DeliveryReceipt>;
}

/**
 * What the `sendMessage` activity calls: routes one channel of an approved message (email, webhook, chat,
 * status page) to the adapter configured for it. Built from `channels` in the config by the worker.
 * Throws FirebreakErrors classified like `Channel.send`.
 */
export interface MessageRouter {
  send(input: SendMessageInput): Promise<SendMessageResult>;
}
