/**
 * Delivery bookkeeping shared by the adapters: stable per-recipient ids, redaction of secrets from
 * receiver text, and turning per-recipient outcomes into one receipt or one classified error.
 */
import { createHash } from 'node:crypto';
import { ErrorCode, FirebreakError, NON_RETRYABLE_CODES } from '../domain/errors.js';
import type { ChannelName, DeliveryReceipt, OutboundMessage, RecipientDelivery } from './types.js';

/** The idempotency key for one recipient: the message's key and the recipient, so each has its own. */
export function deliveryKey(message: OutboundMessage, recipient: string): string {
  return `${message.idempotencyKey}:${recipient.trim().toLowerCase()}`;
}

/** A stable, header-safe id for one delivery: hex SHA-256 of its key (the same after a crash and retry). */
export function deliveryId(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** One recipient's failure, already classified. */
export interface RecipientFailure {
  recipient: string;
  error: FirebreakError;
}

/** Replaces every occurrence of each secret in `text` (plain and base64, as SMTP AUTH sends it). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of [secret, Buffer.from(secret, 'utf8').toString('base64')]) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

/** A short, single-line excerpt of receiver text for error messages. */
export function excerpt(text: string, limit = 200): string {
  // Control characters a receiver sends back would break log lines and terminal output.
  const line = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.length > limit ? `${line.slice(0, limit)}...` : line;
}

/**
 * Builds the receipt when every recipient accepted; otherwise throws one error for the message. A
 * permanent failure wins over a transient one: retrying cannot deliver to a refused recipient, so the
 * step fails with the receivers' reasons (the error's details list every recipient's outcome).
 */
export function settle(
  channel: ChannelName,
  delivered: readonly RecipientDelivery[],
  failures: readonly RecipientFailure[],
): DeliveryReceipt {
  if (failures.length === 0) {
    const first = delivered[0];
    return {
      channel,
      accepted: delivered.map((entry) => entry.recipient),
      messageId: first?.messageId,
      status: first?.status,
      response: first?.response,
      deliveries: [...delivered],
    };
  }
  const permanent = failures.filter((entry) => NON_RETRYABLE_CODES.includes(entry.error.code));
  const chosen = permanent.length > 0 ? permanent : failures;
  const code = chosen[0]?.error.code ?? ErrorCode.Transient;
  const reasons = chosen.map((entry) => `${entry.recipient}: ${entry.error.message}`).join('; ');
  const sent = delivered.length > 0 ? ` (delivered to ${delivered.map((entry) => entry.recipient).join(', ')})` : '';
  throw new FirebreakError(code, `${channel} delivery failed for ${reasons}${sent}`, {
    accepted: delivered.map((entry) => entry.recipient),
    failed: failures.map((entry) => ({
      recipient: entry.recipient,
      code: entry.error.code,
      reason: entry.error.message,
    })),
  });
}
