/**
 * A whole incident driven only by CLI commands against a running `firebreak dev`: trigger (and a dedup
 * hit), decisions, tasks with facts, a fact, an approval, refusals with their exit codes, and the
 * finished incident as `incident show` prints it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import PostalMime from 'postal-mime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../src/actions/registry.js';
import type { CliDeps } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import type { IncidentState } from '../../src/domain/state.js';
import { startDevProcess } from '../support/dev-process.js';
import { eventually } from '../support/poll.js';
import { projectRoot } from '../support/temporal.js';

const RUNBOOK = `apiVersion: firebreak/v1
id: e2e-cli
title: Driven from the CLI
version: 1
severity: sev3
params:
  host: { type: string, required: true }
  attempts: { type: integer, default: 1 }
roles:
  commander: {}
  security: {}
facts:
  entry: { type: string }
  hosts: { type: list }
  records: { type: integer }
steps:
  - { id: aware, title: Became aware, decision: aware }
  - id: triage
    title: Triage
    task: Look at \${{ params.host }}
    assignee: role:commander
    sets: [entry, hosts]
  - id: contain
    title: Contain
    parallel:
      - { id: note, title: Note, action: timeline.note, with: { text: containing } }
      - { id: isolate, title: Isolate, task: Isolate the host, assignee: role:security }
  - { id: scope, title: Scope, decision: scope, options: [contained, spreading], by: role:commander }
  - id: approve
    title: Approve rebuild
    approval: Rebuild \${{ params.host }}
    approvers: [role:commander]
    allowRequester: true # the dev admin triggers and approves
  - { id: wrap-up, title: Wrap up, task: Write it up, assignee: role:commander }
`;

const dataDir = mkdtempSync(path.join(tmpdir(), 'firebreak-cli-e2e-'));
const runbooks = mkdtempSync(path.join(tmpdir(), 'firebreak-cli-runbooks-'));
let dev: ChildProcess | undefined;
let env: NodeJS.ProcessEnv;

/** Runs the CLI in-process, as a person would type the command. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const deps: CliDeps = {
    out: (text) => (out += text),
    err: (text) => (err += text),
    env,
    cwd: projectRoot,
    actions: builtinActionCatalog,
  };
  const code = await runCli(args, deps);
  return { code, out, err };
}

async function state(id: string): Promise<IncidentState> {
  const result = await cli('incident', 'show', id, '--json');
  expect(result.err).toBe('');
  return (JSON.parse(result.out) as { incident: IncidentState }).incident;
}

/** Polls `incident show --json` until the run reaches what `ready` looks for. */
async function until(id: string, ready: (incident: IncidentState) => boolean): Promise<IncidentState> {
  let last: IncidentState | undefined;
  return eventually(
    async () => {
      last = await state(id);
      return ready(last) ? last : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: () => `timed out waiting; state: ${JSON.stringify(last, null, 2)}` },
  );
}

const waiting = (step: string) => (incident: IncidentState) => incident.pending.some((p) => p.step === step);

beforeAll(async () => {
  writeFileSync(path.join(runbooks, 'e2e-cli.yaml'), RUNBOOK);
  // Free ports and no UI (never 8080/7233/8233), so this file runs beside dev.test.ts.
  const spawned: ChildProcess[] = [];
  const started = await startDevProcess({ dataDir, runbooks, started: spawned }).finally(() => (dev = spawned[0]));
  env = { FIREBREAK_URL: started.apiUrl, FIREBREAK_DATA_DIR: dataDir };
});

afterAll(async () => {
  if (dev !== undefined && dev.exitCode === null) {
    const exited = new Promise((resolve) => dev?.once('exit', resolve));
    dev.kill('SIGINT');
    await exited;
  }
  for (const dir of [dataDir, runbooks]) rmSync(dir, { recursive: true, force: true });
});

