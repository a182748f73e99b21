/**
 * Scheduled jobs are not incidents: a runbook with `kind: job` runs like any other, but `GET /incidents`
 * and `firebreak incident list` leave its runs out unless asked (`?kind=job|all`, `--kind`, `--all`), on
 * every start path (the API, a dedup key, a runbook step's child), against the real dev server. Runs
 * started before `FirebreakKind` existed count as incidents, and read authorization still applies.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import type { CliDeps } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import type { Plan } from '../../src/domain/plan.js';
import {
  KIND_ATTRIBUTE,
  RUNBOOK_ATTRIBUTE,
  SEVERITY_ATTRIBUTE,
  STATUS_ATTRIBUTE,
} from '../../src/domain/search-attributes.js';
import type { IncidentSummary } from '../../src/incidents/list.js';
import { eventually } from '../support/poll.js';
import { projectRoot, startInput, startTestEnv, waitForStep, type TestEnv } from '../support/temporal.js';
import { buildHarness, type ApiHarness, type ApiUser } from './support.js';

const suffix = randomBytes(3).toString('hex');
const jobId = `kind-job-${suffix}`;
const incidentId = `kind-incident-${suffix}`;
const parentId = `kind-parent-${suffix}`;

const job = `
apiVersion: firebreak/v1
id: ${jobId}
title: Nightly backup
version: 1
severity: sev4
kind: job
steps:
  - { id: note, title: Note, action: timeline.note, with: { text: backed up } }
`;

const incident = `
apiVersion: firebreak/v1
id: ${incidentId}
title: Leak
version: 1
severity: sev2
roles:
  commander: {}
steps:
  - { id: hold, title: Hold, task: Hold it open, assignee: role:commander }
`;

// An incident whose step runs the job runbook as a child: the child is listed by its own runbook's kind.
const parent = `
apiVersion: firebreak/v1
id: ${parentId}
title: Recover
version: 1
severity: sev1
roles:
  commander: {}
steps:
  - { id: backup, title: Back up first, runbook: ${jobId} }
  - { id: hold, title: Hold, task: Hold it open, assignee: role:commander }
`;

let env: TestEnv;
let api: ApiHarness;
let jobPlan: Plan;
let incidentPlan: Plan;
let ids: { job: string; dedupJob: string; incident: string; parent: string; child: string; legacy: string };
let url: string;

beforeAll(async () => {
  env = await startTestEnv();
  jobPlan = env.compile(job);
  incidentPlan = env.compile(incident);
  const parentPlan = env.compile(parent, job);
  api = await buildHarness(env, {
    plans: [jobPlan, incidentPlan, parentPlan],
    access: { trigger: {}, read: ['auditor'] },
  });
  const trigger = async (runbook: string, dedupKey?: string) => {
    const payload = { runbook, ...(dedupKey === undefined ? {} : { dedupKey }) };
    const response = await api.call('alice', { method: 'POST', url: '/api/v1/incidents', payload });
    expect(response.statusCode).toBe(201);
    return response.json<{ incidentId: string }>().incidentId;
  };
  const jobRun = await trigger(jobId);
  const dedupJob = await trigger(jobId, `nightly-${suffix}`);
  const incidentRun = await trigger(incidentId);
  const parentRun = await trigger(parentId);
  // An incident as started before FirebreakKind existed: no kind in its plan nor in its search attributes.
  const { kind: _kind, ...oldPlan } = incidentPlan;
  const legacy = `kind-legacy-${suffix}`;
  await env.client.workflow.start('incidentWorkflow', {
    workflowId: legacy,
    taskQueue: env.taskQueue,
    args: [startInput(oldPlan as Plan)],
    typedSearchAttributes: [
      { key: RUNBOOK_ATTRIBUTE, value: incidentId },
      { key: SEVERITY_ATTRIBUTE, value: 'sev2' },
      { key: STATUS_ATTRIBUTE, value: 'running' },
    ],
  });
  await waitForStep(env.incidents, parentRun, 'hold', 'waiting');
  await waitForStep(env.incidents, legacy, 'hold', 'waiting');
  ids = {
    job: jobRun,
    dedupJob,
    incident: incidentRun,
    parent: parentRun,
    child: `${parentRun}.backup`,
    legacy,
  };
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await api?.app.close();
  await env?.close();
});

/** The ids a user's `GET /incidents` lists with this query, among this file's runs. */
async function listed(as: ApiUser, query: string): Promise<string[]> {
  const response = await api.call(as, { method: 'GET', url: `/api/v1/incidents${query}` });
  expect(response.statusCode).toBe(200);
  const mine = new Set(Object.values(ids));
  return response
    .json<{ incidents: IncidentSummary[] }>()
    .incidents.map((summary) => summary.incidentId)
    .filter((id) => mine.has(id))
    .sort();
}

