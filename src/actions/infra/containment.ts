/**
 * `infra.protect`, `infra.isolate` and its compensation `infra.unisolate`. Each acts on every pinned target
 * in turn and heartbeats what is done, so a retry after a worker crash neither repeats a target nor forgets
 * a network an interrupted isolation already took away (the provider resumes from the partial record).
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonValue } from '../../domain/plan.js';
import type { IsolationRecord, ProtectResult, UnisolateResult } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import {
  forEachTarget,
  pinnedTargets,
  ProviderName,
  providerFor,
  TargetSchema,
  Targets,
  targetNames,
  type InfraActionDeps,
} from './shared.js';

/** Input of `infra.protect` and `infra.isolate`. */
export const InfraTargetsInput = z.strictObject({ provider: ProviderName, targets: Targets });
export type InfraTargetsInput = z.infer<typeof InfraTargetsInput>;

export const infraProtectSpec: ActionSpec<typeof InfraTargetsInput> = {
  name: 'infra.protect',
  description: 'Keep pinned targets from being restarted, replaced or terminated automatically (recorded, idempotent).',
  input: InfraTargetsInput,
  infraOperation: 'protect',
};

export const infraIsolateSpec: ActionSpec<typeof InfraTargetsInput> = {
  name: 'infra.isolate',
  description: 'Cut pinned targets off every network, recording each for infra.unisolate (its compensation).',
  input: InfraTargetsInput,
  infraOperation: 'isolate',
};

const IsolatedEntry = z.strictObject({
  target: TargetSchema,
  record: z.looseObject({
    targetId: z.string(),
    provider: ProviderName,
    changes: z.array(z.looseObject({ what: z.string() })).max(1024),
    alreadyIsolated: z.boolean(),
  }),
});

/** Input of `infra.unisolate`: `${{ steps.<isolate step>.output.isolated }}`. */
export const InfraUnisolateInput = z.strictObject({
  provider: ProviderName,
  isolated: z
    .array(IsolatedEntry)
    .max(500)
    .meta({ description: 'What infra.isolate recorded: ${{ steps.<isolate step>.output.isolated }}.' }),
});
export type InfraUnisolateInput = z.infer<typeof InfraUnisolateInput>;

export const infraUnisolateSpec: ActionSpec<typeof InfraUnisolateInput> = {
  name: 'infra.unisolate',
  description: 'Undo an isolation exactly as infra.isolate recorded it (the compensation of infra.isolate).',
  input: InfraUnisolateInput,
  infraOperation: 'unisolate',
};

export function infraProtectAction(deps: InfraActionDeps): ActionDefinition<typeof InfraTargetsInput> {
  return {
    ...infraProtectSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'protect');
      const targets = pinnedTargets(provider, input.targets);
      const results = await forEachTarget<ProtectResult>(ctx, targets, (target) => provider.protect(target));
      const warnings = results.flatMap((result) => result.warnings);
      const changed = results.filter((result) => result.changes.length > 0).length;
      return {
        output: { protected: results } as unknown as JsonValue,
        note:
          `Protected ${targets.length} target${targets.length === 1 ? '' : 's'} on ${provider.name} (${targetNames(targets)}); ` +
          `${changed} changed, ${targets.length - changed} already protected.` +
          (warnings.length > 0 ? ` Warnings: ${warnings.join('; ')}` : ''),
      };
    },
  };
}

export function infraIsolateAction(deps: InfraActionDeps): ActionDefinition<typeof InfraTargetsInput> {
  return {
    ...infraIsolateSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'isolate');
      const targets = pinnedTargets(provider, input.targets);
      const isolated = await forEachTarget(ctx, targets, async (target, { partial, report }) => {
        const resume = partial as IsolationRecord | undefined;
        const record = await provider.isolate(target, {
          ...(resume?.targetId === target.id ? { resume } : {}),
          progress: report,
        });
        return { target, record };
      });
      const cut = isolated.map(({ target, record }) => {
        const networks = record.changes.filter((change) => change.what === 'network').map((change) => change.resource);
        return `${target.name}${record.alreadyIsolated ? ' (already isolated)' : networks.length > 0 ? ` (${networks.join(', ')})` : ''}`;
      });
      return {
        output: { isolated } as unknown as JsonValue,
        note: `Isolated ${targets.length} target${targets.length === 1 ? '' : 's'} on ${provider.name}: ${cut.join('; ')}.`,
      };
    },
  };
}

export function infraUnisolateAction(deps: InfraActionDeps): ActionDefinition<typeof InfraUnisolateInput> {
  return {
    ...infraUnisolateSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'unisolate');
      const targets = pinnedTargets(
        provider,
        input.isolated.map((entry) => entry.target),
      );
      const records = new Map(input.isolated.map((entry) => [entry.target.id, entry.record]));
      const results = await forEachTarget<UnisolateResult>(ctx, targets, (target) => {
        const record = records.get(target.id) as IsolationRecord | undefined;
        if (record === undefined || record.targetId !== target.id) {
          throw new FirebreakError(
            ErrorCode.InvalidInput,
            `the isolation record of ${target.name} is for another target`,
          );
        }
        return provider.unisolate(target, record);
      });
      const restored = results.reduce((sum, result) => sum + result.restored.length, 0);
      return {
        output: { unisolated: results } as unknown as JsonValue,
        note: `Reconnected ${targets.length} target${targets.length === 1 ? '' : 's'} on ${provider.name} (${targetNames(targets)}): ${restored} change${restored === 1 ? '' : 's'} undone.`,
      };
    },
  };
}
