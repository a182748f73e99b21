/**
 * Delivery of an approved message: each channel's approved parts go to the `sendMessage` activity as they
 * are in the workflow history, so what is sent is byte for byte what was approved. Idempotency keys are
 * stable per incident, step, message and channel, so a retry after a crash carries the same Message-ID.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.js';
import { NON_RETRYABLE_CODES } from '../../src/domain/errors.js';
import type { NotifyStep } from '../../src/domain/plan.js';
import type { ChannelDelivery, MessageRecord } from '../../src/domain/state.js';
import { describeFailure } from '../failures.js';
import { now, type IncidentRun } from '../run.js';
import { changedFacts, type FactSnapshot } from './compose.js';

/** A slow SMTP server gets 30 s per phase and recipient; two minutes covers a handful of recipients. */
const SEND_TIMEOUT_MS = 2 * 60_000;

/** Sends every channel of the approved message; fails the step with the receiver's reason on a permanent refusal. */
export async function deliver(
  run: IncidentRun,
  step: NotifyStep,
  record: MessageRecord,
  approvedAt: FactSnapshot,
  replyTo: string | undefined,
): Promise<void> {
  record.status = 'sending';
  run.updateStep(step.id, { status: 'running' });
  const fingerprint = record.fingerprint ?? '';
  const deliveries: ChannelDelivery[] = [];
  for (const channel of record.channels) {
    // One proxy per channel, so each send has its own summary in the UI.
    const { sendMessage } = proxyActivities<Activities>(sendOptions(step, channel.channel, record.sequence));
    try {
      const result = await sendMessage({
        incidentId: run.state.incidentId,
        stepId: step.id,
        channel: channel.channel,
        to: channel.recipients,
        from: record.from,
        ...(replyTo === undefined ? {} : { replyTo }),
        parts: channel.parts,
        fingerprint,
        idempotencyKey: `${run.state.incidentId}:${step.id}:${record.sequence}:${channel.channel}`,
      });
      deliveries.push({
        channel: channel.channel,
        accepted: result.accepted,
        messageIds: result.deliveries.map((entry) => entry.messageId),
        at: now(),
      });
      run.event('message.delivered', `${run.titleOf(step.id)}: ${deliveredTo(channel.channel, result.accepted)}`, {
        step: step.id,
        data: {
          channel: channel.channel,
          accepted: result.accepted,
          messageIds: result.deliveries.map((d) => d.messageId),
        },
      });
    } catch (error) {
      const reason = describeFailure(error);
      record.status = 'failed';
      record.error = reason;
      record.sent.push(summary(record, deliveries));
      run.event('message.failed', `${run.titleOf(step.id)}: ${channel.channel} delivery failed: ${reason.message}`, {
        step: step.id,
        data: { channel: channel.channel, code: reason.code },
      });
      throw error;
    }
  }
  record.status = 'sent';
  record.sentAt = now();
  record.sent.push(summary(record, deliveries));
  run.event('message.sent', `${run.titleOf(step.id)}: sent ${record.message} (${fingerprint})`, {
    step: step.id,
    data: { fingerprint, sequence: record.sequence },
  });
  const late = changedFacts(run, approvedAt);
  if (late.length > 0) {
    run.event(
      'message.facts_changed_after_approval',
      `${run.titleOf(step.id)}: ${late.join('; ')} after the message was approved; the message sent used the earlier values`,
      { step: step.id },
    );
  }
}

function summary(record: MessageRecord, deliveries: ChannelDelivery[]) {
  return {
    sequence: record.sequence,
    fingerprint: record.fingerprint ?? '',
    sentAt: now(),
    approvedBy: record.votes.filter((vote) => vote.vote === 'approve').map((vote) => vote.voter),
    deliveries,
  };
}

function sendOptions(step: NotifyStep, channel: string, sequence: number): ActivityOptions {
  const retry = step.retry;
  return {
    startToCloseTimeout: SEND_TIMEOUT_MS,
    retry: {
      maximumAttempts: retry?.maxAttempts ?? 5,
      initialInterval: retry?.initialIntervalMs ?? 2_000,
      backoffCoefficient: retry?.backoffCoefficient ?? 2,
      maximumInterval: retry?.maximumIntervalMs ?? 60_000,
      nonRetryableErrorTypes: [...NON_RETRYABLE_CODES],
    },
    summary: `${step.id}: send ${step.message} #${sequence} via ${channel}`,
  };
}

function deliveredTo(channel: string, accepted: readonly string[]): string {
  return channel === 'statuspage' ? 'published to the status page' : `${channel} accepted by ${accepted.join(', ')}`;
}
