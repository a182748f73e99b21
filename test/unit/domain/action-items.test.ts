/** When an action item's watcher sends its due reminder and overdue notices (pure, with an explicit clock). */
import { describe, expect, it } from 'vitest';
import {
  actionItemWorkflowId,
  afterDueNotice,
  DEFAULT_DUE_TIMINGS,
  MIN_OVERDUE_EVERY_MS,
  nextDueNotice,
  sentFor,
} from '../../../src/domain/action-items.js';

const DAY = 86_400_000;
const due = '2030-01-10T12:00:00.000Z';
const dueMs = Date.parse(due);
const timings = DEFAULT_DUE_TIMINGS;

describe('due notices', () => {
  it('reminds 2d before, then is overdue at the due date and every 7d after', () => {
    let sent = sentFor(due, undefined);
    const reminder = nextDueNotice(sent, dueMs - 5 * DAY, timings);
    expect(reminder).toEqual({ kind: 'reminder', at: dueMs - 2 * DAY });
    sent = afterDueNotice(sent, reminder, reminder.at, timings);
    const first = nextDueNotice(sent, reminder.at, timings);
    expect(first).toEqual({ kind: 'overdue', at: dueMs });
    sent = afterDueNotice(sent, first, first.at, timings);
    expect(nextDueNotice(sent, first.at, timings)).toEqual({ kind: 'overdue', at: dueMs + 7 * DAY });
  });

  it('reminds at once an item already within 2d of its due date, and never one already past it', () => {
    expect(nextDueNotice(sentFor(due, undefined), dueMs - DAY, timings)).toEqual({
      kind: 'reminder',
      at: dueMs - 2 * DAY,
    });
    expect(nextDueNotice(sentFor(due, undefined), dueMs + DAY, timings)).toEqual({ kind: 'overdue', at: dueMs });
  });

  it('sends one overdue notice after an outage, not one per missed interval, and the next in the future', () => {
    const sent = { dueAt: due, reminded: true, overdue: 1 };
    const late = dueMs + 30 * DAY;
    const notice = nextDueNotice(sent, late, timings);
    expect(notice).toEqual({ kind: 'overdue', at: dueMs + 7 * DAY });
    const after = afterDueNotice(sent, notice, late, timings);
    expect(after.overdue).toBe(5);
    expect(nextDueNotice(after, late, timings).at).toBe(dueMs + 35 * DAY);
    expect(nextDueNotice(after, late, timings).at).toBeGreaterThan(late);
  });

  it('never repeats an overdue notice more often than hourly, whatever timings it is given', () => {
    const sent = { dueAt: due, reminded: true, overdue: 1 };
    expect(nextDueNotice(sent, dueMs, { remindBeforeMs: DAY, overdueEveryMs: 1 })).toEqual({
      kind: 'overdue',
      at: dueMs + MIN_OVERDUE_EVERY_MS,
    });
  });

  it('starts again from nothing for a new due date', () => {
    const sent = { dueAt: due, reminded: true, overdue: 3 };
    expect(sentFor(due, sent)).toBe(sent);
    expect(sentFor('2030-02-01T00:00:00.000Z', sent)).toEqual({
      dueAt: '2030-02-01T00:00:00.000Z',
      reminded: false,
      overdue: 0,
    });
  });

  it('names the watcher apart from incidents, dedup and post-mortem workflows', () => {
    expect(actionItemWorkflowId('0f6c1a2e')).toBe('action-item:0f6c1a2e');
  });
});
