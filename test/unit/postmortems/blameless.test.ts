/** The blameless check on a fixture of sentences that must be flagged and sentences that must not. */
import { describe, expect, it } from 'vitest';
import { checkBlameless } from '../../../src/postmortems/blameless.js';

const people = {
  bob: { name: 'Bob Builder', email: 'bob@example.com' },
  mark: { name: 'Mark Twain', email: 'mtwain@example.com' },
  al: { name: 'Al Jones' },
};

const FLAGGED: [string, string][] = [
  ['The outage was caused by human error.', 'human error'],
  ['Root cause: operator error during the deploy.', 'operator error'],
  ['The on-call engineer should have checked the dashboard.', 'should have'],
  ['Someone should’ve rotated the key sooner.', 'should’ve'],
  ['They shouldn’t have pushed on a Friday.', 'shouldn’t have'],
  ['The reviewer forgot to check the firewall diff.', 'forgot'],
  ['A careless change went out.', 'careless'],
  ['It was nobody else’s fault: the contractor was negligent.', 'negligent'],
  ['We will not blame anyone, but', 'blame'],
  ['The team dropped the ball on the hand-off.', 'dropped the ball'],
  ['SHOULD   HAVE been caught\nin review.', 'SHOULD   HAVE'],
];

const PERSON: [string, string][] = [
  ['Bob misconfigured the security group.', 'Bob … misconfigured'],
  ['bob@example.com deleted the production bucket.', 'bob@example.com … deleted'],
  ['On Tuesday, Mark Twain ignored the page.', 'Mark Twain … ignored'],
  ['The change by @mark was wrong.', '@mark … wrong'],
  ['As MTwain@Example.com found, the config was wrong.', 'MTwain@Example.com … wrong'],
  ['Per the logs, @BOB did not restart the job.', '@BOB … did not'],
];

const CLEAN = [
  'The security group allowed traffic from any address.',
  'Bob isolated the host within 12 minutes of the page.',
  'The backup job failed to start because the credentials had expired.',
  'The deploy tool did not require a second approver for production.',
  'We should rotate keys automatically every 90 days.',
  'Nothing forgets like a cron job with no alert: add one.',
  'We mark the host as quarantined, then the pipeline failed over.',
  'Alerts showed the error rate rising at 10:02.',
  'Al was paged; the pager app failed to deliver.',
  'The shoulder of the traffic curve came at noon.',
  'The bob cut of the graph shows the error rate at 10:02.',
  'Blameless reviews focus on systems.',
];

describe('checkBlameless', () => {
  it.each(FLAGGED)('flags a blaming phrase: %s', (sentence, match) => {
    const flags = checkBlameless({ 'what-happened': sentence }, { people });
    expect(flags.map((f) => [f.rule, f.match])).toContainEqual(['phrase', match]);
  });

  it.each(PERSON)('flags a person as the subject of a failure: %s', (sentence, match) => {
    const flags = checkBlameless({ 'contributing-factors': sentence }, { people });
    expect(flags.map((f) => [f.rule, f.match])).toEqual([['person', match]]);
  });

  it.each(CLEAN)('leaves a blameless sentence alone: %s', (sentence) => {
    expect(checkBlameless({ summary: sentence }, { people })).toEqual([]);
  });

  it('says where: section, line and column, the sentence, and a question for the rewrite', () => {
    const text = 'The page went out at 10:02.\nThe reviewer\nforgot the diff. Then Bob broke the build.';
    const flags = checkBlameless({ 'went-poorly': text, lessons: 'Human error is not a cause.' }, { people });
    expect(flags).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{16}$/) as string,
        section: 'went-poorly',
        line: 3,
        column: 1,
        sentence: 'The reviewer forgot the diff.',
        match: 'forgot',
        rule: 'phrase',
        instead: 'what reminder, check or automation was missing?',
      },
      expect.objectContaining({ section: 'went-poorly', line: 3, column: 23, rule: 'person', match: 'Bob … broke' }),
      expect.objectContaining({ section: 'lessons', line: 1, column: 1, rule: 'phrase', match: 'Human error' }),
    ]);
  });

  it('reads a sentence wrapped over lines as one, and a list item or paragraph as a new one', () => {
    expect(checkBlameless({ summary: 'At 10:02 Bob\n  deleted the old bucket.' }, { people })).toHaveLength(1);
    for (const text of [
      '- Bob paged the team\n- the job failed',
      'Bob paged us.\n\nThe job failed.',
      'Bob\n# Failed',
    ]) {
      expect(checkBlameless({ summary: text }, { people }), text).toEqual([]);
    }
  });

  it('keeps a flag id across edits elsewhere, so an acknowledgement still names it', () => {
    const before = checkBlameless({ summary: 'Intro.\nThe operator forgot the step.' }, { people });
    const after = checkBlameless(
      { summary: 'A longer intro.\n\nMore text.\nThe operator  forgot the step.' },
      { people },
    );
    expect(after.map((f) => f.id)).toEqual(before.map((f) => f.id));
    expect(after[0]!.line).toBe(4);
  });

  it('adds the words config gives, whole words only, and escapes them', () => {
    const extraWords = ['rookie mistake', 'c++ noob'];
    expect(checkBlameless({ summary: 'A rookie   mistake in the config.' }, { extraWords })).toEqual([
      expect.objectContaining({ rule: 'phrase', match: 'rookie   mistake' }),
    ]);
    expect(checkBlameless({ summary: 'Like a c++ noob.' }, { extraWords })).toHaveLength(1);
    expect(checkBlameless({ summary: 'The rookiemistake flag.' }, { extraWords })).toEqual([]);
  });

  it('reads only the sections people write, as own properties', () => {
    const sections = Object.create({ summary: 'Human error.' }) as Record<string, string>;
    sections.timeline = 'Human error.';
    expect(checkBlameless(sections, { people })).toEqual([]);
  });

  it('checks a large section sentence by sentence', () => {
    const big = `${'The cache warmed slowly and the queue grew. '.repeat(6_000)}Then Bob skipped the canary.`;
    expect(checkBlameless({ 'what-happened': big }, { people })).toEqual([
      expect.objectContaining({ rule: 'person', match: 'Bob … skipped', line: 1, column: 6_000 * 44 + 6 }),
    ]);
  });
});
