/**
 * The `infra.*` actions: the burn-down saga's steps over the configured infrastructure providers and the
 * evidence store (docs/infrastructure.md). Add an action to both lists (the specs let runbooks validate
 * without any configuration).
 */
import type { ActionDefinition, ActionSpec } from '../types.js';
import { infraCaptureAction, infraCaptureSpec } from './capture.js';
import { infraHealthAction, infraHealthSpec, infraIndicatorsAction, infraIndicatorsSpec } from './checks.js';
import {
  infraIsolateAction,
  infraIsolateSpec,
  infraProtectAction,
  infraProtectSpec,
  infraUnisolateAction,
  infraUnisolateSpec,
} from './containment.js';
import { infraDestroyAction, infraDestroySpec } from './destroy.js';
import { infraInventoryAction, infraInventorySpec } from './inventory.js';
import { infraRedeployAction, infraRedeploySpec } from './redeploy.js';
import type { InfraActionDeps } from './shared.js';

export type { InfraActionDeps } from './shared.js';

/** Every infra action, ready to register. */
export function infraActions(deps: InfraActionDeps): ActionDefinition[] {
  return [
    infraInventoryAction(deps),
    infraProtectAction(deps),
    infraIsolateAction(deps),
    infraUnisolateAction(deps),
    infraCaptureAction(deps),
    infraDestroyAction(deps),
    infraRedeployAction(deps),
    infraHealthAction(deps),
    infraIndicatorsAction(deps),
  ] as ActionDefinition[];
}

/** Names, descriptions and input schemas of the infra actions, for runbook validation. */
export const infraActionSpecs: readonly ActionSpec[] = [
  infraInventorySpec,
  infraProtectSpec,
  infraIsolateSpec,
  infraUnisolateSpec,
  infraCaptureSpec,
  infraDestroySpec,
  infraRedeploySpec,
  infraHealthSpec,
  infraIndicatorsSpec,
] as ActionSpec[];
