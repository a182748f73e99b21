/**
 * `infra.redeploy`: replaces each destroyed target from a pinned artefact (an image by digest, a machine
 * image, a launch template version) with the same configuration except what `overrides` changes. A tag
 * without a digest is refused when the runbook is validated, when the value is written in it, and again by
 * the provider. Like `infra.destroy`, it needs a preceding approval of two distinct people.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonValue } from '../../domain/plan.js';
import type { PinnedArtefact, RedeployResult } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import { forEachTarget, pinnedTargets, ProviderName, providerFor, Targets, type InfraActionDeps } from './shared.js';

/** An image reference pinned by digest: `repository@sha256:<64 hex>` (a tag before the digest is allowed). */
export const IMAGE_BY_DIGEST = /^[a-z0-9][a-z0-9._\-/:]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?@sha256:[0-9a-f]{64}$/;

const ImageByDigest = z.string().max(512).regex(IMAGE_BY_DIGEST, {
  error:
    'expected an image pinned by digest, repository@sha256:<64 hex digits>: a tag alone can be moved to other bytes',
});

const Artefact = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('image'), ref: ImageByDigest }),
  z.strictObject({
    kind: z.literal('ami'),
    ref: z.string().regex(/^ami-[0-9a-f]{8,17}$/, { error: 'expected an AMI id, ami-...' }),
  }),
  z.strictObject({
    kind: z.literal('launch-template'),
    ref: z.string().min(1).max(255),
    version: z
      .string()
      .regex(/^[0-9]{1,10}$/, {
        error: 'expected a launch template version number: $Latest and $Default are not pinned',
      }),
  }),
]);

/** Input of `infra.redeploy`. */
export const InfraRedeployInput = z
  .strictObject({
    provider: ProviderName,
    targets: Targets,
    image: ImageByDigest.optional().meta({
      description: 'Shorthand for artefact {kind: image, ref}: repository@sha256:...',
    }),
    artefact: Artefact.optional().meta({
      description: 'What to redeploy from: {kind: image|ami|launch-template, ref, version}.',
    }),
    overrides: z
      .record(z.string().min(1).max(64), z.json())
      .optional()
      .meta({ description: 'What the replacement changes (provider-specific: env, dropEnv, labels, name, networks).' }),
  })
  .refine((input) => (input.image === undefined) !== (input.artefact === undefined), {
    error: 'give exactly one of image or artefact',
  });
export type InfraRedeployInput = z.infer<typeof InfraRedeployInput>;

export const infraRedeploySpec: ActionSpec<typeof InfraRedeployInput> = {
  name: 'infra.redeploy',
  description:
    'Replace destroyed targets from a pinned artefact (an image by digest, an AMI, a launch template version) with the same configuration except overrides; needs `requires: approval:<step>` with two distinct people.',
  input: InfraRedeployInput,
  // Rotated credentials for the replacement come from secret params, never written in the runbook.
  secretInputs: [['overrides', 'env', '*']],
  infraOperation: 'redeploy',
  approval: { distinct: 2 },
};

export function infraRedeployAction(deps: InfraActionDeps): ActionDefinition<typeof InfraRedeployInput> {
  return {
    ...infraRedeploySpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'redeploy');
      const targets = pinnedTargets(provider, input.targets);
      const artefact: PinnedArtefact = input.artefact ?? { kind: 'image', ref: input.image ?? '' };
      if (artefact.ref === '')
        throw new FirebreakError(ErrorCode.InvalidInput, 'give exactly one of image or artefact');
      const overrides = input.overrides;
      const replaced = await forEachTarget<RedeployResult>(ctx, targets, (target) =>
        provider.redeploy({ target, artefact, ...(overrides === undefined ? {} : { overrides }) }),
      );
      const names = replaced.map((result) => `${result.target.name} (${result.target.id.slice(0, 12)})`);
      return {
        // `targets` are pinned like an inventory's, for the health and indicator checks that follow.
        output: { replaced, targets: replaced.map((result) => result.target) } as unknown as JsonValue,
        note: `Redeployed ${replaced.length} target${replaced.length === 1 ? '' : 's'} on ${provider.name} from ${artefact.kind} ${artefact.ref}${artefact.version === undefined ? '' : ` version ${artefact.version}`}: ${names.join(', ')}.`,
      };
    },
  };
}
