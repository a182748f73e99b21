/**
 * The per-kind table shared code asks instead of comparing `step.kind` with names (issue 12, item 3):
 * every kind has an entry, and each trait answers as the branches it replaced did.
 */
import { describe, expect, it } from 'vitest';
import { STEP_KINDS, type StepCommon, type StepKind, type StepPlan } from '../../../src/domain/plan.js';
import {
  carriesMessage,
  childrenOf,
  decisionOf,
  forEachStep,
  gateKindOf,
  isMessageStep,
} from '../../../src/domain/step-kinds.js';

const common = (id: string): StepCommon => ({ id, title: id, onFailure: 'abort', tags: [] });
const action = (id: string): StepPlan => ({ ...common(id), kind: 'action', action: 'timeline.note', with: {} });
const decision: StepPlan = { ...common('decide'), kind: 'decision', decision: 'contain' };
const group: StepPlan = { ...common('group'), kind: 'parallel', branches: [action('a'), decision, action('b')] };

describe('step kinds', () => {
  it('nests only a parallel step’s branches, and forEachStep visits them depth first in runbook order', () => {
    expect(childrenOf(group)).toEqual(group.kind === 'parallel' ? group.branches : []);
    expect(childrenOf(decision)).toEqual([]);
    const seen: string[] = [];
    forEachStep([action('first'), group, action('last')], (step) => seen.push(step.id));
    expect(seen).toEqual(['first', 'group', 'a', 'decide', 'b', 'last']);
  });

  it('names the decision a decision step records, and none for other kinds', () => {
    expect(decisionOf(decision)).toBe('contain');
    expect(decisionOf(action('a'))).toBeUndefined();
    expect(decisionOf(group)).toBeUndefined();
  });

  it('says which gate each kind opens: a notify step’s message is voted on through an approval gate', () => {
    const gates = Object.fromEntries(STEP_KINDS.map((kind) => [kind, gateKindOf(kind)]));
    expect(gates).toEqual({
      action: undefined,
      task: 'task',
      decision: 'decision',
      approval: 'approval',
      notify: 'approval',
      parallel: undefined,
      runbook: undefined,
      wait: undefined,
    });
  });

  it('says only notify steps carry a message', () => {
    expect(STEP_KINDS.filter(carriesMessage)).toEqual(['notify']);
    expect(isMessageStep(decision)).toBe(false);
  });

  it('knows no traits for a kind this release does not have, inherited names included', () => {
    for (const kind of ['page', 'constructor', 'toString'] as unknown as StepKind[]) {
      expect(gateKindOf(kind)).toBeUndefined();
      expect(carriesMessage(kind)).toBe(false);
    }
  });
});
