/** The step-kind registry covers every plan kind and only those. */
import { describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../../src/domain/plan.js';
import { STEP_KIND_REGISTRY, UNAVAILABLE_KINDS, type AuthoringStep } from '../../../src/runbook/kinds/index.js';

describe('step kind registry', () => {
  it('registers one kind per plan step kind, keyed by the YAML field', () => {
    expect(STEP_KIND_REGISTRY.map((kind) => kind.planKind)).toEqual([...STEP_KINDS]);
    expect(STEP_KIND_REGISTRY.map((kind) => kind.key)).toEqual([...STEP_KINDS]);
  });

  it('allows retry on action, notify (deliveries) and runbook steps only', () => {
    expect(STEP_KIND_REGISTRY.filter((kind) => kind.supportsRetry).map((kind) => kind.key)).toEqual([
      'action',
      'notify',
      'runbook',
    ]);
  });

  it('runs every kind of the format: none is refused as not available yet', () => {
    expect(UNAVAILABLE_KINDS).toEqual([]);
    expect(STEP_KIND_REGISTRY.map((kind) => kind.key)).toContain('postmortem');
  });

  it('allows at most one postmortem step per runbook, and no other kind is limited', () => {
    expect(STEP_KIND_REGISTRY.filter((kind) => kind.oncePerRunbook).map((kind) => kind.key)).toEqual(['postmortem']);
  });

  it('knows which facts a step records: only task steps, only names', () => {
    const step = { id: 'a', title: 'A', sets: ['x', 3] } as unknown as AuthoringStep;
    const recorded = STEP_KIND_REGISTRY.flatMap((kind) => {
      const sets = kind.factsSet(step);
      return sets.length > 0 ? [[kind.key, sets]] : [];
    });
    expect(recorded).toEqual([['task', ['x']]]);
  });
});
