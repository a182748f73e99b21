/**
 * `infra.destroy`: removes pinned targets, but only once their evidence is safe. Before anything is
 * destroyed, every target's artefacts captured in this incident are re-hashed from the evidence store
 * (each verification is a custody record); a target with no evidence, or any artefact that is missing or
 * does not match, refuses the whole step and destroys nothing. A step may waive the check for a named target
 * with a reason, which the step's output and the timeline record. The step must name a preceding approval of
 * at least two distinct people (`requires: approval:<step>`), checked when the runbook is validated and again
 * when it runs.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonValue } from '../../domain/plan.js';
import type { VerifyReport } from '../../evidence/types.js';
import type { DestroyResult, InfraTarget } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import {
  evidenceStore,
  forEachTarget,
  listed,
  pinnedTargets,
  ProviderName,
  providerFor,
  Targets,
  targetNames,
  type InfraActionDeps,
} from './shared.js';

/** Input of `infra.destroy`. */
export const InfraDestroyInput = z.strictObject({
  provider: ProviderName,
  targets: Targets,
  removeVolumes: z.boolean().optional().meta({
    description: "Remove the targets' volumes too (default false: volumes are kept).",
  }),
  waiveEvidence: z
    .array(
      z.strictObject({
        target: z.string().min(1).max(512).meta({ description: 'The target, by name or id.' }),
        reason: z.string().trim().min(10, { error: 'give a reason of at least 10 characters' }).max(1000),
      }),
    )
    .max(500)
    .optional()
    .meta({ description: 'Targets destroyed without verified evidence, each with the reason (recorded).' }),
});
export type InfraDestroyInput = z.infer<typeof InfraDestroyInput>;

export const infraDestroySpec: ActionSpec<typeof InfraDestroyInput> = {
  name: 'infra.destroy',
  description:
    'Destroy pinned targets once their evidence from this incident re-hashes intact (volumes kept unless asked); needs `requires: approval:<step>` with two distinct people.',
  input: InfraDestroyInput,
  infraOperation: 'destroy',
  approval: { distinct: 2 },
};

interface Waiver {
  target: string;
  reason: string;
}

function waiverFor(target: InfraTarget, waivers: readonly Waiver[]): Waiver | undefined {
  return waivers.find((waiver) => waiver.target === target.name || waiver.target === target.id);
}

/** Why a report is not good enough, naming each artefact that failed. */
function refusal(target: InfraTarget, report: VerifyReport): string {
  if (report.results.length === 0) return `${target.name}: no evidence was captured in this incident`;
  const bad = report.results
    .filter((result) => result.result !== 'ok')
    .map(
      (result) =>
        `${result.artefact.artefact} (${result.result}${result.detail === undefined ? '' : `: ${result.detail}`})`,
    );
  return `${target.name}: ${listed(bad)}`;
}

export function infraDestroyAction(deps: InfraActionDeps): ActionDefinition<typeof InfraDestroyInput> {
  return {
    ...infraDestroySpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'destroy');
      const targets = pinnedTargets(provider, input.targets);
      const waivers = input.waiveEvidence ?? [];
      const unknown = waivers.filter(
        (waiver) => !targets.some((t) => t.name === waiver.target || t.id === waiver.target),
      );
      if (unknown.length > 0) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `waiveEvidence names ${listed(unknown.map((w) => `\`${w.target}\``))}, not among the targets (${targetNames(targets)})`,
        );
      }
      // Every target's evidence first: a refusal destroys nothing, not even the targets that passed.
      const store = await evidenceStore(deps);
      const actor = `step:${ctx.stepId}@${deps.workerIdentity}`;
      const verified: { target: string; artefacts: number }[] = [];
      const waived: { target: string; reason: string }[] = [];
      const refused: string[] = [];
      for (const target of targets) {
        ctx.signal.throwIfAborted();
        const waiver = waiverFor(target, waivers);
        if (waiver !== undefined) {
          waived.push({ target: target.name, reason: waiver.reason });
          continue;
        }
        const report = await store.verify(ctx.incidentId, actor, { targetId: target.id });
        ctx.heartbeat();
        const mine = report.results.filter((result) => result.artefact.target.id === target.id);
        const own: VerifyReport = {
          ...report,
          results: mine,
          ok: mine.length > 0 && mine.every((r) => r.result === 'ok'),
        };
        if (own.ok) verified.push({ target: target.name, artefacts: mine.length });
        else refused.push(refusal(target, own));
      }
      if (refused.length > 0) {
        throw new FirebreakError(
          ErrorCode.EvidenceUnverified,
          `refusing to destroy: the evidence of ${refused.join('; ')}. Capture it with infra.capture first, or waive it for that target with a reason (waiveEvidence).`,
        );
      }
      const removeVolumes = input.removeVolumes === true;
      const destroyed = await forEachTarget<DestroyResult>(ctx, targets, (target) =>
        provider.destroy({ target, removeVolumes }),
      );
      const kept = destroyed.flatMap((result) => result.keptVolumes);
      return {
        output: { destroyed, verified, waived } as unknown as JsonValue,
        note:
          `Destroyed ${targets.length} target${targets.length === 1 ? '' : 's'} on ${provider.name} (${targetNames(targets)}).` +
          (verified.length > 0
            ? ` Evidence re-hashed intact first: ${verified.map((v) => `${v.target} (${v.artefacts} artefacts)`).join(', ')}.`
            : '') +
          (waived.length > 0
            ? ` Evidence check WAIVED for ${waived.map((w) => `${w.target} (${w.reason})`).join('; ')}.`
            : '') +
          (kept.length > 0 ? ` Volumes kept: ${kept.join(', ')}.` : ''),
      };
    },
  };
}
