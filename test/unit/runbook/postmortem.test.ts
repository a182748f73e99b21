/** The `postmortem` step kind: what validation refuses (located) and the step it compiles to. */
import { describe, expect, it } from 'vitest';
import type { PostmortemStep } from '../../../src/domain/plan.js';
import { kindOfPlanStep } from '../../../src/runbook/kinds/index.js';
import { brief, issuesOf, planOf, runbook } from './helpers.js';

const ISOLATE = `  - id: isolate
    title: Isolate
    action: timeline.note
    with: { text: isolated }
`;

function postmortemOf(text: string): PostmortemStep {
  const step = planOf(text).steps.find((candidate) => candidate.id === 'review');
  if (step?.kind !== 'postmortem') throw new Error('no postmortem step `review`');
  return step;
}

describe('postmortem steps', () => {
  it('compile with roles resolved, lists normalised and the due date in ms', () => {
    const text = runbook(
      `${ISOLATE}  - id: review
    title: Open the post-mortem
    postmortem:
      facilitator: role:commander
      reviewers: [role:ciso]
      audience: role:ciso
      due: 5d
      containedBy: step:isolate
      tags: [network, credentials]
`,
    );
    const step = postmortemOf(text);
    expect(step).toEqual({
      kind: 'postmortem',
      id: 'review',
      title: 'Open the post-mortem',
      onFailure: 'abort',
      tags: ['network', 'credentials'],
      loc: { line: 21, col: 5 },
      facilitator: { role: 'commander' },
      reviewers: [{ role: 'ciso' }],
      audience: [{ role: 'ciso' }],
      dueMs: 5 * 86_400_000,
      containedBy: 'isolate',
    });
    expect(Object.isFrozen(step)).toBe(true);
    expect(kindOfPlanStep(step).describe(step)).toBe(
      'postmortem  facilitator role:commander  reviewers role:ciso  audience role:ciso  due 5d  containedBy step:isolate',
    );
  });

  it('accepts the format v1 spelling `owner` as the facilitator, every other field optional', () => {
    const step = postmortemOf(
      runbook(`  - id: review
    title: Open the post-mortem
    postmortem: { owner: role:commander, due: 5d }
`),
    );
    expect(step).toMatchObject({ facilitator: { role: 'commander' }, reviewers: [], audience: [], tags: [] });
    expect(step.containedBy).toBeUndefined();
    expect(step.dueMs).toBe(5 * 86_400_000);
  });

  it('may sit in a parallel branch, and containedBy may name a branch', () => {
    const plan = planOf(
      runbook(`  - id: contain
    title: Contain
    parallel:
      - { id: isolate, title: Isolate, action: timeline.note, with: { text: x } }
      - { id: review, title: Review, postmortem: { facilitator: role:commander, containedBy: step:isolate } }
`),
    );
    const branches = plan.steps[0]?.kind === 'parallel' ? plan.steps[0].branches : [];
    expect(branches[1]).toMatchObject({ kind: 'postmortem', containedBy: 'isolate' });
  });

  it('needs a facilitator, by one name only', () => {
    expect(
      brief(
        issuesOf(
          runbook(`  - id: review
    title: Open the post-mortem
    postmortem: { due: 5d }
`),
        ),
      ),
    ).toEqual(['19:17 steps[0].postmortem a post-mortem needs a facilitator: add `facilitator: role:<name>`']);
    expect(
      brief(
        issuesOf(
          runbook(`  - id: review
    title: Open the post-mortem
    postmortem: { owner: role:commander, facilitator: role:ciso }
`),
        ),
      ),
    ).toEqual([
      '19:19 steps[0].postmortem.owner `owner` and `facilitator` are the same field (`owner` is the format v1 spelling): give one of them',
    ]);
  });

  it('refuses undeclared roles, a bad duration, unknown keys and an empty list, each where it is', () => {
    const issues = issuesOf(
      runbook(`  - id: review
    title: Open the post-mortem
    postmortem:
      facilitator: role:nobody
      reviewers: []
      audience: [role:staff]
      due: soon
      when: later
`),
    );
    expect(brief(issues)).toEqual([
      '20:20 steps[0].postmortem.facilitator unknown role `nobody` (declared roles: commander, ciso)',
      '21:18 steps[0].postmortem.reviewers list at least one role, or leave it out',
      '22:18 steps[0].postmortem.audience[0] unknown role `staff` (declared roles: commander, ciso)',
      '23:12 steps[0].postmortem.due expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '24:7 steps[0].postmortem.when unknown key `when`',
    ]);
    expect(issues.every((issue) => issue.stepId === 'review')).toBe(true);
  });

  it('refuses containedBy naming itself, a compensation or no step', () => {
    const at = (target: string) =>
      brief(
        issuesOf(
          runbook(
            `${ISOLATE}  - id: review
    title: Open the post-mortem
    postmortem: { facilitator: role:commander, containedBy: ${target} }
`,
            'compensations:\n  - { id: undo, title: Undo, action: timeline.note, with: { text: x } }\n',
          ),
        ),
      );
    expect(at('step:review')).toEqual([
      '25:61 steps[1].postmortem.containedBy a post-mortem step cannot mark containment itself: name the step that contains the incident',
    ]);
    expect(at('step:undo')).toEqual([
      '25:61 steps[1].postmortem.containedBy `undo` is a compensation: containment is marked by a step under `steps:`',
    ]);
    expect(at('step:gone')).toEqual([
      '25:61 steps[1].postmortem.containedBy unknown step `gone` (no step has this id)',
    ]);
    expect(at('isolate')).toEqual(['25:61 steps[1].postmortem.containedBy expected step:<id>']);
  });

  it('allows one per runbook, nested steps included', () => {
    const issues = issuesOf(
      runbook(`  - { id: review, title: Review, postmortem: { owner: role:commander } }
  - id: contain
    title: Contain
    parallel:
      - { id: again, title: Again, postmortem: { owner: role:commander } }
`),
    );
    expect(brief(issues)).toEqual([
      '21:36 steps[1].parallel[0].postmortem a runbook has at most one `postmortem` step; step `review` is one',
    ]);
    expect(issues[0]?.stepId).toBe('again');
  });
});
