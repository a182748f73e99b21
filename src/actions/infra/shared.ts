/**
 * What the `infra.*` actions share: their dependencies, the input schemas of a provider name and of pinned
 * targets (the output of `infra.inventory`, passed on with `${{ steps.<id>.output.targets }}`), and the
 * per-target loop that heartbeats what is done so that a retry after a worker crash carries on from there.
 */
import { z } from 'zod';
import { INFRA_PROVIDER_NAME } from '../../config/infra-schema.js';
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import type { EvidenceStore } from '../../evidence/evidence-store.js';
import type { InfraProviders } from '../../infra/from-config.js';
import { INVENTORY_MAX_LIMIT, type InfraOperation, type InfraProvider, type InfraTarget } from '../../infra/types.js';
import type { ActionContext } from '../types.js';

/** What the `infra.*` actions run over; the worker builds them from `infra` and `evidence` in the config. */
export interface InfraActionDeps {
  providers: InfraProviders;
  /** The evidence store, opened on first use; absent: `infra.capture` and `infra.destroy` fail saying so. */
  evidence?: { get(): Promise<EvidenceStore> };
  /** Who runs the step, for the custody record (`<pid>@<host>`, as Temporal names workers). */
  workerIdentity: string;
}

/** A configured provider's name (`infra.providers.<name>`). */
export const ProviderName = z
  .string()
  .regex(INFRA_PROVIDER_NAME, {
    error: 'expected a provider name from infra.providers: lowercase letters, digits and -',
  })
  .meta({ description: 'A provider configured under infra.providers in firebreak.yaml.' });

const Id = z.string().min(1).max(512);
const Text = z.string().max(4096);

/**
 * A pinned target as `infra.inventory` returned it. The fields operations act on are checked; what a
 * provider adds (its configuration `spec`, for a redeploy) is kept as it is.
 */
export const TargetSchema = z.looseObject({
  provider: ProviderName,
  kind: z.string().min(1).max(64),
  id: Id,
  name: Text.min(1),
  image: z.looseObject({ ref: Text }),
  networks: z.array(z.looseObject({ name: Text })).max(256),
  mounts: z.array(z.looseObject({ destination: Text })).max(256),
  labels: z.record(z.string(), z.string()),
  credentials: z.array(z.looseObject({ kind: Text, name: Text })).max(256),
  state: Text,
});

/** The targets an operation acts on: `${{ steps.<inventory step>.output.targets }}`. */
export const Targets = z
  .array(TargetSchema)
  .max(INVENTORY_MAX_LIMIT)
  .meta({ description: 'Pinned targets: ${{ steps.<inventory step>.output.targets }}.' });

/** The targets as the port types them, once each was checked to belong to the step's provider. */
export function pinnedTargets(
  provider: InfraProvider,
  targets: readonly z.output<typeof TargetSchema>[],
): InfraTarget[] {
  targets.forEach((target, index) => {
    if (target.provider !== provider.name) {
      throw new FirebreakError(
        ErrorCode.InvalidInput,
        `targets[${index}] (${target.name}) was pinned by provider \`${target.provider}\`, not \`${provider.name}\``,
      );
    }
  });
  return targets as unknown as InfraTarget[];
}

/** The provider a step names, refusing before anything is touched an operation it does not support. */
export function providerFor(deps: InfraActionDeps, name: string, operation: InfraOperation): InfraProvider {
  const provider = deps.providers.get(name);
  if (!provider.capabilities.has(operation)) {
    const supported = [...provider.capabilities].join(', ') || 'nothing';
    throw new FirebreakError(
      ErrorCode.Unsupported,
      `infra provider \`${name}\` (${provider.kind}) does not support ${operation} (it supports ${supported})`,
    );
  }
  return provider;
}

/** The evidence store, or a clear error when this worker has none. */
export async function evidenceStore(deps: InfraActionDeps): Promise<EvidenceStore> {
  if (deps.evidence === undefined) {
    throw new FirebreakError(ErrorCode.InvalidInput, 'this worker has no evidence store (see docs/evidence.md)');
  }
  return deps.evidence.get();
}

/** Progress of a per-target operation, heartbeated after each target: results by target id. */
const PerTargetProgress = z.object({ done: z.record(z.string(), z.unknown()) });

/**
 * Runs `each` on every target in order, heartbeating the results so far, so a retry after a crash does not
 * repeat the targets already done. `each` is given what its own previous attempt on that target reported
 * (`partial`, from `report`), for operations that are resumable inside one target.
 */
export async function forEachTarget<R>(
  ctx: ActionContext,
  targets: readonly InfraTarget[],
  each: (target: InfraTarget, resume: { partial?: unknown; report: (partial: unknown) => void }) => Promise<R>,
): Promise<R[]> {
  const previous = PerTargetProgress.extend({
    current: z.object({ id: z.string(), partial: z.unknown() }).optional(),
  }).safeParse(ctx.resumeFrom);
  const done = new Map<string, unknown>(previous.success ? Object.entries(previous.data.done) : []);
  const current = previous.success ? previous.data.current : undefined;
  const results: R[] = [];
  for (const target of targets) {
    ctx.signal.throwIfAborted();
    if (done.has(target.id)) {
      results.push(done.get(target.id) as R);
      continue;
    }
    const report = (partial: unknown) =>
      ctx.heartbeat({ done: Object.fromEntries(done), current: { id: target.id, partial } });
    const partial = current?.id === target.id ? current.partial : undefined;
    const result = await each(target, partial === undefined ? { report } : { partial, report });
    done.set(target.id, result);
    ctx.heartbeat({ done: Object.fromEntries(done) });
    results.push(result);
  }
  return results;
}

/** `a, b and c` */
export function listed(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/** Names of targets for a note, at most `max` then a count. */
export function targetNames(targets: readonly Pick<InfraTarget, 'name'>[], max = 10): string {
  const names = targets.slice(0, max).map((target) => target.name);
  const more = targets.length - names.length;
  return more > 0 ? `${names.join(', ')} and ${more} more` : listed(names);
}
