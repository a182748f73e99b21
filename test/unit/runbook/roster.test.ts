/** Binding a plan to the roster at trigger time. */
import { describe, expect, it } from 'vitest';
import type { RunbookStep } from '../../../src/domain/plan.js';
import { resolveRoster, rosterMembers } from '../../../src/runbook/roster.js';
import { compileTexts } from './helpers.js';

const parent = `apiVersion: firebreak/v1
id: parent
title: Parent
version: 1
severity: sev2
roles:
  commander: { members: [lead@example.com] }
  security: {}
steps:
  - { id: child, title: Child, runbook: child }
`;
const child = `apiVersion: firebreak/v1
id: child
title: Child
version: 1
severity: sev3
roles:
  commander: {}
steps:
  - { id: w, title: W, wait: 1m }
`;

const roster = [
  { id: 'alice', name: 'Alice Example', email: 'alice@example.com', roles: ['commander', 'security'] },
  { id: 'bob', roles: ['security'] },
  { id: 'lead', email: 'lead@example.com', roles: ['commander'] },
  { id: 'carol', email: 'carol@example.com', roles: ['legal'] },
];

describe('resolveRoster', () => {
  const catalog = compileTexts({ 'parent.yaml': parent, 'child.yaml': child });
  const plan = catalog.runbooks.get('parent')!.plan;

  it('merges roster users into each role by id and e-mail, without duplicates', () => {
    const resolved = resolveRoster(plan, roster);
    expect(resolved.roles).toEqual({
      commander: { members: ['lead@example.com', 'alice', 'alice@example.com', 'lead'] },
      security: { members: ['alice', 'alice@example.com', 'bob'] },
    });
  });

  it('resolves child plans too and freezes the result without touching the original', () => {
    const resolved = resolveRoster(plan, roster);
    const childPlan = (resolved.steps[0] as RunbookStep).plan;
    expect(childPlan.roles.commander?.members).toEqual(['alice', 'alice@example.com', 'lead', 'lead@example.com']);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(Object.isFrozen(childPlan.roles)).toBe(true);
    expect(plan.roles.security?.members).toEqual([]);
    expect((plan.steps[0] as RunbookStep).plan.roles.commander?.members).toEqual([]);
    expect(resolved.contentHash).toBe(plan.contentHash);
  });

  it('records the name and e-mail of every roster user in the roles, by id, in each plan', () => {
    const resolved = resolveRoster(plan, roster);
    expect(resolved.people).toEqual({
      alice: { name: 'Alice Example', email: 'alice@example.com' },
      bob: {},
      lead: { email: 'lead@example.com' },
    });
    expect((resolved.steps[0] as RunbookStep).plan.people).toEqual({
      alice: { name: 'Alice Example', email: 'alice@example.com' },
      lead: { email: 'lead@example.com' },
    });
    expect(Object.isFrozen(resolved.people)).toBe(true);
    expect(plan.people).toBeUndefined();
  });

  it('finds a person the runbook lists by e-mail (case-insensitively) even without the role on the roster', () => {
    const resolved = resolveRoster(plan, [{ id: 'lee', name: 'Lee Lead', email: 'LEAD@example.com', roles: [] }]);
    expect(resolved.roles.commander?.members).toEqual(['lead@example.com']);
    expect(resolved.people).toEqual({ lee: { name: 'Lee Lead', email: 'LEAD@example.com' } });
    expect((resolved.steps[0] as RunbookStep).plan.people).toEqual({});
  });
});

describe('rosterMembers', () => {
  it('keeps id, name, e-mail and roles, and drops everything else', () => {
    const users = [
      { id: 'alice', name: 'Alice', email: 'alice@example.com', roles: ['commander'], token: 'sha256:00' },
      { id: 'bob', roles: [] },
    ];
    expect(rosterMembers(users)).toEqual([
      { id: 'alice', name: 'Alice', email: 'alice@example.com', roles: ['commander'] },
      { id: 'bob', roles: [] },
    ]);
  });
});
