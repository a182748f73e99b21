/**
 * The overrides a docker redeploy takes, checked before anything is contacted, and the check that every
 * value the spec redacted (a credential, a URL with userinfo) is supplied again or dropped: the
 * compromised credentials must not come back. Rotated credentials reach `env` from the step's secret
 * params, which the `infra.redeploy` action resolves in the worker (never in workflow history); the result
 * pins the replacement with them redacted again.
 */
import { ErrorCode, FirebreakError } from '../../domain/errors.js';
import { hasOwn } from '../../domain/own.js';
import type { JsonValue } from '../types.js';
import { redactionOf, type DockerSpec } from './spec.js';

/** What a redeploy's `overrides` may hold. */
export const OVERRIDE_KEYS = ['env', 'dropEnv', 'labels', 'name', 'networks', 'cmd', 'entrypoint', 'healthcheck'] as const;

/** The overrides, checked. */
export interface DockerOverrides {
  env: Map<string, string>;
  dropEnv: Set<string>;
  /** A label set to a value, or removed (null). */
  labels: Map<string, string | null>;
  name?: string;
  networks?: string[];
  cmd?: string[];
  entrypoint?: string[];
  /** `null` runs the replacement without a healthcheck; a list is the new test (`["CMD", ...]`). */
  healthcheck?: string[] | null;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,255}$/;
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;
const LABEL_KEY = /^[^\p{Cc}=\s][^\p{Cc}=]{0,254}$/u;

function refuse(message: string): FirebreakError {
  return new FirebreakError(ErrorCode.InvalidInput, `redeploy: ${message}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textList(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item.includes('\0'))) {
    throw refuse(`${where} must be a list of strings without NUL`);
  }
  return value as string[];
}

function names(value: unknown, where: string, pattern: RegExp): string[] {
  const list = textList(value, where);
  for (const item of list) if (!pattern.test(item)) throw refuse(`${where}: ${JSON.stringify(item)} is not a valid name`);
  return list;
}

/** Checks `overrides` (it comes from a runbook step). */
export function parseOverrides(raw: Readonly<Record<string, JsonValue>> | undefined): DockerOverrides {
  const out: DockerOverrides = { env: new Map(), dropEnv: new Set(), labels: new Map() };
  if (raw === undefined) return out;
  if (!isRecord(raw)) throw refuse('overrides must be a map');
  for (const key of Object.keys(raw)) {
    if (!(OVERRIDE_KEYS as readonly string[]).includes(key)) {
      throw refuse(`overrides.${key} is not an override Docker takes (${OVERRIDE_KEYS.join(', ')})`);
    }
  }
  if (hasOwn(raw, 'env')) {
    if (!isRecord(raw.env)) throw refuse('overrides.env must map variable names to values');
    for (const [name, value] of Object.entries(raw.env)) out.env.set(name, envValue(name, value));
  }
  if (hasOwn(raw, 'dropEnv')) out.dropEnv = new Set(names(raw.dropEnv, 'overrides.dropEnv', ENV_NAME));
  if (hasOwn(raw, 'labels')) {
    if (!isRecord(raw.labels)) throw refuse('overrides.labels must map label keys to values (null removes one)');
    for (const [key, value] of Object.entries(raw.labels)) {
      if (!LABEL_KEY.test(key)) throw refuse(`overrides.labels: ${JSON.stringify(key)} is not a label key`);
      if (value !== null && (typeof value !== 'string' || /\p{Cc}/u.test(value))) {
        throw refuse(`overrides.labels.${key} must be a string without control characters, or null to remove it`);
      }
      if (key.startsWith('firebreak.')) throw refuse(`overrides.labels.${key}: firebreak.* labels are Firebreak's own`);
      out.labels.set(key, value);
    }
  }
  if (hasOwn(raw, 'name')) {
    if (typeof raw.name !== 'string' || !CONTAINER_NAME.test(raw.name)) {
      throw refuse('overrides.name must be a container name: a letter or digit, then letters, digits, _ . or -');
    }
    out.name = raw.name;
  }
  if (hasOwn(raw, 'networks')) out.networks = textList(raw.networks, 'overrides.networks');
  if (hasOwn(raw, 'cmd')) out.cmd = textList(raw.cmd, 'overrides.cmd');
  if (hasOwn(raw, 'entrypoint')) out.entrypoint = textList(raw.entrypoint, 'overrides.entrypoint');
  if (hasOwn(raw, 'healthcheck')) {
    out.healthcheck = raw.healthcheck === null ? null : textList(raw.healthcheck, 'overrides.healthcheck');
  }
  for (const field of ['cmd', 'entrypoint', 'healthcheck'] as const) {
    const list = out[field];
    if (Array.isArray(list) && list.some((arg) => redactionOf(arg) === 'url-userinfo' || redactionOf(arg) === 'credential-flag')) {
      throw refuse(`overrides.${field} holds a credential (URL userinfo or a --password= style flag): pass it in env from a secret param`);
    }
  }
  return out;
}

function envValue(name: string, value: unknown): string {
  if (!ENV_NAME.test(name)) throw refuse(`overrides.env: ${JSON.stringify(name)} is not an environment variable name`);
  // The value is never repeated: it may be a rotated credential.
  if (typeof value !== 'string' || value.includes('\0')) throw refuse(`overrides.env.${name} must be a string without NUL`);
  return value;
}

/** Refuses (naming each) what the spec redacted and the overrides neither supply nor drop. */
export function requireRedactedSupplied(spec: DockerSpec, overrides: DockerOverrides): void {
  const missing: string[] = [];
  for (const item of spec.redacted) {
    const [kind, ...rest] = item.split(':');
    const name = rest.join(':');
    if (kind === 'env' && !overrides.env.has(name) && !overrides.dropEnv.has(name)) missing.push(`environment variable ${name}`);
    else if (kind === 'label' && !overrides.labels.has(name)) missing.push(`label ${name}`);
    else if ((kind === 'cmd' || kind === 'entrypoint' || kind === 'healthcheck') && overrides[kind] === undefined) missing.push(kind);
  }
  if (missing.length > 0) {
    throw refuse(
      `the original's ${missing.join(', ')} held credentials and were not pinned: supply each (rotated: overrides.env from ` +
        'a secret param, overrides.labels, overrides.cmd/entrypoint/healthcheck) or drop it (overrides.dropEnv, a label set to null)',
    );
  }
}
