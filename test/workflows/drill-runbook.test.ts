/**
 * A restore drill as a runbook, through the real interpreter and worker: select the newest backup of a
 * directory, verify it, restore it into a scratch directory with checks, and record the drill. A drill
 * within its targets completes and is recorded as passed; one that misses its RPO target is recorded as
 * failed and fails its record step with DRILL_FAILED; a corrupt backup is recorded as failed too.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { backupFilesAction } from '../../src/actions/backup/backup-files.js';
import { listManifests } from '../../src/backup/catalog.js';
import type { BackupDeps } from '../../src/backup/deps.js';
import { readDrillHistory } from '../../src/backup/drills/history.js';
import { DEFAULT_LAYOUT, type BackupManifest } from '../../src/backup/manifest.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { projectRoot, startTestEnv, stepOf, type TestEnv } from '../support/temporal.js';
import { flipped, recordingContext } from '../unit/backup/support.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-runbook-'));
let env: TestEnv;
let deps: BackupDeps;
let siteBackup: BackupManifest;

const runbook = `
apiVersion: firebreak/v1
id: site-drill
title: Site restore drill
version: 1
severity: sev4
params:
  source: { type: string, default: site }
  rpo: { type: string, default: 26h }
steps:
  - id: select
    title: Choose the newest backup
    action: backup.select
    with: { source: "\${{ params.source }}", rule: latest }
  - id: verify
    title: Verify it against its manifest
    action: backup.verify
    with: { source: "\${{ params.source }}", backup: "\${{ steps.select.output.chosen.id }}" }
    onFailure: continue
  - id: restore
    title: Restore into a scratch directory and check it
    action: restore.files
    when: steps.verify.status == 'succeeded'
    with:
      source: "\${{ params.source }}"
      backup: "\${{ steps.select.output.chosen.id }}"
      checks:
        - { name: up, kind: starts }
        - { name: hashes, kind: file-hashes }
  - id: record
    title: Record the drill
    action: drill.record
    with:
      runbook: site-drill
      startedAt: "\${{ incident.startedAt }}"
      # Steps passed whole and (restore) spelled out: drill.record takes both.
      select: "\${{ steps.select }}"
      verify: "\${{ steps.verify }}"
      restore:
        status: "\${{ steps.restore.status }}"
        output: "\${{ has(steps.restore.output) ? steps.restore.output : null }}"
      targets: { rto: 5m, rpo: "\${{ params.rpo }}" }
`;

/** Takes a backup of `source` with the backup.files action and returns its manifest. */
async function takeBackup(source: string): Promise<BackupManifest> {
  const { ctx } = recordingContext({ stepId: 'backup' });
  await backupFilesAction(deps).execute({ source }, ctx);
  const found = await listManifests(deps.store, DEFAULT_LAYOUT, source);
  const newest = found.manifests.sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
  if (!newest) throw new Error(`no backup of ${source}`);
  return newest;
}

beforeAll(async () => {
  for (const name of ['site', 'broken']) {
    mkdirSync(path.join(scratch, name, 'css'), { recursive: true });
    writeFileSync(path.join(scratch, name, 'index.html'), `<h1>${name}</h1>`);
    writeFileSync(path.join(scratch, name, 'css', 'main.css'), 'body { margin: 0 }');
  }
  mkdirSync(path.join(scratch, 'restore'));
  deps = {
    store: await createFsStore({ dir: path.join(scratch, 'blobs') }),
    layout: DEFAULT_LAYOUT,
    postgres: {},
    directories: { site: { path: path.join(scratch, 'site') }, broken: { path: path.join(scratch, 'broken') } },
    restore: { directory: path.join(scratch, 'restore'), staging: path.join(scratch, 'staging') },
    secrets: createSecretResolver({ env: {}, baseDir: scratch }),
  };
  siteBackup = await takeBackup('site');
  const broken = await takeBackup('broken');
  const chunks: Buffer[] = [];
  for await (const chunk of await deps.store.get(broken.key)) chunks.push(chunk as Buffer);
  await deps.store.put(broken.key, flipped(Buffer.concat(chunks), 20));
  // The worker builds its backup actions from `storage` and `backups` in the config, as in production.
  env = await startTestEnv({
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    configure: (config) => ({
      ...config,
      storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') },
      backups: { postgres: {}, directories: deps.directories, restore: { directory: deps.restore.directory } },
    }),
  });
}, 120_000);

