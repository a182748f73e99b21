/**
 * The live catalog over real files in a temporary directory: edits, new and deleted files are picked up,
 * a broken edit keeps the last good version and is logged with its location, and nothing is reloaded
 * when nothing changed.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunbookCatalog } from '../../../src/runbook/catalog.js';
import { createLiveCatalog, fingerprintPaths, type LiveCatalog } from '../../../src/runbook/live-catalog.js';
import { loadRunbookDirs } from '../../../src/runbook/loader.js';
import { testActions } from './helpers.js';

const runbook = (id: string, version: number, wait = '1m') =>
  `apiVersion: firebreak/v1\nid: ${id}\ntitle: ${id}\nversion: ${version}\nseverity: sev3\nsteps:\n  - { id: w, title: W, wait: ${wait} }\n`;

let dir: string;
let loads: number;
let logs: Record<string, unknown>[];
let live: LiveCatalog | undefined;
// Each write gets an mtime a second after the last, so a change never hides inside one clock tick.
let clock: number;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-live-'));
  loads = 0;
  logs = [];
  clock = Math.floor(Date.now() / 1000) - 1000;
});
afterEach(async () => {
  await live?.close();
  live = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, text: string): void {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  clock += 1;
  utimesSync(file, clock, clock);
}

function load(): Promise<RunbookCatalog> {
  loads += 1;
  return loadRunbookDirs([dir], { actions: testActions });
}

/** A live catalog over `dir`, past its first check (which reloads once, having no fingerprint yet). */
async function open(intervalMs?: number): Promise<LiveCatalog> {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const initial = await load();
  live = createLiveCatalog({
    initial,
    load,
    watch: { runbooks: [dir] },
    logger: pino({ level: 'info' }, sink),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  });
  await live.refresh();
  expect(logs).toEqual([]); // the same files, reloaded: nothing to report
  loads = 0;
  return live;
}

const versions = (catalog: LiveCatalog) =>
  Object.fromEntries(catalog.list().map(({ plan }) => [plan.runbookId, plan.version]));

describe('a live runbook catalog', () => {
  it('does not reload when nothing changed', async () => {
    write('a.yaml', runbook('a', 1));
    const catalog = await open();
    expect(await catalog.refresh()).toBe(false);
    expect(await catalog.refresh()).toBe(false);
    expect(loads).toBe(0);
    expect(versions(catalog)).toEqual({ a: 1 });
  });

  it('serves an edited runbook after the change, and logs the new version', async () => {
    write('a.yaml', runbook('a', 1));
    write('b.yaml', runbook('b', 1));
    const catalog = await open();
    write('a.yaml', runbook('a', 2));
    expect(await catalog.refresh()).toBe(true);
    expect(loads).toBe(1);
    expect(catalog.get('a')?.plan.version).toBe(2);
    expect(versions(catalog)).toEqual({ a: 2, b: 1 });
    expect(logs).toEqual([
      expect.objectContaining({ level: 30, msg: 'runbooks reloaded', changed: [{ id: 'a', from: 1, to: 2 }] }),
    ]);
  });

  it('checks on its own once started', async () => {
    write('a.yaml', runbook('a', 1));
    const catalog = await open(10);
    catalog.start();
    write('a.yaml', runbook('a', 2));
    await vi.waitFor(() => expect(catalog.get('a')?.plan.version).toBe(2));
  });

  it('picks up a new file and drops a deleted one', async () => {
    write('a.yaml', runbook('a', 1));
    const catalog = await open();
    write('c.yaml', runbook('c', 3));
    await catalog.refresh();
    expect(versions(catalog)).toEqual({ a: 1, c: 3 });
    unlinkSync(path.join(dir, 'a.yaml'));
    await catalog.refresh();
    expect(catalog.get('a')).toBeUndefined();
    expect(versions(catalog)).toEqual({ c: 3 });
    expect(logs.map(({ added, removed }) => ({ added, removed }))).toEqual([
      { added: [{ id: 'c', version: 3 }], removed: [] },
      { added: [], removed: [{ id: 'a', version: 1 }] },
    ]);
  });

  it('keeps the last good version of a runbook an edit broke, logs where once, and updates the others', async () => {
    write('a.yaml', runbook('a', 1));
    write('b.yaml', runbook('b', 1));
    const catalog = await open();
    write('a.yaml', runbook('a', 2, 'never'));
    write('b.yaml', runbook('b', 2));
    await catalog.refresh();
    expect(versions(catalog)).toEqual({ a: 1, b: 2 });
    const file = path.join(dir, 'a.yaml');
    expect(logs).toEqual([
      expect.objectContaining({
        level: 40,
        problems: [`${file}:7:30  steps[0].wait  expected a duration such as 30s, 15m, 4h, 3d or 2w`],
        kept: [{ id: 'a', version: 1, file }],
      }),
      expect.objectContaining({ level: 30, changed: [{ id: 'b', from: 1, to: 2 }] }),
    ]);

    // Another change with the same problem does not log it again; fixing it serves the fix.
    write('b.yaml', runbook('b', 3));
    await catalog.refresh();
    expect(logs.filter(({ level }) => level === 40)).toHaveLength(1);
    write('a.yaml', runbook('a', 3));
    await catalog.refresh();
    expect(versions(catalog)).toEqual({ a: 3, b: 3 });
  });

  it('keeps the last good version of a file that is no longer YAML, and drops a file that declares another id', async () => {
    write('a.yaml', runbook('a', 1));
    const catalog = await open();
    write('a.yaml', `${runbook('a', 2)}  - [unclosed\n`);
    await catalog.refresh();
    expect(versions(catalog)).toEqual({ a: 1 });
    expect(logs[0]).toMatchObject({ level: 40, kept: [{ id: 'a', version: 1 }] });
    write('a.yaml', runbook('renamed', 1));
    await catalog.refresh();
    expect(versions(catalog)).toEqual({ renamed: 1 });
  });

  it('follows template trees to any depth, and only the direct entries of runbook directories', async () => {
    mkdirSync(path.join(dir, 'breach-notice'));
    write('breach-notice/email.text.hbs', 'Hello');
    const runbooksOnly = await fingerprintPaths({ runbooks: [dir] });
    const asTemplates = await fingerprintPaths({ runbooks: [], templates: [dir] });
    write('breach-notice/email.text.hbs', 'Hello again');
    expect(await fingerprintPaths({ runbooks: [dir] })).toBe(runbooksOnly);
    expect(await fingerprintPaths({ runbooks: [], templates: [dir] })).not.toBe(asTemplates);
  });
});
