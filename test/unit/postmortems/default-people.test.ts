/** Who runs a post-mortem when the runbook has no `postmortem` step: its commanders, else who triggered it. */
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/domain/plan.js';
import { defaultPeople } from '../../../src/postmortems/from-incident.js';

const plan = (roles: Plan['roles']): Plan =>
  ({ roles, people: { alice: { email: 'alice@example.com' } } }) as unknown as Plan;

describe('defaultPeople', () => {
  it('has the commander role’s members facilitate, by roster id', () => {
    const start = { plan: plan({ commander: { members: ['alice@example.com'] } }), triggeredBy: { id: 'bob' } };
    expect(defaultPeople(start)).toEqual({ facilitators: ['alice'], reviewers: [], audience: [] });
  });

  it('falls back to the person who triggered it without a commander (or with nobody in it)', () => {
    expect(
      defaultPeople({ plan: plan({ security: { members: ['alice'] } }), triggeredBy: { id: 'bob', source: 'cli' } }),
    ).toEqual({
      facilitators: ['bob'],
      reviewers: [],
      audience: [],
    });
    expect(
      defaultPeople({ plan: plan({ commander: { members: [] } }), triggeredBy: { id: 'bob' } }).facilitators,
    ).toEqual(['bob']);
  });

  it('names nobody when an alert, a schedule or the system triggered it', () => {
    for (const triggeredBy of [
      { id: 'webhook:generic', source: 'webhook' },
      { id: 'schedule:nightly', source: 'schedule' },
      { id: 'system' },
    ]) {
      expect(defaultPeople({ plan: plan({}), triggeredBy }).facilitators).toEqual([]);
    }
  });
});
