/** The evidence store and its custody ledger (docs/evidence.md). */
export * from './evidence-store.js';
export * from './lazy.js';
export * from './ledger.js';
export * from './migrations.js';
export * from './open.js';
export type * from './types.js';
