/** The action item endpoints as the CLI uses them, and their answers checked at the boundary (loose objects). */
import { z } from 'zod';
import { segment, type ApiClient } from './client.js';

export const ActionItem = z.looseObject({
  id: z.string(),
  postmortemId: z.string(),
  title: z.string(),
  owner: z.string(),
  dueAt: z.string().optional(),
  priority: z.string(),
  status: z.string(),
  statusReason: z.string().optional(),
  trackerUrl: z.string().optional(),
  verify: z.looseObject({ runbook: z.string(), params: z.record(z.string(), z.unknown()) }).optional(),
  runs: z.array(z.looseObject({ incidentId: z.string(), result: z.string(), at: z.string() })),
  version: z.number(),
});
export type ActionItem = z.infer<typeof ActionItem>;

const ItemResponse = z.looseObject({ item: ActionItem });
export const ActionItemList = z.looseObject({ items: z.array(ActionItem), truncated: z.boolean() });
export type ActionItemList = z.infer<typeof ActionItemList>;
export const DoneResponse = z.looseObject({ item: ActionItem, verificationIncidentId: z.string().optional() });

/** The filters of a list; each is left out of the query when undefined. */
export type ActionItemQuery = Partial<Record<'owner' | 'status' | 'overdue' | 'postmortem' | 'limit', string>>;

/** The fields of an add or an update (`null` clears an optional one on update). */
export interface ActionItemFields {
  title?: string;
  owner?: string;
  dueAt?: string | null;
  priority?: string;
  status?: string;
  trackerUrl?: string | null;
  verify?: { runbook: string; params: Record<string, unknown> } | null;
}

/** The action item endpoints over a client. */
export function actionItemApi(client: ApiClient) {
  const base = (id: string) => `/action-items/${segment(id)}`;
  return {
    list: (filter: ActionItemQuery) => {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(filter)) if (value !== undefined) params.set(key, value);
      const text = params.toString();
      return client.request('GET', `/action-items${text === '' ? '' : `?${text}`}`, ActionItemList);
    },
    get: async (id: string) => (await client.request('GET', base(id), ItemResponse)).item,
    add: async (postmortemId: string, body: ActionItemFields) =>
      (await client.request('POST', `/postmortems/${segment(postmortemId)}/action-items`, ItemResponse, body)).item,
    update: async (id: string, body: ActionItemFields & { baseVersion: number }) =>
      (await client.request('PATCH', base(id), ItemResponse, body)).item,
    done: (id: string, body: { baseVersion: number; reason?: string }) =>
      client.request('POST', `${base(id)}/done`, DoneResponse, body),
    wontdo: async (id: string, body: { baseVersion: number; reason: string }) =>
      (await client.request('POST', `${base(id)}/wontdo`, ItemResponse, body)).item,
  };
}
