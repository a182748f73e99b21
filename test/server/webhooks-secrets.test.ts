/**
 * Where the generic webhook's secrets come from: the resolver the entry point gives the app (`configSecrets`),
 * never the process environment; an app whose config names secrets refuses to start without one.
 */
import { randomBytes } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebhooksConfigSchema } from '../../src/config/index.js';
import { createSecretResolver, type SecretResolver } from '../../src/secrets/resolver.js';
import { buildApp } from '../../src/server/app.js';
import { createMemoryAuditLog } from '../../src/server/audit.js';
import { startTestEnv, testConfig, type TestEnv } from '../support/temporal.js';
import { signedHeaders } from './webhooks-harness.js';

let env: TestEnv;

beforeAll(async () => {
  env = await startTestEnv();
});
afterAll(async () => {
  await env?.close();
});

/** A variable name no other test and no environment sets. */
const variable = `FIREBREAK_TEST_WEBHOOK_SECRET_${randomBytes(4).toString('hex').toUpperCase()}`;
const secret = randomBytes(32).toString('hex');

function build(configSecrets?: SecretResolver) {
  return buildApp({
    config: {
      ...testConfig(env.address),
      users: [],
      webhooks: WebhooksConfigSchema.parse({ generic: { secrets: [`env:${variable}`] } }),
    },
    runbooks: { get: () => undefined, list: () => [] },
    temporal: { client: env.client, namespace: 'default', taskQueue: env.taskQueue },
    incidents: env.incidents,
    audit: createMemoryAuditLog(),
    logger: pino({ level: 'silent' }),
    ...(configSecrets === undefined ? {} : { configSecrets }),
  });
}

describe('the generic webhook secrets', () => {
  it('are resolved by the resolver the app is given', async () => {
    const app = await build(createSecretResolver({ env: { [variable]: secret }, baseDir: '/nonexistent' }));
    try {
      const body = JSON.stringify({ kind: 'nothing-routes-this' });
      const signed = await app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/generic',
        headers: signedHeaders(secret, body),
        payload: body,
      });
      // Taken (no route matches it: 202), where a delivery signed with any other secret is refused.
      expect(signed.statusCode).toBe(202);
      const forged = await app.inject({
        method: 'POST',
        url: '/api/v1/webhooks/generic',
        headers: signedHeaders(randomBytes(32).toString('hex'), body),
        payload: body,
      });
      expect(forged.statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });

  it('are never read from the process environment', async () => {
    process.env[variable] = secret;
    try {
      await expect(build(createSecretResolver({ env: {}, baseDir: '/nonexistent' }))).rejects.toThrow(
        `secret env:${variable} is unavailable: environment variable ${variable} is not set`,
      );
    } finally {
      delete process.env[variable];
    }
  });

  it('stop the app from starting when it was given no resolver', async () => {
    await expect(build()).rejects.toThrow(
      'webhooks.generic.secrets is set, but the API was built without a resolver for config secrets',
    );
  });
});
