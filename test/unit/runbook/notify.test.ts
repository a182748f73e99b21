/** `notify` steps: checked against the runbook and the message templates, compiled with the templates embedded. */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NotifyStep, Plan } from '../../../src/domain/plan.js';
import { compileRunbook } from '../../../src/runbook/catalog.js';
import type { Result } from '../../../src/diagnostics/located-issue.js';
import { kindOfPlanStep } from '../../../src/runbook/kinds/index.js';
import { loadTemplateDirs, type TemplateCatalog } from '../../../src/templating/catalog.js';
import { embedMessage } from '../../../src/templating/embedded.js';
import { brief, TEMPLATES, testActions } from './helpers.js';

let templates: TemplateCatalog;

beforeAll(async () => {
  templates = await loadTemplateDirs([TEMPLATES]);
  expect(templates.problems).toEqual([]);
});

// `null` compiles without any templates.
function compile(text: string, catalog: TemplateCatalog | null = templates): Result<Plan> {
  return compileRunbook(
    { file: 'notify.yaml', bytes: Buffer.from(text) },
    { actions: testActions, ...(catalog && { templates: catalog }) },
  );
}

function planOf(text: string): Plan {
  const result = compile(text);
  if (!result.ok) throw new Error(`expected a valid runbook, got:\n${brief(result.issues).join('\n')}`);
  return result.value;
}

function issuesOf(text: string, catalog: TemplateCatalog | null = templates): string[] {
  const result = compile(text, catalog);
  if (result.ok) throw new Error('expected the runbook to have problems, but it compiled');
  return brief(result.issues);
}

function notifyStep(plan: Plan, id: string): NotifyStep {
  const found = plan.steps.find((step) => step.id === id);
  if (found?.kind !== 'notify') throw new Error(`no notify step ${id}`);
  return found;
}

// The steps given start on line 24.
function runbook(steps: string): string {
  return `apiVersion: firebreak/v1
id: notify
title: Notify
version: 1
severity: sev2
params:
  organisation: { type: string, default: Example Ltd }
  status: { type: string, default: Investigating }
  contact: { type: string, default: dpo@example.com }
  token: { type: secret }
roles:
  commander: { escalateTo: legal }
  legal: { escalateTo: ciso }
  ciso: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
steps:
  - { id: aware, title: Record when we became aware, decision: becameAware }
  - id: scope
    title: Establish what was accessed
    parallel:
      - { id: logs, title: Read the logs, task: Review the access logs, sets: [recordsAffected, dataCategories] }
${steps}`;
}

const REGULATOR = `  - id: tell
    title: Notify the supervisory authority
    timeout: 4h
    notify:
      message: breach-notice
      channels: [email, webhook]
      to: { email: [dpa@authority.example, role:legal, "\${{ params.contact }}"], webhook: [ops-bridge] }
      from: role:commander
      replyTo: dpo@example.com
      approvers: [role:legal]
      quorum: 1
      requires: [recordsAffected, dataCategories]
      fourEyes: true
      onTimeout: escalate
      repeat: { every: 30m, until: close, preApproved: true }
  - { id: close, title: Close, wait: 1m }
`;

