/** The runbooks shipped in runbooks/ must validate with the built-in actions and the starter templates. */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import { createExpressionEnvironment, interpolateText } from '../../../src/domain/expressions.js';
import { forEachStep } from '../../../src/domain/step-kinds.js';
import { loadRunbookDirs } from '../../../src/runbook/loader.js';
import { compact } from '../../../src/runbook/object.js';
import { loadTemplateDirs } from '../../../src/templating/catalog.js';

const RUNBOOKS = path.resolve(import.meta.dirname, '../../../runbooks');
const TEMPLATES = path.resolve(import.meta.dirname, '../../../templates');

async function loadStarter() {
  const templates = await loadTemplateDirs([TEMPLATES]);
  expect(templates.problems).toEqual([]);
  return loadRunbookDirs([RUNBOOKS], { actions: builtinActionCatalog, templates });
}

describe('starter runbooks', () => {
  it('all validate and compile', async () => {
    const catalog = await loadStarter();
    expect(catalog.issues).toEqual([]);
    expect([...catalog.runbooks.keys()].sort()).toEqual([
      'compromised-container-image',
      'compromised-host',
      'credential-leak',
      'drill-watch',
      'files-restore-drill',
      'lessons-review',
      'personal-data-exfiltration',
      'postgres-backup',
      'postgres-restore-drill',
      'ransomware-host',
      'restore-from-backup',
    ]);
  });

  it('start the GDPR Art. 33 clock from a recorded decision, 72 hours', async () => {
    const catalog = await loadStarter();
    const plan = catalog.runbooks.get('personal-data-exfiltration')!.plan;
    expect(plan.deadlines[0]).toMatchObject({
      id: 'gdpr-art33',
      startsAt: { decision: 'becameAware' },
      withinMs: 72 * 3_600_000,
    });
    expect(Object.keys(plan.facts)).toEqual(expect.arrayContaining(['recordsAffected', 'dataCategories']));
    const ransomware = catalog.runbooks.get('ransomware-host')!.plan;
    const children: string[] = [];
    forEachStep(ransomware.steps, (step) => step.kind === 'runbook' && children.push(step.plan.runbookId));
    expect(children).toEqual(['restore-from-backup']);
  });

  it('preserve the exfiltration logs from well before the breach was first observed, and sign as roles', async () => {
    const catalog = await loadStarter();
    const plan = catalog.runbooks.get('personal-data-exfiltration')!.plan;
    let args: unknown;
    forEachStep(plan.steps, (step) => {
      if (step.id === 'preserve-logs' && step.kind === 'action') args = step.with.args;
    });
    const declarations = { params: plan.params, facts: {}, decisions: {}, stepIds: [] };
    const since = interpolateText(
      createExpressionEnvironment(declarations),
      declarations,
      String((args as string[])[3]),
      {
        params: { firstSeen: '2026-11-22T08:10:00Z' },
        facts: {},
        decisions: {},
        steps: {},
        incident: { id: 'x', severity: 'sev1', startedAt: '2026-11-22T09:00:00Z' },
      },
    );
    expect(since).toBe('2026-10-23T08:10:00.000Z');
    for (const role of ['commander', 'dpo', 'comms']) expect(plan.roles[role]?.sender?.name, role).toBeDefined();
  });

  it('end what they publish on the status page with an update that resolves the incident there', async () => {
    const catalog = await loadStarter();
    const lastPublished: Record<string, string> = {};
    for (const [id, { plan }] of catalog.runbooks) {
      const published: { step: string; state?: string }[] = [];
      forEachStep(plan.steps, (step) => {
        const parts = step.kind === 'notify' ? step.templates.channels.statuspage : undefined;
        if (parts !== undefined) published.push({ step: step.id, state: parts.state?.trim() });
      });
      const last = published.at(-1);
      if (last !== undefined) lastPublished[id] = `${last.step}: ${last.state ?? 'no state'}`;
    }
    expect(lastPublished).toEqual({
      'personal-data-exfiltration': 'status-page-resolved: resolved',
      'ransomware-host': 'status-page-resolved: resolved',
    });
  });

  it('end each incident runbook with a post-mortem run by the commander, due 5 days, containment marked', async () => {
    const catalog = await loadStarter();
    const postmortems: Record<string, { facilitator: string; dueMs?: number; containedBy?: string; last: boolean }> =
      {};
    for (const [id, { plan }] of catalog.runbooks) {
      const steps: string[] = [];
      forEachStep(plan.steps, (step) => steps.push(step.id));
      forEachStep(plan.steps, (step) => {
        if (step.kind !== 'postmortem') return;
        // The step marking containment is a real step of the same runbook, before the post-mortem.
        expect(steps.indexOf(step.containedBy ?? ''), id).toBeGreaterThanOrEqual(0);
        postmortems[id] = compact({
          facilitator: step.facilitator.role,
          dueMs: step.dueMs,
          containedBy: step.containedBy,
          last: plan.steps.at(-1)?.id === step.id,
        });
      });
    }
    const day = 86_400_000;
    expect(postmortems).toEqual({
      'compromised-container-image': { facilitator: 'commander', dueMs: 5 * day, containedBy: 'isolate', last: true },
      'compromised-host': { facilitator: 'commander', dueMs: 5 * day, containedBy: 'isolate', last: true },
      'credential-leak': { facilitator: 'commander', dueMs: 5 * day, containedBy: 'contain', last: true },
      'personal-data-exfiltration': { facilitator: 'commander', dueMs: 5 * day, containedBy: 'contain', last: true },
      'ransomware-host': { facilitator: 'commander', dueMs: 5 * day, containedBy: 'isolate', last: true },
    });
    for (const name of await readdir(RUNBOOKS)) {
      if (!name.endsWith('.yaml')) continue;
      const text = await readFile(path.join(RUNBOOKS, name), 'utf8');
      expect(text, name).not.toMatch(/# postmortem:/);
    }
  });

  it('declare a periodic review on every incident playbook, and none on the scheduled jobs', async () => {
    const catalog = await loadStarter();
    const reviews: Record<string, string> = {};
    for (const [id, { plan }] of catalog.runbooks) {
      if (plan.kind === 'job') expect(plan.review, id).toBeUndefined();
      else reviews[id] = `${plan.review?.every} by ${plan.review?.owner}`;
    }
    expect(reviews).toEqual({
      'compromised-container-image': '90d by platform',
      'compromised-host': '90d by security',
      'credential-leak': '90d by security',
      'personal-data-exfiltration': '90d by dpo',
      'ransomware-host': '90d by security',
      'restore-from-backup': '180d by infra',
    });
  });

  it('burn hosts and containers down through the providers, needing no operator script', async () => {
    const catalog = await loadStarter();
    for (const id of ['compromised-container-image', 'compromised-host', 'ransomware-host']) {
      const plan = catalog.runbooks.get(id)!.plan;
      const actions: string[] = [];
      forEachStep(plan.steps, (step) => {
        if (step.kind !== 'action') return;
        actions.push(step.action);
        // Destroy and redeploy wait for an approval of two distinct people, which the plan names.
        if (step.action === 'infra.destroy' || step.action === 'infra.redeploy') {
          expect(step.requires, `${id} ${step.id}`).toEqual({ approval: 'approve-destroy' });
        }
      });
      expect(actions, id).not.toContain('command.run');
      // The order of the response guides: pin, contain, preserve (metadata may come first), then destroy and redeploy.
      const order = ['infra.inventory', 'infra.protect', 'infra.isolate', 'infra.capture', 'infra.destroy', 'infra.redeploy'];
      const firsts = order.map((action) =>
        action === 'infra.capture' ? actions.lastIndexOf(action) : actions.indexOf(action),
      );
      expect(firsts.every((index) => index >= 0), `${id}: ${actions.join(', ')}`).toBe(true);
      expect([...firsts].sort((a, b) => a - b), id).toEqual(firsts);
      let approval: unknown;
      forEachStep(plan.steps, (step) => {
        if (step.id === 'approve-destroy' && step.kind === 'approval') approval = step.distinct;
      });
      expect(approval, id).toBe(2);
      expect(Object.values(plan.compensations).map((step) => step.action), id).toContain('infra.unisolate');
    }
  });

  it('send the lessons-learned digest a postmortem.digest step computes, by e-mail and chat, to the leads', async () => {
    const catalog = await loadStarter();
    const plan = catalog.runbooks.get('lessons-review')!.plan;
    expect(plan.kind).toBe('job');
    expect(plan.params.period?.default).toBe('30d');
    const [digest, send] = plan.steps;
    expect(digest).toMatchObject({ id: 'digest', kind: 'action', action: 'postmortem.digest' });
    expect(send).toMatchObject({ id: 'send', kind: 'notify', message: 'lessons-digest', channels: ['email', 'chat'] });
  });
});
