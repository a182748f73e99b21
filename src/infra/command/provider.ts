/**
 * The command provider: reviewed scripts behind the port, for infrastructure Firebreak has no provider for.
 * Each configured operation runs its script (see run.ts for how); the operations configured are the
 * capabilities, and the others throw UNSUPPORTED without running anything. The provider checks requests
 * before a script runs and answers after it: targets are validated, must match the selector they were
 * pinned by, are sorted, capped and frozen; records are for the right target; capture streams files.
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { deepFreeze, inventoryLimit, parseSelector, type ParsedSelector } from '../selector.js';
import {
  INFRA_OPERATIONS,
  type InfraChange,
  type InfraOperation,
  type InfraProvider,
  type InfraTarget,
  type IsolationRecord,
  type TargetSet,
} from '../types.js';
import { checkIndicators } from '../indicator-input.js';
import { captureWithScript } from './capture.js';
import {
  DestroyResultSchema,
  HealthResultSchema,
  IndicatorsResultSchema,
  InventoryResultSchema,
  IsolateResultSchema,
  ProtectResultSchema,
  RedeployResultSchema,
  toInfraTarget,
  UnisolateResultSchema,
} from './results.js';
import { runOperation, type CommandEnvValue, type ScriptContext } from './run.js';

/** What `createCommandProvider` needs. */
export interface CommandProviderOptions {
  /** The configured name (`infra.providers.<name>`). */
  name: string;
  /** `actions.command.scriptsDir`: scripts are file names in it. */
  scriptsDir: string;
  /** The script of each operation the provider supports; `inventory` is required, `isolate` needs `unisolate`. */
  operations: Readonly<Partial<Record<InfraOperation, string>>>;
  timeoutMs: number;
  /** Variables given to every script: text, or `{ secret }` references read at each run. */
  env?: Readonly<Record<string, CommandEnvValue>>;
  secrets: ScriptContext['secrets'];
  /** PATH, HOME and LANG for the scripts; defaults to the worker's own values of these three only. */
  baseEnv?: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL when a script is stopped. Default 2 s. */
  killGraceMs?: number;
  /** The clock `resolvedAt` reads; injectable for tests. */
  now?: () => Date;
}

function defaultBaseEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LANG: process.env.LANG ?? 'C.UTF-8',
  };
}

/** Whether a target a script answered matches the selector: a script cannot widen what a runbook pinned. */
function matches(selector: ParsedSelector, target: InfraTarget): boolean {
  switch (selector.by) {
    case 'id':
      return target.id === selector.value || (selector.value.length >= 12 && target.id.startsWith(selector.value));
    case 'name':
      return target.name === selector.value;
    case 'labels':
      return [...selector.value].every(
        ([key, value]) => Object.hasOwn(target.labels, key) && target.labels[key] === value,
      );
    case 'image': {
      const { ref, id, digest, pinned } = target.image;
      return [ref, id, digest, pinned].includes(selector.value);
    }
  }
}

function checkRecord(target: InfraTarget, record: IsolationRecord | undefined, what: string): void {
  if (record !== undefined && record.targetId !== target.id) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `${what}: the isolation record is for ${record.targetId}, not ${target.id}`,
    );
  }
}

function unsupported(provider: Pick<InfraProvider, 'name'>, operation: InfraOperation): FirebreakError {
  return new FirebreakError(
    ErrorCode.Unsupported,
    `infra provider \`${provider.name}\` (command) has no script for ${operation} (infra.providers.${provider.name}.operations)`,
  );
}

const sameChange = (a: InfraChange, b: InfraChange) => a.what === b.what && a.resource === b.resource;

