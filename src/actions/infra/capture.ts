/**
 * `infra.capture`: streams each pinned target's evidence into the evidence store, which hashes every
 * artefact while writing it and records its custody (incident, target, step, worker, size, SHA-256,
 * location) only once it is stored whole. What a crashed attempt had stored is heartbeated and kept, so a
 * retry captures only what is left; what it was writing when it died was never recorded, so a partial
 * artefact never counts as evidence.
 */
import { z } from 'zod';
import type { JsonValue } from '../../domain/plan.js';
import type { CaptureArtefact, CaptureResult, EvidenceSink } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import {
  evidenceStore,
  forEachTarget,
  pinnedTargets,
  ProviderName,
  providerFor,
  Targets,
  type InfraActionDeps,
} from './shared.js';

const ARTEFACTS = ['metadata', 'processes', 'logs', 'diff', 'filesystem', 'image', 'snapshot', 'console'] as const;

/** Input of `infra.capture`. */
export const InfraCaptureInput = z.strictObject({
  provider: ProviderName,
  targets: Targets,
  artefacts: z
    .array(z.enum(ARTEFACTS))
    .min(1)
    .max(ARTEFACTS.length)
    .refine((list) => new Set(list).size === list.length, { error: 'an artefact is listed twice' })
    .meta({ description: `What to capture from each target: ${ARTEFACTS.join(', ')} (as the provider supports).` }),
});
export type InfraCaptureInput = z.infer<typeof InfraCaptureInput>;

export const infraCaptureSpec: ActionSpec<typeof InfraCaptureInput> = {
  name: 'infra.capture',
  description:
    'Stream evidence from pinned targets into the evidence store, hashed while written, with a custody record each.',
  input: InfraCaptureInput,
  infraOperation: 'capture',
};

export function infraCaptureAction(deps: InfraActionDeps): ActionDefinition<typeof InfraCaptureInput> {
  return {
    ...infraCaptureSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'capture');
      const targets = pinnedTargets(provider, input.targets);
      const store = await evidenceStore(deps);
      const captured = await forEachTarget<CaptureResult>(ctx, targets, (target, { partial, report }) => {
        const resume = partial as CaptureResult | undefined;
        const sink = artefactNamed(
          store.sink({
            incidentId: ctx.incidentId,
            target: { id: target.id, name: target.name },
            capturedBy: { stepId: ctx.stepId, worker: deps.workerIdentity },
          }),
        );
        return provider.capture({
          target,
          artefacts: input.artefacts as CaptureArtefact[],
          sink,
          ...(resume?.targetId === target.id ? { resume } : {}),
          progress: report,
          // A long export heartbeats its liveness (the last progress is repeated, never erased).
          streaming: () => ctx.heartbeat(),
        });
      });
      const bytes = captured.flatMap((result) => result.artefacts).reduce((sum, artefact) => sum + artefact.size, 0);
      const lines = captured.map((result, index) => {
        const name = targets[index]?.name ?? result.targetId;
        const parts = result.artefacts.map((a) => `${a.artefact} ${a.size} B sha256 ${a.sha256.slice(0, 12)}…`);
        return `${name}: ${parts.join(', ')}`;
      });
      return {
        output: { captured, bytes } as unknown as JsonValue,
        note: `Captured evidence of ${targets.length} target${targets.length === 1 ? '' : 's'} into the evidence store (${bytes} bytes): ${lines.join('; ')}.`,
      };
    },
  };
}

/**
 * The store names an artefact by what it is (`filesystem`), and keys it under the incident and the target
 * itself; providers name theirs as files (`web-1/filesystem.tar`). The file's stem, lowercased, is the name.
 */
export function evidenceName(name: string): string {
  const stem = (name.split('/').at(-1) ?? '').replace(/\..*$/, '').toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  const named = /^[a-z]/.test(stem) ? stem : `artefact-${stem}`;
  return named.slice(0, 64).replace(/-+$/, '');
}

function artefactNamed(sink: EvidenceSink): EvidenceSink {
  return { write: (name, body, meta) => sink.write(evidenceName(name), body, meta) };
}
