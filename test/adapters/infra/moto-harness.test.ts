/**
 * The moto harness the aws provider's tests stand on (harness/moto.ts): a fresh, empty account on a
 * loopback port of its own, answering EC2 only there, and nothing listening once it stops.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { motoMissing, startMoto } from '../../../harness/moto.js';

const missing = motoMissing();

describe.skipIf(missing !== undefined)(`the moto test harness${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('starts an empty account on loopback, and stops listening when stopped', async () => {
    const moto = await startMoto();
    const endpoint = new URL(moto.endpoint);
    expect(endpoint.hostname).toBe('127.0.0.1');
    const ec2 = new EC2Client({
      endpoint: moto.endpoint,
      region: moto.region,
      maxAttempts: 1,
      credentials: { accessKeyId: moto.accessKeyId, secretAccessKey: moto.secretAccessKey },
    });
    try {
      expect((await ec2.send(new DescribeInstancesCommand({}))).Reservations ?? []).toEqual([]);
      await moto.stop();
      await expect(ec2.send(new DescribeInstancesCommand({}))).rejects.toThrow();
    } finally {
      ec2.destroy();
    }
  }, 60_000);
});