/** Creates the provider; nothing runs (nor is any secret read) until an operation is called. */
export function createCommandProvider(options: CommandProviderOptions): InfraProvider {
  const { name } = options;
  const now = options.now ?? (() => new Date());
  const capabilities: ReadonlySet<InfraOperation> = new Set(
    INFRA_OPERATIONS.filter((op) => options.operations[op] !== undefined),
  );
  if (!capabilities.has('inventory')) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `infra provider \`${name}\` (command): operations.inventory is required`,
    );
  }
  if (capabilities.has('isolate') !== capabilities.has('unisolate')) {
    throw new FirebreakError(
      ErrorCode.InvalidInput,
      `infra provider \`${name}\` (command): isolate and unisolate go together`,
    );
  }
  const context: ScriptContext = {
    scriptsDir: options.scriptsDir,
    scripts: { ...options.operations },
    timeoutMs: options.timeoutMs,
    env: { ...options.env },
    baseEnv: { ...(options.baseEnv ?? defaultBaseEnv()) },
    secrets: options.secrets,
    killGraceMs: options.killGraceMs ?? 2_000,
  };
  const provider: InfraProvider = {
    name,
    kind: 'command',
    capabilities,
    async inventory(selector, inventoryOptions = {}) {
      const parsed = parseSelector(selector);
      const limit = inventoryLimit(inventoryOptions.limit);
      const resolvedAt = now().toISOString();
      const answer = await runOperation(context, 'inventory', { selector, limit }, InventoryResultSchema);
      const script = `${context.scripts.inventory} (inventory)`;
      const targets = answer.targets.map((target) => toInfraTarget(name, target));
      const ids = new Set<string>();
      for (const [i, target] of targets.entries()) {
        if (ids.has(target.id))
          throw new FirebreakError(
            ErrorCode.CommandFailed,
            `${script} answered a bad result: targets[${i}].id ${target.id} is listed twice`,
          );
        ids.add(target.id);
        if (!matches(parsed, target)) {
          throw new FirebreakError(
            ErrorCode.CommandFailed,
            `${script} answered a bad result: targets[${i}] (${target.id}) does not match the selector ${JSON.stringify(selector)}`,
          );
        }
      }
      targets.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
      const set: TargetSet = {
        provider: name,
        selector: structuredClone(selector),
        targets: targets.slice(0, limit),
        total: targets.length,
        capped: targets.length > limit,
        resolvedAt,
      };
      return deepFreeze(set);
    },
    async protect(target) {
      if (!capabilities.has('protect')) throw unsupported(provider, 'protect');
      const answer = await runOperation(context, 'protect', { target }, ProtectResultSchema);
      return deepFreeze({ targetId: target.id, ...answer });
    },
    async isolate(target, isolateOptions = {}) {
      if (!capabilities.has('isolate')) throw unsupported(provider, 'isolate');
      const { resume, progress } = isolateOptions;
      checkRecord(target, resume, 'isolate');
      const answer = await runOperation(
        context,
        'isolate',
        { target, ...(resume ? { resume } : {}) },
        IsolateResultSchema,
      );
      // A resumed attempt keeps what the first one already changed: the record must let unisolate undo both.
      const changes = structuredClone(resume?.changes ?? []);
      for (const change of answer.changes) {
        if (changes.some((earlier) => sameChange(earlier, change))) continue;
        changes.push(change);
        // The script answers once, at its end: progress is reported change by change then.
        progress?.(structuredClone({ targetId: target.id, provider: name, changes, alreadyIsolated: false }));
      }
      return deepFreeze({ targetId: target.id, provider: name, changes, alreadyIsolated: changes.length === 0 });
    },
    async unisolate(target, record) {
      if (!capabilities.has('unisolate')) throw unsupported(provider, 'unisolate');
      checkRecord(target, record, 'unisolate');
      const answer = await runOperation(context, 'unisolate', { target, record }, UnisolateResultSchema);
      return deepFreeze({ targetId: target.id, ...answer });
    },
    async capture(request) {
      if (!capabilities.has('capture')) throw unsupported(provider, 'capture');
      return captureWithScript(context, request);
    },
    async destroy(request) {
      if (!capabilities.has('destroy')) throw unsupported(provider, 'destroy');
      const answer = await runOperation(
        context,
        'destroy',
        { target: request.target, removeVolumes: request.removeVolumes ?? false },
        DestroyResultSchema,
      );
      return deepFreeze({ targetId: request.target.id, ...answer });
    },
    async redeploy(request) {
      if (!capabilities.has('redeploy')) throw unsupported(provider, 'redeploy');
      const { artefact } = request;
      // The port's rule for every provider: an image is redeployed by digest, never by a tag that can move.
      if (artefact.kind === 'image' && !/@sha256:[0-9a-f]{64}$/.test(artefact.ref)) {
        throw new FirebreakError(
          ErrorCode.InvalidInput,
          `redeploy: image ${JSON.stringify(artefact.ref)} is not pinned by digest (repository@sha256:<64 hex digits>)`,
        );
      }
      const answer = await runOperation(
        context,
        'redeploy',
        { target: request.target, artefact: request.artefact, overrides: request.overrides ?? {} },
        RedeployResultSchema,
      );
      return deepFreeze({ replaced: request.target.id, target: toInfraTarget(name, answer.target) });
    },
    async health(request) {
      if (!capabilities.has('health')) throw unsupported(provider, 'health');
      const answer = await runOperation(
        context,
        'health',
        { target: request.target, ...(request.probe ? { probe: request.probe } : {}) },
        HealthResultSchema,
      );
      return deepFreeze({ targetId: request.target.id, ...answer });
    },
    async indicators(request) {
      if (!capabilities.has('indicators')) throw unsupported(provider, 'indicators');
      // Checked before the script runs, as every provider checks them: they come from a runbook.
      const indicators = checkIndicators(request.indicators);
      const answer = await runOperation(
        context,
        'indicators',
        { target: request.target, indicators },
        IndicatorsResultSchema,
      );
      if (answer.findings.length !== request.indicators.length) {
        throw new FirebreakError(
          ErrorCode.CommandFailed,
          `${context.scripts.indicators} (indicators) answered a bad result: findings has ${answer.findings.length} entries for ${request.indicators.length} indicators`,
        );
      }
      const findings = indicators.map((indicator, i) => ({
        indicator: structuredClone(indicator),
        ...answer.findings[i]!,
      }));
      return deepFreeze({ targetId: request.target.id, findings });
    },
  };
  return provider;
}
