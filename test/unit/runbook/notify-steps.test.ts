/**
 * Templates that name what an earlier step found (`steps.<id>.status`, `steps.<id>.output`): accepted for a
 * step of the runbook, refused for an unknown step, an unknown field or a public channel, and rendered from
 * the context's `steps` (which a public render never sees).
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRunbook } from '../../../src/runbook/catalog.js';
import { loadTemplateDirs, type TemplateCatalog } from '../../../src/templating/catalog.js';
import { renderEmbedded } from '../../../src/templating/embedded.js';
import { brief, testActions } from './helpers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'firebreak-step-templates-'));
let templates: TemplateCatalog;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  writeFileSync(path.join(dir, file), text);
}

beforeAll(async () => {
  write('found/email.subject.hbs', 'Found {{steps.look.output.count}}');
  write('found/email.text.hbs', '{{steps.look.status}}: {{#each steps.look.output.names}}{{this}} {{/each}}');
  write('ghost/chat.text.hbs', '{{steps.ghost.output}}');
  write('field/chat.text.hbs', '{{steps.look.result}}');
  write('public/statuspage.md.hbs', '## {{steps.look.output.count}} found');
  templates = await loadTemplateDirs([dir]);
  expect(templates.problems).toEqual([]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The notify step is on line 11.
function runbook(message: string, channel: string): string {
  const to =
    channel === 'email' ? 'to: { email: [ops@example.com] }, ' : channel === 'chat' ? 'to: { chat: [ops] }, ' : '';
  return `apiVersion: firebreak/v1
id: steps-in-messages
title: Steps in messages
version: 1
severity: sev4
roles: { ops: {} }
steps:
  - { id: look, title: Look, action: timeline.note, with: { text: looked } }
  - id: tell
    title: Tell
    notify: { message: ${message}, channels: [${channel}], ${to}from: role:ops }
`;
}

function compile(text: string) {
  return compileRunbook({ file: 'steps.yaml', bytes: Buffer.from(text) }, { actions: testActions, templates });
}

describe('steps in message templates', () => {
  it('are accepted for a step of the runbook and render from the context', () => {
    const result = compile(runbook('found', 'email'));
    if (!result.ok) throw new Error(brief(result.issues).join('\n'));
    const step = result.value.steps[1];
    if (step?.kind !== 'notify') throw new Error('no notify step');
    expect(step.templates.variables).toEqual(
      expect.arrayContaining(['steps.look.output.count', 'steps.look.status', 'steps.look.output.names']),
    );
    const context = {
      incident: {
        id: 'i',
        title: 't',
        severity: 'sev4' as const,
        startedAt: '2026-01-01T00:00:00Z',
        runbook: { id: 'r', title: 't' },
      },
      params: {},
      facts: {},
      decisions: {},
      sender: { id: 'role:ops' },
      steps: { look: { status: 'succeeded', output: { count: 2, names: ['a', 'b'] } } },
    };
    const rendered = renderEmbedded(step.templates, ['email'], context);
    expect(rendered.ok && rendered.channels[0]?.parts).toEqual({ subject: 'Found 2', text: 'succeeded: a b ' });
    const { steps: _none, ...without } = context;
    const missing = renderEmbedded(step.templates, ['email'], without);
    expect(missing).toMatchObject({ ok: false, code: 'MISSING_VARIABLE' });
  });

  it('are refused for an unknown step, an unknown field and on the status page, at the message', () => {
    const issues = (message: string, channel: string) => {
      const result = compile(runbook(message, channel));
      return result.ok ? [] : brief(result.issues);
    };
    expect(issues('ghost', 'chat')).toEqual([
      expect.stringMatching(
        /^11:\d+ steps\[1\]\.notify\.message .*uses `steps\.ghost\.output`, which is not a step of this runbook$/,
      ),
    ]);
    expect(issues('field', 'chat')).toEqual([
      expect.stringMatching(/uses `steps\.look\.result`, which is not a field of a step \(fields: status, output\)$/),
    ]);
    expect(issues('public', 'statuspage')).toEqual([
      expect.stringMatching(/uses `steps\.look\.output\.count`: what steps found is not available on the status page/),
    ]);
  });
});
