/**
 * The `snapshot` artefact of aws capture: an EBS snapshot of every attached volume, tagged with the
 * instance, device and incident, started once (a snapshot in the result so far is not started again),
 * then waited for, bounded, until all are completed. The snapshots stay in EBS; the artefact is their record.
 */
import { CreateSnapshotCommand, DescribeSnapshotsCommand, type Instance, type Snapshot } from '@aws-sdk/client-ec2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { CaptureRequest, CaptureResult, StartedSnapshot } from '../types.js';
import { aws, type AwsClients } from './client.js';

/** What capture needs besides the request. */
export interface AwsCaptureContext {
  clients: AwsClients;
  now: () => Date;
  /** The longest capture waits for its snapshots to complete before failing TRANSIENT (a retry waits on). */
  snapshotWaitMs: number;
  /** How often it asks EC2 whether they are complete. */
  pollMs: number;
}

/** Starts a snapshot of every attached volume not already started, then waits until all are completed. */
export async function snapshots(
  context: AwsCaptureContext,
  request: CaptureRequest,
  instance: Instance,
  result: CaptureResult,
): Promise<unknown> {
  const { clients } = context;
  const id = instance.InstanceId!;
  const started = (result.snapshots ??= []);
  const volumes = (instance.BlockDeviceMappings ?? []).flatMap((m) =>
    m.Ebs?.VolumeId ? [{ volumeId: m.Ebs.VolumeId, device: m.DeviceName ?? '' }] : [],
  );
  if (volumes.length === 0)
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: instance ${id} has no EBS volume to snapshot (leave out \`snapshot\`)`,
    );
  const capturedAt = context.now().toISOString();
  for (const { volumeId, device } of volumes) {
    if (started.some((s) => s.volumeId === volumeId)) continue;
    const tags = [
      { Key: 'firebreak:instance', Value: id },
      { Key: 'firebreak:device', Value: device },
      { Key: 'firebreak:captured-at', Value: capturedAt },
      ...(request.incident === undefined ? [] : [{ Key: 'firebreak:incident', Value: request.incident }]),
    ];
    const made = await aws(`aws: snapshot volume ${volumeId} of ${id}`, () =>
      clients.ec2.send(
        new CreateSnapshotCommand({
          VolumeId: volumeId,
          Description: `Firebreak evidence: ${device} of ${id}${request.incident ? ` (incident ${request.incident})` : ''}`,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: tags }],
        }),
      ),
    );
    const snapshot: StartedSnapshot = { volumeId, device, snapshotId: made.SnapshotId! };
    started.push(snapshot);
    // Heartbeated before the wait, so a retry waits for this snapshot instead of starting another.
    request.started?.(structuredClone(result));
  }
  const completed = await waitCompleted(
    context,
    request,
    started.map((s) => s.snapshotId),
  );
  return {
    capturedAt,
    instance: id,
    ...(request.incident === undefined ? {} : { incident: request.incident }),
    note: 'The snapshots stay in EBS (this record names them); copy or share them with the forensics account as the runbook says.',
    snapshots: started.map((s) => {
      const found = completed.get(s.snapshotId);
      return {
        ...s,
        state: found?.State ?? 'unknown',
        startTime: found?.StartTime?.toISOString() ?? null,
        volumeSize: found?.VolumeSize ?? null,
        encrypted: found?.Encrypted ?? null,
        tags: Object.fromEntries((found?.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      };
    }),
  };
}

/** Waits, bounded, until every snapshot is completed; an error state or one gone fails. */
async function waitCompleted(
  context: AwsCaptureContext,
  request: CaptureRequest,
  ids: string[],
): Promise<Map<string, Snapshot>> {
  // Real time, not the injectable clock: a frozen test clock must not make the wait endless.
  const deadline = Date.now() + context.snapshotWaitMs;
  for (;;) {
    const answer = await aws('aws: describe the evidence snapshots', () =>
      context.clients.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'snapshot-id', Values: ids }] })),
    );
    const byId = new Map((answer.Snapshots ?? []).map((s) => [s.SnapshotId ?? '', s]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length > 0)
      throw new FirebreakError(ErrorCode.NotFound, `capture snapshot: snapshot ${missing.join(', ')} is gone`);
    const failed = ids.filter((id) => byId.get(id)?.State === 'error');
    if (failed.length > 0) {
      throw new FirebreakError(
        ErrorCode.Transient,
        `capture snapshot: snapshot ${failed.join(', ')} failed in EBS: ${byId.get(failed[0]!)?.StateMessage ?? ''}`,
      );
    }
    if (ids.every((id) => byId.get(id)?.State === 'completed')) return byId;
    if (Date.now() >= deadline) {
      throw new FirebreakError(
        ErrorCode.Transient,
        `capture snapshot: ${ids.filter((id) => byId.get(id)?.State !== 'completed').join(', ')} not completed within ${context.snapshotWaitMs} ms; a retry waits on`,
      );
    }
    // Lets the activity heartbeat through a long wait.
    request.streaming?.({ artefact: 'snapshot', bytes: 0 });
    await new Promise((resolve) => setTimeout(resolve, context.pollMs));
  }
}
