/**
 * The starter drill-watch runbook through the real interpreter and worker: when the drill history in the
 * blob store has no passing drill within the window, its check fails with DRILL_STALE and the notify step
 * emails the owners; with a fresh passing drill the check reports it and the alert is skipped.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drillKey, evaluateDrill, type DrillRecord } from '../../src/backup/drills/drill.js';
import type { Plan } from '../../src/domain/plan.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { projectRoot, startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-watch-'));
const outbox = path.join(scratch, 'data', 'outbox');
const HOUR_MS = 3_600_000;
let env: TestEnv;
let store: BlobStore;
let plan: Plan;

/** Appends a drill record of `runbook` started `hoursAgo`, stored as drill.record stores it. */
async function recordDrill(runbook: string, hoursAgo: number, status: DrillRecord['status']): Promise<DrillRecord> {
  const startedAt = new Date(Date.now() - hoursAgo * HOUR_MS).toISOString();
  const incidentId = `${runbook}-${hoursAgo}h`;
  const record = evaluateDrill(
    {
      runbook,
      startedAt,
      backup: { id: '20250101T000000000Z-00000000', createdAt: startedAt, size: 10, sha256: 'a'.repeat(64) },
      checks: [
        {
          name: 'hashes',
          kind: 'file-hashes',
          status: status === 'passed' ? 'PASS' : 'FAIL',
          reason: '',
          durationMs: 1,
        },
      ],
    },
    incidentId,
    new Date(startedAt),
  );
  await store.put(drillKey(runbook, startedAt, incidentId), Buffer.from(JSON.stringify(record)));
  return record;
}

/** The headers of the `.eml` the outbox holds for an incident, unfolded (RFC 5322 folds long ones). */
function mailHeadersOf(incidentId: string): string | undefined {
  if (!existsSync(outbox)) return undefined;
  const mails = readdirSync(outbox).map((name) => readFileSync(path.join(outbox, name), 'utf8'));
  const headers = mails.map((text) => (text.split('\r\n\r\n')[0] ?? '').replace(/\r\n(?=[ \t])/g, ''));
  return headers.find((text) => text.includes(incidentId));
}

beforeAll(async () => {
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  env = await startTestEnv({
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({ ...config, storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') } }),
  });
  // The starter runbook as shipped, with the owners role bound to alice (the test roster has no owners).
  const starter = readFileSync(path.join(projectRoot, 'runbooks/drill-watch.yaml'), 'utf8').replace(
    'owners: { description: Own the backups; told when no drill has passed, sender: { name: Firebreak restore drills } }',
    'owners: { members: [alice@example.com], sender: { name: Firebreak restore drills } }',
  );
  plan = env.compile(starter);
}, 120_000);

afterAll(async () => {
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the drill-watch runbook', () => {
  it('emails the owners when the last passing drill is older than the window', async () => {
    const lastPass = await recordDrill('stale-drill', 5 * 24, 'passed');
    await recordDrill('stale-drill', 4 * 24, 'failed');
    const id = await env.trigger(plan, { drill: 'stale-drill', within: '3d' });
    expect((await env.incidents.result(id)).status).toBe('completed');
    const state = await env.incidents.state(id);
    const check = stepOf(state, 'check');
    expect(check).toMatchObject({ status: 'failed', error: { code: 'DRILL_STALE' } });
    expect(check.error?.message).toContain(
      `no passing drill of stale-drill within 3d: last pass ${lastPass.startedAt} (5d`,
    );
    expect(check.error?.message).toContain('ago, incident stale-drill-120h); 1 of 2 recent drills passed (50%)');
    expect(stepOf(state, 'alert').status).toBe('succeeded');
    expect(state.messages?.alert?.status).toBe('sent');
    const headers = mailHeadersOf(id);
    expect(headers).toContain(`Subject: No passing restore drill of stale-drill in 3d (${id})`);
    expect(headers).toMatch(/^To: alice@example\.com$/m);
  });

  it('emails the owners when no drill was ever recorded', async () => {
    const id = await env.trigger(plan, { drill: 'unknown-drill' });
    expect((await env.incidents.result(id)).status).toBe('completed');
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'check').error?.message).toContain('never passed; no drill has been recorded');
    expect(mailHeadersOf(id)).toContain(`Subject: No passing restore drill of unknown-drill in 3d (${id})`);
  });

  it('stays quiet when a drill passed within the window', async () => {
    await recordDrill('fresh-drill', 10 * 24, 'failed');
    const lastPass = await recordDrill('fresh-drill', 2, 'passed');
    const id = await env.trigger(plan, { drill: 'fresh-drill' });
    expect((await env.incidents.result(id)).status).toBe('completed');
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'check')).toMatchObject({
      status: 'succeeded',
      output: { lastPassedAt: lastPass.startedAt, incidentId: 'fresh-drill-2h', drills: 2, passed: 1, passRate: 0.5 },
    });
    expect(stepOf(state, 'alert').status).toBe('skipped');
    expect(mailHeadersOf(id)).toBeUndefined();
  });
});
