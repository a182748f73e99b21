/**
 * A schedule runs a restore drill that lands in the drill history: the starter files-restore-drill is
 * scheduled through ScheduleService against the dev server, triggered, and its run restores a real
 * backup of a directory; the run shows its incident, and that incident's drill record says passed.
 */
import { createSecretCatalog } from '../../src/secrets/declared.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import { backupFilesAction } from '../../src/actions/backup/backup-files.js';
import { backupDepsFromConfig } from '../../src/backup/from-config.js';
import { readDrillHistory } from '../../src/backup/drills/history.js';
import type { BackupsConfig } from '../../src/config/index.js';
import { KIND_ATTRIBUTE } from '../../src/domain/search-attributes.js';
import { loadRunbookDirs } from '../../src/runbook/loader.js';
import { ScheduleService } from '../../src/schedules/client.js';
import { prepareSchedule } from '../../src/schedules/prepare.js';
import { createSecretResolver } from '../../src/secrets/resolver.js';
import type { BlobStore } from '../../src/storage/blob-store.js';
import { createFsStore } from '../../src/storage/fs-store.js';
import { loadTemplateDirs } from '../../src/templating/index.js';
import { eventually } from '../support/poll.js';
import { projectRoot, startTestEnv, type TestEnv } from '../support/temporal.js';
import { recordingContext } from '../unit/backup/support.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-drill-schedule-'));
const backups: BackupsConfig = {
  postgres: {},
  directories: { site: { path: path.join(scratch, 'site') } },
  restore: { directory: path.join(scratch, 'restore') },
};
let env: TestEnv;
let store: BlobStore;
let schedules: ScheduleService;
const created: string[] = [];

/** The starter runbooks and templates as shipped, as the worker loads them for each scheduled run. */
async function starterRunbooks() {
  const templates = await loadTemplateDirs([path.join(projectRoot, 'templates')]);
  return loadRunbookDirs([path.join(projectRoot, 'runbooks')], { actions: builtinActionCatalog, templates });
}

beforeAll(async () => {
  mkdirSync(path.join(scratch, 'site', 'css'), { recursive: true });
  mkdirSync(path.join(scratch, 'restore'));
  writeFileSync(path.join(scratch, 'site', 'index.html'), '<h1>site</h1>');
  writeFileSync(path.join(scratch, 'site', 'css', 'main.css'), 'body { margin: 0 }');
  store = await createFsStore({ dir: path.join(scratch, 'blobs') });
  const secrets = createSecretResolver({ env: {}, baseDir: scratch });
  const deps = backupDepsFromConfig(backups, { store, secrets, dataDir: path.join(scratch, 'data') });
  await backupFilesAction(deps).execute({ source: 'site' }, recordingContext({ stepId: 'backup' }).ctx);
  // A passing drill never reaches its alert step, so the starter's owners role may stay empty here.
  env = await startTestEnv({
    templates: [path.join(projectRoot, 'templates')],
    dataDir: path.join(scratch, 'data'),
    runbooks: starterRunbooks,
    configure: (config) => ({ ...config, storage: { type: 'filesystem', dir: path.join(scratch, 'blobs') }, backups }),
  });
  schedules = new ScheduleService(env.client, env.taskQueue);
}, 120_000);

afterAll(async () => {
  await Promise.all(created.map((id) => schedules.delete(id).catch(() => undefined)));
  await env?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('a scheduled restore drill', () => {
  it('runs on trigger, shows its incident, and appears in the drill history as passed', async () => {
    const catalog = await starterRunbooks();
    expect(catalog.issues).toEqual([]);
    const prepared = prepareSchedule(catalog.runbooks, createSecretCatalog(), {
      runbook: 'files-restore-drill',
      cron: '0 2 * * *',
      params: { source: 'site' },
      createdBy: 'alice',
    });
    if (!prepared.ok) throw new Error(JSON.stringify(prepared.problems));
    const schedule = await schedules.create(prepared.schedule);
    created.push(schedule.scheduleId);
    await schedules.trigger(schedule.scheduleId);

    const shown = await eventually(async () => {
      const detail = await schedules.get(schedule.scheduleId);
      return detail.recentRuns[0]?.incidentStatus === 'completed' ? detail : undefined;
    }, 60_000);
    const run = shown.recentRuns[0]!;
    expect(shown.recentRuns).toHaveLength(1);
    expect(run).toMatchObject({
      version: 3,
      incidentId: expect.stringMatching(/^files-restore-drill-\d{8}-[0-9a-f]{8}$/) as unknown,
    });
    const state = await env.incidents.state(run.incidentId!);
    expect(state).toMatchObject({ triggeredBy: `schedule:${schedule.scheduleId}`, status: 'completed' });
    // A drill is a scheduled job: its run carries FirebreakKind=job, so incident lists leave it out.
    const described = await env.client.workflow.getHandle(run.incidentId!).describe();
    expect(described.typedSearchAttributes.get(KIND_ATTRIBUTE)).toBe('job');

    const history = await readDrillHistory(store, 'files-restore-drill');
    const record = history.records.find((drill) => drill.incidentId === run.incidentId);
    expect(record).toMatchObject({
      status: 'passed',
      reasons: [],
      backup: { source: 'site', kind: 'files' },
      checks: [{ name: 'file hashes', kind: 'file-hashes', status: 'PASS' }],
    });
  });
});
