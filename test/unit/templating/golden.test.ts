import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTemplates, renderMessage, type TemplateCatalog } from '../../../src/templating/index.js';
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
];

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
    const { parts } = renderMessage(catalog, message, channel, sampleContext());
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
