/**
 * AWS capture: what EC2 can give of an instance without an agent on it. `metadata` (the instance, its
 * volumes, network interfaces, security groups and attributes, as JSON), `console` (the serial console
 * output, decoded) and `snapshot` (an EBS snapshot of every attached volume, tagged, waited for until
 * completed; the artefact is a JSON record of the snapshot ids: the snapshots themselves stay in EBS).
 * Each artefact goes to the evidence sink in one `write`. The request is checked before anything is
 * written or started; snapshots already started (in `resume`) are not started again.
 */
import { createHash } from 'node:crypto';
import {
  DescribeInstanceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeVolumesCommand,
  GetConsoleOutputCommand,
  type Instance,
  type InstanceAttributeName,
} from '@aws-sdk/client-ec2';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze } from '../selector.js';
import type { CaptureArtefact, CapturedArtefact, CaptureRequest, CaptureResult } from '../types.js';
import { aws, awsFailure } from './client.js';
import { describeInstance, instanceRole } from './inventory.js';
import { snapshots, type AwsCaptureContext } from './snapshots.js';

/** The artefacts EC2 can give, in the order they are captured (the most volatile first). */
export const AWS_ARTEFACTS = ['metadata', 'console', 'snapshot'] as const;
type AwsArtefact = (typeof AWS_ARTEFACTS)[number];
const INCIDENT_VALUE = /^[^\p{Cc}]{1,256}$/u;

/** Checks the request, then captures each artefact asked for, in AWS_ARTEFACTS order. */
export async function capture(context: AwsCaptureContext, request: CaptureRequest): Promise<CaptureResult> {
  const wanted = checkArtefacts(request.artefacts);
  const { target, progress, resume } = request;
  if (resume !== undefined && resume.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: the result to resume is for ${resume.targetId}, not ${target.id}`,
    );
  }
  if (
    request.incident !== undefined &&
    (typeof request.incident !== 'string' || !INCIDENT_VALUE.test(request.incident))
  ) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'capture: `incident` must be one line of at most 256 characters');
  }
  const done = new Map((resume?.artefacts ?? []).map((stored) => [stored.artefact, stored]));
  const instance = await describeInstance(context.clients, target.id);
  const folder = target.name || target.id;
  const result: CaptureResult = {
    targetId: target.id,
    artefacts: [],
    ...(resume?.snapshots === undefined ? {} : { snapshots: structuredClone(resume.snapshots) }),
  };
  for (const artefact of wanted) {
    const earlier = done.get(artefact);
    if (earlier !== undefined) {
      result.artefacts.push(structuredClone(earlier));
      continue;
    }
    try {
      const { file, contentType, text } = await documentFor(context, request, instance, artefact, result);
      result.artefacts.push(await store(request, `${folder}/${file}`, artefact, contentType, text));
    } catch (error) {
      // Nothing partial is reported: what is stored (and the snapshots started) go with the error, for a retry.
      const failure = awsFailure(error, `capture ${artefact}`);
      throw new FirebreakError(failure.code, failure.message, { result: structuredClone(result) });
    }
    progress?.(structuredClone(result));
  }
  return deepFreeze(result);
}

function checkArtefacts(artefacts: readonly CaptureArtefact[]): AwsArtefact[] {
  if (!Array.isArray(artefacts) || artefacts.length === 0) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `capture: name at least one artefact (${AWS_ARTEFACTS.join(', ')})`,
    );
  }
  const seen = new Set<string>();
  for (const [i, artefact] of artefacts.entries()) {
    if (typeof artefact !== 'string' || !(AWS_ARTEFACTS as readonly string[]).includes(artefact)) {
      const code = ['processes', 'logs', 'diff', 'filesystem', 'image'].includes(String(artefact))
        ? ErrorCode.Unsupported
        : ErrorCode.InvalidInput;
      throw new FirebreakError(
        code,
        `capture: artefacts[${i}] ${JSON.stringify(artefact)} is not an artefact EC2 gives without an agent (${AWS_ARTEFACTS.join(', ')})`,
      );
    }
    if (seen.has(artefact))
      throw new FirebreakError(ErrorCode.InvalidInput, `capture: artefacts[${i}] \`${artefact}\` is named twice`);
    seen.add(artefact);
  }
  return AWS_ARTEFACTS.filter((artefact) => seen.has(artefact));
}

