/**
 * What a command provider's scripts may answer, one zod schema per operation, checked against the port's
 * result types: every string bounded and free of control characters, every list bounded, unknown keys
 * refused (a typo in a script is named, not ignored). Targets are small and JSON-safe because they go into
 * workflow history.
 */
import { z } from 'zod';
import type { InfraChange, InfraTarget, JsonValue } from '../types.js';

/** The longest id, name, address or other single value a script may give. */
export const MAX_VALUE_CHARS = 256;
/** The most labels, networks, mounts, credentials, warnings or changes in one answer. */
export const MAX_ITEMS = 64;
/** The most targets one inventory may answer (the port pins at most INVENTORY_MAX_LIMIT of them). */
export const MAX_TARGETS = 5_000;

const Text = (max = MAX_VALUE_CHARS) =>
  z
    .string()
    .max(max, { error: `at most ${max} characters` })
    .regex(/^[^\p{Cc}]*$/u, { error: 'must not hold control characters' });
const NonEmpty = (max = MAX_VALUE_CHARS) => Text(max).min(1, { error: 'must not be empty' });
const List = <T extends z.ZodType>(item: T, max = MAX_ITEMS) =>
  z.array(item).max(max, { error: `at most ${max} items` });
const LABEL_KEY = /^[^\p{Cc}=\s][^\p{Cc}=]{0,254}$/u;

/** JSON that fits in history: depth and size are bounded by the output cap; numbers must be finite. */
const Json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(Json), z.record(z.string(), Json)]),
);

const Image = z.strictObject({
  ref: Text(1024),
  id: NonEmpty(1024).optional(),
  digest: z
    .string()
    .regex(/^[a-z0-9]+:[A-Za-z0-9=_-]{16,512}$/, { error: 'expected an algorithm and a digest (sha256:<hex>)' })
    .optional(),
  pinned: NonEmpty(1024).optional(),
});

const Network = z.strictObject({
  name: NonEmpty(),
  id: NonEmpty().optional(),
  aliases: List(NonEmpty()).default([]),
  ipv4: NonEmpty(64).optional(),
  ipv6: NonEmpty(64).optional(),
  mac: NonEmpty(64).optional(),
});

const Mount = z.strictObject({
  type: NonEmpty(64),
  name: NonEmpty(1024).optional(),
  source: NonEmpty(4096).optional(),
  destination: NonEmpty(4096),
  readOnly: z.boolean().default(false),
});

const Credential = z.strictObject({ kind: NonEmpty(64), name: NonEmpty(1024), note: Text(1024).optional() });

/** A target as a script describes it; the provider adds its own name and kind. */
export const ScriptTargetSchema = z.strictObject({
  id: NonEmpty(),
  name: Text(),
  image: Image,
  networks: List(Network).default([]),
  mounts: List(Mount).default([]),
  labels: z
    .record(z.string().regex(LABEL_KEY, { error: 'is not a label key' }), Text())
    .refine((labels) => Object.keys(labels).length <= MAX_ITEMS, { error: `at most ${MAX_ITEMS} labels` })
    .default({}),
  credentials: List(Credential).default([]),
  state: NonEmpty(64),
  createdAt: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date and time' }).optional(),
});
export type ScriptTarget = z.infer<typeof ScriptTargetSchema>;

/** The target with the provider's name and kind, keys in the port's order. */
export function toInfraTarget(provider: string, target: ScriptTarget): InfraTarget {
  return { provider, kind: 'command', ...target };
}

const Change: z.ZodType<InfraChange> = z.strictObject({
  what: NonEmpty(),
  resource: NonEmpty().optional(),
  before: Json.optional(),
  after: Json.optional(),
});

/** `inventory`: every target the selector matches. */
export const InventoryResultSchema = z.strictObject({ targets: List(ScriptTargetSchema, MAX_TARGETS) });
/** `protect`: what changed (nothing when already protected) and what it cannot protect. */
export const ProtectResultSchema = z.strictObject({ changes: List(Change), warnings: List(Text(1024)).default([]) });
/** `isolate`: the changes made now (a resumed attempt adds them to the record it resumes). */
export const IsolateResultSchema = z.strictObject({ changes: List(Change) });
/** `unisolate`: the record's changes undone now, and those already undone. */
export const UnisolateResultSchema = z.strictObject({ restored: List(Change), alreadyRestored: List(Change) });
/** `capture`: one file per artefact asked, written in the request's directory. */
export const CaptureResultSchema = z.strictObject({
  artefacts: List(
    z.strictObject({
      artefact: NonEmpty(64),
      file: NonEmpty(),
      contentType: NonEmpty(128).default('application/octet-stream'),
    }),
    16,
  ),
});
/** `destroy`: whether the target was removed now (false: it was already gone), and the volumes kept. */
export const DestroyResultSchema = z.strictObject({
  removed: z.boolean(),
  keptVolumes: List(NonEmpty(1024)).default([]),
  /** The target was gone before this call (a retried destroy): not an error. */
  alreadyGone: z.boolean().optional(),
});
/** `redeploy`: the replacement, described as inventory describes a target. */
export const RedeployResultSchema = z.strictObject({ target: ScriptTargetSchema });
/** `health`: the verdict and why. */
export const HealthResultSchema = z.strictObject({ healthy: z.boolean(), detail: Text(1024) });
/** `indicators`: one finding per indicator, in the order asked. */
export const IndicatorsResultSchema = z.strictObject({
  findings: List(z.strictObject({ present: z.boolean(), detail: Text(1024).optional() }), 1_000),
});
