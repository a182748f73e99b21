/** The post-mortem actions: `postmortem.digest`, built over the post-mortem store, drill history and runbooks. */
import type { ActionDefinition, ActionSpec } from '../types.js';
import { postmortemDigestAction, postmortemDigestSpec, type PostmortemDigestDeps } from './digest.js';

export type { PostmortemDigestDeps } from './digest.js';

/** Every post-mortem action, ready to register. */
export function postmortemActions(deps: PostmortemDigestDeps): ActionDefinition[] {
  return [postmortemDigestAction(deps)];
}

/** Names, descriptions and input schemas of the post-mortem actions, for runbook validation. */
export const postmortemActionSpecs: readonly ActionSpec[] = [postmortemDigestSpec];
