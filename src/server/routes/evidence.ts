/**
 * The evidence routes (docs/evidence.md): an incident's custody records and accesses, a verification that
 * re-hashes every artefact, and the manifest for auditors. Authorized exactly like incident reads: 404 for
 * an incident the caller may not read, word for word as for an unknown one, and nothing recorded. Every
 * request is audited; verify and export also append their accesses to the custody ledger, by the user.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { EvidenceStore } from '../../evidence/evidence-store.js';
import { userOf } from '../auth.js';
import type { AppDeps } from '../deps.js';
import { ApiError, ApiErrorCode, errorResponses } from '../errors.js';
import type { ReadAccess } from '../read-access.js';
import { BEARER_SECURITY, IncidentIdParam, type ZodRoutes } from './shared.js';

const Instant = z.string().describe('ISO 8601 instant');

/** One artefact's custody record, in the order the manifest lists its fields. */
export const ArtefactRecordSchema = z
  .object({
    id: z.string().describe('the artefact id, also in the blob metadata (evidence-id)'),
    incidentId: z.string(),
    target: z.object({ id: z.string(), name: z.string() }).describe('the pinned target it was captured from'),
    artefact: z.string().describe('what was captured: metadata, processes, logs, diff, filesystem, ...'),
    contentType: z.string(),
    capturedAt: Instant.describe('when the write completed'),
    capturedBy: z.object({ stepId: z.string(), worker: z.string() }).describe('the runbook step and the worker'),
    size: z.number().int().describe('bytes, counted while the artefact streamed in'),
    sha256: z.string().describe('SHA-256 (hex) computed while the artefact streamed in'),
    location: z.string().describe('the blob key in the evidence storage'),
  })
  .meta({ id: 'EvidenceArtefact' });

/** One later access or verification of an artefact. */
export const AccessRecordSchema = z
  .object({
    seq: z.number().int().describe('the ledger order'),
    artefactId: z.string(),
    action: z.enum(['verify', 'read', 'export']),
    actor: z.string().describe('the user (or worker) who did it'),
    at: Instant,
    result: z.enum(['ok', 'mismatch', 'missing', 'error']),
    detail: z.string().optional().describe('what was found, for a result other than ok'),
  })
  .meta({ id: 'EvidenceAccess' });

const ListResponse = z.object({
  incidentId: z.string(),
  artefacts: z.array(ArtefactRecordSchema).describe('in capture order'),
  accesses: z.array(AccessRecordSchema).describe('in the order recorded'),
});

const VerifyResultSchema = z.object({
  artefact: ArtefactRecordSchema,
  result: z.enum(['ok', 'mismatch', 'missing', 'error']),
  detail: z.string().optional().describe('what was found: both digests of a mismatch, the missing location'),
  size: z.number().int().optional().describe('what the stored bytes counted, when they could be read'),
  sha256: z.string().optional().describe('what the stored bytes hashed to, when they could be read'),
});

const VerifyResponse = z.object({
  incidentId: z.string(),
  ok: z.boolean().describe('true only when the incident has at least one artefact and every one matched'),
  results: z.array(VerifyResultSchema),
});

/** The manifest for auditors: its fields in this order, always. */
export const ManifestSchema = z.object({
  format: z.literal('firebreak-evidence-manifest/1'),
  incidentId: z.string(),
  exportedAt: Instant.describe('when the export was made (the `at` of its export accesses)'),
  exportedBy: z.string().describe('the user who exported it'),
  artefacts: z.array(ArtefactRecordSchema).describe('every custody record, in capture order'),
  accesses: z.array(AccessRecordSchema).describe('every access, this export included, in the order recorded'),
});

const NoBody = z.strictObject({});

/** What 503 and 409 mean on these routes. */
const UNAVAILABLE = { 503: 'The server has no evidence store, or cannot open it' };
const READ_ERRORS = errorResponses([400, 401, 404, 429], UNAVAILABLE);
const VERIFY_ERRORS = errorResponses([400, 401, 404, 413, 415, 429], {
  ...UNAVAILABLE,
  409: 'A verification of this incident is already running on this server',
});

