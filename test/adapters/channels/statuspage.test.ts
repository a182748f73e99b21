/**
 * The status-page channel against a real filesystem blob store: updates kept newest first, the feed,
 * idempotent retries, escaping of HTML in Markdown, and concurrent sends for one incident both kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { createStatusPageChannel, readBlob, statusPageKeys } from '../../../src/channels/statuspage.js';
import { markdownToHtml } from '../../../src/channels/statuspage-render.js';
import type { Channel } from '../../../src/channels/types.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { sampleMessage } from './channel-conformance.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-statuspage-'));
const keys = statusPageKeys();
let store: BlobStore;
let channel: Channel;
let clock: number;

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

beforeEach(async () => {
  store = await createFsStore({ dir: mkdtempSync(path.join(scratch, 'store-')) });
  clock = Date.parse('2024-05-01T10:00:00Z');
  channel = createStatusPageChannel({ store, title: 'Example status', now: () => new Date((clock += 60_000)) });
});

const text = async (key: string): Promise<string> => (await readBlob(store, key)).toString('utf8');

function update(n: number, md: string, incidentId = 'inc-2024-0042') {
  return sampleMessage({ incidentId, to: [], parts: { md }, idempotencyKey: `${incidentId}/status/${n}` });
}

interface Feed {
  version: string;
  items: { id: string; content_html: string; date_published: string; _firebreak: { incident_id: string } }[];
}

describe('status page channel', () => {
  it('publishes updates newest first on the incident page, the index and the feed', async () => {
    const first = await channel.send(update(1, '## Investigating\n\nWe are looking into **errors**.'));
    await channel.send(update(2, '## Resolved\n\n- API restored\n- [details](https://example.com/pm?a=1&b=2)'));
    expect(first.channel).toBe('statuspage');
    expect(first.accepted).toEqual([keys.incidentPage('inc-2024-0042')]);
    expect(first.messageId).toMatch(/^[0-9a-f]{64}$/);

    const page = await text(keys.incidentPage('inc-2024-0042'));
    expect(page.indexOf('Resolved')).toBeGreaterThan(0);
    expect(page.indexOf('Resolved')).toBeLessThan(page.indexOf('Investigating'));
    expect(page).toContain('<strong>errors</strong>');
    expect(page).toContain('<a href="https://example.com/pm?a=1&amp;b=2" rel="nofollow noopener">details</a>');

    await channel.send(update(1, 'Degraded', 'other-incident'));
    const index = await text(keys.index);
    expect(index).toContain('href="/status/incidents/inc-2024-0042"');
    expect(index).toContain('Resolved');
    expect(index).not.toContain('Investigating');
    expect(index.indexOf('other-incident')).toBeLessThan(index.indexOf('inc-2024-0042'));

    const feed = JSON.parse(await text(keys.feed)) as Feed;
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.items.map((item) => item._firebreak.incident_id)).toEqual([
      'other-incident',
      'inc-2024-0042',
      'inc-2024-0042',
    ]);
    expect(feed.items[2]?.id).toBe(first.messageId);
    expect(feed.items[1]?.content_html).toContain('<li>API restored</li>');
  });

  it('does not add an update twice when the same idempotency key is sent again', async () => {
    const message = update(1, 'Investigating');
    const first = await channel.send(message);
    const retry = await channel.send(message);
    expect(retry.messageId).toBe(first.messageId);
    const history = JSON.parse(await text(keys.updates('inc-2024-0042'))) as { updates: { at: string }[] };
    expect(history.updates).toHaveLength(1);
    // The first publication time stands: a retry after a crash does not move the update.
    expect(history.updates[0]?.at).toBe('2024-05-01T10:01:00.000Z');
    expect((JSON.parse(await text(keys.feed)) as Feed).items).toHaveLength(1);
  });

  it('escapes HTML in the Markdown and links only http(s) URLs', async () => {
    const md = '<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> "q"';
    await channel.send(update(1, md));
    const page = await text(keys.incidentPage('inc-2024-0042'));
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).not.toContain('href="javascript');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(markdownToHtml('[a](https://e.com/_x_)')).toBe(
      '<p><a href="https://e.com/_x_" rel="nofollow noopener">a</a></p>',
    );
    expect(markdownToHtml('# T\n1. one\n2. _two_')).toBe('<h2>T</h2>\n<ol><li>one</li><li><em>two</em></li></ol>');
  });

  it('keeps both updates when two are sent for one incident at once', async () => {
    await Promise.all([1, 2, 3, 4].map((n) => channel.send(update(n, `Update number ${n}`))));
    const history = JSON.parse(await text(keys.updates('inc-2024-0042'))) as { updates: unknown[] };
    expect(history.updates).toHaveLength(4);
    const page = await text(keys.incidentPage('inc-2024-0042'));
    for (const n of [1, 2, 3, 4]) expect(page).toContain(`Update number ${n}`);
    expect((JSON.parse(await text(keys.feed)) as Feed).items).toHaveLength(4);
  });

  it('refuses a message without a Markdown part or with a bad incident id as invalid input', async () => {
    for (const message of [
      sampleMessage({ to: [], parts: { text: 'x' } }),
      sampleMessage({ to: [], parts: { md: 'x' }, incidentId: '../escape' }),
    ]) {
      const error = await channel.send(message).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FirebreakError);
      expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    }
    expect(await store.head(keys.index)).toBeUndefined();
  });
});