/** Polls until visibility lists exactly `expected` (it lags a moment behind the runs). */
async function expectListed(as: ApiUser, query: string, expected: string[]): Promise<void> {
  const want = [...expected].sort();
  await eventually(async () => ((await listed(as, query)).join() === want.join() ? true : undefined));
  expect(await listed(as, query)).toEqual(want);
}

describe('GET /incidents and kinds', () => {
  it('lists only incidents by default: no job, whichever way it started; a run from before kinds is one', async () => {
    await expectListed('dana', '', [ids.incident, ids.parent, ids.legacy]);
    await expectListed('dana', '?kind=incident', [ids.incident, ids.parent, ids.legacy]);
  });

  it('lists only jobs with ?kind=job, and both with ?kind=all, each summary saying its kind', async () => {
    await expectListed('dana', '?kind=job', [ids.job, ids.dedupJob, ids.child]);
    await expectListed('dana', '?kind=all', Object.values(ids));
    const response = await api.call('dana', { method: 'GET', url: '/api/v1/incidents?kind=all&limit=500' });
    const kinds = Object.fromEntries(
      response.json<{ incidents: IncidentSummary[] }>().incidents.map((summary) => [summary.incidentId, summary.kind]),
    );
    expect(kinds).toMatchObject({
      [ids.job]: 'job',
      [ids.dedupJob]: 'job',
      [ids.child]: 'job',
      [ids.incident]: 'incident',
      [ids.parent]: 'incident',
      [ids.legacy]: 'incident',
    });
    const described = await env.client.workflow.getHandle(ids.job).describe();
    expect(described.typedSearchAttributes.get(KIND_ATTRIBUTE)).toBe('job');
  });

  it('keeps read authorization: jobs and incidents alike only for those who may read them', async () => {
    // Alice triggered every run (the legacy one through startInput; the child inherits its parent's).
    await expectListed('alice', '?kind=all', Object.values(ids));
    await expectListed('alice', '?kind=job', [ids.job, ids.dedupJob, ids.child]);
    expect(await listed('mallory', '?kind=all')).toEqual([]);
    expect(await listed('mallory', '?kind=job')).toEqual([]);
  });

  it("says each runbook's kind in GET /runbooks", async () => {
    const response = await api.call('dana', { method: 'GET', url: '/api/v1/runbooks' });
    const kinds = Object.fromEntries(
      response.json<{ runbooks: Array<{ id: string; kind: string }> }>().runbooks.map((r) => [r.id, r.kind]),
    );
    expect(kinds).toEqual({ [jobId]: 'job', [incidentId]: 'incident', [parentId]: 'incident' });
  });

  it('refuses an unknown kind with 400 naming the parameter', async () => {
    const response = await api.call('dana', { method: 'GET', url: '/api/v1/incidents?kind=jobs' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('kind');
  });
});

describe('firebreak incident list and kinds', () => {
  async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const deps: CliDeps = {
      out: (text) => (out += text),
      err: (text) => (err += text),
      env: { FIREBREAK_URL: url, FIREBREAK_TOKEN: api.tokens.dana },
      cwd: projectRoot,
      actions: builtinActionCatalog,
    };
    const code = await runCli(args, deps);
    return { code, out, err };
  }
  const rows = (out: string) => out.split('\n').filter((line) => line.includes(suffix));

  it('hides jobs by default and shows them with --kind job or --all, with a KIND column when mixed', async () => {
    await expectListed('dana', '?kind=all', Object.values(ids));
    const plain = await cli('incident', 'list', '--limit', '500');
    expect(plain.code).toBe(0);
    expect(plain.out).toMatch(/^ID +RUNBOOK +SEVERITY +STATUS/);
    expect(
      rows(plain.out)
        .map((line) => line.split(/ +/)[0])
        .sort(),
    ).toEqual([ids.incident, ids.parent, ids.legacy].sort());

    const jobs = await cli('incident', 'list', '--kind', 'job', '--limit', '500');
    expect(
      rows(jobs.out)
        .map((line) => line.split(/ +/)[0])
        .sort(),
    ).toEqual([ids.job, ids.dedupJob, ids.child].sort());

    const all = await cli('incident', 'list', '--all', '--limit', '500');
    expect(all.out).toMatch(/^ID +RUNBOOK +KIND +SEVERITY +STATUS/);
    const kinds: Record<string, string | undefined> = {};
    for (const [id = '', , kind] of rows(all.out).map((line) => line.split(/ +/))) kinds[id] = kind;
    expect(kinds).toEqual({
      [ids.job]: 'job',
      [ids.dedupJob]: 'job',
      [ids.child]: 'job',
      [ids.incident]: 'incident',
      [ids.parent]: 'incident',
      [ids.legacy]: 'incident',
    });
  });

  it('refuses --all with another --kind, and an unknown kind, with exit 2', async () => {
    expect(await cli('incident', 'list', '--all', '--kind', 'job')).toMatchObject({
      code: 2,
      out: '',
      err: 'error: --all lists every kind; it cannot be given with --kind job\n',
    });
    const unknown = await cli('incident', 'list', '--kind', 'jobs');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('kind');
  });
});
