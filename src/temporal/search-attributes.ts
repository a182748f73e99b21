/** How Firebreak's search attributes are registered on a Temporal server. */
// A CommonJS package: Node's ESM loader gives its exports only as the default import.
import proto from '@temporalio/proto';
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

/** Registers Firebreak search attributes (by name) as keywords on a namespace. */
export async function addSearchAttributes(connection: Connection, namespace: string, names: readonly string[]) {
  const keyword = proto.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(names.map((name) => [name, keyword])),
  });
}
