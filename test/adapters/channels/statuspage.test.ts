/**
 * The status-page channel against a real filesystem blob store: updates kept newest first, the feed,
 * idempotent retries, escaping of HTML in Markdown, concurrent sends for one incident both kept, and
 * public blobs that name an incident only by its opaque public id.
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
  items: {
    id: string;
    title: string;
    content_html: string;
    date_published: string;
    _firebreak: { incident: string };
  }[];
}

interface History {
  publicId: string;
  updates: { at: string }[];
}

const history = async (incidentId = 'inc-2024-0042'): Promise<History> =>
  JSON.parse(await text(keys.history(incidentId))) as History;

/** Every public blob (under the prefix) with its text. */
async function publicBlobs(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for await (const entry of store.list('status/')) found.set(entry.key, await text(entry.key));
  return found;
}

describe('status page channel', () => {
  it('publishes updates newest first on the incident page, the index and the feed', async () => {
    const first = await channel.send(update(1, '## Investigating\n\nWe are looking into **errors**.'));
    await channel.send(update(2, '## Resolved\n\n- API restored\n- [details](https://example.com/pm?a=1&b=2)'));
    const { publicId } = await history();
    expect(publicId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.channel).toBe('statuspage');
    expect(first.accepted).toEqual([keys.incidentPage(publicId)]);
    expect(first.messageId).toMatch(/^[0-9a-f]{64}$/);

    const page = await text(keys.incidentPage(publicId));
    expect(page).toContain('<title>Example status: Resolved</title>');
    expect(page.indexOf('Resolved')).toBeGreaterThan(0);
    expect(page.indexOf('Resolved')).toBeLessThan(page.indexOf('Investigating'));
    expect(page).toContain('<strong>errors</strong>');
    expect(page).toContain('<a href="https://example.com/pm?a=1&amp;b=2" rel="nofollow noopener">details</a>');

    await channel.send(update(1, 'Degraded', 'other-incident'));
    const other = (await history('other-incident')).publicId;
    const index = await text(keys.index);
    expect(index).toContain(`href="/status/incidents/${publicId}"`);
    expect(index).toContain('Resolved');
    expect(index).not.toContain('Investigating');
    expect(index.indexOf(other)).toBeLessThan(index.indexOf(publicId));

    const feed = JSON.parse(await text(keys.feed)) as Feed;
    expect(feed.version).toBe('https://jsonfeed.org/version/1.1');
    expect(feed.items.map((item) => item._firebreak.incident)).toEqual([other, publicId, publicId]);
    expect(feed.items.map((item) => item.title)).toEqual(['Incident update', 'Resolved', 'Investigating']);
    expect(feed.items[2]?.id).toBe(first.messageId);
    expect(feed.items[1]?.content_html).toContain('<li>API restored</li>');
  });

  it('does not add an update twice when the same idempotency key is sent again', async () => {
    const message = update(1, 'Investigating');
    const first = await channel.send(message);
    const retry = await channel.send(message);
    expect(retry.messageId).toBe(first.messageId);
    expect(retry.accepted).toEqual(first.accepted);
    const kept = await history();
    expect(kept.updates).toHaveLength(1);
    // The first publication time stands: a retry after a crash does not move the update.
    expect(kept.updates[0]?.at).toBe('2024-05-01T10:01:00.000Z');
    expect((JSON.parse(await text(keys.feed)) as Feed).items).toHaveLength(1);
  });

  it('escapes HTML in the Markdown and links only http(s) URLs', async () => {
    const md = '<script>alert(1)</script>\n\n[x](javascript:alert(1)) <img src=x onerror=alert(1)> "q"';
    await channel.send(update(1, md));
    const page = await text(keys.incidentPage((await history()).publicId));
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
    const kept = await history();
    expect(kept.updates).toHaveLength(4);
    const page = await text(keys.incidentPage(kept.publicId));
    for (const n of [1, 2, 3, 4]) expect(page).toContain(`Update number ${n}`);
    expect((JSON.parse(await text(keys.feed)) as Feed).items).toHaveLength(4);
  });

  it('publishes neither the incident id nor the runbook: pages, feed and keys use the public id', async () => {
    const incidentId = 'ransomware-host-20250314-ab12cd34';
    await channel.send(update(1, '## Service disruption: Support portal\n\nContained.', incidentId));
    await channel.send(update(2, '## Service disruption: Support portal\n\nResolved.', incidentId));
    const blobs = await publicBlobs();
    const { publicId } = await history(incidentId);
    expect([...blobs.keys()].sort()).toEqual([
      'status/feed.json',
      'status/incidents/' + publicId + '/index.html',
      'status/index.html',
    ]);
    for (const [key, body] of blobs) {
      for (const secret of [incidentId, 'ransomware', 'inc-2024-0042', 'notify-customers']) {
        expect(body, `${key} contains ${secret}`).not.toContain(secret);
      }
    }
  });

  it('refuses an update whose Markdown contains the incident id, and publishes nothing', async () => {
    const error = await channel
      .send(update(1, 'Reference inc-2024-0042: we are investigating.'))
      .catch((caught: unknown) => caught);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    expect((error as FirebreakError).message).toContain('contains the incident id');
    expect(await publicBlobs()).toEqual(new Map());
    expect(await store.head(keys.history('inc-2024-0042'))).toBeUndefined();
  });

  it('takes over a history published by an earlier version: still readable, the incident id gone', async () => {
    const legacyPage = 'status/incidents/inc-2023-0007/index.html';
    const legacy = {
      version: 1,
      incidentId: 'inc-2023-0007',
      updates: [
        {
          id: 'a'.repeat(64),
          at: '2023-11-02T08:00:00.000Z',
          incidentId: 'inc-2023-0007',
          stepId: 'status-update',
          fingerprint: 'sha256:' + 'b'.repeat(64),
          markdown: '## Degraded search\n\nFixed.',
        },
      ],
    };
    await store.put('status/incidents/inc-2023-0007/updates.json', Buffer.from(JSON.stringify(legacy)));
    await store.put(legacyPage, Buffer.from('<title>Status: inc-2023-0007</title>'));
    await channel.send(update(1, '## Investigating\n\nNew incident.'));

    const taken = await history('inc-2023-0007');
    expect(taken.updates).toEqual(legacy.updates);
    const blobs = await publicBlobs();
    expect(blobs.has('status/incidents/inc-2023-0007/updates.json')).toBe(false);
    // The old address keeps working, and every public page shows the update under the public id only.
    expect(blobs.get(legacyPage)).toContain('Degraded search');
    expect(blobs.get(keys.incidentPage(taken.publicId))).toContain('Degraded search');
    expect(blobs.get(keys.index)).toContain(`href="/status/incidents/${taken.publicId}"`);
    for (const [key, body] of blobs) expect(body, key).not.toContain('inc-2023-0007');
    expect((JSON.parse(blobs.get(keys.feed) ?? '') as Feed).items.map((item) => item.title)).toEqual([
      'Investigating',
      'Degraded search',
    ]);
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
