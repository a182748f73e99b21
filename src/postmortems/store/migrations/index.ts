/**
 * The store's schema, as ordered migrations. Append only: a released migration is never edited (its
 * checksum is recorded, and a database whose recorded checksum differs is refused); change the schema
 * with a new version. Statements are plain SQL kept in TypeScript, so `npm run build` carries them.
 */
import { initial } from './001-initial.js';
import { acknowledgements } from './002-acknowledgements.js';

/** One schema version. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Every migration, in order; versions are 1, 2, 3, ... */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'acknowledgements and field changes', sql: acknowledgements },
];

/** The schema version this code writes and reads. */
export const LATEST_VERSION = MIGRATIONS.length;

/** The PostgreSQL schema that holds the store's tables, apart from anything else in the database. */
export const STORE_SCHEMA = 'firebreak_postmortems';
