/** How Firebreak's search attributes are registered on a Temporal server. */
import type { Connection } from '@temporalio/client';
import { SEARCH_ATTRIBUTES } from '../domain/search-attributes.js';

export * from '../domain/search-attributes.js';

/** Name=Type pairs, as `temporal server start-dev --search-attribute` and `temporal operator` take them. */
export const SEARCH_ATTRIBUTE_FLAGS: readonly string[] = SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`);

/** The Firebreak search attributes a namespace lacks (empty when all are registered). */
export async function missingSearchAttributes(connection: Connection, namespace: string): Promise<string[]> {
  const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
  return SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !(name in (customAttributes ?? {})));
}
