/** The post-mortem store: its interface, limits and the functions that open it. */
export { STORE_LIMITS } from './limits.js';
export { LATEST_VERSION } from './migrations/index.js';
export { POSTMORTEM_TRANSITIONS } from './postmortem-ops.js';
export {
  lazyPostmortemStore,
  openPgliteStore,
  openPostgresStore,
  openPostmortemStore,
  type LazyPostmortemStore,
  type PostmortemStoreDeps,
} from './open.js';
export * from './types.js';