describe('an incident driven by the CLI against firebreak dev', () => {
  it('runs from trigger to completion, refusing what the run does not accept', async () => {
    const invalid = await cli('trigger', 'e2e-cli', '--param', 'attempts=many');
    expect(invalid.code).toBe(2);
    expect(invalid.err).toContain('params.host');
    expect(invalid.err).toContain('params.attempts');

    const started = await cli('trigger', 'e2e-cli', '--param', 'host=web-1', '--dedup-key', 'e2e-1');
    expect(started.code).toBe(0);
    const id = /^Started incident (\S+)\n$/.exec(started.out)?.[1] ?? '';
    expect(id).not.toBe('');
    expect(await cli('trigger', 'e2e-cli', '--param', 'host=web-1', '--dedup-key', 'e2e-1')).toEqual({
      code: 0,
      out: `Incident ${id} is already open for dedup key e2e-1\n`,
      err: '',
    });
    expect((await state(id)).params).toEqual({ host: 'web-1', attempts: 1 });

    await until(id, waiting('aware'));
    expect((await cli('decide', id, 'aware')).code).toBe(0);

    await until(id, waiting('triage'));
    const triage = ['task', 'complete', id, 'triage', '--fact', 'entry=phishing', '--fact', 'hosts=["web-1","web-2"]'];
    expect(await cli(...triage, '--suspected', 'hosts', '--note', 'mail logs')).toEqual({
      code: 0,
      out: `Completed task triage on incident ${id}\n`,
      err: '',
    });
    expect((await cli('task', 'complete', id, 'triage')).code).toBe(5);

    await until(id, waiting('isolate'));
    expect((await cli('task', 'complete', id, 'isolate')).code).toBe(0);
    expect((await cli('fact', 'set', id, 'records=120', '--suspected')).code).toBe(0);

    await until(id, waiting('scope'));
    const wrongOption = await cli('decide', id, 'scope', '--option', 'everywhere');
    expect(wrongOption.code).toBe(2);
    expect((await cli('decide', id, 'scope', '--option', 'contained')).code).toBe(0);

    const asked = await until(id, waiting('approve'));
    // Without --text-hash, approve shows the text and its hash and votes nothing.
    const refusedVote = await cli('approve', id, 'approve', '--comment', 'go');
    expect(refusedVote.code).toBe(2);
    expect(refusedVote.out).toContain('Rebuild web-1');
    const textHash = asked.approvals.approve?.textHash ?? '';
    expect(refusedVote.out).toContain(textHash);
    expect((await cli('approve', id, 'approve', '--text-hash', textHash, '--comment', 'go')).code).toBe(0);

    await until(id, waiting('wrap-up'));
    expect((await cli('task', 'complete', id, 'wrap-up')).code).toBe(0);

    const done = await until(id, (incident) => incident.status === 'completed');
    expect(done.facts.entry).toMatchObject({ value: 'phishing', status: 'confirmed', setBy: 'admin' });
    expect(done.facts.hosts).toMatchObject({ value: ['web-1', 'web-2'], status: 'suspected' });
    expect(done.facts.records).toMatchObject({ value: 120, status: 'suspected' });
    expect(done.decisions.scope).toMatchObject({ option: 'contained', by: 'admin' });
    expect(done.approvals.approve?.votes).toMatchObject([{ voter: 'admin', vote: 'approve', comment: 'go' }]);
    expect(done.triggeredBy).toBe('admin');
    // Every command after the trigger is recorded as coming from the CLI.
    const actions = done.timeline.filter((event) => event.actor === 'admin');
    expect(actions.map((event) => event.type)).toEqual([
      'incident.started',
      'decision.recorded',
      'fact.set',
      'fact.set',
      'task.completed',
      'task.completed',
      'fact.set',
      'decision.recorded',
      'approval.approved',
      'task.completed',
    ]);
    expect(actions.every((event) => event.source === 'cli')).toBe(true);

    const shown = await cli('incident', 'show', id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Incident ${id}  Driven from the CLI`);
    expect(shown.out).toMatch(/ {4}isolate +task +succeeded +Isolate +by admin/);
    expect(shown.out).toMatch(/admin\/cli +task\.completed +Triage completed: mail logs/);

    const listed = await cli('incident', 'list', '--runbook', 'e2e-cli');
    expect(listed.out).toMatch(new RegExp(`${id} +e2e-cli +sev3 +completed`));
    expect(await cli('incident', 'show', 'no-such-incident')).toMatchObject({ code: 4, out: '' });
  });

  it('refuses a wrong token with exit 3', async () => {
    env = { ...env, FIREBREAK_TOKEN: 'not-the-token' };
    try {
      expect(await cli('incident', 'list')).toMatchObject({ code: 3, out: '' });
    } finally {
      delete env.FIREBREAK_TOKEN;
    }
  });

  it('works as a separate process: output on stdout, refusals on stderr with their exit code', async () => {
    const run = (...args: string[]) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
          cwd: projectRoot,
          env: { ...process.env, ...env, FIREBREAK_TOKEN: '' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
        child.once('exit', (code) => resolve({ code, out, err }));
      });
    const started = await run('trigger', 'e2e-cli', '--param', 'host=web-9', '--json');
    expect(started).toMatchObject({ code: 0, err: '' });
    const { incidentId } = JSON.parse(started.out) as { incidentId: string };
    // --quiet prints the id alone, for ID=$(firebreak trigger ... --quiet); a dedup hit prints the open one.
    const quiet = await run('trigger', 'e2e-cli', '--param', 'host=web-8', '--dedup-key', 'quiet-1', '--quiet');
    expect(quiet).toMatchObject({ code: 0, err: '' });
    expect(quiet.out).toMatch(/^e2e-cli-\S+\n$/);
    const again = await run('trigger', 'e2e-cli', '--param', 'host=web-8', '--dedup-key', 'quiet-1', '--quiet');
    expect(again).toEqual({ code: 0, out: quiet.out, err: '' });
    expect((await run('incident', 'cancel', quiet.out.trim(), '--reason', 'test over')).code).toBe(0);
    const refused = await run('approve', incidentId, 'no-such-step');
    expect(refused.code).toBe(4);
    expect(refused.out).toBe('');
    expect(refused.err).toMatch(/^error: not found: .*no-such-step/);
    expect((await run('incident', 'cancel', incidentId, '--reason', 'test over')).code).toBe(0);
  });

  it('sends the starter runbook regulator and customer notices through the embedded default', async () => {
    const params = {
      system: 'support-db',
      firstSeen: '2026-11-22T08:10:00Z',
      organisation: 'Acme Cloud GmbH',
      affectedSystem: 'our customer support portal',
      authorityEmail: 'breach-notification@dpa.example',
      customerList: 'affected-customers@lists.acme.example',
      supportEmail: 'privacy@acme.example',
    };
    const trigger = ['trigger', 'personal-data-exfiltration'];
    for (const [name, value] of Object.entries(params)) trigger.push('--param', `${name}=${value}`);
    const started = await cli(...trigger);
    const id = /^Started incident (\S+)\n$/.exec(started.out)?.[1] ?? '';
    expect(id).not.toBe('');

    await until(id, waiting('aware'));
    expect((await cli('decide', id, 'becameAware')).code).toBe(0);
    await until(id, waiting('scope'));
    const scope = ['task', 'complete', id, 'scope', '--fact', 'recordsAffected=1200', '--suspected', 'recordsAffected'];
    scope.push('--fact', 'dataSubjectsAffected=1140', '--suspected', 'dataSubjectsAffected');
    scope.push(
      '--fact',
      'dataCategories=["names","email addresses"]',
      '--fact',
      'exfiltrationStart=2026-11-21T23:40:00Z',
    );
    scope.push('--fact', 'currentStatus=Contained; scoping the export.');
    expect((await cli(...scope, '--fact', 'specialCategories=false')).code).toBe(0);
    await until(id, waiting('confirm'));
    expect((await cli('decide', id, 'breachConfirmed', '--option', 'yes')).code).toBe(0);
    await until(id, waiting('assess'));
    const assess = [
      'task',
      'complete',
      id,
      'assess',
      '--fact',
      'breachNature=A leaked API key was used to export profiles.',
    ];
    assess.push('--fact', 'likelyConsequences=Targeted phishing.', '--fact', 'measuresTaken=["revoked the key"]');
    expect((await cli(...assess, '--fact', 'measuresProposed=["hardware keys for support staff"]')).code).toBe(0);
    await until(id, waiting('risk'));
    expect((await cli('decide', id, 'highRisk', '--option', 'yes')).code).toBe(0);

    await until(id, waiting('notify-supervisory-authority'));
    const pending = await cli('comms', 'pending');
    const row = new RegExp(`${id} +notify-supervisory-authority +regulator-breach-notice +email +(\\S+)`);
    const short = row.exec(pending.out)?.[1] ?? '';
    const shown = await cli('comms', 'show', id, 'notify-supervisory-authority');
    expect(shown.out).toContain(
      'Approximate number of personal data records concerned: up to 1,200 (still under investigation)',
    );
    const fingerprint = /fingerprint +(sha256:[0-9a-f]{64})/.exec(shown.out)?.[1] ?? '';
    // What comms pending prints is a prefix of the fingerprint with an ellipsis, and approves as pasted.
    expect(short).toBe(`${fingerprint.slice(0, 'sha256:'.length + 16)}…`);
    const approveRegulator = ['comms', 'approve', id, 'notify-supervisory-authority', '--fingerprint'];
    // Refused, and no vote recorded: another text's fingerprint or prefix, or a prefix too short to name one.
    expect((await cli(...approveRegulator, `sha256:${'0'.repeat(64)}`)).code).toBe(5);
    expect((await cli(...approveRegulator, `sha256:${'0'.repeat(16)}`)).code).toBe(5);
    const tooShort = await cli(...approveRegulator, fingerprint.slice(0, 'sha256:'.length + 12));
    expect(tooShort.code).toBe(2);
    expect(tooShort.err).toContain('fingerprint');
    expect((await state(id)).messages?.['notify-supervisory-authority']?.votes).toEqual([]);
    expect(await cli(...approveRegulator, short)).toMatchObject({ code: 0, err: '' });
    const approved = await until(
      id,
      (incident) => (incident.messages?.['notify-supervisory-authority']?.votes.length ?? 0) > 0,
    );
    expect(approved.messages?.['notify-supervisory-authority']?.votes).toMatchObject([
      { voter: 'admin', vote: 'approve' },
    ]);

    await until(id, waiting('inform-data-subjects'));
    const customer = (await state(id)).messages?.['inform-data-subjects'];
    expect(customer?.channels.map((channel) => channel.channel)).toEqual(['email', 'statuspage']);
    const approve = ['comms', 'approve', id, 'inform-data-subjects', '--fingerprint', customer?.fingerprint ?? ''];
    expect((await cli(...approve)).code).toBe(0);
    await until(id, waiting('breach-register'));
    const base = env.FIREBREAK_URL ?? '';
    const resolvedSection = async () =>
      (await (await fetch(`${base}/status`)).text()).split('Resolved incidents')[1] ?? '';

    // The final public update resolves the incident on the page, and only once the DPO approves it as rendered.
    await until(id, waiting('status-page-resolved'));
    const final = (await state(id)).messages?.['status-page-resolved'];
    expect(final?.channels.map((channel) => [channel.channel, channel.parts.state])).toEqual([
      ['statuspage', 'resolved'],
    ]);
    expect(await resolvedSection()).not.toContain('Security incident affecting customer data');
    const resolve = ['comms', 'approve', id, 'status-page-resolved', '--fingerprint', final?.fingerprint ?? ''];
    expect((await cli(...resolve)).code).toBe(0);
    await until(id, (incident) =>
      incident.steps.some((s) => s.id === 'status-page-resolved' && s.status === 'succeeded'),
    );
    expect(await resolvedSection()).toContain('Security incident affecting customer data');

    const outbox = path.join(dataDir, 'outbox');
    const mails = await Promise.all(
      readdirSync(outbox).map((name) => PostalMime.parse(readFileSync(path.join(outbox, name)))),
    );
    const regulator = mails.find((mail) => mail.to?.[0]?.address === 'breach-notification@dpa.example');
    expect(regulator?.subject).toBe(
      `Personal data breach notification under GDPR Art. 33: Acme Cloud GmbH, reference ${id}`,
    );
    expect(regulator?.text).toContain('up to 1,140 (still under investigation)');
    // When it began (the fact), was first observed (firstSeen) and became known: never the trigger time.
    expect(regulator?.text?.replace(/\r\n/g, '\n')).toContain(
      'Breach began (earliest known time data left): 21 November 2026, 23:40 UTC\nDetected (first observed): 22 November 2026, 08:10 UTC\n',
    );
    // Signed and sent by the from role (dpo), not by the dev admin who holds every role.
    expect(regulator?.from?.name).toBe('Data Protection Officer');
    expect(regulator?.text?.replace(/\r\n/g, '\n')).toContain(
      'Data Protection Officer\nAcme Cloud GmbH incident response',
    );
    expect(regulator?.text).not.toContain('Firebreak admin');
    const notice = mails.find((mail) => mail.to?.[0]?.address === 'affected-customers@lists.acme.example');
    expect(notice?.replyTo?.[0]?.address).toBe('privacy@acme.example');
    expect(notice?.from?.name).toBe('Customer communications');
    expect(notice?.text).not.toContain('Firebreak admin');
    // The MIME framing adds the line break before the boundary of the multipart (text + HTML) message.
    expect(notice?.text?.replace(/\r\n/g, '\n').trimEnd()).toBe(customer?.channels[0]?.parts.text?.trimEnd());
    // The internal updates went to the roles' members without approval: in dev, the admin's own mailbox.
    const internal = mails.filter((mail) => mail.to?.[0]?.address === 'admin@localhost').map((mail) => mail.subject);
    expect(internal).toEqual(
      expect.arrayContaining([
        `[sev1] Responder update: Personal data exfiltrated (${id})`,
        'Executive briefing: Personal data exfiltrated (sev1)',
      ]),
    );
    // The public page names the incident by an opaque id: neither the incident id nor the runbook shows.
    const index = await fetch(`${base}/status`).then((response) => response.text());
    const links = [...index.matchAll(/href="(\/status\/incidents\/[0-9a-f]{32})"/g)].map((match) => match[1] ?? '');
    const pages = await Promise.all(links.map((link) => fetch(`${base}${link}`).then((response) => response.text())));
    const page = pages.find((text) => text.includes('we detected unauthorised access to our customer support portal'));
    expect(page).toBeDefined();
    for (const text of [index, ...pages]) {
      expect(text).not.toContain(id);
      expect(text).not.toContain('personal-data-exfiltration');
      expect(text).not.toContain('Personal data exfiltrated');
    }
  });
});
