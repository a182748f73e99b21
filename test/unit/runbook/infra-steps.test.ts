/**
 * Validation of `infra.*` steps: `requires: approval:<step>` (the two-person rule for destroy and redeploy),
 * the provider's capabilities when the config is known, and a redeploy image pinned by digest.
 */
import { describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { InfraConfigSchema } from '../../../src/config/infra-schema.js';
import type { ActionStep } from '../../../src/domain/plan.js';
import { infraCatalog } from '../../../src/infra/from-config.js';
import { compileRunbook } from '../../../src/runbook/catalog.js';
import type { InfraCatalog } from '../../../src/runbook/kinds/types.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

function runbook(steps: string, compensations = ''): string {
  return `apiVersion: firebreak/v1
id: burn
title: Burn a container down
version: 1
severity: sev1
roles:
  commander: {}
  security: {}
steps:
${steps}${compensations === '' ? '' : `compensations:\n${compensations}`}`;
}

const PIN = `  - id: pin
    title: Pin
    action: infra.inventory
    with: { provider: local, select: { name: web-1 } }
`;

function approve(distinct: number | undefined, id = 'two-people'): string {
  return `  - id: ${id}
    title: Two people approve
    approval: Destroy web-1
    approvers: [role:commander, role:security]
${distinct === undefined ? '' : `    distinct: ${distinct}\n`}`;
}

const DESTROY = (requires?: string) => `  - id: destroy
    title: Destroy
    action: infra.destroy
${requires === undefined ? '' : `    requires: ${requires}\n`}    with: { provider: local, targets: "\${{ steps.pin.output.targets }}" }
`;

function compile(text: string, infra?: InfraCatalog) {
  return compileRunbook(
    { file: 'burn.yaml', bytes: Buffer.from(text) },
    { actions: builtinActionCatalog, ...(infra === undefined ? {} : { infra }) },
  );
}

function messages(text: string, infra?: InfraCatalog): string[] {
  const result = compile(text, infra);
  if (result.ok) throw new Error('expected problems, but the runbook compiled');
  return result.issues.map((issue) => `${issue.path ?? ''}: ${issue.message}`);
}

describe('requires: approval:<step>', () => {
  it('compiles a destroy after an approval of two distinct people, keeping the requirement in the plan', () => {
    const result = compile(runbook(PIN + approve(2) + DESTROY('approval:two-people')));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const step = result.value.steps.find((s) => s.id === 'destroy') as ActionStep;
    expect(step.requires).toEqual({ approval: 'two-people' });
  });

  it('refuses infra.destroy and infra.redeploy without one, saying what to add', () => {
    expect(messages(runbook(PIN + DESTROY()))).toEqual([
      'steps[1].action: `infra.destroy` must name a preceding approval step with `distinct: 2` or more (the two-person rule): add `requires: approval:<step id>`',
    ]);
    const redeploy = `  - id: redeploy
    title: Redeploy
    action: infra.redeploy
    with: { provider: local, targets: "\${{ steps.pin.output.targets }}", image: "registry.local/web@${DIGEST}" }
`;
    expect(messages(runbook(PIN + redeploy))[0]).toContain('`infra.redeploy` must name a preceding approval step');
  });

  it('refuses an approval of fewer than two distinct people, or none', () => {
    expect(messages(runbook(PIN + approve(undefined) + DESTROY('approval:two-people')))).toEqual([
      'steps[2].requires: `infra.destroy` must name a preceding approval step with `distinct: 2` or more (the two-person rule): approval `two-people` has no `distinct`',
    ]);
    expect(messages(runbook(PIN + approve(1) + DESTROY('approval:two-people')))[0]).toContain(
      'approval `two-people` has `distinct: 1`',
    );
  });

  it('refuses an unknown step, a step that is not an approval, and an approval that runs later', () => {
    expect(messages(runbook(PIN + approve(2) + DESTROY('approval:nobody')))).toEqual([
      'steps[2].requires: unknown step `nobody`: `requires` names an approval step of this runbook',
    ]);
    expect(messages(runbook(PIN + approve(2) + DESTROY('approval:pin')))).toEqual([
      'steps[2].requires: `pin` is not an approval step',
    ]);
    expect(messages(runbook(PIN + DESTROY('approval:two-people') + approve(2)))).toEqual([
      'steps[1].requires: approval `two-people` does not run before this step: put it earlier in `steps`, not in a parallel branch beside this step',
    ]);
  });

  it('refuses an approval in a parallel branch beside the step, and accepts one before the group', () => {
    const branches = (first: string, second: string) => `  - id: together
    title: At once
    parallel:
${indent(first)}${indent(second)}`;
    const indent = (text: string) => text.replace(/^(?=.)/gm, '    ');
    expect(messages(runbook(PIN + branches(approve(2), DESTROY('approval:two-people'))))).toEqual([
      'steps[1].parallel[1].requires: approval `two-people` does not run before this step: put it earlier in `steps`, not in a parallel branch beside this step',
    ]);
    expect(compile(runbook(PIN + approve(2) + branches(DESTROY('approval:two-people'), ''))).ok).toBe(true);
    // A group finishes before the next step starts.
    expect(compile(runbook(PIN + branches(approve(2), '') + DESTROY('approval:two-people'))).ok).toBe(true);
  });

  it('lets a compensation name any approval step of the runbook', () => {
    const undo = `  - id: destroy
    title: Destroy
    action: infra.destroy
    requires: approval:two-people
    with: { provider: local, targets: "\${{ steps.pin.output.targets }}" }
`;
    expect(compile(runbook(PIN + approve(2), undo)).ok).toBe(true);
  });

  it('refuses a malformed requires', () => {
    expect(messages(runbook(PIN + approve(2) + DESTROY('two-people')))).toEqual([
      'steps[2].requires: expected approval:<step id>',
    ]);
  });
});

describe('infra providers when the config is known', () => {
  const infra = infraCatalog(
    InfraConfigSchema.parse({ providers: { local: { kind: 'docker', host: 'unix:///run/docker.sock' } } }),
  );

  it('lets a runbook name a provider this deployment does not configure (its step fails when it runs)', () => {
    expect(compile(runbook(PIN.replace('provider: local', 'provider: prod')), infra).ok).toBe(true);
  });

  it('refuses an operation the provider does not support', () => {
    const limited: InfraCatalog = {
      names: () => ['local'],
      provider: () => ({ kind: 'docker', capabilities: new Set(['inventory']) }),
    };
    const isolate = `  - id: isolate
    title: Isolate
    action: infra.isolate
    with: { provider: local, targets: "\${{ steps.pin.output.targets }}" }
`;
    expect(messages(runbook(PIN + isolate), limited)).toEqual([
      'steps[1].action: infra provider `local` (docker) does not support isolate (it supports inventory)',
    ]);
    expect(compile(runbook(PIN + isolate), infra).ok).toBe(true);
  });

  it('does not check providers without the config', () => {
    expect(compile(runbook(PIN.replace('provider: local', 'provider: prod'))).ok).toBe(true);
  });
});

describe('infra.redeploy', () => {
  const redeploy = (image: string) => `  - id: redeploy
    title: Redeploy
    action: infra.redeploy
    requires: approval:two-people
    with: { provider: local, targets: "\${{ steps.pin.output.targets }}", image: "${image}" }
`;

  it('refuses an image written with a tag and no digest', () => {
    expect(messages(runbook(PIN + approve(2) + redeploy('registry.local/web:1.4')))).toEqual([
      'steps[2].with.image: expected an image pinned by digest, repository@sha256:<64 hex digits>: a tag alone can be moved to other bytes',
    ]);
  });

  it('accepts an image by digest, with or without a tag before it', () => {
    expect(compile(runbook(PIN + approve(2) + redeploy(`registry.local/web@${DIGEST}`))).ok).toBe(true);
    expect(compile(runbook(PIN + approve(2) + redeploy(`127.0.0.1:5000/web:1.4@${DIGEST}`))).ok).toBe(true);
  });
});
