/**
 * `infra.health` and `infra.indicators`: the checks after a redeploy. Each fails its step when a target is
 * unhealthy (UNHEALTHY, retried by the step's retry policy, since a service may still be starting) or when an
 * indicator of compromise is present (INDICATOR_PRESENT, not retried: looking again will not remove it).
 * Their outputs say what was found for each target either way.
 */
import { z } from 'zod';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { JsonValue } from '../../domain/plan.js';
import type { HealthResult, Indicator, IndicatorsResult } from '../../infra/types.js';
import type { ActionDefinition, ActionSpec } from '../types.js';
import { forEachTarget, pinnedTargets, ProviderName, providerFor, Targets, type InfraActionDeps } from './shared.js';

/** Input of `infra.health`. */
export const InfraHealthInput = z.strictObject({
  provider: ProviderName,
  targets: Targets,
  probe: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).max(2048),
      expectStatus: z.int().min(100).max(599).optional(),
    })
    .optional()
    .meta({ description: "An HTTP probe instead of the target's own health check." }),
});
export type InfraHealthInput = z.infer<typeof InfraHealthInput>;

export const infraHealthSpec: ActionSpec<typeof InfraHealthInput> = {
  name: 'infra.health',
  description: "Check pinned targets' health (their own health check, or an HTTP probe); fails while any is unhealthy.",
  input: InfraHealthInput,
  infraOperation: 'health',
};

const ABSOLUTE_PATH = z
  .string()
  .min(2)
  .max(4096)
  .regex(/^\/[^\0]*$/, { error: 'expected an absolute path' });

const IndicatorSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('file'), path: ABSOLUTE_PATH }),
  z.strictObject({
    kind: z.literal('process'),
    pattern: z.string().min(1).max(256).meta({ description: 'Text a process command line contains (not a regex).' }),
  }),
  z.strictObject({
    kind: z.literal('hash'),
    path: ABSOLUTE_PATH,
    sha256: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected a SHA-256 in hex (64 lowercase digits)' }),
  }),
]);

/** Input of `infra.indicators`. */
export const InfraIndicatorsInput = z.strictObject({
  provider: ProviderName,
  targets: Targets,
  indicators: z
    .array(IndicatorSchema)
    .min(1)
    .max(100)
    .meta({
      description:
        'Indicators that must be absent: {kind: file, path}, {kind: process, pattern}, {kind: hash, path, sha256}.',
    }),
});
export type InfraIndicatorsInput = z.infer<typeof InfraIndicatorsInput>;

export const infraIndicatorsSpec: ActionSpec<typeof InfraIndicatorsInput> = {
  name: 'infra.indicators',
  description:
    'Look for indicators of compromise (a file, a process, a file hash) on pinned targets; fails when any is present.',
  input: InfraIndicatorsInput,
  infraOperation: 'indicators',
};

function describe(indicator: Indicator): string {
  switch (indicator.kind) {
    case 'file':
      return `file ${indicator.path}`;
    case 'process':
      return `process "${indicator.pattern}"`;
    case 'hash':
      return `${indicator.path} with sha256 ${indicator.sha256.slice(0, 12)}…`;
  }
}

export function infraHealthAction(deps: InfraActionDeps): ActionDefinition<typeof InfraHealthInput> {
  return {
    ...infraHealthSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'health');
      const targets = pinnedTargets(provider, input.targets);
      // Not resumed per target: health is a reading of now, so a retry reads every target again.
      const results: HealthResult[] = [];
      for (const target of targets) {
        ctx.signal.throwIfAborted();
        const probe =
          input.probe === undefined
            ? undefined
            : {
                url: input.probe.url,
                ...(input.probe.expectStatus === undefined ? {} : { expectStatus: input.probe.expectStatus }),
              };
        results.push(await provider.health({ target, ...(probe === undefined ? {} : { probe }) }));
        ctx.heartbeat();
      }
      const sick = results.filter((result) => !result.healthy);
      const lines = results.map(
        (result, index) =>
          `${targets[index]?.name ?? result.targetId}: ${result.healthy ? 'healthy' : 'UNHEALTHY'} (${result.detail})`,
      );
      if (sick.length > 0) {
        throw new FirebreakError(
          ErrorCode.Unhealthy,
          `${sick.length} of ${results.length} unhealthy: ${lines.join('; ')}`,
        );
      }
      return {
        output: { healthy: true, results } as unknown as JsonValue,
        note: `Health checked on ${provider.name}: ${lines.join('; ')}.`,
      };
    },
  };
}

export function infraIndicatorsAction(deps: InfraActionDeps): ActionDefinition<typeof InfraIndicatorsInput> {
  return {
    ...infraIndicatorsSpec,
    async execute(input, ctx) {
      const provider = providerFor(deps, input.provider, 'indicators');
      const targets = pinnedTargets(provider, input.targets);
      const indicators = input.indicators as Indicator[];
      const results = await forEachTarget<IndicatorsResult>(ctx, targets, (target) =>
        provider.indicators({ target, indicators }),
      );
      const found = results.flatMap((result, index) =>
        result.findings
          .filter((finding) => finding.present)
          .map(
            (finding) =>
              `${targets[index]?.name ?? result.targetId}: ${describe(finding.indicator)}${finding.detail === undefined ? '' : ` (${finding.detail})`}`,
          ),
      );
      if (found.length > 0) {
        throw new FirebreakError(ErrorCode.IndicatorPresent, `indicators of compromise found: ${found.join('; ')}`);
      }
      return {
        output: { clean: true, results } as unknown as JsonValue,
        note: `No indicator found on ${targets.length} target${targets.length === 1 ? '' : 's'} on ${provider.name} (${indicators.map(describe).join(', ')}).`,
      };
    },
  };
}