/** Registers the evidence routes. */
export function registerEvidenceRoutes(app: FastifyInstance, deps: AppDeps, reads: ReadAccess): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const store = evidenceStoreOf(deps);
  // One verification per incident at a time: each reads every artefact whole, possibly many GiB.
  const verifying = new Set<string>();
  registerList(routes, reads, store);
  registerVerify(routes, reads, store, verifying);
  registerExport(routes, reads, store);
}

/** The store, or 503 when the server has none or it cannot be opened (the reason goes to the log). */
function evidenceStoreOf(deps: AppDeps): () => Promise<EvidenceStore> {
  return async () => {
    const lazy = deps.evidence;
    if (lazy === undefined) {
      throw new ApiError(503, ApiErrorCode.Unavailable, 'evidence is not available: this server has no evidence store');
    }
    try {
      return await lazy.get();
    } catch (error) {
      deps.logger.error({ err: error }, 'cannot open the evidence store');
      throw new ApiError(
        503,
        ApiErrorCode.Unavailable,
        'evidence is not available: the evidence store cannot be opened (see the server log)',
      );
    }
  };
}

/** The store once the request's user may read the incident (else 404, before the store is even opened). */
async function authorized(
  request: FastifyRequest,
  reads: ReadAccess,
  store: () => Promise<EvidenceStore>,
  incidentId: string,
): Promise<EvidenceStore> {
  await reads.authorizeIncident(request, incidentId);
  return store();
}

function registerList(routes: ZodRoutes, reads: ReadAccess, store: () => Promise<EvidenceStore>): void {
  routes.get(
    '/incidents/:id/evidence',
    {
      config: { auditRead: true },
      schema: {
        tags: ['evidence'],
        operationId: 'listEvidence',
        summary: "The incident's evidence: every artefact's custody record and every later access",
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        response: {
          200: ListResponse.describe('The custody records and accesses (listing records none)'),
          ...READ_ERRORS,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const evidence = await authorized(request, reads, store, id);
      const [artefacts, accesses] = await Promise.all([evidence.list(id), evidence.accesses(id)]);
      return { incidentId: id, artefacts, accesses };
    },
  );
}

function registerVerify(
  routes: ZodRoutes,
  reads: ReadAccess,
  store: () => Promise<EvidenceStore>,
  verifying: Set<string>,
): void {
  routes.post(
    '/incidents/:id/evidence/verify',
    {
      schema: {
        tags: ['evidence'],
        operationId: 'verifyEvidence',
        summary: 'Re-hash every artefact of the incident from the evidence storage and record each result',
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        body: NoBody,
        response: {
          200: VerifyResponse.describe('Each artefact verified; `ok` is false when one did not match or none exist'),
          ...VERIFY_ERRORS,
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const evidence = await authorized(request, reads, store, id);
      if (verifying.has(id)) {
        throw new ApiError(409, ApiErrorCode.Conflict, `a verification of the evidence of ${id} is already running`);
      }
      verifying.add(id);
      try {
        return await evidence.verify(id, userOf(request).id);
      } finally {
        verifying.delete(id);
      }
    },
  );
}

function registerExport(routes: ZodRoutes, reads: ReadAccess, store: () => Promise<EvidenceStore>): void {
  routes.get(
    '/incidents/:id/evidence/export',
    {
      config: { auditRead: true },
      schema: {
        tags: ['evidence'],
        operationId: 'exportEvidence',
        summary: 'The manifest for auditors; records an export access for every artefact',
        security: BEARER_SECURITY,
        params: IncidentIdParam,
        response: { 200: ManifestSchema.describe('The manifest, its fields in a fixed order'), ...READ_ERRORS },
      },
    },
    async (request) => {
      const { id } = request.params;
      const evidence = await authorized(request, reads, store, id);
      const manifest = await evidence.exportManifest(id, userOf(request).id);
      return { format: 'firebreak-evidence-manifest/1' as const, ...manifest };
    },
  );
}
