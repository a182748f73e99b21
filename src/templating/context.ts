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

/** Builds the guarded object templates are rendered with. */
export function toRenderData(context: MessageContext): object {
  const confirmed: Record<string, JsonValue> = {};
  for (const [name, record] of Object.entries(context.facts)) {
    if (record.status === 'confirmed') confirmed[name] = record.value;
  }
  const plain = {
    incident: context.incident,
    params: context.params,
    facts: confirmed,
    decisions: context.decisions,
    sender: context.sender,
    ...(context.message === undefined ? {} : { message: context.message }),
  };
  const root = guard(structuredClone(plain), '', context.facts);
  factRecords.set(root, context.facts);
  return root;
}

/**
 * Wraps an object so that asking whether it has a name it lacks throws. Handlebars' strict mode asks with
 * `in` before every lookup, so this turns its terse "x not defined in [object Object]" into a message with
 * the full path, and the suspected-fact case into an instruction.
 */
function guard<T extends object>(target: T, path: string, facts: Record<string, FactRecord>): T {
  return new Proxy(target, {
    has(object, key) {
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
      const value: unknown = Reflect.get(object, key, receiver);
      if (typeof key !== 'string' || typeof value !== 'object' || value === null) return value;
      return guard(value, path === '' ? key : `${path}.${key}`, facts);
    },
  });
}
