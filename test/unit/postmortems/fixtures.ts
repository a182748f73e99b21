/**
 * Incident states captured from real runs (test/workflows/postmortem-draft.test.ts with
 * CAPTURE_POSTMORTEM_STATES=1) and the plans they ran, compiled by the real compiler from the same YAML.
 * Capturing again changes ids and times: rewrite the goldens then (render.test.ts with UPDATE_GOLDEN=1).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { builtinActionCatalog } from '../../../src/actions/registry.js';
import type { Plan } from '../../../src/domain/plan.js';
import type { IncidentState } from '../../../src/domain/state.js';
import { draftPostmortem, type DraftOptions } from '../../../src/postmortems/draft.js';
import type { PostmortemStore } from '../../../src/postmortems/store/index.js';
import type { NewPostmortem } from '../../../src/postmortems/types.js';
import { compileRunbookSources } from '../../../src/runbook/index.js';
import { loadTemplateDirs } from '../../../src/templating/index.js';

export const root = path.resolve(import.meta.dirname, '../../..');
const dir = path.join(root, 'test/fixtures/postmortem');

/** The captured incidents. */
export type FixtureName = 'tabletop' | 'aborted' | 'cancelled';

/** A captured incident: its final state (a fresh copy each call) and the plan it ran. */
export async function fixture(name: FixtureName): Promise<{ state: IncidentState; plan: Plan }> {
  const templates = await loadTemplateDirs([path.join(root, 'test/fixtures/notify-templates')]);
  const catalog = compileRunbookSources(
    [{ file: `${name}.yaml`, bytes: readFileSync(path.join(dir, `${name}.yaml`)) }],
    { actions: builtinActionCatalog, templates },
  );
  if (catalog.issues.length > 0) throw new Error(JSON.stringify(catalog.issues));
  const id = catalog.declaredIds.get(`${name}.yaml`);
  const plan = id === undefined ? undefined : catalog.runbooks.get(id)?.plan;
  if (plan === undefined) throw new Error(`${name}.yaml did not compile`);
  const state = JSON.parse(readFileSync(path.join(dir, `${name}.state.json`), 'utf8')) as IncidentState;
  return { state, plan };
}

/** The options the goldens are drafted with. */
export const draftOptions: DraftOptions = {
  timeZone: 'Europe/Paris',
  containedBy: 'isolate',
  people: { facilitators: ['alice'], reviewers: ['bob', 'carol'], audience: ['all-staff@example.com'] },
  reviewDueMs: 5 * 86_400_000,
  now: '2030-01-01T09:00:00.000Z',
  createdBy: 'alice',
  tags: ['customer-data'],
};

/**
 * Stores a post-mortem drafted from the captured tabletop run, with `overrides` (most often the incident a
 * test triggered, its runbook, a title and the people), and returns its id: the seed of the API and CLI tests.
 */
export async function seedPostmortem(store: PostmortemStore, overrides: Partial<NewPostmortem>): Promise<string> {
  const { state, plan } = await fixture('tabletop');
  const { postmortem } = await store.createPostmortem({ ...draftPostmortem(state, plan, draftOptions), ...overrides });
  return postmortem.id;
}
