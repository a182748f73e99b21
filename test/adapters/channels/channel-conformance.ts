/**
 * The behavioural contract every Channel adapter meets, run against each adapter with a real receiver:
 * delivered exactly as given, one delivery per recipient with a stable id, permanent refusals classified
 * as non-retryable with the receiver's reason, and no secret ever inside an error.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Channel, OutboundMessage } from '../../../src/channels/types.js';
import { FirebreakError, NON_RETRYABLE_CODES } from '../../../src/domain/errors.js';

/** One delivery as the receiver saw it, normalised by the harness. */
export interface ReceivedDelivery {
  recipient: string;
  /** The id the receiver saw: Message-ID for email, X-Firebreak-Delivery for webhooks. */
  deliveryId: string;
  /** The message parts as the receiver decoded them, comparable with the parts sent. */
  parts: Record<string, string>;
}

/** What a test file provides for the suite. */
export interface ChannelUnderTest {
  channel: Channel;
  /** Two recipients the receiver accepts. */
  recipients: [string, string];
  /** Parts of a message for this channel. */
  parts: Record<string, string>;
  /** Everything the receiver accepted since the last `reset`. */
  received(): Promise<ReceivedDelivery[]>;
  reset(): Promise<void>;
  /** Values that must never appear in an error's message or details. */
  secrets: string[];
  /** How to make the receiver refuse one recipient for good; absent when there is no receiver to refuse. */
  refusal?: { recipient: string; reason: RegExp; arm(): void };
}

/** A message with sensible defaults for the suite. */
export function sampleMessage(
  overrides: Partial<OutboundMessage> & Pick<OutboundMessage, 'to' | 'parts'>,
): OutboundMessage {
  return {
    incidentId: 'inc-2024-0042',
    stepId: 'notify-customers',
    idempotencyKey: 'inc-2024-0042/notify-customers/1',
    from: { id: 'dpo', name: 'Data Protection Officer', email: 'dpo@example.com' },
    fingerprint: 'sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    ...overrides,
  };
}

/** Asserts no secret occurs in anything an error carries to logs or the workflow history. */
export function expectNoSecrets(error: unknown, secrets: readonly string[]): void {
  const text =
    error instanceof Error ? `${error.message}\n${error.stack ?? ''}\n${JSON.stringify(error)}` : String(error);
  for (const secret of secrets) expect(text).not.toContain(secret);
}

/** Registers the conformance tests for one adapter; `get` is called inside each test, after setup. */
export function runChannelConformance(label: string, get: () => ChannelUnderTest): void {
  describe(`${label} channel conformance`, () => {
    beforeEach(async () => {
      await get().reset();
    });

    it('delivers every part exactly as given, once per recipient, with the ids in the receipt', async () => {
      const subject = get();
      const receipt = await subject.channel.send(sampleMessage({ to: subject.recipients, parts: subject.parts }));
      expect(receipt.channel).toBe(subject.channel.name);
      expect(receipt.accepted).toEqual(subject.recipients);
      const received = await subject.received();
      expect(received.map((entry) => entry.recipient).sort()).toEqual([...subject.recipients].sort());
      for (const entry of received) {
        expect(entry.parts).toEqual(subject.parts);
        const delivery = receipt.deliveries.find((item) => item.recipient === entry.recipient);
        expect(delivery?.messageId).toBe(entry.deliveryId);
      }
      expect(new Set(received.map((entry) => entry.deliveryId)).size).toBe(received.length);
    });

    it('carries the same id when the same message is sent twice, and a new id for a new key', async () => {
      const subject = get();
      const [recipient] = subject.recipients;
      const message = sampleMessage({ to: [recipient], parts: subject.parts });
      const first = await subject.channel.send(message);
      const second = await subject.channel.send(message);
      const other = await subject.channel.send({ ...message, idempotencyKey: `${message.idempotencyKey}-repeat` });
      const received = await subject.received();
      expect(received).toHaveLength(3);
      expect(received[0]?.deliveryId).toBe(received[1]?.deliveryId);
      expect(received[2]?.deliveryId).not.toBe(received[0]?.deliveryId);
      expect(first.messageId).toBe(second.messageId);
      expect(other.messageId).not.toBe(first.messageId);
    });

    it('refuses a message without recipients as invalid input, before contacting anyone', async () => {
      const subject = get();
      const error = await subject.channel
        .send(sampleMessage({ to: [], parts: subject.parts }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FirebreakError);
      expect(NON_RETRYABLE_CODES).toContain((error as FirebreakError).code);
      expect(await subject.received()).toEqual([]);
    });

    it('fails permanently with the receiver reason when a recipient is refused, and names it', async () => {
      const subject = get();
      const refusal = subject.refusal;
      if (!refusal) {
        // Adapters without a receiver (the .eml outbox) cannot be refused: they must accept everyone.
        const receipt = await subject.channel.send(sampleMessage({ to: subject.recipients, parts: subject.parts }));
        expect(receipt.accepted).toEqual(subject.recipients);
        return;
      }
      refusal.arm();
      const [accepted] = subject.recipients;
      const message = sampleMessage({ to: [accepted, refusal.recipient], parts: subject.parts });
      const error = await subject.channel.send(message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FirebreakError);
      const failure = error as FirebreakError;
      expect(NON_RETRYABLE_CODES).toContain(failure.code);
      expect(failure.message).toContain(refusal.recipient);
      expect(failure.message).toMatch(refusal.reason);
      expect(failure.details).toMatchObject({ accepted: [accepted] });
      expectNoSecrets(failure, subject.secrets);
      // The other recipient was still served: the failure is attributable to the refused one only.
      expect((await subject.received()).map((entry) => entry.recipient)).toEqual([accepted]);
    });
  });
}
