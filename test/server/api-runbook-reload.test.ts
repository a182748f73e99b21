/**
 * Editing a runbook file while the API runs over a live catalog: the next trigger runs the new version,
 * the incident already running keeps the plan it was triggered with, and nothing is restarted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import type { IncidentState } from '../../src/domain/state.js';
import { createLiveCatalog, type LiveCatalog } from '../../src/runbook/live-catalog.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness } from './support.js';

const runbookId = `api-reload-${randomBytes(3).toString('hex')}`;
const runbook = (version: number, task: string) => `
apiVersion: firebreak/v1
id: ${runbookId}
title: Reload
version: ${version}
severity: sev3
roles:
  commander: {}
steps:
  - id: hold
    title: Hold
    task: ${task}
    assignee: role:commander
`;

let env: TestEnv;
let api: ApiHarness;
let live: LiveCatalog;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-reload-'));
  writeFileSync(path.join(dir, 'reload.yaml'), runbook(1, 'First wording'));
  const load = () => loadRunbookDirs([dir], { actions: builtinActionCatalog });
  live = createLiveCatalog({
    initial: await load(),
    load,
    watch: { runbooks: [dir] },
    logger: pino({ level: 'silent' }),
  });
  await live.refresh(); // the first check takes the files' fingerprint (and reloads once)
  env = await startTestEnv();
  api = await buildHarness(env, { runbooks: live });
});
afterAll(async () => {
  await api?.app.close();
  await live?.close();
  await env?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function trigger(): Promise<IncidentState> {
  const response = await api.call('alice', {
    method: 'POST',
    url: '/api/v1/incidents',
    payload: { runbook: runbookId },
  });
  expect(response.statusCode).toBe(201);
  const { incidentId } = response.json<{ incidentId: string }>();
  return waitForStep(env.incidents, incidentId, 'hold', 'waiting');
}

describe('a runbook edited while the API runs', () => {
  it('is triggered at its new version, and the incident in flight keeps its plan', async () => {
    const before = await trigger();
    expect(before.runbook.version).toBe(1);

    writeFileSync(path.join(dir, 'reload.yaml'), runbook(2, 'Second wording, a little longer'));
    expect(await live.refresh()).toBe(true);
    const shown = await api.call('alice', { method: 'GET', url: `/api/v1/runbooks/${runbookId}` });
    expect(shown.json<{ runbook: { version: number } }>().runbook.version).toBe(2);
    const after = await trigger();
    expect(after.runbook.version).toBe(2);
    expect(after.pending).toEqual([
      expect.objectContaining({ step: 'hold', prompt: 'Second wording, a little longer' }),
    ]);

    const unchanged = await env.incidents.state(before.incidentId);
    expect(unchanged.runbook.version).toBe(1);
    expect(unchanged.pending).toEqual([expect.objectContaining({ step: 'hold', prompt: 'First wording' })]);
  });
});
