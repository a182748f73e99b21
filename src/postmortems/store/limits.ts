/** The store's input limits, in one place: every write is checked against them before anything is written. */
export const STORE_LIMITS = {
  /** Characters in a post-mortem or action item title. */
  titleChars: 300,
  /** UTF-8 bytes in one section's text. */
  sectionBytes: 256 * 1024,
  /** Tags on one post-mortem, and characters in one tag. */
  tags: 32,
  tagChars: 64,
  /** UTF-8 bytes of the drafted facts (as JSON); a 5,000-event timeline fits well within. */
  factsBytes: 16 * 1024 * 1024,
  /** Characters in an id, roster id, role or runbook id. */
  idChars: 200,
  /** Characters in a reason (won't-do, status change). */
  reasonChars: 2000,
  /** Acknowledged flags recorded with one publication, and characters in the phrase each matched. */
  acknowledgements: 500,
  phraseChars: 500,
  /** Characters in a tracker URL. */
  urlChars: 2048,
  /** UTF-8 bytes of a verification's params (as JSON). */
  verifyParamsBytes: 64 * 1024,
  /** Characters in a search query. */
  queryChars: 1000,
  /** Rows one list or search returns at most, and by default. */
  maxLimit: 500,
  defaultLimit: 50,
  /** Rows one digest read returns at most (a digest over more says it was truncated). */
  digestRows: 5000,
} as const;
