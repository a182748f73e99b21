/** The compiler: a valid runbook becomes the frozen plan a workflow runs, children embedded. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ActionStep, ApprovalStep, ParallelStep, Plan, RunbookStep, TaskStep } from '../../../src/domain/plan.js';
import { loadRunbookDirs, loadRunbookFile } from '../../../src/runbook/loader.js';
import { FIXTURES, planOf, runbook, testActions } from './helpers.js';

const VALID = path.join(FIXTURES, 'valid');
const SAMPLE = path.join(VALID, 'sample-incident.yaml');
let plan: Plan;

beforeAll(async () => {
  const catalog = await loadRunbookDirs([VALID], { actions: testActions });
  expect(catalog.issues).toEqual([]);
  plan = catalog.runbooks.get('sample-incident')!.plan;
});

function step<T>(id: string): T {
  const found = [...plan.steps, ...(plan.steps.find((s) => s.id === 'contain') as ParallelStep).branches].find(
    (s) => s.id === id,
  );
  if (!found) throw new Error(`no step ${id}`);
  return found as T;
}

describe('compiled plan', () => {
  it('carries identity, version and the sha256 of the file bytes', () => {
    const hash = createHash('sha256').update(readFileSync(SAMPLE)).digest('hex');
    expect(plan).toMatchObject({
      format: 1,
      runbookId: 'sample-incident',
      title: 'Sample incident',
      version: 3,
      contentHash: `sha256:${hash}`,
      description: 'Uses every available step kind.',
      severity: 'sev2',
      tags: ['respond'],
      source: { file: SAMPLE },
    });
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.steps)).toBe(true);
    expect(Object.isFrozen(step<ActionStep>('revoke').with)).toBe(true);
    expect(Object.isFrozen(step<RunbookStep>('recover').plan.steps[0])).toBe(true);
  });

  it('compiles params with normalised defaults', () => {
    expect(plan.params).toEqual({
      credentialId: { type: 'string', required: true, description: 'Key id' },
      exposedAt: { type: 'datetime', required: false, default: '2024-05-01T10:00:00.000Z' },
      service: { type: 'string', required: false, default: 'api', enum: ['api', 'billing'] },
      attempts: { type: 'integer', required: false, default: 3 },
      apiToken: { type: 'secret', required: false },
    });
  });

  it('compiles roles with deduplicated members and escalation in ms', () => {
    expect(plan.roles).toEqual({
      commander: { members: [], escalateTo: 'ciso', afterMs: 1_800_000 },
      security: { members: ['bob@example.com'] },
      ciso: { members: [] },
    });
  });

  it('collects decisions from decision steps', () => {
    expect(plan.decisions).toEqual({ personalData: { options: ['yes', 'no'] }, becameAware: {} });
  });

  it('compiles deadlines with sorted reminders', () => {
    expect(plan.deadlines).toEqual([
      {
        id: 'regulator',
        title: 'Notify the regulator',
        startsAt: { decision: 'becameAware' },
        withinMs: 259_200_000,
        remindMs: [86_400_000, 172_800_000],
        remindTo: { role: 'commander' },
        metBy: { step: 'notify-regulator' },
        when: 'decisions.personalData == "yes"',
      },
    ]);
  });

  it('compiles an action step with retry, timeout, compensation and location', () => {
    expect(step<ActionStep>('revoke')).toEqual({
      kind: 'action',
      id: 'revoke',
      title: 'Revoke ${{ params.credentialId }}',
      timeoutMs: 120_000,
      retry: { maxAttempts: 5, initialIntervalMs: 1_000, maximumIntervalMs: 60_000, backoffCoefficient: 2 },
      onFailure: 'abort',
      compensate: 'restore-key',
      tags: [],
      loc: { line: 36, col: 5 },
      action: 'http.request',
      with: {
        method: 'POST',
        url: 'https://keys.internal.example/revoke/${{ params.credentialId }}',
        headers: { Authorization: 'Bearer ${{ params.apiToken }}' },
      },
    });
  });

  it('compiles task, approval and wait steps', () => {
    expect(step<TaskStep>('scope')).toMatchObject({
      kind: 'task',
      assignee: { role: 'security' },
      sets: ['recordsAffected', 'compromiseStart'],
      dueMs: 14_400_000,
    });
    expect(step<ApprovalStep>('approve')).toMatchObject({
      kind: 'approval',
      approval: 'Rebuild ${{ params.service }}',
      approvers: [{ role: 'commander' }, { role: 'security' }],
      quorum: 2,
      timeoutMs: 7_200_000,
      onTimeout: 'escalate',
    });
    expect(step('settle')).toMatchObject({ kind: 'wait', waitMs: 900_000, tags: ['cooldown'] });
    expect(step('aware')).toEqual({
      kind: 'decision',
      id: 'aware',
      title: 'Became aware',
      onFailure: 'abort',
      tags: [],
      loc: { line: 53, col: 5 },
      decision: 'becameAware',
    });
  });

  it('compiles parallel branches with their own locations', () => {
    const contain = step<ParallelStep>('contain');
    expect(contain.branches.map((branch) => [branch.id, branch.kind, branch.loc, branch.onFailure])).toEqual([
      ['rotate', 'action', { line: 67, col: 9 }, 'abort'],
      ['note', 'action', { line: 68, col: 9 }, 'continue'],
    ]);
  });

  it('embeds the child runbook plan', () => {
    const recover = step<RunbookStep>('recover');
    expect(recover).toMatchObject({
      kind: 'runbook',
      runbook: 'restore-backup',
      with: { before: '${{ facts.compromiseStart }}' },
      retry: { maxAttempts: 2 },
    });
    expect(recover.plan.runbookId).toBe('restore-backup');
    expect(recover.plan.version).toBe(2);
    expect(recover.plan.roles.infra).toEqual({ members: ['carol'] });
  });

  it('keys compensations by id', () => {
    expect(Object.keys(plan.compensations)).toEqual(['restore-key']);
    expect(plan.compensations['restore-key']).toMatchObject({
      kind: 'action',
      action: 'http.request',
      loc: { line: 96, col: 5 },
    });
  });
});

describe('loadRunbookFile', () => {
  it('compiles a file whose children are given as known plans', async () => {
    const child = await loadRunbookFile(path.join(VALID, 'restore-backup.yaml'), { actions: testActions });
    if (!child.ok) throw new Error('child should be valid');
    const parent = await loadRunbookFile(SAMPLE, {
      actions: testActions,
      known: new Map([['restore-backup', child.value]]),
    });
    expect(parent.ok && parent.value.steps.map((s) => s.id)).toEqual([
      'revoke',
      'personal-data',
      'aware',
      'scope',
      'contain',
      'approve',
      'notify-regulator',
      'recover',
      'settle',
    ]);
  });

  it('reports a child that is not loaded', async () => {
    const parent = await loadRunbookFile(SAMPLE, { actions: testActions });
    expect(parent.ok).toBe(false);
    expect(!parent.ok && parent.issues.map((i) => [i.line, i.path, i.message])).toEqual([
      [86, 'steps[7].runbook', 'unknown runbook `restore-backup`: no loaded runbook has this id'],
    ]);
  });
});

describe('defaults', () => {
  it('fills optional fields with their defaults', () => {
    const compiled = planOf(runbook('  - { id: w, title: W, wait: 30s }\n'));
    expect(compiled.tags).toEqual([]);
    expect(compiled.deadlines).toEqual([]);
    expect(compiled.compensations).toEqual({});
    expect(compiled.steps[0]).toEqual({
      kind: 'wait',
      id: 'w',
      title: 'W',
      onFailure: 'abort',
      tags: [],
      loc: { line: 17, col: 5 },
      waitMs: 30_000,
    });
  });
});
