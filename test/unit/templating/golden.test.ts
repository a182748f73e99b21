import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates, renderMessage, type TemplateCatalog } from '../../../src/templating/index.js';
import { computeDigest } from '../../../src/postmortems/digest.js';
import type { MessageContext } from '../../../src/templating/context.js';
import { digestFixture } from '../postmortems/digest-fixture.js';
import { sampleContext } from './context-fixture.js';

const root = path.resolve(import.meta.dirname, '../../..');
const goldenDir = path.join(root, 'test/fixtures/golden');
// Set UPDATE_GOLDEN=1 to rewrite the golden files from the current templates; review the diff before keeping it.
const update = process.env.UPDATE_GOLDEN === '1';

const cases: [message: string, channel: string][] = [
  ['responder-update', 'chat'],
  ['responder-update', 'email'],
  ['executive-briefing', 'email'],
  ['customer-breach-notice', 'email'],
  ['customer-breach-notice', 'statuspage'],
  ['regulator-breach-notice', 'email'],
  ['statuspage-update', 'statuspage'],
  ['service-restored', 'statuspage'],
  ['customer-breach-resolved', 'statuspage'],
  ['chat-update', 'chat'],
  ['drill-failed', 'email'],
  ['drill-stale', 'email'],
  ['lessons-digest', 'email'],
  ['lessons-digest', 'chat'],
];

/** The sample context, with the lessons digest of the fixed month as the `digest` step's output for its message. */
function contextFor(message: string): MessageContext {
  const context = sampleContext();
  if (message !== 'lessons-digest') return context;
  const output = JSON.parse(JSON.stringify(computeDigest(digestFixture()))) as NonNullable<
    MessageContext['steps']
  >[string]['output'];
  return { ...context, steps: { digest: { status: 'succeeded', ...(output === undefined ? {} : { output }) } } };
}

let catalog: TemplateCatalog;
beforeAll(async () => {
  catalog = await loadTemplates(path.join(root, 'templates'));
});

describe('starter templates', () => {
  it('load without problems', () => {
    expect(catalog.problems).toEqual([]);
  });

  it('are all covered by a golden case', () => {
    const loaded = [...catalog.messages].flatMap(([message, channels]) =>
      [...channels.keys()].map((c) => `${message}/${c}`),
    );
    expect(loaded.sort()).toEqual(cases.map(([m, c]) => `${m}/${c}`).sort());
  });

  it.each(cases)('%s on %s matches its golden files', async (message, channel) => {
    const { parts } = renderMessage(catalog, message, channel, contextFor(message));
    for (const [part, text] of Object.entries(parts)) {
      const file = path.join(goldenDir, message, `${channel}.${part}`);
      if (update) {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, text);
      }
      expect(text, file).toBe(await readFile(file, 'utf8'));
    }
  });
});

/** Lines of every part of a rendered message, each prefixed with its part. */
function lines(parts: Record<string, string>): string[] {
  return Object.entries(parts).flatMap(([part, text]) => text.split('\n').map((line) => `${part}: ${line}`));
}

describe('the instants starter templates state', () => {
  // The incident opens when the alert reaches Firebreak, hours or days after the breach began and after it
  // was first observed: a message may state that instant only as the response's start.
  it.each(cases)('%s on %s states the trigger time only as when the response opened', (message, channel) => {
    const context = contextFor(message);
    const moved = { ...context, incident: { ...context.incident, startedAt: '2025-04-02T16:45:00Z' } };
    const before = lines(renderMessage(catalog, message, channel, context).parts);
    const after = lines(renderMessage(catalog, message, channel, moved).parts);
    const changed = before.filter((line, index) => line !== after[index]);
    for (const line of changed) expect(line).toMatch(/response opened|: (Started|Checked): /);
  });

  it('regulator notice: when the breach began (the fact), was detected (firstSeen) and became known (decision)', () => {
    const { parts } = renderMessage(catalog, 'regulator-breach-notice', 'email', sampleContext());
    expect(parts.text).toContain(
      'Breach began (earliest known time data left): 11 March 2025, 03:10 CET (suspected; still under investigation)\n' +
        'Detected (first observed): 13 March 2025, 22:40 CET\n' +
        'Became aware: 14 March 2025, 11:15 CET\n',
    );
    expect(parts.text).not.toContain('09:30');
  });

  it('customer notice and its status page: detected on firstSeen, began on the fact', () => {
    for (const channel of ['email', 'statuspage']) {
      const { parts } = renderMessage(catalog, 'customer-breach-notice', channel, sampleContext());
      for (const text of Object.values(parts).filter((t) => t.includes('detected'))) {
        expect(text).toContain(
          'On 13 March 2025 we detected unauthorised access to our customer support system, which began on 11 March 2025 (suspected; still under investigation).',
        );
        expect(text).not.toContain('14 March');
      }
    }
  });

  it('a breach notice waits for the start of the breach rather than render without it', () => {
    const context = sampleContext();
    const { exfiltrationStart: _dropped, ...facts } = context.facts;
    expect(() => renderMessage(catalog, 'regulator-breach-notice', 'email', { ...context, facts })).toThrow(
      expect.objectContaining({ code: 'FACT_NOT_SET', variable: 'facts.exfiltrationStart' }),
    );
  });
});
