/**
 * The aws provider against moto (an AWS API emulator on loopback, harness/moto.ts): the conformance suite,
 * then what is AWS's own, each asserted by reading moto's state with the SDK, not the provider: protect
 * turns on termination protection, detaches from the Auto Scaling group and deregisters from target
 * groups; isolate leaves every ENI in the quarantine group alone, which has no rule, and puts the
 * revocation policy on the instance role; capture snapshots every volume with its tags; destroy keeps the
 * volumes; redeploy uses the pinned AMI in the recorded subnet and groups, once. Nothing reaches AWS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoScalingClient,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateImageCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  RunInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
} from '@aws-sdk/client-iam';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { motoMissing, startMoto, type TestMoto } from '../../../harness/moto.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createAwsProvider } from '../../../src/infra/aws/provider.js';
import { REVOKE_POLICY_NAME } from '../../../src/infra/aws/revoke.js';
import { infraProvidersFromConfig } from '../../../src/infra/from-config.js';
import type { CaptureResult, InfraProvider, InfraTarget } from '../../../src/infra/types.js';
import { InfraConfigSchema } from '../../../src/config/infra-schema.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { freePort } from '../../../src/temporal/dev-server.js';
import { fileEvidenceSink } from '../../support/file-evidence-sink.js';
import {
  runProviderConformance,
  type Attachment,
  type ProviderFixture,
  type StartedTarget,
} from './provider-conformance.js';

const missing = motoMissing();
const QUARANTINE = 'firebreak-quarantine';
const AZ = 'us-east-1a';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FirebreakError);
  return (error as FirebreakError).code;
}

describe.skipIf(missing !== undefined)(`the aws provider on moto${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let moto: TestMoto;
  let ec2: EC2Client;
  let provider: InfraProvider;
  let vpc: string;
  let networks: [string, string];
  let groups: [string, string];
  let baseAmi: string;
  let deadPort: number;
  let scratch: string;
  const images = new Map<string, string>();
  const labelsOf = new Map<string, Readonly<Record<string, string>>>();
  const env = { AWS_KEY: 'testing', AWS_SECRET: 'testing' };
  const secrets = createSecretResolver({ env, baseDir: tmpdir() });
  const credentials = { accessKeyId: 'env:AWS_KEY', secretAccessKey: 'env:AWS_SECRET' };
  const sdk = () => ({
    endpoint: moto.endpoint,
    region: moto.region,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });

  beforeAll(async () => {
    moto = await startMoto();
    scratch = mkdtempSync(path.join(tmpdir(), 'fb-aws-provider-'));
    ec2 = new EC2Client(sdk());
    deadPort = await freePort();
    provider = createAwsProvider({
      name: 'cloud',
      connection: { region: moto.region, endpoint: moto.endpoint, credentials, timeoutMs: 30_000 },
      secrets,
      snapshotPollMs: 100,
    });
    vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }))).Vpc!.VpcId!;
    const subnets: string[] = [];
    for (const cidr of ['10.20.1.0/24', '10.20.2.0/24']) {
      subnets.push(
        (await ec2.send(new CreateSubnetCommand({ VpcId: vpc, CidrBlock: cidr, AvailabilityZone: AZ }))).Subnet!
          .SubnetId!,
      );
    }
    networks = subnets.sort() as [string, string];
    const made: string[] = [];
    for (const name of ['app-a', 'app-b']) {
      made.push(
        (await ec2.send(new CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpc }))).GroupId!,
      );
    }
    groups = made as [string, string];
    const amis = await ec2.send(new DescribeImagesCommand({}));
    baseAmi = amis.Images!.find((image) => image.ImageId?.startsWith('ami-'))!.ImageId!;
  }, 120_000);
  afterAll(async () => {
    ec2?.destroy();
    await moto?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  const describeOne = async (id: string): Promise<Instance> =>
    (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;

  /** A fresh AMI per image name, made from an instance of the base AMI (then terminated). */
  const image = async (name: string): Promise<string> => {
    const known = images.get(name);
    if (known) return known;
    const builder = (
      await ec2.send(new RunInstancesCommand({ ImageId: baseAmi, MinCount: 1, MaxCount: 1, SubnetId: networks[0] }))
    ).Instances![0]!;
    const ami = (await ec2.send(new CreateImageCommand({ InstanceId: builder.InstanceId!, Name: name }))).ImageId!;
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [builder.InstanceId!] }));
    images.set(name, ami);
    return ami;
  };

  /** An instance on two ENIs: the primary in the first subnet (group app-a), the second in the other (app-b). */
  const launch = async (
    name: string,
    ami: string,
    tags: Readonly<Record<string, string>>,
    extra: Record<string, unknown> = {},
  ): Promise<Instance> => {
    const instance = (
      await ec2.send(
        new RunInstancesCommand({
          ImageId: ami,
          MinCount: 1,
          MaxCount: 1,
          InstanceType: 't3.micro',
          NetworkInterfaces: [
            { DeviceIndex: 0, SubnetId: networks[0], Groups: [groups[0]] },
            { DeviceIndex: 1, SubnetId: networks[1], Groups: [groups[1]] },
          ],
          TagSpecifications: [
            {
              ResourceType: 'instance',
              Tags: Object.entries({ Name: name, ...tags }).map(([Key, Value]) => ({ Key, Value })),
            },
          ],
          ...extra,
        }),
      )
    ).Instances![0]!;
    return describeOne(instance.InstanceId!);
  };

  const enis = (instance: Instance): string[] =>
    [...instance.NetworkInterfaces!]
      .sort((a, b) => a.Attachment!.DeviceIndex! - b.Attachment!.DeviceIndex!)
      .map((n) => n.NetworkInterfaceId!);

  const quarantineId = async (): Promise<string | undefined> =>
    (await ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [QUARANTINE] }] })))
      .SecurityGroups?.[0]?.GroupId;

  /** The ENIs not in the quarantine group alone: what the instance can still talk through. */
  const attachments = async (id: string): Promise<Attachment[]> => {
    const quarantine = await quarantineId();
    const answer = await ec2.send(
      new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [id] }] }),
    );
    return (answer.NetworkInterfaces ?? [])
      .filter((eni) => !(eni.Groups?.length === 1 && eni.Groups[0]!.GroupId === quarantine))
      .map((eni) => ({ network: eni.SubnetId!, aliases: [], ipv4: eni.PrivateIpAddress! }))
      .sort((a, b) => a.network.localeCompare(b.network));
  };

  const fixture = (): ProviderFixture => ({
    provider: () => provider,
    unreachable: () =>
      createAwsProvider({
        name: 'away',
        connection: { region: moto.region, endpoint: `http://127.0.0.1:${deadPort}`, credentials, timeoutMs: 5_000 },
        secrets,
      }),
    networks,
    async startTarget(name, imageName, labels): Promise<StartedTarget> {
      const ami = await image(imageName);
      const instance = await launch(name, ami, labels);
      labelsOf.set(instance.InstanceId!, labels);
      return {
        id: instance.InstanceId!,
        name,
        imageTag: ami,
        imageDigest: ami,
        imagePinned: ami,
        resources: enis(instance),
      };
    },
    attachments,
    async remove(id) {
      await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: id, DisableApiTermination: { Value: false } }));
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    },
    unknownId: `i-${'0'.repeat(17)}`,
    captureArtefacts: ['metadata', 'console', 'snapshot'],
    selectors: (t) => [{ id: t.id }, { name: t.name }, { labels: { ...labelsOf.get(t.id) } }, { image: t.imageTag }],
    expectedImage: (t) => ({ ref: t.imageTag, id: t.imageTag, pinned: t.imageTag }),
    aliases: false,
    unknownImage: `ami-${'0'.repeat(17)}`,
    redeploysImages: false,
  });

  runProviderConformance('aws', fixture);

  describe('aws specifics', () => {
    let count = 0;
    const fresh = async (extra: Record<string, unknown> = {}): Promise<InfraTarget> => {
      const instance = await launch(`spec-${++count}`, baseAmi, { suite: 'specifics' }, extra);
      const [target] = (await provider.inventory({ id: instance.InstanceId! })).targets;
      return target!;
    };
    const attribute = async (
      id: string,
      name: 'disableApiTermination' | 'disableApiStop',
    ): Promise<boolean | undefined> => {
      const answer = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: name }));
      return name === 'disableApiTermination' ? answer.DisableApiTermination?.Value : answer.DisableApiStop?.Value;
    };
    const groupsOf = async (id: string): Promise<string[][]> =>
      [...(await describeOne(id)).NetworkInterfaces!]
        .sort((a, b) => a.Attachment!.DeviceIndex! - b.Attachment!.DeviceIndex!)
        .map((eni) => eni.Groups!.map((g) => g.GroupId!));

    it('pins the AMI, ENIs with subnet and groups, EBS volumes, tags and state', async () => {
      const target = await fresh();
      const instance = await describeOne(target.id);
      expect(target).toMatchObject({
        provider: 'cloud',
        kind: 'aws',
        name: `spec-${count}`,
        state: 'running',
        credentials: [],
      });
      expect(target.image).toEqual({ ref: baseAmi, id: baseAmi, pinned: baseAmi });
      expect(target.networks.map((n) => [n.name, n.id, n.securityGroups])).toEqual([
        [networks[0], enis(instance)[0], [groups[0]]],
        [networks[1], enis(instance)[1], [groups[1]]],
      ]);
      expect(target.mounts.map((m) => m.type)).toContain('ebs');
      expect(target.mounts.map((m) => m.name)).toEqual(instance.BlockDeviceMappings!.map((b) => b.Ebs!.VolumeId!));
      expect(target.labels).toMatchObject({ Name: `spec-${count}`, suite: 'specifics' });
      expect(target.details).toMatchObject({ instanceType: 't3.micro', vpcId: vpc });
      // A tag value with a wildcard is matched exactly, never as a pattern.
      expect((await provider.inventory({ name: 'spec-*' })).targets).toEqual([]);
      expect(await codeOf(provider.inventory({ id: 'web-1' }))).toBe(ErrorCode.InvalidInput);
      expect(await codeOf(provider.inventory({ image: 'ubuntu:22.04' }))).toBe(ErrorCode.InvalidInput);
    });

    it('protect tags the instance, turns on termination and stop protection, detaches it from its ASG and deregisters it', async () => {
      const autoScaling = new AutoScalingClient(sdk());
      const elb = new ElasticLoadBalancingV2Client(sdk());
      try {
        await autoScaling.send(
          new CreateLaunchConfigurationCommand({
            LaunchConfigurationName: 'web-lc',
            ImageId: baseAmi,
            InstanceType: 't3.micro',
          }),
        );
        await autoScaling.send(
          new CreateAutoScalingGroupCommand({
            AutoScalingGroupName: 'web-asg',
            LaunchConfigurationName: 'web-lc',
            MinSize: 1,
            MaxSize: 3,
            DesiredCapacity: 1,
            VPCZoneIdentifier: networks[0],
          }),
        );
        const asg = async () =>
          (await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: ['web-asg'] })))
            .AutoScalingGroups![0]!;
        const id = (await asg()).Instances![0]!.InstanceId!;
        const group = (
          await elb.send(
            new CreateTargetGroupCommand({
              Name: 'web-tg',
              Protocol: 'HTTP',
              Port: 80,
              VpcId: vpc,
              TargetType: 'instance',
            }),
          )
        ).TargetGroups![0]!.TargetGroupArn!;
        await elb.send(new RegisterTargetsCommand({ TargetGroupArn: group, Targets: [{ Id: id, Port: 8080 }] }));
        const registered = async () =>
          (
            (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: group }))).TargetHealthDescriptions ?? []
          ).filter((d) => d.Target?.Id === id && d.TargetHealth?.State !== 'draining');

        expect(await registered()).toHaveLength(1);
        const [target] = (await provider.inventory({ id })).targets;
        const result = await provider.protect(target!, { incident: 'INC-42' });
        expect(result.changes.map((c) => [c.what, c.resource ?? null, c.before ?? null, c.after ?? null])).toEqual([
          ['tag', 'firebreak:incident', null, 'INC-42'],
          ['termination-protection', null, false, true],
          ['stop-protection', null, false, true],
          ['auto-scaling-group', 'web-asg', expect.objectContaining({ group: 'web-asg' }), null],
          ['target-group', group, expect.objectContaining({ targetGroup: 'web-tg', port: 8080 }), null],
        ]);
        expect(await attribute(id, 'disableApiTermination')).toBe(true);
        expect((await describeOne(id)).Tags).toContainEqual({ Key: 'firebreak:incident', Value: 'INC-42' });
        const after = await asg();
        expect(after.Instances!.map((i) => i.InstanceId)).not.toContain(id);
        // The desired capacity is kept: the group replaces the instance, the instance itself stays for evidence.
        expect(after.DesiredCapacity).toBe(1);
        expect((await describeOne(id)).State!.Name).toBe('running');
        expect(await registered()).toEqual([]);
        expect(
          await codeOf(
            ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })).catch((e: unknown) => {
              throw new FirebreakError(ErrorCode.NotAllowed, String(e));
            }),
          ),
        ).toBe(ErrorCode.NotAllowed);

        expect((await provider.protect(target!)).changes).toEqual([]);
        // A retry given what an interrupted attempt changed keeps it (the attempt's error carries it as `result`).
        const resumed = await provider.protect(target!, { resume: { ...result, changes: result.changes.slice(0, 4) } });
        expect(resumed.changes).toEqual(result.changes.slice(0, 4));
        expect(
          await codeOf(provider.protect(target!, { resume: { ...result, targetId: `i-${'0'.repeat(17)}` } })),
        ).toBe(ErrorCode.InvalidInput);
      } finally {
        autoScaling.destroy();
        elb.destroy();
      }
    });

    it('isolate leaves every ENI in the quarantine group alone, which has no rule, and revokes the role sessions; unisolate restores exactly', async () => {
      const iam = new IAMClient(sdk());
      try {
        const trust = {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        };
        await iam.send(
          new CreateRoleCommand({ RoleName: 'web-role', AssumeRolePolicyDocument: JSON.stringify(trust) }),
        );
        await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'web-profile' }));
        await iam.send(
          new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'web-profile', RoleName: 'web-role' }),
        );
        const target = await fresh({ IamInstanceProfile: { Name: 'web-profile' } });
        expect(target.credentials).toEqual([expect.objectContaining({ kind: 'instance-role', name: 'web-role' })]);
        const before = await groupsOf(target.id);
        expect(before).toEqual([[groups[0]], [groups[1]]]);

        const startedAt = Date.now();
        const record = await provider.isolate(target);
        const quarantine = (
          await ec2.send(
            new DescribeSecurityGroupsCommand({
              Filters: [
                { Name: 'group-name', Values: [QUARANTINE] },
                { Name: 'vpc-id', Values: [vpc] },
              ],
            }),
          )
        ).SecurityGroups!;
        expect(quarantine).toHaveLength(1);
        expect(quarantine[0]!.IpPermissions ?? []).toEqual([]);
        expect(quarantine[0]!.IpPermissionsEgress ?? []).toEqual([]);
        const q = quarantine[0]!.GroupId!;
        expect(await groupsOf(target.id)).toEqual([[q], [q]]);
        expect(record.changes.map((c) => [c.what, c.resource])).toEqual([
          ['security-groups', target.networks[0]!.id],
          ['security-groups', target.networks[1]!.id],
          ['session-revocation', 'web-role'],
        ]);
        const policy = await iam.send(
          new GetRolePolicyCommand({ RoleName: 'web-role', PolicyName: REVOKE_POLICY_NAME }),
        );
        const document = JSON.parse(decodeURIComponent(policy.PolicyDocument!)) as {
          Statement: Array<{
            Effect: string;
            Action: string[];
            Condition: { DateLessThan: { 'aws:TokenIssueTime': string } };
          }>;
        };
        expect(document.Statement[0]).toMatchObject({ Effect: 'Deny', Action: ['*'] });
        const cutoff = Date.parse(document.Statement[0]!.Condition.DateLessThan['aws:TokenIssueTime']);
        expect(cutoff).toBeGreaterThanOrEqual(startedAt - 1000);
        expect(cutoff).toBeLessThanOrEqual(Date.now());

        // Isolated already: nothing new, and the revocation is not repeated.
        expect(await provider.isolate(target)).toMatchObject({ changes: [], alreadyIsolated: true });

        const undone = await provider.unisolate(target, record);
        expect(undone.restored).toHaveLength(2);
        expect(undone.kept?.map((c) => c.what)).toEqual(['session-revocation']);
        expect(await groupsOf(target.id)).toEqual(before);
        // The revocation stays: undoing it would give stolen credentials back.
        expect(
          (await iam.send(new GetRolePolicyCommand({ RoleName: 'web-role', PolicyName: REVOKE_POLICY_NAME })))
            .PolicyName,
        ).toBe(REVOKE_POLICY_NAME);
        expect((await provider.unisolate(target, record)).alreadyRestored).toHaveLength(2);
      } finally {
        iam.destroy();
      }
    });

    it('a quarantine group that gained rules loses them at the next isolation; unisolate names a group deleted since', async () => {
      const q = (await quarantineId())!;
      await ec2.send(
        new AuthorizeSecurityGroupIngressCommand({
          GroupId: q,
          IpPermissions: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.0/24' }] }],
        }),
      );
      const extra = (
        await ec2.send(new CreateSecurityGroupCommand({ GroupName: `temp-${count}`, Description: 'temp', VpcId: vpc }))
      ).GroupId!;
      const target = await fresh();
      await ec2.send(
        new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: target.networks[1]!.id!, Groups: [extra] }),
      );
      const record = await provider.isolate(target);
      const [group] = (await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [q] }))).SecurityGroups!;
      expect(group!.IpPermissions ?? []).toEqual([]);
      expect(group!.IpPermissionsEgress ?? []).toEqual([]);

      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: extra }));
      const error = await provider.unisolate(target, record).catch((caught: unknown) => caught);
      expect((error as FirebreakError).code).toBe(ErrorCode.NotFound);
      expect((error as FirebreakError).message).toContain(target.networks[1]!.id);
      // The other ENI got its groups back all the same.
      expect((error as FirebreakError).details).toMatchObject({
        result: { restored: [{ resource: target.networks[0]!.id }] },
      });
      expect((await groupsOf(target.id))[0]).toEqual([groups[0]]);
    });

    it('sees only the configured VPC when one is', async () => {
      const target = await fresh();
      const scoped = (scope: string) =>
        createAwsProvider({
          name: 'scoped',
          connection: { region: moto.region, endpoint: moto.endpoint, credentials, timeoutMs: 30_000 },
          secrets,
          vpc: scope,
        });
      expect((await scoped(vpc).inventory({ id: target.id })).targets.map((t) => t.id)).toEqual([target.id]);
      expect((await scoped('vpc-0123456789abcdef0').inventory({ id: target.id })).targets).toEqual([]);
    });

    it('capture snapshots every volume with its tags, records the ids, and a retry does not start them again', async () => {
      const target = await fresh();
      const volumes = target.mounts.map((m) => m.name!);
      const sink = fileEvidenceSink(path.join(scratch, `sink-${count}`));
      const interrupted = await provider
        .capture({
          target,
          artefacts: ['console', 'snapshot'],
          sink,
          incident: 'INC-7',
          started: () => {
            throw new Error('worker lost after starting the snapshot');
          },
        })
        .catch((caught: unknown) => caught as FirebreakError);
      expect(interrupted).toBeInstanceOf(FirebreakError);
      const partial = (interrupted as FirebreakError).details as { result: CaptureResult };
      expect(partial.result.artefacts.map((a) => a.artefact)).toEqual(['console']);
      expect(partial.result.snapshots!.map((s) => s.volumeId)).toEqual([volumes[0]]);

      const result = await provider.capture({
        target,
        artefacts: ['console', 'snapshot'],
        sink,
        incident: 'INC-7',
        resume: partial.result,
      });
      const snapshots = (
        await ec2.send(
          new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:firebreak:instance', Values: [target.id] }] }),
        )
      ).Snapshots!;
      expect(snapshots.map((s) => s.VolumeId).sort()).toEqual([...volumes].sort());
      expect(snapshots.map((s) => s.State)).toEqual(snapshots.map(() => 'completed'));
      for (const snapshot of snapshots) {
        const tags: Record<string, string | undefined> = Object.fromEntries(
          snapshot.Tags!.map((t) => [t.Key ?? '', t.Value]),
        );
        expect(tags).toMatchObject({ 'firebreak:incident': 'INC-7', 'firebreak:instance': target.id });
        expect(tags['firebreak:device']).toBe(target.mounts.find((m) => m.name === snapshot.VolumeId)!.destination);
      }
      const stored = result.artefacts.find((a) => a.artefact === 'snapshot')!;
      const record = JSON.parse(readFileSync(stored.location, 'utf8')) as {
        snapshots: Array<{ snapshotId: string; state: string }>;
      };
      expect(record.snapshots.map((s) => s.snapshotId).sort()).toEqual(snapshots.map((s) => s.SnapshotId).sort());
      const consoleText = readFileSync(result.artefacts[0]!.location, 'utf8');
      expect(consoleText).toMatch(/^# firebreak: console output of instance i-/);
      expect(await codeOf(provider.capture({ target, artefacts: ['processes'], sink }))).toBe(ErrorCode.Unsupported);
    });

    it('destroy turns protection off (recorded), keeps the volumes, terminates, and is idempotent', async () => {
      const target = await fresh();
      await provider.protect(target);
      const volumes = target.mounts.map((m) => m.name!);
      const result = await provider.destroy({ target });
      expect(result).toMatchObject({ targetId: target.id, removed: true, keptVolumes: [...volumes].sort() });
      expect(result.changes!.map((c) => [c.what, c.before, c.after])).toEqual(
        expect.arrayContaining([
          ['termination-protection', true, false],
          ['delete-on-termination', true, false],
        ]),
      );
      expect((await describeOne(target.id)).State!.Name).toBe('terminated');
      const left = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumes }))).Volumes!;
      expect(left.map((v) => v.VolumeId).sort()).toEqual([...volumes].sort());
      expect(await provider.destroy({ target })).toMatchObject({ removed: false, alreadyGone: true, changes: [] });
      expect(await codeOf(provider.health({ target }))).toBe(ErrorCode.NotFound);

      // Asked to remove the volumes: they go with the instance.
      const doomed = await fresh();
      const doomedVolumes = doomed.mounts.map((m) => m.name!);
      expect(await provider.destroy({ target: doomed, removeVolumes: true })).toMatchObject({
        removed: true,
        keptVolumes: [],
      });
      const remaining = await ec2.send(
        new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: doomedVolumes }] }),
      );
      expect(remaining.Volumes ?? []).toEqual([]);
    });

    it('redeploys from the pinned AMI in the recorded subnet and groups, tagged, once however often retried', async () => {
      const target = await fresh();
      const ami = await image('redeploy-pinned');
      const first = await provider.redeploy({ target, artefact: { kind: 'ami', ref: ami } });
      const again = await provider.redeploy({ target, artefact: { kind: 'ami', ref: ami } });
      expect(again.target.id).toBe(first.target.id);
      const instance = await describeOne(first.target.id);
      expect(instance.ImageId).toBe(ami);
      expect(instance.SubnetId).toBe(networks[0]);
      expect(instance.NetworkInterfaces![0]!.Groups!.map((g) => g.GroupId)).toEqual([groups[0]]);
      expect(instance.InstanceType).toBe('t3.micro');
      const tags: Record<string, string | undefined> = Object.fromEntries(
        instance.Tags!.map((t) => [t.Key ?? '', t.Value]),
      );
      expect(tags).toMatchObject({ Name: target.name, suite: 'specifics', 'firebreak:replaces': target.id });
      expect(first).toMatchObject({ replaced: target.id, target: { kind: 'aws', image: { pinned: ami } } });

      const other = await fresh();
      for (const artefact of [
        { kind: 'launch-template', ref: 'lt-0123456789abcdef0', version: '$Latest' },
        { kind: 'launch-template', ref: 'lt-0123456789abcdef0', version: '$Default' },
        { kind: 'launch-template', ref: 'lt-0123456789abcdef0' },
        { kind: 'image', ref: 'app@sha256:abc' },
        { kind: 'ami', ref: 'ubuntu-latest' },
      ]) {
        expect(await codeOf(provider.redeploy({ target: other, artefact }))).toBe(ErrorCode.InvalidInput);
      }
      expect((await provider.inventory({ labels: { 'firebreak:replaces': other.id } })).targets).toEqual([]);
      const template = (
        await ec2.send(
          new CreateLaunchTemplateCommand({
            LaunchTemplateName: 'web-template',
            LaunchTemplateData: { ImageId: ami, InstanceType: 't3.small' },
          }),
        )
      ).LaunchTemplate!.LaunchTemplateId!;
      const fromTemplate = await provider.redeploy({
        target: other,
        artefact: { kind: 'launch-template', ref: template, version: '1' },
      });
      expect((await describeOne(fromTemplate.target.id)).ImageId).toBe(ami);

      // A target pinned after isolation carries the quarantine group: refused, not copied.
      const isolated = await fresh();
      await provider.isolate(isolated);
      const [pinned] = (await provider.inventory({ id: isolated.id })).targets;
      const error = await provider
        .redeploy({ target: pinned!, artefact: { kind: 'ami', ref: ami } })
        .catch((caught: unknown) => caught);
      expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
      expect((error as FirebreakError).message).toMatch(/quarantine group/);
    });

    it('health is EC2 state and status checks; indicators are UNSUPPORTED and not a capability', async () => {
      const target = await fresh();
      const healthy = await provider.health({ target });
      expect(healthy).toMatchObject({ targetId: target.id, healthy: true });
      expect(healthy.detail).toMatch(/system status ok, instance status ok/);
      await ec2.send(new StopInstancesCommand({ InstanceIds: [target.id] }));
      expect(await provider.health({ target })).toMatchObject({ healthy: false, detail: 'instance is stopped' });
      expect(await codeOf(provider.health({ target, probe: { url: 'http://127.0.0.1/' } }))).toBe(
        ErrorCode.InvalidInput,
      );
      expect(provider.capabilities.has('indicators')).toBe(false);
      expect(await codeOf(provider.indicators({ target, indicators: [{ kind: 'file', path: '/tmp/x' }] }))).toBe(
        ErrorCode.Unsupported,
      );
    });

    it('builds from the config by name, credentials as references; an unresolvable one is SECRET_UNAVAILABLE', async () => {
      const infra = InfraConfigSchema.parse({
        providers: {
          cloud: { kind: 'aws', region: moto.region, endpoint: moto.endpoint, credentials },
          broken: {
            kind: 'aws',
            region: moto.region,
            endpoint: moto.endpoint,
            credentials: { accessKeyId: 'env:NOPE', secretAccessKey: 'env:AWS_SECRET' },
          },
        },
      });
      const providers = infraProvidersFromConfig(infra, { secrets });
      expect(providers.names()).toEqual(['broken', 'cloud']);
      const built = providers.get('cloud');
      expect(built).toMatchObject({ name: 'cloud', kind: 'aws' });
      const target = await fresh();
      expect((await built.inventory({ id: target.id })).targets.map((t) => t.id)).toEqual([target.id]);
      expect(await codeOf(providers.get('broken').inventory({ id: target.id }))).toBe(ErrorCode.SecretUnavailable);
    });
  });
});