async function store(
  request: CaptureRequest,
  name: string,
  artefact: AwsArtefact,
  contentType: string,
  text: string,
): Promise<CapturedArtefact> {
  const bytes = Buffer.from(text);
  let read = 0;
  // eslint-disable-next-line @typescript-eslint/require-await -- an async iterable of one chunk
  async function* body(): AsyncGenerator<Uint8Array> {
    read = bytes.length;
    yield bytes;
  }
  let written: Awaited<ReturnType<CaptureRequest['sink']['write']>>;
  try {
    written = await request.sink.write(name, body(), { contentType });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FirebreakError(ErrorCode.Transient, `capture ${artefact}: the evidence sink failed (${reason})`);
  }
  if (read !== bytes.length || written.size !== bytes.length) {
    throw new FirebreakError(
      ErrorCode.Transient,
      `capture ${artefact}: the evidence sink stored ${written.size} bytes of ${bytes.length}; not counted`,
    );
  }
  return { artefact, location: written.location, size: written.size, sha256: written.sha256 };
}

const json = (document: unknown) => `${JSON.stringify(document, null, 2)}\n`;

async function documentFor(
  context: AwsCaptureContext,
  request: CaptureRequest,
  instance: Instance,
  artefact: AwsArtefact,
  result: CaptureResult,
): Promise<{ file: string; contentType: string; text: string }> {
  switch (artefact) {
    case 'metadata':
      return { file: 'metadata.json', contentType: 'application/json', text: json(await metadata(context, instance)) };
    case 'console':
      return {
        file: 'console.txt',
        contentType: 'text/plain; charset=utf-8',
        text: await consoleOutput(context, instance),
      };
    case 'snapshot':
      return {
        file: 'snapshot.json',
        contentType: 'application/json',
        text: json(await snapshots(context, request, instance, result)),
      };
  }
}

const ATTRIBUTES: InstanceAttributeName[] = [
  'disableApiTermination',
  'disableApiStop',
  'instanceInitiatedShutdownBehavior',
  'userData',
];

/** The instance, volumes, interfaces, groups and attributes; user data by hash only (it often holds secrets). */
async function metadata(context: AwsCaptureContext, instance: Instance): Promise<unknown> {
  const { clients } = context;
  const id = instance.InstanceId!;
  const volumeIds = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
  const volumes =
    volumeIds.length === 0
      ? []
      : ((
          await aws(`aws: describe the volumes of ${id}`, () =>
            clients.ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds })),
          )
        ).Volumes ?? []);
  const interfaces =
    (
      await aws(`aws: describe the interfaces of ${id}`, () =>
        clients.ec2.send(
          new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }),
        ),
      )
    ).NetworkInterfaces ?? [];
  const groupIds = [...new Set(interfaces.flatMap((eni) => (eni.Groups ?? []).map((g) => g.GroupId ?? '')))].filter(
    Boolean,
  );
  const groups =
    groupIds.length === 0
      ? []
      : ((
          await aws(`aws: describe the groups of ${id}`, () =>
            clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds })),
          )
        ).SecurityGroups ?? []);
  const attributes: Record<string, unknown> = {};
  for (const attribute of ATTRIBUTES) {
    try {
      const answer = await clients.ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: attribute }),
      );
      if (attribute === 'userData') {
        const data = Buffer.from(answer.UserData?.Value ?? '', 'base64');
        attributes.userData = { bytes: data.length, sha256: createHash('sha256').update(data).digest('hex') };
      } else {
        const { $metadata: _, InstanceId: __, ...rest } = answer;
        Object.assign(attributes, rest);
      }
    } catch (error) {
      // One attribute refused (an old API, a permission) must not lose the rest of the record.
      attributes[attribute] = { error: awsFailure(error, attribute).message };
    }
  }
  const role = await instanceRole(clients, instance);
  return {
    capturedAt: context.now().toISOString(),
    instance,
    volumes,
    networkInterfaces: interfaces,
    securityGroups: groups,
    attributes,
    instanceRole: role ?? null,
  };
}

/** The serial console output EC2 keeps (the latest 64 KiB), decoded, after a header line. */
async function consoleOutput(context: AwsCaptureContext, instance: Instance): Promise<string> {
  const id = instance.InstanceId!;
  const answer = await aws(`aws: get the console output of ${id}`, () =>
    context.clients.ec2.send(new GetConsoleOutputCommand({ InstanceId: id, Latest: true })),
  );
  const text = Buffer.from(answer.Output ?? '', 'base64').toString('utf8');
  const at = answer.Timestamp?.toISOString() ?? 'unknown';
  const header = `# firebreak: console output of instance ${id} (EC2 keeps the latest 64 KiB; as of ${at}), captured ${context.now().toISOString()}${text === '' ? ': EC2 has none' : ''}\n`;
  return header + text;
}
