/**
 * blobStoreFromConfig with the S3 tuning of `storage`: part size, parts in flight and timeouts reach
 * `createS3Store`, and a configured idle timeout is what a call to a server that stops talking waits for.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { S3StorageConfig } from '../../../src/config/index.js';
import { loadConfig } from '../../../src/config/load.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import { createSecretResolver } from '../../../src/secrets/resolver.js';
import { blobStoreFromConfig, s3StoreOptions } from '../../../src/storage/from-config.js';
import { S3_DEFAULTS } from '../../../src/storage/s3-store.js';

const MIB = 1024 * 1024;
const secrets = createSecretResolver({
  env: { AWS_ACCESS_KEY_ID: 'test-key', AWS_SECRET_ACCESS_KEY: 'test-secret-0123456789' },
  baseDir: '/',
});

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-storage-config-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The S3 `storage` section of a config file whose S3 part is `s3` (YAML, indented by two spaces). */
function s3Storage(s3: string): S3StorageConfig {
  writeFileSync(path.join(dir, 'firebreak.yaml'), `storage:\n  type: s3\n  bucket: firebreak\n${s3}`);
  const result = loadConfig({}, { cwd: dir });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  if (result.value.storage?.type !== 's3') throw new Error('expected an S3 storage section');
  return result.value.storage;
}

describe('s3StoreOptions', () => {
  it('passes part size, parts in flight and timeouts to the store', () => {
    const storage = s3Storage(
      '  multipart: { partSize: 16MiB, queueSize: 6 }\n  timeouts: { connect: 2s, idle: 45s }\n',
    );
    expect(s3StoreOptions(storage, { secrets })).toEqual({
      bucket: 'firebreak',
      region: 'us-east-1',
      forcePathStyle: false,
      accessKeyId: 'env:AWS_ACCESS_KEY_ID',
      secretAccessKey: 'env:AWS_SECRET_ACCESS_KEY',
      secrets,
      partSize: 16 * MIB,
      queueSize: 6,
      connectionTimeoutMs: 2_000,
      idleTimeoutMs: 45_000,
    });
  });

  it('leaves out what the file does not set, so the store uses its defaults', () => {
    const options = s3StoreOptions(s3Storage('  multipart: { queueSize: 2 }\n'), { secrets });
    expect(options.queueSize).toBe(2);
    for (const name of ['partSize', 'connectionTimeoutMs', 'idleTimeoutMs'] as const)
      expect(name in options).toBe(false);
  });
});

describe('blobStoreFromConfig with S3 timeouts', () => {
  let server: Server;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('fails a call to a server that accepts connections and says nothing after the configured idle timeout', async () => {
    // Not an S3 server: a listener that never answers, which only the idle timeout can end.
    server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const storage = s3Storage(
      `  endpoint: http://127.0.0.1:${port}\n  forcePathStyle: true\n  timeouts: { idle: 1s }\n`,
    );
    const store = await blobStoreFromConfig(storage, { dataDir: dir, secrets });
    const started = Date.now();
    const error: unknown = await store.head('silent/x').catch((caught: unknown) => caught);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.Transient);
    // 3 attempts of 1 s each, plus the SDK's backoff; the default idle timeout would take 3 x 30 s.
    expect(sockets.length).toBe(S3_DEFAULTS.maxAttempts);
    expect(elapsed).toBeGreaterThanOrEqual(2_900);
    expect(elapsed).toBeLessThan(10_000);
  });
});
