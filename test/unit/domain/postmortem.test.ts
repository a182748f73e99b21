/**
 * Whether a closed incident needs a post-mortem (`src/domain/postmortem.ts`), the rule the incident workflow
 * and drafting share: the recorded step, the plan's step the run never reached (not one skipped by `when`),
 * then severity, for top-level incidents only; and who a `postmortem` step's roles name.
 */
import { describe, expect, it } from 'vitest';
import type { Plan, PostmortemStep, StepCommon, StepPlan } from '../../../src/domain/plan.js';
import { postmortemReason, postmortemStepOf, rosterIdsOf } from '../../../src/domain/postmortem.js';
import type { IncidentState, PostmortemRequirement, StepStatus } from '../../../src/domain/state.js';

const common = (id: string): StepCommon => ({ id, title: id, onFailure: 'abort', tags: [] });
const note: StepPlan = { ...common('note'), kind: 'action', action: 'timeline.note', with: {} };
const review: PostmortemStep = {
  ...common('review'),
  kind: 'postmortem',
  facilitator: { role: 'commander' },
  reviewers: [{ role: 'security' }],
  audience: [],
  tags: [],
};

function planOf(steps: StepPlan[], extra: Partial<Plan> = {}): Plan {
  return {
    roles: {
      commander: { members: ['alice', 'ERIN@example.com', 'outsider@example.org'] },
      security: { members: ['bob@example.com', 'erin'] },
    },
    people: {
      alice: { email: 'alice@example.com' },
      bob: { email: 'bob@example.com' },
      erin: { email: 'erin@example.com' },
    },
    steps,
    ...extra,
  } as unknown as Plan;
}

function stateOf(
  severity: IncidentState['severity'],
  steps: Record<string, StepStatus>,
  postmortem?: PostmortemRequirement,
): Pick<IncidentState, 'postmortem' | 'severity' | 'steps'> {
  return {
    severity,
    steps: Object.entries(steps).map(([id, status]) => ({ id, status }) as IncidentState['steps'][number]),
    ...(postmortem ? { postmortem } : {}),
  };
}

const requiredFor = ['sev1', 'sev2'] as const;
const recorded = { step: 'review' } as PostmortemRequirement;

describe('postmortemReason', () => {
  it('is the recorded step first, then a step the run never reached, then severity', () => {
    const withStep = planOf([note, review]);
    expect(
      postmortemReason(stateOf('sev4', { note: 'succeeded', review: 'succeeded' }, recorded), withStep, {}, []),
    ).toBe('step');
    expect(postmortemReason(stateOf('sev4', { note: 'failed', review: 'pending' }), withStep, {}, [])).toBe(
      'plan-step',
    );
    const without = planOf([note]);
    expect(postmortemReason(stateOf('sev2', { note: 'succeeded' }), without, {}, requiredFor)).toBe('severity');
    expect(postmortemReason(stateOf('sev3', { note: 'succeeded' }), without, {}, requiredFor)).toBeUndefined();
  });

  it('takes a step skipped by its condition as "none needed on this path": only severity can then require one', () => {
    const plan = planOf([note, review]);
    expect(
      postmortemReason(stateOf('sev3', { note: 'succeeded', review: 'skipped' }), plan, {}, requiredFor),
    ).toBeUndefined();
    expect(postmortemReason(stateOf('sev1', { note: 'succeeded', review: 'skipped' }), plan, {}, requiredFor)).toBe(
      'severity',
    );
  });

  it('lets severity require one only of a top-level incident: not a scheduled job, not a child runbook', () => {
    const state = stateOf('sev1', { note: 'succeeded' });
    expect(postmortemReason(state, planOf([note], { kind: 'job' }), {}, requiredFor)).toBeUndefined();
    expect(
      postmortemReason(state, planOf([note]), { parent: { incidentId: 'p', step: 's' } }, requiredFor),
    ).toBeUndefined();
    // A child runbook's own postmortem step still counts.
    const child = planOf([note, review]);
    expect(
      postmortemReason(stateOf('sev4', { note: 'failed' }), child, { parent: { incidentId: 'p', step: 's' } }, []),
    ).toBe('plan-step');
  });
});

describe('postmortemStepOf and rosterIdsOf', () => {
  it('finds a postmortem step nested in a parallel group', () => {
    const group: StepPlan = { ...common('group'), kind: 'parallel', branches: [note, review] };
    expect(postmortemStepOf({ steps: [note, group] })).toBe(review);
    expect(postmortemStepOf({ steps: [note] })).toBeUndefined();
  });

  it('names each person once by roster id (an e-mail in any case maps to it), keeps others as written', () => {
    const plan = planOf([]);
    expect(rosterIdsOf(plan, [{ role: 'commander' }, { role: 'security' }])).toEqual([
      'alice',
      'erin',
      'outsider@example.org',
      'bob',
    ]);
    expect(rosterIdsOf(plan, [{ role: 'constructor' }, { role: 'nobody' }])).toEqual([]);
  });
});
