/**
 * `firebreak postmortem` against the real API (listening on loopback, over the dev server and an in-memory
 * PGlite store): edit from a file and in `$EDITOR` (a script), a conflicting save that keeps the text
 * written in a file the error names, review and publish with acknowledgements, a revision diff, exports
 * and highlighted search hits.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lazyPostmortemStore, openPgliteStore, type PostmortemStore } from '../../src/postmortems/store/index.js';
import { cli } from '../unit/cli/client-support.js';
import { seedPostmortem } from '../unit/postmortems/fixtures.js';
import { startApiTest, type ApiTest } from './support.js';

const runbook = `
apiVersion: firebreak/v1
id: pm-cli
title: Leaked key
version: 1
severity: sev2
roles:
  commander: {}
  security: {}
steps:
  - { id: hold, title: Hold, task: Wait, assignee: role:commander }
`;

let test: ApiTest;
let store: PostmortemStore;
let id: string;
let url: string;
const work = mkdtempSync(path.join(tmpdir(), 'firebreak-cli-pm-'));
const env = (as: 'alice' | 'bob' | 'mallory', extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  FIREBREAK_URL: url,
  FIREBREAK_TOKEN: test.api.tokens[as],
  PATH: process.env.PATH,
  ...extra,
});

beforeAll(async () => {
  store = await openPgliteStore('memory');
  test = await startApiTest({ yaml: [runbook], postmortems: lazyPostmortemStore(() => Promise.resolve(store)) });
  await test.api.app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(test.api.app.server.address() as AddressInfo).port}`;
  const incidentId = await test.api.trigger('alice', 'pm-cli');
  const people = { facilitators: ['alice'], reviewers: ['bob'], audience: [] };
  id = await seedPostmortem(store, { incidentId, runbookId: 'pm-cli', title: 'Leaked key', people });
});

afterAll(async () => {
  await test?.close();
  await store?.close();
});

function script(name: string, body: string): string {
  const file = path.join(work, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
  chmodSync(file, 0o700);
  return file;
}

describe('firebreak postmortem edit', () => {
  it('saves a section from --file and shows it', async () => {
    const file = path.join(work, 'summary.md');
    writeFileSync(file, 'A deploy key leaked through a public build log.\n');
    const saved = await cli(['postmortem', 'edit', id, '--section', 'summary', '--file', file], env('alice'));
    expect(saved).toEqual({ code: 0, out: `Saved summary of ${id}: revision 1\n`, err: '' });
    const shown = await cli(['postmortem', 'show', id], env('bob'));
    expect(shown.out).toContain('## summary (revision 1 by alice');
    expect(shown.out).toContain('A deploy key leaked through a public build log.');
  });

  it('opens $EDITOR on the current text and saves what it leaves', async () => {
    const editor = script('editor.sh', `printf '\\nWe now rotate keys on every leak.\\n' >> "$1"`);
    const saved = await cli(['postmortem', 'edit', id, '--section', 'summary'], env('alice', { EDITOR: editor }));
    expect(saved.code).toBe(0);
    expect(saved.out).toBe(`Saved summary of ${id}: revision 2\n`);
    const { sections } = (await store.getPostmortem(id)) ?? { sections: undefined };
    expect(sections?.summary.text).toBe(
      'A deploy key leaked through a public build log.\n\nWe now rotate keys on every leak.\n',
    );
    const diff = await cli(['postmortem', 'history', id, '--section', 'summary', '--diff', '1..2'], env('alice'));
    expect(diff.out).toMatch(/^--- summary@1 \(alice, .+\)\n\+\+\+ summary@2 \(alice, .+\)\n@@ -1 \+1,3 @@\n/);
    expect(diff.out).toContain(
      ' A deploy key leaked through a public build log.\n+\n+We now rotate keys on every leak.\n',
    );
  });

  it('keeps the text written in a file the error names when someone saved the section meanwhile', async () => {
    // While "alice" is in the editor, bob saves the section through the API.
    const editor = script(
      'racing-editor.sh',
      [
        `node -e 'fetch(process.env.PM_URL, { method: "PUT", headers: { authorization: "Bearer " + process.env.PM_BOB, "content-type": "application/json" }, body: JSON.stringify({ text: "Bob got there first.", baseRevision: 0 }) }).then((r) => process.exit(r.status === 200 ? 0 : 1))'`,
        `printf 'Alice wrote this in the editor.\\n' > "$1"`,
      ].join('\n'),
    );
    const raced = await cli(
      ['postmortem', 'edit', id, '--section', 'lessons'],
      env('alice', {
        EDITOR: editor,
        PM_URL: `${url}/api/v1/postmortems/${id}/sections/lessons`,
        PM_BOB: test.api.tokens.bob,
      }),
    );
    expect(raced.code).toBe(5);
    expect(raced.err).toContain('revision 1 by bob');
    const kept = /your text is kept in (\S+):/.exec(raced.err)?.[1];
    expect(kept).toBeDefined();
    expect(readFileSync(kept ?? '', 'utf8')).toBe('Alice wrote this in the editor.\n');
    expect((await store.getPostmortem(id))?.sections.lessons).toMatchObject({
      text: 'Bob got there first.',
      revision: 1,
    });
  });
});

describe('review, publish and search', () => {
  it('prints the blameless flags at review, names them when publishing is refused, and publishes with --ack', async () => {
    const file = path.join(work, 'what-happened.md');
    writeFileSync(file, 'The key was in the log. Someone forgot to rotate it.\n');
    expect((await cli(['postmortem', 'edit', id, '--section', 'what-happened', '--file', file], env('bob'))).code).toBe(
      0,
    );
    const review = await cli(['postmortem', 'review', id], env('alice'));
    expect(review.code).toBe(0);
    expect(review.out).toContain(`${id} is in-review (was draft)`);
    const flag = /what-happened line 1, column \d+: "forgot" \(flag (\w+)\)/.exec(review.out)?.[1];
    expect(flag).toBeDefined();

    const refused = await cli(['postmortem', 'publish', id], env('bob'));
    expect(refused.code).toBe(5);
    expect(refused.err).toMatch(/sections\.what-happened: line 1, column \d+: "forgot"/);
    const published = await cli(['postmortem', 'publish', id, '--ack', `${flag}=quoted from the chat`], env('bob'));
    expect(published).toMatchObject({
      code: 0,
      out: `${id} is published (was in-review)\nNo audience is named: no summary is sent\n`,
    });
    const history = await cli(['postmortem', 'history', id], env('alice'));
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/ACKNOWLEDGED AT +WHERE +PHRASE +WHY IT STAYS/);
    expect(history.out).toMatch(/what-happened:1:\d+ +"forgot" +quoted from the chat/);
  });

  it('adds and removes tags, and the history shows each change', async () => {
    expect(await cli(['postmortem', 'tag', id, 'rotation', 'vendor'], env('alice'))).toMatchObject({ code: 0 });
    const removed = await cli(['postmortem', 'tag', id, '--remove', 'vendor'], env('alice'));
    expect(removed.code).toBe(0);
    expect(removed.out).toMatch(new RegExp(`^${id} is tagged (.+, )?rotation\n$`));
    expect(removed.out).not.toContain('vendor');
    expect((await cli(['postmortem', 'tag', id], env('alice'))).code).toBe(2);
    const history = await cli(['postmortem', 'history', id], env('alice'));
    expect(history.out).toMatch(/FIELD +BY +AT +NOW\ntags +alice +.+rotation, vendor\ntags +alice +.+rotation\n/);
  });

  it('prints search hits with the matched words marked, and nothing for someone who may not read them', async () => {
    const found = await cli(['postmortem', 'search', 'rotating', '--since', '3650d'], env('alice'));
    expect(found.code).toBe(0);
    expect(found.out).toContain(`Leaked key  (${id}; incident `);
    expect(found.out).toMatch(/«rotat\w*»/);
    expect(await cli(['postmortem', 'search', 'rotating'], env('mallory'))).toMatchObject({
      code: 0,
      out: 'no matches\n',
    });
    expect((await cli(['postmortem', 'search', 'rotating', '--since', 'lately'], env('alice'))).code).toBe(2);
  });

  it('exports to a private file', async () => {
    const out = path.join(work, 'pm.html');
    const result = await cli(['postmortem', 'export', id, '--format', 'html', '--out', out], env('bob'));
    expect(result.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^<!doctype html>/);
  });
});

describe('the review due date', () => {
  it('marks an overdue review in list and show, lists only those with --overdue, and moves the date with due', async () => {
    const people = { facilitators: ['alice'], reviewers: ['bob'], audience: ['carol'] };
    const late = await seedPostmortem(store, {
      incidentId: `pm-cli-late-${Date.now()}`,
      runbookId: 'pm-cli-due',
      title: 'Late review',
      people,
      reviewDueAt: '2026-01-05T09:00:00Z',
    });

    const listed = await cli(['postmortem', 'list', '--runbook', 'pm-cli-due'], env('alice'));
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`${late}\\s+\\S+\\s+draft OVERDUE\\s`));
    const overdue = await cli(['postmortem', 'list', '--overdue'], env('alice'));
    expect(overdue.out).toContain(late);
    expect(overdue.out).not.toContain(id);
    const shown = await cli(['postmortem', 'show', late], env('alice'));
    expect(shown.out).toMatch(/review due {3}.*2026.*OVERDUE\n/);
    expect(shown.out).toContain('  audience     carol\n');

    const moved = await cli(['postmortem', 'due', late, '5d'], env('bob'));
    expect(moved.code, moved.err).toBe(0);
    expect(moved.out).toMatch(new RegExp(`^${late}: review due .*; the reminders count from it\n$`));
    const dueAt = Date.parse((await store.getPostmortem(late))?.reviewDueAt ?? '');
    expect(Math.abs(dueAt - (Date.now() + 5 * 86_400_000))).toBeLessThan(60_000);
    expect((await cli(['postmortem', 'show', late], env('alice'))).out).not.toContain('OVERDUE');
    expect((await cli(['postmortem', 'list', '--overdue', '--runbook', 'pm-cli-due'], env('alice'))).out).toBe(
      'no post-mortems\n',
    );

    const bad = await cli(['postmortem', 'due', late, 'soon'], env('bob'));
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('the due date must be a duration from now (5d, 2w), an ISO 8601 instant');
    const past = await cli(['postmortem', 'due', late, '2020-01-01T00:00:00Z'], env('bob'));
    expect(past.code).toBe(2);
    expect(past.err).toContain('reviewDueAt: must be in the future');
    expect((await cli(['postmortem', 'due', late, '5d'], env('mallory'))).code).toBe(4);
    const cleared = await cli(['postmortem', 'due', late, 'none'], env('alice'));
    expect(cleared).toMatchObject({ code: 0, out: `${late}: no review due date (no reminders)\n` });
    expect((await store.getPostmortem(late))?.reviewDueAt).toBeUndefined();
  });
});
