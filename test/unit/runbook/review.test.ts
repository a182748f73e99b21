/** The runbook's `review:` field: the plan it compiles to, and each problem validation reports at its location. */
import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../../src/cli/render-plan.js';
import { brief, issuesOf, planOf, runbook } from './helpers.js';

const STEP = `  - id: note
    title: Note
    action: timeline.note
    with: { text: hello }
`;

/** The inline runbook with `review` written at line 16 (after the facts). */
function withReview(review: string): string {
  return runbook(STEP, `review: ${review}\n`);
}

describe('runbook review', () => {
  it('compiles into the plan with the role resolved and the period in ms', () => {
    expect(planOf(withReview('{ every: 90d, owner: role:commander, last: 2026-09-01 }')).review).toEqual({
      every: '90d',
      everyMs: 90 * 86_400_000,
      owner: 'commander',
      last: '2026-09-01',
    });
    expect(planOf(withReview('{ every: 12w, owner: role:ciso }')).review).toEqual({
      every: '12w',
      everyMs: 84 * 86_400_000,
      owner: 'ciso',
    });
    expect(planOf(runbook(STEP)).review).toBeUndefined();
  });

  it('is shown by runbook show', () => {
    const shown = (review: string) => renderPlan(planOf(withReview(review)), process.cwd());
    expect(shown('{ every: 90d, owner: role:commander, last: 2026-09-01 }')).toMatch(
      /^ {2}review +every 90d by role:commander, last 2026-09-01$/m,
    );
    expect(shown('{ every: 12w, owner: role:ciso }')).toMatch(/^ {2}review +every 12w by role:ciso, never reviewed$/m);
    expect(renderPlan(planOf(runbook(STEP)), process.cwd())).not.toMatch(/review/);
  });

  it('refuses each bad field at its location, naming what is wrong', () => {
    const cases: [string, string][] = [
      [
        '{ every: 90d, owner: role:auditors }',
        '16:30 review.owner unknown role `auditors` (declared roles: commander, ciso)',
      ],
      ['{ every: 90 days, owner: role:ciso }', '16:18 review.every expected a duration such as 30s, 15m, 4h, 3d or 2w'],
      ['{ every: 12h, owner: role:ciso }', '16:18 review.every must be at least 1d'],
      ['{ every: 90d, owner: ciso }', '16:30 review.owner expected a role reference such as role:commander'],
      ['{ every: 90d, owner: role:ciso, last: 2026-02-30 }', '16:47 review.last expected a date such as 2026-09-01'],
      ['{ every: 90d, owner: role:ciso, last: 1 Sep 2026 }', '16:47 review.last expected a date such as 2026-09-01'],
      ['{ owner: role:ciso }', '16:9 review.every `every` is required'],
      ['{ every: 90d }', '16:9 review.owner `owner` is required'],
      [
        '{ every: 90d, owner: role:ciso, lastReviewed: 2026-01-01 }',
        '16:41 review.lastReviewed unknown key `lastReviewed`',
      ],
      ['every 90d', '16:9 review expected a mapping'],
    ];
    for (const [review, expected] of cases) {
      const found = brief(issuesOf(withReview(review)));
      expect(found, review).toHaveLength(1);
      expect(found[0], review).toContain(expected);
    }
  });
});