afterAll(async () => {
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a restore drill runbook', () => {
  it('completes within its targets and is recorded as passed', async () => {
    const plan = env.compile(runbook);
    const id = await env.trigger(plan);
    const result = await env.incidents.result(id);
    expect(result.status).toBe('completed');
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'record').output).toMatchObject({ record: { status: 'passed', incidentId: id } });
    const notes = state.timeline.map((event) => event.message).join('\n');
    expect(notes).toContain('Selected backup');
    expect(notes).toContain('Verified backup');
    expect(notes).toContain('Drill passed');
    const history = await readDrillHistory(deps.store, 'site-drill');
    const record = history.records.find((drill) => drill.incidentId === id);
    expect(record).toMatchObject({
      status: 'passed',
      checks: [
        { name: 'up', status: 'PASS' },
        { name: 'hashes', status: 'PASS' },
      ],
    });
    expect(record?.rtoMs).toBeGreaterThan(0);
    expect(record?.phases).toMatchObject({
      select: expect.any(Number) as number,
      verify: expect.any(Number) as number,
    });
  });

  it('records a missed RPO target as a failed drill and fails the record step with DRILL_FAILED', async () => {
    // The RPO is the age of the newest backup when the drill starts: wait until it is older than the 1s
    // target (usually already, after the first drill), rather than sleeping a fixed second.
    await vi.waitFor(() => expect(Date.now() - Date.parse(siteBackup.createdAt)).toBeGreaterThan(1_000), {
      timeout: 5_000,
      interval: 50,
    });
    const id = await env.trigger(env.compile(runbook), { rpo: '1s' });
    await env.incidents.result(id).catch(() => undefined);
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'record')).toMatchObject({ status: 'failed', error: { code: 'DRILL_FAILED' } });
    expect(stepOf(state, 'record').error?.message).toContain('missed the target of 1s');
    const history = await readDrillHistory(deps.store, 'site-drill');
    expect(history.records.find((drill) => drill.incidentId === id)?.status).toBe('failed');
  });

  it('records a corrupt backup as a failed drill: verify failed, nothing restored', async () => {
    const id = await env.trigger(env.compile(runbook), { source: 'broken' });
    await env.incidents.result(id).catch(() => undefined);
    const state = await env.incidents.state(id);
    expect(stepOf(state, 'verify')).toMatchObject({ status: 'failed', error: { code: 'BACKUP_CORRUPT' } });
    expect(stepOf(state, 'restore').status).toBe('skipped');
    const history = await readDrillHistory(deps.store, 'site-drill');
    expect(history.records.find((drill) => drill.incidentId === id)?.reasons).toEqual([
      'the verify step failed',
      'the restore step did not succeed (skipped)',
      'nothing was verified: the drill ran no checks',
      'RTO not measured (the restore did not finish); target 5m',
    ]);
  });

  it('runs the starter files-restore-drill: a passing drill stays quiet, a failed one alerts the owners', async () => {
    // The starter runbook as shipped, with the owners role bound to alice (the test roster has no owners).
    const starter = readFileSync(path.join(projectRoot, 'runbooks/files-restore-drill.yaml'), 'utf8').replace(
      'owners: { description: Own the files; told when a drill fails, sender: { name: Firebreak restore drills } }',
      'owners: { members: [alice@example.com], sender: { name: Firebreak restore drills } }',
    );
    const plan = env.compile(starter);
    const passed = await env.trigger(plan, { source: 'site' });
    expect((await env.incidents.result(passed)).status).toBe('completed');
    const quiet = await env.incidents.state(passed);
    expect(stepOf(quiet, 'record').status).toBe('succeeded');
    expect(stepOf(quiet, 'alert').status).toBe('skipped');

    const failed = await env.trigger(plan, { source: 'broken' });
    expect((await env.incidents.result(failed)).status).toBe('completed');
    const alerted = await env.incidents.state(failed);
    expect(stepOf(alerted, 'record').error?.code).toBe('DRILL_FAILED');
    expect(alerted.messages?.alert?.status).toBe('sent');
    const outbox = path.join(scratch, 'data', 'outbox');
    const mail = readdirSync(outbox)
      .filter((name) => name.includes(failed.slice(0, 20)) || name.includes('alice@example.com'))
      .map((name) => readFileSync(path.join(outbox, name), 'utf8'))
      .find((text) => text.includes(failed));
    expect(mail).toContain('Subject: Restore drill FAILED: broken');
    // From the owners role as the runbook names it, not from alice, who holds the role.
    expect(mail).toMatch(/^From: Firebreak restore drills <[^>]+>\r$/m);
    const history = await readDrillHistory(deps.store, 'files-restore-drill');
    expect(history.records.map((drill) => [drill.incidentId, drill.status])).toEqual(
      expect.arrayContaining([
        [passed, 'passed'],
        [failed, 'failed'],
      ]),
    );
  });
});
