/**
 * `firebreak comms preview` with the real starter templates (`templates/`): a runbook in a scratch
 * directory, a config naming the roster, facts from a file. Parts verbatim, the fingerprint, suspected
 * facts with their caveat, and every input or render problem refused with what is wrong.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './client-support.js';
import { firebreak } from '../docs/shell-commands.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');

const runbook = `
apiVersion: firebreak/v1
id: preview-breach
title: Preview breach
version: 1
severity: sev2
params:
  organisation: { type: string, default: Example Ltd }
  timeZone: { type: string, default: Europe/Berlin }
  ticket: { type: string, required: true }
  reviewAt: { type: datetime, required: true }
  affectedSystem: { type: string, default: the billing database }
  customerAdvice: { type: string, default: Watch out for phishing. }
  supportEmail: { type: string, default: help@example.com }
  firstSeen: { type: datetime, default: '2025-02-28T22:00:00Z' }
roles:
  commander: { sender: { name: Incident desk, email: desk@example.com } }
  responders: {}
facts:
  recordsAffected: { type: integer }
  dataCategories: { type: list }
  breachNature: { type: string }
  measuresTaken: { type: list }
  currentStatus: { type: string }
  exfiltrationStart: { type: datetime }
steps:
  - id: scope
    title: Scope
    task: Establish what was read
    assignee: role:responders
    sets: [recordsAffected, dataCategories, breachNature, measuresTaken, currentStatus, exfiltrationStart]
  - id: aware
    title: Aware?
    decision: breachConfirmed
  - id: tell
    title: Tell everyone
    parallel:
      - id: update
        title: Update the responders
        notify:
          message: responder-update
          channels: [email, chat]
          to: { email: [role:responders], chat: [ops-chat] }
          from: role:commander
          approvers: [role:commander]
          repeat: 2h
      - id: customers
        title: Tell the customers
        notify:
          message: customer-breach-notice
          channels: [email]
          to: { email: [customers@example.net] }
          from: role:commander
          approvers: [role:commander]
`;

const config = `
users:
  - { id: alice, name: Alice Adams, email: alice@example.com, roles: [commander] }
  - { id: rita, email: rita@example.com, roles: [responders] }
runbooks: { dirs: [./runbooks] }
templates: { dirs: [${JSON.stringify(path.join(ROOT, 'templates'))}] }
`;

const facts = {
  recordsAffected: 1200,
  dataCategories: ['names', 'e-mail addresses'],
  breachNature: 'A replica was copied.',
  measuresTaken: ['revoked the key'],
  currentStatus: 'Contained',
  exfiltrationStart: '2025-02-27T03:00:00Z',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-preview-'));
  mkdirSync(path.join(dir, 'runbooks'));
  writeFileSync(path.join(dir, 'runbooks', 'preview-breach.yaml'), runbook);
  writeFileSync(path.join(dir, 'firebreak.yaml'), config);
  writeFacts('facts.json', facts);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFacts(name: string, value: unknown): string {
  writeFileSync(path.join(dir, name), JSON.stringify(value));
  return name;
}

const PARAMS = ['--param', 'ticket=INC-1', '--param', 'reviewAt=2025-03-01T12:00:00Z'];

function preview(step: string, ...args: string[]) {
  return cli(['comms', 'preview', 'preview-breach', step, ...args], {}, dir);
}

describe('firebreak comms preview', () => {
  it('renders every channel verbatim from the real templates, with the fingerprint, and sends nothing', async () => {
    const result = await preview('update', '--facts', 'facts.json', ...PARAMS);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(
      /^Preview of responder-update \(step update of runbook preview-breach\), from Incident desk <desk@example.com> \(role:commander\)\n/,
    );
    expect(result.out).toContain(
      [
        '--- email: subject ---',
        '[sev2] Responder update: Preview breach (preview)',
        '--- email: text ---',
        'Incident preview: Preview breach',
      ].join('\n'),
    );
    expect(result.out).toContain('- Records affected: 1,200 records\n- Data categories: names and e-mail addresses\n');
    expect(result.out).toMatch(/Next update by \d{1,2} \w+ \d{4}, \d\d:\d\d CES?T\./);
    // Signed by the from role, as a run signs it, not by alice, its first member.
    expect(result.out).toContain('Incident desk\nExample Ltd incident response\n');
    expect(result.out).not.toContain('Alice');
    expect(result.out).toContain('--- end of email; to: rita@example.com ---\nfingerprint sha256:');
    expect(result.out).toContain('--- chat: text ---\n[sev2] preview: Preview breach\nStatus: Contained\n');
    expect(result.out).toContain('--- end of chat; to: ops-chat ---\n');
    expect(result.out).toMatch(
      /\nmessage fingerprint sha256:[0-9a-f]{64}\nNothing was sent: this is a local preview\.\n$/,
    );
  });

  it('prints one channel with --channel; the fingerprint still covers the whole message', async () => {
    const all = await preview('update', '--facts', 'facts.json', ...PARAMS, '--json');
    const chat = await preview('update', '--facts', 'facts.json', ...PARAMS, '--channel', 'chat', '--json');
    type Rendered = { fingerprint: string; sent: boolean; channels: { channel: string; fingerprint: string }[] };
    const whole = JSON.parse(all.out) as Rendered;
    const one = JSON.parse(chat.out) as Rendered;
    expect(whole.sent).toBe(false);
    expect(whole.channels.map((channel) => channel.channel)).toEqual(['email', 'chat']);
    expect(one.channels).toEqual([whole.channels[1]]);
    // The e-mail shows the start time (now), so the whole-message fingerprints of two runs may differ.
    expect(one.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(one.fingerprint).not.toBe(one.channels[0]?.fingerprint);
    const text = await preview('update', '--facts', 'facts.json', ...PARAMS, '--channel', 'chat');
    expect(text.out).not.toContain('--- email');
    expect((await preview('update', '--facts', 'facts.json', ...PARAMS, '--channel', 'statuspage')).err).toBe(
      'error: step update sends no `statuspage` (channels: email, chat)\n',
    );
  });

  it('renders a suspected fact with its caveat', async () => {
    const file = writeFacts('suspected.json', { ...facts, recordsAffected: { value: 1200, confirmed: false } });
    const result = await preview('update', '--facts', file, ...PARAMS, '--channel', 'email');
    expect(result.out).toContain('- Records affected: up to 1,200 records (still under investigation)\n');
  });

  it('exits 1 with the problem when a fact the message needs is missing or only suspected', async () => {
    const missing = writeFacts('missing.json', { recordsAffected: 1200, currentStatus: 'Contained' });
    const notSet = await preview('update', '--facts', missing, ...PARAMS);
    expect(notSet.code).toBe(1);
    expect(notSet.out).toBe('');
    expect(notSet.err).toMatch(/^error: cannot render responder-update: .*dataCategories/);
    const suspected = writeFacts('suspected-nature.json', {
      ...facts,
      breachNature: { value: 'A replica was copied.', confirmed: false },
    });
    const plain = await preview('customers', '--facts', suspected, ...PARAMS);
    expect(plain.code).toBe(1);
    expect(plain.err).toMatch(/^error: cannot render customer-breach-notice: .*breachNature.*suspected/);
  });

  it('refuses unknown facts, wrong types, params and decisions together, naming each (exit 2)', async () => {
    const bad = writeFacts('bad.json', { recordsAffected: 'many', ghost: 1 });
    const result = await preview('update', '--facts', bad, '--param', 'reviewAt=soon', '--decision', 'nope');
    expect(result).toEqual({
      code: 2,
      out: '',
      err: [
        'error: cannot preview:',
        '  params.ticket: missing required param `ticket`',
        '  params.reviewAt: expected an ISO-8601 date-time with a time zone (2024-05-01T10:00:00Z), got "soon"',
        '  fact `recordsAffected`: expected a whole number, got "many"',
        '  fact `ghost`: not declared by the runbook (facts: recordsAffected, dataCategories, breachNature, measuresTaken, currentStatus, exfiltrationStart)',
        '  decision `nope`: not declared by the runbook (decisions: breachConfirmed)',
        '',
      ].join('\n'),
    });
  });

  it('refuses a fact or decision named constructor or toString as undeclared, not as inherited', async () => {
    const inherited = writeFacts('inherited.json', { constructor: { nested: [1] }, toString: 'x' });
    const result = await preview('update', '--facts', inherited, '--decision', 'valueOf', ...PARAMS);
    const facts = 'facts: recordsAffected, dataCategories, breachNature, measuresTaken, currentStatus, exfiltrationStart';
    expect(result.code).toBe(2);
    expect(result.err).toContain(`  fact \`constructor\`: not declared by the runbook (${facts})`);
    expect(result.err).toContain(`  fact \`toString\`: not declared by the runbook (${facts})`);
    expect(result.err).toContain('  decision `valueOf`: not declared by the runbook (decisions: breachConfirmed)');
  });

  it('finds the notify step, and says so when the id names another kind or nothing', async () => {
    expect((await preview('scope', '--facts', 'facts.json', ...PARAMS)).err).toBe(
      'error: step `scope` is a task step, not a notify step (notify steps: update, customers)\n',
    );
    expect((await preview('nope', '--facts', 'facts.json', ...PARAMS)).err).toBe(
      'error: runbook preview-breach has no step `nope` (notify steps: update, customers)\n',
    );
    expect((await preview('update', '--facts', 'absent.json', ...PARAMS)).err).toBe(
      'error: cannot read absent.json: no such file\n',
    );
  });

  it('records decisions the templates may use', async () => {
    const result = await preview('customers', '--facts', 'facts.json', ...PARAMS, '--decision', 'breachConfirmed');
    expect(result.code).toBe(0);
    expect(result.out).toContain('We have revoked the key.');
  });
});

describe('firebreak comms preview of a starter runbook', () => {
  const params = {
    system: 'support-db',
    firstSeen: '2026-11-22T08:10:00Z',
    organisation: 'Acme Cloud GmbH',
    affectedSystem: 'our customer support portal',
    authorityEmail: 'breach-notification@dpa.example',
    customerList: 'affected-customers@lists.acme.example',
    supportEmail: 'privacy@acme.example',
  };
  const args = Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
  const facts = ['--facts', 'examples/facts/personal-data-exfiltration.json'];
  // From the repository root with the built-in actions, as the docs run it.
  const regulator = (...more: string[]) =>
    firebreak([
      'comms',
      'preview',
      'personal-data-exfiltration',
      'notify-supervisory-authority',
      ...facts,
      ...args,
      ...more,
    ]);

  it('names a decision the message uses and how to give it when it is missing (exit 2), never a TypeError', async () => {
    const result = await regulator();
    expect({ ...result, err: result.err.replace(/^warning: .*\n/gm, '') }).toEqual({
      code: 2,
      out: '',
      err: 'error: cannot preview regulator-breach-notice: it uses decision `becameAware`, which was not given: add --decision becameAware\n',
    });
    const given = await regulator('--decision', 'becameAware');
    expect(given.code).toBe(0);
    expect(given.out).toContain('Became aware: ');
  });
});
