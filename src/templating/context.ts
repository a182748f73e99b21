/**
 * The context a message is rendered with, and the render data built from it. The accuracy guard lives
 * here: `facts.<name>` holds confirmed values only, and every lookup of a name that is not there throws a
 * `TemplateError` naming the full path, so nothing renders blank and nothing suspected renders as fact.
 */
import type { MessageContext } from '../domain/notify.js';
import type { JsonValue } from '../domain/plan.js';
import type { FactRecord } from '../domain/state.js';
import { TemplateError } from './errors.js';
import { own } from '../domain/own.js';

export type { MessageContext } from '../domain/notify.js';

/** Fact records of each render, keyed by the root render object, for the `fact` helper only. */
const factRecords = new WeakMap<object, Record<string, FactRecord>>();

/** The fact records behind a render's root object, as the `fact` helper sees them. */
export function factRecordsOf(root: unknown): Record<string, FactRecord> | undefined {
  return typeof root === 'object' && root !== null ? factRecords.get(root) : undefined;
}

/** Incident fields a public channel may not render: each names the incident or its runbook. */
export const PRIVATE_INCIDENT_FIELDS: readonly string[] = ['id', 'title', 'runbook'];

/** Why a public channel's template cannot use `incident.<field>`. */
export function privateFieldReason(field: string): string {
  return `incident.${field} is not available on the status page: the page is public, and the incident's id, title and runbook say what happened (use facts the approvers confirm)`;
}

/**
 * Builds the guarded object templates are rendered with. For a public channel (`publicOnly`), the incident
 * carries only its severity and start, and asking for its id, title or runbook throws, through `with` and
 * `lookup` too.
 */
export function toRenderData(context: MessageContext, publicOnly = false): object {
  const confirmed: Record<string, JsonValue> = {};
  for (const [name, record] of Object.entries(context.facts)) {
    if (record.status === 'confirmed') confirmed[name] = record.value;
  }
  const { severity, startedAt } = context.incident;
  const plain = {
    incident: publicOnly ? { severity, startedAt } : context.incident,
    params: context.params,
    facts: confirmed,
    decisions: context.decisions,
    sender: context.sender,
    ...(context.message === undefined ? {} : { message: context.message }),
    // What steps found is internal: a public channel never sees it (validation refuses such templates).
    ...(context.steps === undefined || publicOnly ? {} : { steps: context.steps }),
  };
  const root = guard(structuredClone(plain), '', context.facts, publicOnly);
  factRecords.set(root, context.facts);
  return root;
}

/**
 * Wraps an object so that asking whether it has a name it lacks throws. Handlebars' strict mode asks with
 * `in` before every lookup, so this turns its terse "x not defined in [object Object]" into a message with
 * the full path, and the suspected-fact case into an instruction.
 */
function guard<T extends object>(target: T, path: string, facts: Record<string, FactRecord>, publicOnly: boolean): T {
  // Handlebars reaches a name through `in` (strict mode), a plain get (paths) or an own-property check
  // (`lookup`): a private field of a public render is refused on each of them.
  const refusePrivate = (key: string | symbol): void => {
    if (publicOnly && path === 'incident' && typeof key === 'string' && PRIVATE_INCIDENT_FIELDS.includes(key)) {
      throw new TemplateError('PRIVATE_VARIABLE', privateFieldReason(key), undefined, `incident.${key}`);
    }
  };
  return new Proxy(target, {
    getOwnPropertyDescriptor(object, key) {
      refusePrivate(key);
      return Reflect.getOwnPropertyDescriptor(object, key);
    },
    has(object, key) {
      refusePrivate(key);
      if (typeof key !== 'string' || Reflect.has(object, key)) return Reflect.has(object, key);
      const full = path === '' ? key : `${path}.${key}`;
      if (path === 'facts' && own(facts, key)?.status === 'suspected') {
        throw new TemplateError(
          'SUSPECTED_FACT',
          `fact "${key}" is only suspected and cannot render as plain {{${full}}}; use {{fact "${key}"}}, which says it is still under investigation`,
          undefined,
          full,
        );
      }
      throw new TemplateError('MISSING_VARIABLE', `variable ${full} is not defined`, undefined, full);
    },
    get(object, key, receiver) {
      refusePrivate(key);
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof key !== 'string' || typeof value !== 'object' || value === null) return value;
      return guard(value, path === '' ? key : `${path}.${key}`, facts, publicOnly);
    },
  });
}
