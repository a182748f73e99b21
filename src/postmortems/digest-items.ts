/**
 * The action-item half of the lessons-learned digest: items open, overdue, done but not yet verified and
 * verified in the period, counted per owner, and the verification runs that failed in the period.
 */
import { humanizeDuration } from '../domain/duration.js';
import { byText, cap, type Capped } from './digest-list.js';
import type { ActionItemPriority, ActionItemStatus, DigestActionItem, DigestWindow } from './store/types.js';

/** An action item in a list. */
export interface ItemRef {
  id: string;
  title: string;
  owner: string;
  status: ActionItemStatus;
  priority: ActionItemPriority;
  dueAt: string | null;
  postmortemId: string;
  postmortemTitle: string;
}

/** What one owner has on their plate. */
export interface OwnerLoad {
  owner: string;
  open: number;
  overdue: number;
  doneUnverified: number;
  verified: number;
}

/** The action-item lists of the digest. */
export interface ItemsDigest {
  actionItems: {
    /** Open or in progress (overdue ones included), by due date. */
    open: Capped<ItemRef>;
    overdue: Capped<ItemRef & { overdueByMs: number; overdueBy: string }>;
    /** Marked done, not (yet) proven by a verification run. */
    doneUnverified: Capped<ItemRef>;
    verified: Capped<ItemRef & { verifiedAt: string }>;
    owners: Capped<OwnerLoad>;
  };
  verificationFailures: Capped<{ item: ItemRef; incidentId: string; at: string }>;
}

const inWindow = (at: string, window: DigestWindow): boolean =>
  Date.parse(at) >= Date.parse(window.since) && Date.parse(at) < Date.parse(window.until);

function refOf(item: DigestActionItem): ItemRef {
  const { id, title, owner, status, priority, postmortemId, postmortemTitle } = item;
  return { id, title, owner, status, priority, dueAt: item.dueAt ?? null, postmortemId, postmortemTitle };
}

/** When an item verified now was verified in the window: its last passing run there, else its last update there. */
function verifiedAt(item: DigestActionItem, window: DigestWindow): string | undefined {
  if (item.status !== 'verified') return undefined;
  const passed = item.runs.filter((run) => run.result === 'passed' && inWindow(run.at, window)).at(-1);
  if (passed !== undefined) return passed.at;
  const passedBefore = item.runs.some((run) => run.result === 'passed');
  return !passedBefore && inWindow(item.updatedAt, window) ? item.updatedAt : undefined;
}

// Undated items sort last.
const byDue = (a: ItemRef, b: ItemRef): number =>
  byText(a.dueAt ?? '~', b.dueAt ?? '~') || byText(a.priority, b.priority) || byText(a.id, b.id);

/** The action-item lists of the digest of `window`. */
export function digestItems(items: readonly DigestActionItem[], window: DigestWindow, limit: number): ItemsDigest {
  const until = Date.parse(window.until);
  const open = items.filter((item) => item.status === 'open' || item.status === 'in-progress');
  const overdue = open
    .filter((item) => item.dueAt !== undefined && Date.parse(item.dueAt) < until)
    .map((item) => {
      const overdueByMs = until - Date.parse(item.dueAt as string);
      return { ...refOf(item), overdueByMs, overdueBy: humanizeDuration(overdueByMs) };
    })
    .sort((a, b) => b.overdueByMs - a.overdueByMs || byText(a.id, b.id));
  const done = items.filter((item) => item.status === 'done');
  const verified = items
    .map((item) => ({ item, at: verifiedAt(item, window) }))
    .filter((entry): entry is { item: DigestActionItem; at: string } => entry.at !== undefined)
    .map(({ item, at }) => ({ ...refOf(item), verifiedAt: at }))
    .sort((a, b) => byText(b.verifiedAt, a.verifiedAt) || byText(a.id, b.id));
  const failures = items
    .flatMap((item) =>
      item.runs
        .filter((run) => run.result === 'failed' && inWindow(run.at, window))
        .map((run) => ({ item: refOf(item), incidentId: run.incidentId, at: run.at })),
    )
    .sort((a, b) => byText(b.at, a.at) || byText(a.item.id, b.item.id));
  const owners = new Map<string, OwnerLoad>();
  const load = (owner: string): OwnerLoad => {
    const found = owners.get(owner) ?? { owner, open: 0, overdue: 0, doneUnverified: 0, verified: 0 };
    owners.set(owner, found);
    return found;
  };
  for (const item of open) load(item.owner).open += 1;
  for (const item of overdue) load(item.owner).overdue += 1;
  for (const item of done) load(item.owner).doneUnverified += 1;
  for (const item of verified) load(item.owner).verified += 1;
  return {
    actionItems: {
      open: cap(open.map(refOf).sort(byDue), limit),
      overdue: cap(overdue, limit),
      doneUnverified: cap(done.map(refOf).sort(byDue), limit),
      verified: cap(verified, limit),
      owners: cap(
        [...owners.values()].sort(
          (a, b) =>
            b.overdue - a.overdue || b.open - a.open || b.doneUnverified - a.doneUnverified || byText(a.owner, b.owner),
        ),
        limit,
      ),
    },
    verificationFailures: cap(failures, limit),
  };
}