describe('compiling notify steps', () => {
  it('compiles every field, with the message templates embedded', () => {
    const embedded = embedMessage(templates, 'breach-notice', ['email', 'webhook']);
    if (!embedded.ok) throw new Error('the fixture message should embed');
    expect(notifyStep(planOf(runbook(REGULATOR)), 'tell')).toEqual({
      kind: 'notify',
      id: 'tell',
      title: 'Notify the supervisory authority',
      timeoutMs: 14_400_000,
      onFailure: 'abort',
      tags: [],
      loc: { line: 24, col: 5 },
      message: 'breach-notice',
      channels: ['email', 'webhook'],
      to: { email: ['dpa@authority.example', 'role:legal', '${{ params.contact }}'], webhook: ['ops-bridge'] },
      from: { role: 'commander' },
      replyTo: 'dpo@example.com',
      approvers: [{ role: 'legal' }],
      quorum: 1,
      requires: ['recordsAffected', 'dataCategories'],
      fourEyes: true,
      allowRequester: false,
      onTimeout: 'escalate',
      repeat: { everyMs: 1_800_000, until: 'close', preApproved: true },
      templates: embedded.value,
    });
  });

  it('embeds the sources, the partials they call and the variables they use', () => {
    const { templates: message } = notifyStep(planOf(runbook(REGULATOR)), 'tell');
    expect(Object.keys(message.channels)).toEqual(['email', 'webhook']);
    expect(message.channels.email?.subject).toBe('Personal data breach at {{params.organisation}}\n');
    expect(message.files.webhook?.json).toBe(path.join(TEMPLATES, 'breach-notice', 'webhook.json.hbs'));
    expect(Object.keys(message.partials)).toEqual(['signature']);
    expect(message.variables).toContain('decisions.becameAware.at');
    expect(message.variables).toContain('incident.runbook.title');
    expect(message.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('applies the defaults, and reads `repeat: 30m` as a repeat without pre-approval', () => {
    const step = `  - id: update
    title: Update the operators
    notify: { message: ops-update, channels: [chat, statuspage], to: { chat: [exec-chat] }, from: role:commander, repeat: 30m }
`;
    const plan = planOf(runbook(step));
    expect(notifyStep(plan, 'update')).toMatchObject({
      to: { chat: ['exec-chat'] },
      approvers: [],
      requires: [],
      fourEyes: false,
      allowRequester: false,
      onTimeout: 'reject',
      repeat: { everyMs: 1_800_000, preApproved: false },
    });
    expect(notifyStep(plan, 'update')).not.toHaveProperty('quorum');
    expect(Object.isFrozen(notifyStep(plan, 'update').templates.channels)).toBe(true);
  });

  it('describes itself in one line for `runbook show`', () => {
    const plan = planOf(runbook(REGULATOR));
    expect(kindOfPlanStep(notifyStep(plan, 'tell')).describe(notifyStep(plan, 'tell'))).toBe(
      'notify breach-notice via email, webhook  from role:commander  approved by role:legal  quorum 1  repeats every 30m',
    );
  });

  it('compiles against the starter templates in templates/', async () => {
    const starter = await loadTemplateDirs([path.resolve(import.meta.dirname, '../../../templates')]);
    expect(starter.problems).toEqual([]);
    const text = `apiVersion: firebreak/v1
id: starter
title: Starter
version: 1
severity: sev1
params:
  organisation: { type: string, required: true }
  timeZone: { type: string, default: Europe/Berlin }
  dpoContact: { type: string }
  firstSeen: { type: datetime, required: true }
roles:
  commander: {}
  legal: {}
facts:
  exfiltrationStart: { type: datetime }
  breachNature: { type: string }
  dataCategories: { type: list }
  dataSubjectsAffected: { type: integer }
  recordsAffected: { type: integer }
  likelyConsequences: { type: string }
  measuresTaken: { type: list }
  measuresProposed: { type: list }
  delayReason: { type: string }
steps:
  - { id: aware, title: Record when we became aware, decision: becameAware }
  - id: scope
    title: Establish the scope
    task: Establish what was accessed
    sets: [exfiltrationStart, breachNature, dataCategories, dataSubjectsAffected, recordsAffected, likelyConsequences, measuresTaken, measuresProposed]
  - id: tell
    title: Notify the supervisory authority
    notify:
      message: regulator-breach-notice
      channels: [email]
      to: { email: [dpa@authority.example] }
      from: role:commander
      approvers: [role:legal]
      requires: [recordsAffected, dataCategories]
`;
    const result = compile(text, starter);
    expect(result.ok ? [] : brief(result.issues)).toEqual([]);
    if (result.ok) expect(notifyStep(result.value, 'tell').templates.partials).toHaveProperty('signature');
  });
});

describe('checking notify steps', () => {
  it('refuses a notify step when no templates were loaded', () => {
    expect(issuesOf(runbook(REGULATOR), null)).toEqual([
      '28:16 steps[2].notify.message notify needs message templates and none were loaded: set `templates.dirs` in the config file, or pass `--templates <dir>` to `runbook validate`',
    ]);
  });

  it('counts facts set by tasks anywhere, including tasks that failed the schema', () => {
    const steps = `  - { id: later, title: Later, task: Find more, sets: [recordsAffected], due: soon }
  - id: tell
    title: Tell
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, requires: [recordsAffected] }
`;
    const text = runbook(steps).replace('sets: [recordsAffected, dataCategories]', 'sets: [dataCategories]');
    expect(issuesOf(text)).toEqual(['24:79 steps[2].due expected a duration such as 30s, 15m, 4h, 3d or 2w']);
  });

  it('still checks the variables of the channels that exist when one does not', () => {
    const steps = `  - id: tell
    title: Tell
    notify: { message: ops-update, channels: [chat, email], to: { chat: [c], email: [a@example.com] }, from: role:commander }
`;
    const text = runbook(steps).replace('  status: { type: string, default: Investigating }\n', '');
    expect(issuesOf(text)).toEqual([
      `25:24 steps[2].notify.message template ${path.join(TEMPLATES, 'ops-update', 'chat.text.hbs')} uses \`params.status\`, which this runbook does not declare`,
      '25:53 steps[2].notify.channels[1] message `ops-update` has no templates for channel `email` (it has: chat, statuspage); add templates/ops-update/email.<part>.hbs',
    ]);
  });

  it('keeps secret params out of recipients and reports onTimeout without approvers', () => {
    const steps = `  - id: tell
    title: Tell
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, onTimeout: abort }
  - id: mail
    title: Mail
    notify: { message: breach-notice, channels: [email], to: { email: ["\${{ params.token }}"] }, from: role:commander }
`;
    expect(issuesOf(runbook(steps))).toEqual([
      '26:106 steps[2].notify.onTimeout `onTimeout` applies to the approval, but this message has no approvers',
      '29:72 steps[3].notify.to.email[0] secret param `token` cannot appear here: secrets are only interpolated into `with` of action and runbook steps',
    ]);
  });

  it('takes an e-mail address or a template as replyTo', () => {
    const steps = `  - id: tell
    title: Tell
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, replyTo: "\${{ params.contact }}" }
  - id: mail
    title: Mail
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, replyTo: nobody }
`;
    expect(issuesOf(runbook(steps))).toEqual([
      '29:104 steps[3].notify.replyTo `nobody` is not an e-mail address or a ${{ }} template',
    ]);
  });

  it('reports a wrong `repeat` in the form it was written in', () => {
    const steps = `  - id: tell
    title: Tell
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, repeat: 5 }
  - id: again
    title: Again
    notify: { message: ops-update, channels: [chat], to: { chat: [c] }, from: role:commander, repeat: { every: 1h, until: 5 } }
`;
    expect(issuesOf(runbook(steps))).toEqual([
      '26:103 steps[2].notify.repeat expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '29:123 steps[3].notify.repeat.until expected text, got 5',
    ]);
  });
});
