/** Binding a plan to the roster at trigger time. */
import { describe, expect, it } from 'vitest';
import type { RunbookStep } from '../../../src/domain/plan.js';
import { resolveRoster } from '../../../src/runbook/roster.js';
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
  { id: 'alice', email: 'alice@example.com', roles: ['commander', 'security'] },
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
});
