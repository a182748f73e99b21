/** The post-mortem endpoints as the CLI uses them, and their answers checked at the boundary (loose objects). */
import { z } from 'zod';
import { segment, type ApiClient } from './client.js';

const Section = z.looseObject({
  text: z.string(),
  revision: z.number(),
  author: z.string().optional(),
  at: z.string().optional(),
});

/** One row of `GET /postmortems`. */
export const PostmortemSummary = z.looseObject({
  id: z.string(),
  incidentId: z.string(),
  title: z.string(),
  runbookId: z.string(),
  severity: z.string(),
  status: z.string(),
  startedAt: z.string(),
  tags: z.array(z.string()),
  reviewDueAt: z.string().optional(),
  people: z.looseObject({ facilitators: z.array(z.string()), reviewers: z.array(z.string()) }),
});
export type PostmortemSummary = z.infer<typeof PostmortemSummary>;

export const PostmortemList = z.looseObject({ postmortems: z.array(PostmortemSummary), truncated: z.boolean() });
export type PostmortemList = z.infer<typeof PostmortemList>;

export const PostmortemDetail = PostmortemSummary.extend({ sections: z.record(z.string(), Section) });
export type PostmortemDetail = z.infer<typeof PostmortemDetail>;
const PostmortemResponse = z.looseObject({ postmortem: PostmortemDetail });

export const Revision = z.looseObject({
  section: z.string(),
  revision: z.number(),
  text: z.string(),
  author: z.string(),
  at: z.string(),
});
export type Revision = z.infer<typeof Revision>;

export const History = z.looseObject({
  revisions: z.array(Revision),
  statuses: z.array(
    z.looseObject({
      from: z.string().optional(),
      to: z.string(),
      actor: z.string(),
      at: z.string(),
      reason: z.string().optional(),
      acknowledgements: z
        .array(
          z.looseObject({
            flag: z.string(),
            section: z.string(),
            line: z.number(),
            column: z.number(),
            phrase: z.string(),
            reason: z.string(),
          }),
        )
        .optional(),
    }),
  ),
  // Absent from servers older than the field history.
  fields: z
    .array(z.looseObject({ field: z.string(), value: z.unknown(), actor: z.string(), at: z.string() }))
    .default([]),
});
export type History = z.infer<typeof History>;

export const Flag = z.looseObject({
  id: z.string(),
  section: z.string(),
  line: z.number(),
  column: z.number(),
  match: z.string(),
  instead: z.string(),
});
export type Flag = z.infer<typeof Flag>;
export const StatusResponse = z.looseObject({ postmortem: PostmortemDetail, flags: z.array(Flag) });
export type StatusResponse = z.infer<typeof StatusResponse>;

export const SearchHit = z.looseObject({
  postmortem: z.looseObject({
    id: z.string(),
    incidentId: z.string(),
    title: z.string(),
    runbookId: z.string(),
    startedAt: z.string(),
  }),
  rank: z.number(),
  snippets: z.array(
    z.looseObject({
      section: z.string(),
      text: z.string(),
      highlights: z.array(z.looseObject({ start: z.number(), end: z.number() })),
    }),
  ),
});
export type SearchHit = z.infer<typeof SearchHit>;
const SearchResponse = z.looseObject({ hits: z.array(SearchHit) });

/** The filters of a list or search; each is left out of the query when undefined. */
export type PostmortemQuery = Partial<
  Record<'status' | 'runbook' | 'severity' | 'tag' | 'since' | 'limit' | 'q' | 'format' | 'section', string>
>;

/** The body of `POST /postmortems/{id}/status`. */
export interface StatusRequest {
  from: string;
  to: string;
  reason?: string;
  acknowledgements?: { flag: string; reason: string }[];
}

function query(filter: PostmortemQuery): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) if (value !== undefined) params.set(key, value);
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

/** The post-mortem endpoints over a client. */
export function postmortemApi(client: ApiClient) {
  const base = (id: string) => `/postmortems/${segment(id)}`;
  return {
    list: (filter: PostmortemQuery) => client.request('GET', `/postmortems${query(filter)}`, PostmortemList),
    get: async (id: string) => (await client.request('GET', base(id), PostmortemResponse)).postmortem,
    export: (id: string, format: string) => client.getText(`${base(id)}/export${query({ format })}`),
    history: (id: string, section?: string) =>
      client.request('GET', `${base(id)}/history${query({ section })}`, History),
    edit: (id: string, section: string, body: { text: string; baseRevision: number }) =>
      client.request('PUT', `${base(id)}/sections/${segment(section)}`, z.looseObject({ revision: Revision }), body),
    setStatus: (id: string, body: StatusRequest) => client.request('POST', `${base(id)}/status`, StatusResponse, body),
    tag: async (id: string, body: { add?: string[]; remove?: string[] }) =>
      (await client.request('PATCH', `${base(id)}/tags`, PostmortemResponse, body)).postmortem,
    search: (filter: PostmortemQuery) => client.request('GET', `/postmortems/search${query(filter)}`, SearchResponse),
  };
}
