/**
 * Golden files of the published status page: the index, an incident's page and the JSON feed, as the
 * channel writes them to a real filesystem store. Public ids are random, so they are replaced by
 * `<public-id-N>` in order of first publication. Set UPDATE_GOLDEN=1 to rewrite; review the diff.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatusPageChannel, readBlob, statusPageKeys } from '../../../src/channels/statuspage.js';
import type { Channel } from '../../../src/channels/types.js';
import { ErrorCode, FirebreakError } from '../../../src/domain/errors.js';
import type { BlobStore } from '../../../src/storage/blob-store.js';
import { createFsStore } from '../../../src/storage/fs-store.js';
import { sampleMessage } from './channel-conformance.js';

const goldenDir = path.resolve(import.meta.dirname, '../../fixtures/golden/status-page');
const update = process.env.UPDATE_GOLDEN === '1';
const scratch = mkdtempSync(path.join(tmpdir(), 'firebreak-statuspage-golden-'));
const keys = statusPageKeys();
let store: BlobStore;
let channel: Channel;
let clock = Date.parse('2025-03-14T08:59:30.123Z');
const publicIds: string[] = [];

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function send(incidentId: string, n: number, md: string, state?: string) {
  return channel.send(
    sampleMessage({
      incidentId,
      idempotencyKey: `${incidentId}:status-page:${n}:statuspage`,
      to: [],
      parts: state === undefined ? { md } : { md, state },
    }),
  );
}

async function publicIdOf(incidentId: string): Promise<string> {
  const history = JSON.parse((await readBlob(store, keys.history(incidentId))).toString('utf8')) as {
    publicId: string;
  };
  return history.publicId;
}

beforeAll(async () => {
  store = await createFsStore({ dir: scratch });
  channel = createStatusPageChannel({
    store,
    title: 'Example status',
    siteUrl: 'https://status.example.com/status',
    timeZone: 'Europe/Berlin',
    now: () => new Date((clock += 47 * 60_000)),
  });
  await send(
    'ransomware-host-20250314-ab12cd34',
    1,
    '## Service disruption: Support portal\n\n**Status:** investigating\n\nSome customers cannot sign in.\n\n' +
      '#### What you may notice\n\n- Slow pages\n- Failed sign-ins, see [help](https://help.example.com/signin)\n',
    'open',
  );
  await send('data-leak-20250314-ef56ab78', 1, 'We are looking into reports of _missing_ e-mails.');
  await send(
    'ransomware-host-20250314-ab12cd34',
    2,
    '## Service disruption: Support portal\n\n**Status:** resolved\n\nSign-in works again for everyone.\n',
    'resolved\n',
  );
  publicIds.push(
    await publicIdOf('ransomware-host-20250314-ab12cd34'),
    await publicIdOf('data-leak-20250314-ef56ab78'),
  );
});

/** A published blob with the random public ids replaced by stable placeholders. */
async function published(key: string): Promise<string> {
  let text = (await readBlob(store, key)).toString('utf8');
  publicIds.forEach((id, i) => (text = text.replaceAll(id, `<public-id-${i + 1}>`)));
  return text;
}

async function expectGolden(name: string, text: string): Promise<void> {
  const file = path.join(goldenDir, name);
  if (update) {
    await mkdir(goldenDir, { recursive: true });
    await writeFile(file, text);
  }
  expect(text, file).toBe(await readFile(file, 'utf8'));
}

/** The heading levels of a page in document order. */
function headings(html: string): number[] {
  return [...html.matchAll(/<h([1-6])[ >]/g)].map((match) => Number(match[1]));
}

describe('published status page (golden)', () => {
  it('matches the golden index, incident page and feed', async () => {
    await expectGolden('index.html', await published(keys.index));
    await expectGolden('incident.html', await published(keys.incidentPage(publicIds[0] ?? '')));
    await expectGolden('feed.json', await published(keys.feed));
  });

  it('shows times in the configured zone, never a raw ISO instant', async () => {
    const page = await published(keys.incidentPage(publicIds[0] ?? ''));
    // 08:59:30 UTC + 47 min = 09:46 UTC, 10:46 in Berlin (CET).
    expect(page).toContain('<time datetime="2025-03-14T09:46:30Z">14 Mar 2025, 10:46 CET</time>');
    expect(page).not.toMatch(/>\d{4}-\d\d-\d\dT/);
    expect(page).not.toMatch(/\.\d{3}Z/);
  });

  it('titles incidents from the approved heading and shows them open or resolved', async () => {
    const index = await published(keys.index);
    expect(index).toContain(
      '<h3><a href="/status/incidents/<public-id-1>">Service disruption: Support portal</a></h3>',
    );
    expect(index.indexOf('Open incidents')).toBeLessThan(index.indexOf('<public-id-2>'));
    expect(index.indexOf('<public-id-2>')).toBeLessThan(index.indexOf('Resolved incidents'));
    expect(index.indexOf('Resolved incidents')).toBeLessThan(index.indexOf('<public-id-1>'));
    const page = await published(keys.incidentPage(publicIds[0] ?? ''));
    expect(page).toContain('<h1>Service disruption: Support portal</h1>');
    expect(page).toContain('<strong class="state state-resolved">Resolved</strong> · First reported');
  });

  it('keeps heading order without gaps and links the feed from every page', async () => {
    for (const key of [keys.index, keys.incidentPage(publicIds[0] ?? ''), keys.incidentPage(publicIds[1] ?? '')]) {
      const html = await published(key);
      const levels = headings(html);
      expect(levels[0], key).toBe(1);
      levels.forEach((level, i) => expect(level - (levels[i - 1] ?? 0), `${key}: ${levels.join(',')}`).toBeLessThan(2));
      expect(html).toContain(
        '<link rel="alternate" type="application/feed+json" title="Example status" href="/status/feed.json">',
      );
    }
  });

  it('gives the feed plain text in content_text and rendered HTML in content_html', async () => {
    const feed = JSON.parse(await published(keys.feed)) as {
      items: { title: string; content_text: string; content_html: string; date_published: string }[];
    };
    const first = feed.items[2];
    expect(first?.title).toBe('Service disruption: Support portal');
    expect(first?.content_text).toBe(
      'Status: investigating\n\nSome customers cannot sign in.\n\nWhat you may notice\n\n' +
        '- Slow pages\n- Failed sign-ins, see help (https://help.example.com/signin)',
    );
    expect(first?.content_html).toContain('<p><strong>Status:</strong> investigating</p>');
    expect(first?.date_published).toBe('2025-03-14T09:46:30Z');
    for (const item of feed.items) expect(item.content_text).not.toMatch(/\*\*|^#|\]\(/m);
  });

  it('refuses a state part other than open or resolved, and publishes nothing', async () => {
    const before = await Promise.all([keys.index, keys.feed].map((key) => published(key)));
    const history = (await readBlob(store, keys.history('data-leak-20250314-ef56ab78'))).toString('utf8');
    const error = await send('data-leak-20250314-ef56ab78', 2, '## All good', 'fixed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FirebreakError);
    expect((error as FirebreakError).code).toBe(ErrorCode.InvalidInput);
    expect((error as FirebreakError).message).toContain('expected open or resolved');
    expect(await Promise.all([keys.index, keys.feed].map((key) => published(key)))).toEqual(before);
    expect((await readBlob(store, keys.history('data-leak-20250314-ef56ab78'))).toString('utf8')).toBe(history);
  });
});
