/**
 * Alert routing: the configured routes, compiled once, in order. The first route of the alert's receiver
 * whose `match` holds decides the runbook, its params, the dedup key and the severity, all computed from
 * the alert by CEL. A `match` that cannot be evaluated for an alert (a missing label) does not match; one
 * that goes over the evaluation budget makes the alert invalid, so it is refused rather than passed on to
 * a later, broader route. A resolved alert only finds the incident of its dedup key, so it needs neither
 * params nor severity: they are not computed for it, and a label the firing alert lacked cannot block it.
 */
import { SEVERITIES, type JsonValue } from '../domain/plan.js';
import {
  AlertExpressionError,
  compileAlertExpression,
  labelNamesRead,
  type CompiledAlertExpression,
} from './expressions.js';
import type { IncomingAlert, Receiver } from './incoming.js';

/** One route as the configuration writes it (expressions already checked). */
export interface AlertRouteSpec {
  receiver: Receiver;
  match?: string;
  runbook: string;
  params?: Record<string, string>;
  dedupKey?: string;
  severity?: string;
}

/** Where an alert goes: the route's position, the trigger it makes (params and severity for firing alerts only). */
export interface RoutedAlert {
  kind: 'routed';
  route: number;
  runbook: string;
  params: Record<string, JsonValue>;
  dedupKey: string;
  severity?: string;
}

/** No route took the alert; `notes` says which `match` could not be evaluated, if any. */
export interface UnmatchedAlert {
  kind: 'unmatched';
  notes: string[];
}

/** A route took the alert but could not compute its trigger from it. */
export interface InvalidAlert {
  kind: 'invalid';
  route: number;
  runbook: string;
  message: string;
}

/** What routing made of one alert. */
export type RouteOutcome = RoutedAlert | UnmatchedAlert | InvalidAlert;

/** Routes alerts through the compiled routes. */
export interface AlertRouter {
  route(alert: IncomingAlert): RouteOutcome;
  /** The label names the routes' expressions read (`alert.labels.<name>`): the timeline keeps them first. */
  labelsRead: ReadonlySet<string>;
}

/** Longest dedup key a trigger accepts. */
const MAX_DEDUP_KEY = 256;

interface CompiledRoute {
  index: number;
  spec: AlertRouteSpec;
  match?: CompiledAlertExpression;
  params: [string, CompiledAlertExpression][];
  dedupKey?: CompiledAlertExpression;
  severity?: CompiledAlertExpression;
}

/** Compiles the routes (their expressions were type-checked when the config loaded). */
export function createAlertRouter(routes: readonly AlertRouteSpec[]): AlertRouter {
  const compiled = routes.map((spec, index): CompiledRoute => {
    const literal = spec.severity !== undefined && (SEVERITIES as readonly string[]).includes(spec.severity);
    const severity = spec.severity;
    return {
      index,
      spec,
      ...(spec.match === undefined ? {} : { match: compileAlertExpression(spec.match) }),
      params: Object.entries(spec.params ?? {}).map(([name, expression]) => [name, compileAlertExpression(expression)]),
      ...(spec.dedupKey === undefined ? {} : { dedupKey: compileAlertExpression(spec.dedupKey) }),
      ...(severity === undefined ? {} : { severity: literal ? () => severity : compileAlertExpression(severity) }),
    };
  });
  const expressions = routes.flatMap((spec) => [
    ...(spec.match === undefined ? [] : [spec.match]),
    ...Object.values(spec.params ?? {}),
    ...(spec.dedupKey === undefined ? [] : [spec.dedupKey]),
    ...(spec.severity === undefined ? [] : [spec.severity]),
  ]);
  return {
    labelsRead: new Set(expressions.flatMap(labelNamesRead)),
    route(alert) {
      const notes: string[] = [];
      for (const route of compiled) {
        if (route.spec.receiver !== alert.receiver) continue;
        const matched = matches(route, alert, notes);
        if (matched === true) return triggerFor(route, alert);
        if (matched !== false) return matched;
      }
      return { kind: 'unmatched', notes };
    },
  };
}

function matches(route: CompiledRoute, alert: IncomingAlert, notes: string[]): boolean | InvalidAlert {
  if (route.match === undefined) return true;
  try {
    return route.match(alert.context) === true;
  } catch (error) {
    if (error instanceof AlertExpressionError && error.overBudget) {
      const message = `routes[${route.index}].match: ${error.message}`;
      return { kind: 'invalid', route: route.index, runbook: route.spec.runbook, message };
    }
    notes.push(`routes[${route.index}].match: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/** Computes the trigger a matched route makes of an alert. */
function triggerFor(route: CompiledRoute, alert: IncomingAlert): RoutedAlert | InvalidAlert {
  const invalid = (message: string): InvalidAlert => ({
    kind: 'invalid',
    route: route.index,
    runbook: route.spec.runbook,
    message: `routes[${route.index}]: ${message}`,
  });
  try {
    const firing = alert.status === 'firing';
    const params: Record<string, JsonValue> = {};
    if (firing) for (const [name, expression] of route.params) params[name] = expression(alert.context);
    const key = route.dedupKey ? route.dedupKey(alert.context) : alert.fingerprint;
    if (key === undefined) return invalid('the alert has no `fingerprint` field and the route sets no `dedupKey`');
    if (typeof key !== 'string' && typeof key !== 'number') return invalid('`dedupKey` must give a string');
    const dedupKey = String(key);
    if (dedupKey === '' || dedupKey.length > MAX_DEDUP_KEY) {
      return invalid(`\`dedupKey\` must give 1 to ${MAX_DEDUP_KEY} characters`);
    }
    const severity = firing ? route.severity?.(alert.context) : undefined;
    if (severity !== undefined && !(SEVERITIES as readonly JsonValue[]).includes(severity)) {
      return invalid(`\`severity\` must give one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(severity)}`);
    }
    return {
      kind: 'routed',
      route: route.index,
      runbook: route.spec.runbook,
      params,
      dedupKey,
      ...(typeof severity === 'string' ? { severity } : {}),
    };
  } catch (error) {
    return invalid(error instanceof Error ? error.message : String(error));
  }
}
