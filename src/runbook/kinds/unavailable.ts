/**
 * Step kinds that are part of the runbook format but not implemented yet. A step using one is refused
 * with a message saying when it arrives, rather than accepted by a stub that would do nothing.
 */

/** A kind of the format that this release does not run. */
export interface UnavailableKind {
  key: string;
  message: string;
}

/** The kinds of the format this release refuses, with the reason people see: none, every kind runs. */
export const UNAVAILABLE_KINDS: readonly UnavailableKind[] = [];
