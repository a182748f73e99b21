/**
 * The fixture identities (the roster, alice to mallory), the config and the trigger input built over them:
 * shared by in-process tests, the separate worker process, the benches and scripts/record-histories.ts
 * (no vitest imports).
 */
import { createSecretCatalog, type DeclaredSecret } from '../src/secrets/declared.js';
import path from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { FirebreakConfig } from '../src/config/index.js';
import type { Plan } from '../src/domain/plan.js';
import type { Actor } from '../src/domain/state.js';
import { prepareIncident } from '../src/incidents/prepare.js';
import type { StartIncident } from '../workflows/definitions.js';

export const projectRoot = path.resolve(import.meta.dirname, '..');
export const scriptsDir = path.join(projectRoot, 'test/fixtures/scripts');

let runtimeQuieted = false;

/** The roster every workflow test uses. */
export const roster = [
  { id: 'alice', email: 'alice@example.com', roles: ['commander'] },
  { id: 'bob', email: 'bob@example.com', roles: ['security'] },
  { id: 'carol', email: 'carol@example.com', roles: ['legal'] },
  { id: 'dave', email: 'dave@example.com', roles: ['ciso'] },
  { id: 'erin', email: 'erin@example.com', roles: ['commander', 'security'] },
  { id: 'frank', email: 'frank@example.com', roles: ['security'] },
];

export const alice: Actor = { id: 'alice', email: 'alice@example.com' };
export const bob: Actor = { id: 'bob', email: 'bob@example.com' };
export const carol: Actor = { id: 'carol', email: 'carol@example.com' };
export const dave: Actor = { id: 'dave', email: 'dave@example.com' };
export const erin: Actor = { id: 'erin', email: 'erin@example.com' };
export const frank: Actor = { id: 'frank', email: 'frank@example.com' };
export const mallory: Actor = { id: 'mallory', email: 'mallory@example.com' };

/** Keeps the SDK's own logging to errors, once per test process. */
export function quietTemporalRuntime(): void {
  if (runtimeQuieted) return;
  runtimeQuieted = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed in this process
  }
}

/** A config for tests: loopback HTTP allowed, scripts from test/fixtures/scripts. */
export function testConfig(address: string): FirebreakConfig {
  return {
    users: roster,
    runbooks: { dirs: [] },
    templates: { dirs: [] },
    temporal: { address, namespace: 'default' },
    secrets: {},
    actions: {
      http: {
        allow: ['http://127.0.0.1:*'],
        allowLinkLocal: false,
        maxResponseBytes: 65_536,
        defaultTimeoutMs: 10_000,
      },
      command: { scriptsDir, maxOutputBytes: 65_536, defaultTimeoutMs: 30_000 },
    },
  };
}

/** The workflow input for a plan, as a trigger by alice would prepare it; throws when the trigger is refused. */
export function startInput(
  plan: Plan,
  params: Record<string, unknown> = {},
  extra: { dedupKey?: string; severity?: string } = {},
  secrets: Record<string, DeclaredSecret> = {},
): StartIncident {
  const prepared = prepareIncident(
    new Map([[plan.runbookId, { plan }]]),
    roster,
    {
      runbook: plan.runbookId,
      params,
      actor: alice,
      ...extra,
    },
    createSecretCatalog(secrets),
  );
  if (!prepared.ok) throw new Error(`trigger refused: ${JSON.stringify(prepared.problems)}`);
  return prepared.start;
}
