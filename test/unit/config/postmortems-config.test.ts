/** loadConfig(env): the `postmortems` section, its defaults, and each problem located in the file. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostmortemsConfigSchema, reviewRemindersOf } from '../../../src/config/index.js';
import { loadConfig } from '../../../src/config/load.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'firebreak-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function load(text: string) {
  writeFileSync(path.join(dir, 'firebreak.yaml'), text);
  return loadConfig({}, { cwd: dir });
}

function problems(text: string): string[] {
  const result = load(text);
  return result.ok ? [] : result.issues.map((i) => `${i.line}:${i.col} ${i.path} ${i.message}`);
}

describe('loadConfig: postmortems', () => {
  it('defaults to sev1 and sev2, UTC and no extra words, with or without the section', () => {
    const defaults = { requiredFor: ['sev1', 'sev2'], timeZone: 'UTC', blamelessWords: [] };
    expect(PostmortemsConfigSchema.parse({})).toEqual(defaults);
    const without = load('users: []\n');
    expect(without.ok && without.value.postmortems).toBeUndefined();
    const empty = load('postmortems: {}\n');
    expect(empty.ok && empty.value.postmortems).toEqual(defaults);
  });

  it('reads severities, an IANA time zone and extra blameless words', () => {
    const loaded = load(`postmortems:
  requiredFor: [sev1]
  timeZone: Europe/Berlin
  blamelessWords: [blunder, " sloppy "]
`);
    expect(loaded.ok && loaded.value.postmortems).toEqual({
      requiredFor: ['sev1'],
      timeZone: 'Europe/Berlin',
      blamelessWords: ['blunder', 'sloppy'],
    });
    const none = load('postmortems: { requiredFor: [] }\n');
    expect(none.ok && none.value.postmortems?.requiredFor).toEqual([]);
  });

  it('locates every problem: unknown severity, duplicate, unknown time zone, empty word, unknown key', () => {
    expect(
      problems(`postmortems:
  requiredFor: [sev1, sev5, sev1]
  timeZone: Mars/Olympus
  blamelessWords: ["", "two\\nlines"]
  reviewers: []
`),
    ).toEqual([
      '2:23 postmortems.requiredFor[1] expected one of sev1, sev2, sev3, sev4',
      '3:13 postmortems.timeZone expected an IANA time zone such as UTC or Europe/Berlin',
      '4:20 postmortems.blamelessWords[0] must not be empty',
      '4:24 postmortems.blamelessWords[1] must be one line without control characters',
      '5:3 postmortems.reviewers unknown key `reviewers`',
    ]);
    expect(problems('postmortems:\n  requiredFor: [sev1, sev2, sev1]\n')).toEqual([
      '2:29 postmortems.requiredFor[2] sev1 is listed twice',
    ]);
  });

  it('reads the review reminders as milliseconds, defaulting to 1d and 7d, and locates a bad duration', () => {
    const loaded = load('postmortems:\n  review: { remindBefore: 12h }\n');
    expect(loaded.ok && loaded.value.postmortems?.review).toEqual({
      remindBefore: 43_200_000,
      overdueEvery: 604_800_000,
    });
    expect(reviewRemindersOf(undefined)).toEqual({ remindBefore: 86_400_000, overdueEvery: 604_800_000 });
    expect(reviewRemindersOf(PostmortemsConfigSchema.parse({}))).toEqual(reviewRemindersOf(undefined));
    expect(problems('postmortems:\n  review:\n    overdueEvery: weekly\n    nag: true\n')).toEqual([
      '3:19 postmortems.review.overdueEvery expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '4:5 postmortems.review.nag unknown key `nag`',
    ]);
  });
});

describe('loadConfig: postmortems.actionItems', () => {
  it('is left out unless written (the watcher then reminds 2d before and every 7d overdue), and reads durations as ms', () => {
    const without = load('postmortems: {}\n');
    expect(without.ok && without.value.postmortems?.actionItems).toBeUndefined();
    const empty = load('postmortems: { actionItems: {} }\n');
    expect(empty.ok && empty.value.postmortems?.actionItems).toEqual({
      remindBefore: 2 * 86_400_000,
      overdueEvery: 7 * 86_400_000,
    });
    const written = load('postmortems:\n  actionItems: { remindBefore: 36h, overdueEvery: 1d }\n');
    expect(written.ok && written.value.postmortems?.actionItems).toEqual({
      remindBefore: 36 * 3_600_000,
      overdueEvery: 86_400_000,
    });
  });

  it('locates a bad duration, an overdue interval under an hour and an unknown key', () => {
    expect(
      problems(`postmortems:
  actionItems:
    remindBefore: soon
    overdueEvery: 30m
    escalateTo: role:ciso
`),
    ).toEqual([
      '3:19 postmortems.actionItems.remindBefore expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '4:19 postmortems.actionItems.overdueEvery must be at least 1h',
      '5:5 postmortems.actionItems.escalateTo unknown key `escalateTo`',
    ]);
  });
});
