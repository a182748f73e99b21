/**
 * `infra.inventory`: resolves a selector once into a frozen list of targets, the set every later step of
 * the burn-down acts on (`${{ steps.<id>.output.targets }}`), so a container started later under the
 * same name or label is never touched. By default a selector that pins nothing fails the step: a
 * containment that silently acts on no target is worse than one that stops and says so.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonValue } from '../../domain/plan.js';
import { INVENTORY_MAX_LIMIT } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import { ProviderName, providerFor, targetNames, type InfraActionDeps } from './shared.js';

const Value = z.string().min(1).max(1024);

/** A selector: exactly one of id, name, labels (all must match) or image. */
export const SelectorSchema = z.union(
  [
    z.strictObject({ id: Value }),
    z.strictObject({ name: Value }),
    z.strictObject({ labels: z.record(z.string().min(1).max(255), z.string().max(1024)) }),
    z.strictObject({ image: Value }),
  ],
  { error: 'expected exactly one of id, name, labels or image' },
);

/** Input of `infra.inventory`. */
export const InfraInventoryInput = z.strictObject({
  provider: ProviderName,
  select: SelectorSchema.meta({ description: 'Which targets: {id}, {name}, {labels: {k: v}} or {image}.' }),
  limit: z
    .int()
    .min(1)
    .max(INVENTORY_MAX_LIMIT)
    .optional()
    .meta({
      description: `Pin at most this many targets (default 50, at most ${INVENTORY_MAX_LIMIT}).`,
    }),
  min: z.int().min(0).max(INVENTORY_MAX_LIMIT).optional().meta({
    description: 'Fail the step when fewer targets match (default 1; 0 lets an empty set through).',
  }),
  allowCapped: z.boolean().optional().meta({
    description: 'Go on when more targets match than the limit (default false: narrow the selector instead).',
  }),
});
export type InfraInventoryInput = z.infer<typeof InfraInventoryInput>;

export const infraInventorySpec: ActionSpec<typeof InfraInventoryInput> = {
  name: 'infra.inventory',
  description:
    'Pin the targets a selector matches now (by id, name, labels or image) into a frozen list with their metadata.',
  input: InfraInventoryInput,
  infraOperation: 'inventory',
};

export function infraInventoryAction(deps: InfraActionDeps): ActionDefinition<typeof InfraInventoryInput> {
  return {
    ...infraInventorySpec,
    async execute(input) {
      const provider = providerFor(deps, input.provider, 'inventory');
      const set = await provider.inventory(input.select, input.limit === undefined ? {} : { limit: input.limit });
      const min = input.min ?? 1;
      const what = JSON.stringify(input.select);
      if (set.total < min) {
        throw new FirebreakError(
          ErrorCode.NotFound,
          `${input.provider}: ${what} matched ${set.total} target${set.total === 1 ? '' : 's'}, at least ${min} expected`,
        );
      }
      if (set.capped && input.allowCapped !== true) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `${input.provider}: ${what} matched ${set.total} targets, more than the limit of ${set.targets.length}: narrow the selector or raise \`limit\` (or set \`allowCapped: true\`)`,
        );
      }
      const note =
        set.targets.length === 0
          ? `Pinned no target on ${input.provider}: ${what} matched nothing.`
          : `Pinned ${set.targets.length} target${set.targets.length === 1 ? '' : 's'} on ${input.provider} (${what}): ${targetNames(set.targets)}.` +
            (set.capped ? ` ${set.total} matched; the rest are not pinned.` : '');
      return { output: set as unknown as JsonValue, note };
    },
  };
}
