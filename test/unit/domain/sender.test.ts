/**
 * `personOf`, shared by the workflow's recipients and sender and by `comms preview` (issue 12, item 5):
 * a roster member found by id or by e-mail gets the name and e-mail the plan's `people` give them.
 */
import { describe, expect, it } from 'vitest';
import { personOf } from '../../../src/domain/sender.js';

const plan = { people: { alice: { name: 'Alice Example', email: 'Alice@example.com' }, bob: { name: 'Bob' } } };

describe('personOf', () => {
  it('finds a member by id, with what the plan says of them', () => {
    expect(personOf(plan, 'alice')).toEqual({ id: 'alice', name: 'Alice Example', email: 'Alice@example.com' });
    expect(personOf(plan, 'bob')).toEqual({ id: 'bob', name: 'Bob' });
  });

  it('finds a member written as an e-mail address, whatever its case, under their id', () => {
    expect(personOf(plan, 'alice@EXAMPLE.com')).toEqual({
      id: 'alice',
      name: 'Alice Example',
      email: 'Alice@example.com',
    });
  });

  it('takes an unknown address as its own e-mail, and an unknown id as no more than an id', () => {
    expect(personOf(plan, 'carol@example.com')).toEqual({ id: 'carol@example.com', email: 'carol@example.com' });
    expect(personOf(plan, 'dave')).toEqual({ id: 'dave' });
    expect(personOf({}, 'erin@example.com')).toEqual({ id: 'erin@example.com', email: 'erin@example.com' });
  });

  it('never takes an inherited property for a member', () => {
    const inherited = Object.create({ mallory: { name: 'Mallory', email: 'mallory@example.com' } }) as Record<
      string,
      { name: string; email: string }
    >;
    expect(personOf({ people: inherited }, 'mallory')).toEqual({ id: 'mallory' });
    for (const name of ['constructor', 'toString', '__proto__']) expect(personOf(plan, name)).toEqual({ id: name });
  });
});
