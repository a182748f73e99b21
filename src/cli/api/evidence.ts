/** The evidence endpoints as the CLI uses them, and their answers checked at the boundary (loose objects). */
import { z } from 'zod';
import { segment, type ApiClient } from './client.js';

/** One artefact's custody record. */
export const EvidenceArtefact = z.looseObject({
  id: z.string(),
  incidentId: z.string(),
  target: z.looseObject({ id: z.string(), name: z.string() }),
  artefact: z.string(),
  contentType: z.string(),
  capturedAt: z.string(),
  capturedBy: z.looseObject({ stepId: z.string(), worker: z.string() }),
  size: z.number(),
  sha256: z.string(),
  location: z.string(),
});
export type EvidenceArtefact = z.infer<typeof EvidenceArtefact>;

/** One later access or verification. */
export const EvidenceAccess = z.looseObject({
  seq: z.number(),
  artefactId: z.string(),
  action: z.string(),
  actor: z.string(),
  at: z.string(),
  result: z.string(),
  detail: z.string().optional(),
});
export type EvidenceAccess = z.infer<typeof EvidenceAccess>;

export const EvidenceList = z.looseObject({
  incidentId: z.string(),
  artefacts: z.array(EvidenceArtefact),
  accesses: z.array(EvidenceAccess),
});
export type EvidenceList = z.infer<typeof EvidenceList>;

export const VerifyResult = z.looseObject({
  artefact: EvidenceArtefact,
  result: z.string(),
  detail: z.string().optional(),
  size: z.number().optional(),
  sha256: z.string().optional(),
});
export type VerifyResult = z.infer<typeof VerifyResult>;

export const VerifyReport = z.looseObject({ incidentId: z.string(), ok: z.boolean(), results: z.array(VerifyResult) });
export type VerifyReport = z.infer<typeof VerifyReport>;

export const EvidenceManifest = z.looseObject({
  format: z.string(),
  incidentId: z.string(),
  exportedAt: z.string(),
  exportedBy: z.string(),
  artefacts: z.array(EvidenceArtefact),
  accesses: z.array(EvidenceAccess),
});

/** The evidence endpoints over a client. */
export function evidenceApi(client: ApiClient) {
  const base = (incidentId: string) => `/incidents/${segment(incidentId)}/evidence`;
  return {
    list: (incidentId: string) => client.request('GET', base(incidentId), EvidenceList),
    verify: (incidentId: string) => client.request('POST', `${base(incidentId)}/verify`, VerifyReport, {}),
    /** The manifest as the server wrote it (its field order kept), checked to be one. */
    async export(incidentId: string): Promise<string> {
      const path = `${base(incidentId)}/export`;
      const text = await client.getText(path);
      client.check('GET', path, EvidenceManifest, parseOrUndefined(text));
      return text;
    },
  };
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
