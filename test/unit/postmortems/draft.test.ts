/**
 * draftPostmortem over incidents captured from real runs (a completed tabletop, an aborted one with a
 * failed compensation, a cancelled one) and states derived from them: secrets, alert storms, deadlines
 * missed, refusals, and the time it takes at 5,000 timeline events.
 */
import { describe, expect, it } from 'vitest';
import { FirebreakError } from '../../../src/domain/errors.js';
import type { IncidentState, TimelineEvent } from '../../../src/domain/state.js';
import { draftPostmortem, type DraftOptions } from '../../../src/postmortems/draft.js';
import { draftOptions, fixture } from './fixtures.js';

function refusal(run: () => unknown): { code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof FirebreakError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}

function event(seq: number, type: string, extra: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    seq,
    at: new Date(Date.UTC(2026, 0, 1, 10, 0, seq)).toISOString(),
    type,
    actor: 'system',
    message: type,
    ...extra,
  };
}

describe('a completed tabletop incident', () => {
  it('has the header, the impact with suspected facts still suspected, and the message sent', async () => {
    const { state, plan } = await fixture('tabletop');
    const draft = draftPostmortem(state, plan, draftOptions);
    expect(draft).toMatchObject({
      incidentId: state.incidentId,
      title: 'Customer data exposure (tabletop)',
      runbookId: 'pm-tabletop',
      severity: 'sev1',
      outcome: 'completed',
      startedAt: state.startedAt,
      endedAt: state.endedAt,
      reviewDueAt: '2030-01-06T09:00:00.000Z',
      tags: ['tabletop', 'personal-data', 'customer-data'],
      createdBy: 'alice',
      createdAt: '2030-01-01T09:00:00.000Z',
    });
    expect(draft.facts.incident).toMatchObject({
      runbook: { id: 'pm-tabletop', version: 3, contentHash: plan.contentHash },
      triggeredBy: 'alice',
      durationMs: Date.parse(state.endedAt ?? '') - Date.parse(state.startedAt),
      params: { service: 'checkout', apiToken: '[secret]' },
    });
    expect(draft.facts.incident.error).toBeUndefined();
    expect(draft.facts.impact.map((f) => [f.name, f.value, f.status, f.setBy])).toEqual([
      ['recordsAffected', 1200, 'confirmed', 'bob'],
      ['dataCategories', ['email', 'name'], 'confirmed', 'bob'],
      ['attacker', 'a reused API key', 'suspected', 'bob'],
    ]);
    const sent = state.messages?.tell?.sent[0];
    expect(draft.facts.messages).toEqual([
      {
        step: 'tell',
        message: 'breach-notice',
        channel: 'email',
        recipients: ['customer@example.net'],
        sentAt: sent?.deliveries[0]?.at,
        approvedBy: ['carol'],
        fingerprint: sent?.fingerprint,
      },
    ]);
  });

  it('keeps the decision, the approval with its voter and the deadline, and leaves bookkeeping out', async () => {
    const { state, plan } = await fixture('tabletop');
    const { timeline } = draftPostmortem(state, plan, draftOptions).facts;
    expect(timeline.map((e) => `${e.type} ${e.actor}${e.step ? ` ${e.step}` : ''}`)).toEqual([
      'incident.started alice',
      'decision.recorded alice aware',
      'deadline.started system',
      'note system isolate',
      'step.succeeded system isolate',
      'fact.set bob',
      'fact.set bob scope',
      'fact.set bob scope',
      'task.completed bob scope',
      'approval.requested system go',
      'approval.approved carol go',
      'approval.granted system go',
      'message.approval_requested system tell',
      'message.voted carol tell',
      'message.approved system tell',
      'message.sent system tell',
      'incident.completed system',
      'deadline.met system',
    ]);
    // Every kept event has the time the incident recorded.
    const times = new Map(state.timeline.map((e) => [`${e.type}:${e.message}`, e.at]));
    for (const kept of timeline) expect(times.get(`${kept.type}:${kept.text}`), kept.type).toBe(kept.at);
  });

  it('measures the time to the first human action, to containment, to resolution and each deadline', async () => {
    const { state, plan } = await fixture('tabletop');
    const { durations } = draftPostmortem(state, plan, draftOptions).facts;
    const start = Date.parse(state.startedAt);
    const decided = state.timeline.find((e) => e.type === 'decision.recorded')?.at ?? '';
    const isolated = state.steps.find((s) => s.id === 'isolate')?.endedAt ?? '';
    const deadline = state.deadlines.customers;
    expect(durations).toEqual({
      toFirstHumanActionMs: Date.parse(decided) - start,
      toContainmentMs: Date.parse(isolated) - start,
      toResolutionMs: Date.parse(state.endedAt ?? '') - start,
      deadlines: [
        {
          id: 'customers',
          title: 'Tell the customers',
          status: 'met',
          startedAt: deadline?.startedAt,
          dueAt: deadline?.dueAt,
          metAt: deadline?.metAt,
          marginMs: Date.parse(deadline?.dueAt ?? '') - Date.parse(deadline?.metAt ?? ''),
        },
      ],
    });
    expect(durations.deadlines[0]?.marginMs).toBeGreaterThan(59 * 60_000);
  });

  it('is deterministic and leaves the state as it was', async () => {
    const { state, plan } = await fixture('tabletop');
    const before = structuredClone(state);
    expect(draftPostmortem(state, plan, draftOptions)).toEqual(draftPostmortem(state, plan, draftOptions));
    expect(state).toEqual(before);
  });
});

describe('an aborted incident', () => {
  it('records the failed compensation, the error and no containment when the containing step never ran', async () => {
    const { state, plan } = await fixture('aborted');
    const draft = draftPostmortem(state, plan, { ...draftOptions, containedBy: 'destroy' });
    expect(draft.outcome).toBe('aborted');
    expect(draft.facts.incident.error).toEqual({ code: 'ABORTED', message: state.error?.message });
    expect(draft.facts.compensations).toEqual([
      {
        id: 'drop-snapshot',
        forStep: 'snapshot',
        status: 'failed',
        at: state.compensations[0]?.at,
        error: `NOT_ALLOWED: ${state.compensations[0]?.error?.message ?? ''}`,
      },
      { id: 'reconnect', forStep: 'isolate', status: 'succeeded', at: state.compensations[1]?.at },
    ]);
    expect(draft.facts.timeline.filter((e) => e.type.startsWith('compensation.')).map((e) => e.type)).toEqual([
      'compensation.failed',
      'compensation.succeeded',
    ]);
    expect(draft.facts.durations.toContainmentMs).toBeUndefined();
    // Nobody acted: the trigger is not a human action.
    expect(draft.facts.durations.toFirstHumanActionMs).toBeUndefined();
  });
});

describe('a cancelled incident', () => {
  it('shows who cancelled it, and the cancel as the first human action', async () => {
    const { state, plan } = await fixture('cancelled');
    const { containedBy: _none, ...options } = draftOptions;
    const draft = draftPostmortem(state, plan, options);
    expect(draft.outcome).toBe('cancelled');
    const cancel = draft.facts.timeline.find((e) => e.type === 'incident.cancel_requested');
    expect(cancel).toMatchObject({ actor: 'alice' });
    expect(draft.facts.timeline.at(-1)?.type).toBe('incident.cancelled');
    expect(draft.facts.durations.toFirstHumanActionMs).toBe(Date.parse(cancel?.at ?? '') - Date.parse(state.startedAt));
    expect(draft.facts.durations.toContainmentMs).toBeUndefined();
  });
});

describe('secrets', () => {
  it('shows a secret param by its name only, and scrubs what it was given from every text', async () => {
    const { state, plan } = await fixture('tabletop');
    // A state from before secret params took declared names held the reference or, pasted, the value.
    const token = 'tokFAKE-9Qx7Z-secret-looking-token-0123456789';
    state.params.apiToken = token;
    state.timeline.push(event(900, 'step.failed', { step: 'isolate', message: `Isolate: 401 for Bearer ${token}` }));
    state.error = { code: 'HTTP_REJECTED', message: `rejected ${token}` };
    state.facts.attacker = {
      ...(state.facts.attacker as NonNullable<typeof state.facts.attacker>),
      value: `used ${token}`,
    };
    state.facts.dataCategories = {
      ...(state.facts.dataCategories as NonNullable<typeof state.facts.dataCategories>),
      value: ['email', `token ${token}`],
    };
    const text = JSON.stringify(draftPostmortem(state, plan, draftOptions));
    expect(text).toContain('"value":["email","token [secret]"]');
    expect(text).toContain('"apiToken":"[secret]"');
    expect(text).toContain('401 for Bearer [secret]');
    expect(text).not.toContain(token);
    expect(text).not.toContain('9Qx7Z');
  });
});

describe('noise', () => {
  it('keeps the first alert delivery and summarises the others in one line', async () => {
    const { state, plan } = await fixture('cancelled');
    const alerts = Array.from({ length: 412 }, (_, k) =>
      event(100 + k, 'alert.firing', { actor: 'alertmanager', message: `alertmanager: disk full (firing) #${k}` }),
    );
    state.timeline = [state.timeline[0] as TimelineEvent, ...alerts, ...state.timeline.slice(1)];
    const { containedBy: _none, ...options } = draftOptions;
    const kept = draftPostmortem(state, plan, options).facts.timeline.filter((e) => e.type === 'alert.firing');
    expect(kept).toEqual([
      { at: alerts[0]?.at, type: 'alert.firing', actor: 'alertmanager', text: 'alertmanager: disk full (firing) #0' },
      {
        at: alerts[411]?.at,
        type: 'alert.firing',
        actor: 'system',
        text: '411 more alert deliveries (firing) after the first: 412 in all',
      },
    ]);
  });

  it('drafts an incident with 5,000 timeline events, keeping what matters', async () => {
    const { state, plan } = await fixture('tabletop');
    const types = [
      'step.started',
      'fact.set',
      'alert.firing',
      'note',
      'message.rendered',
      'reminder',
      'step.succeeded',
    ];
    const extra = Array.from({ length: 5_000 - state.timeline.length }, (_, k) =>
      event(1000 + k, types[k % types.length] ?? 'note', { actor: k % 3 === 0 ? 'bob' : 'system', step: 'isolate' }),
    );
    state.timeline = [...state.timeline, ...extra];
    // How fast is bench/ material (issue 13's bench/postmortem); here, only that it completes and keeps what matters.
    const draft = draftPostmortem(state, plan, draftOptions);
    expect(draft.facts.timeline.length).toBeGreaterThan(2_000);
  });
});

describe('people', () => {
  it('counts a rejection, as the workflow records it, as a human action and keeps it', async () => {
    const { state, plan } = await fixture('aborted');
    const rejected = event(5, 'approval.rejectd', {
      at: new Date(Date.parse(state.startedAt) + 5).toISOString(),
      actor: 'carol',
      step: 'destroy',
      message: 'carol rejected destroy',
    });
    state.timeline = [state.timeline[0] as TimelineEvent, rejected, ...state.timeline.slice(1)];
    const { facts } = draftPostmortem(state, plan, draftOptions);
    expect(facts.timeline[1]).toEqual({
      at: rejected.at,
      type: 'approval.rejectd',
      actor: 'carol',
      step: 'destroy',
      text: 'carol rejected destroy',
    });
    expect(facts.durations.toFirstHumanActionMs).toBe(5);
  });
});

describe('deadlines', () => {
  it('reports met late and still overdue at the close as negative margins, and no margin when not applicable', async () => {
    const { state, plan } = await fixture('tabletop');
    const base = state.deadlines.customers as NonNullable<typeof state.deadlines.customers>;
    const due = Date.parse(base.dueAt ?? '');
    const endedAt = new Date(due + 3 * 3_600_000).toISOString();
    state.endedAt = endedAt;
    const { metAt: _met, ...unmet } = base;
    state.deadlines = {
      customers: { ...base, status: 'met_late', metAt: new Date(due + 600_000).toISOString() },
      regulator: { ...unmet, id: 'regulator', title: 'Regulator', status: 'overdue' },
      people: { ...unmet, id: 'people', title: 'People', status: 'not_applicable' },
    };
    const { deadlines } = draftPostmortem(state, plan, draftOptions).facts.durations;
    expect(deadlines.map((d) => [d.id, d.status, d.marginMs])).toEqual([
      ['customers', 'met_late', -600_000],
      ['regulator', 'overdue', -3 * 3_600_000],
      ['people', 'not_applicable', undefined],
    ]);
  });
});

describe('refusals', () => {
  it('refuses a running incident, another plan and bad options, each naming what is wrong', async () => {
    const { state, plan } = await fixture('tabletop');
    const before = structuredClone(state);
    const running: IncidentState = { ...state, status: 'running' };
    expect(refusal(() => draftPostmortem(running, plan, draftOptions))).toEqual({
      code: 'CONFLICT',
      message: `Incident ${state.incidentId} is still running: a post-mortem is drafted once it has closed`,
    });
    const other = (await fixture('aborted')).plan;
    expect(refusal(() => draftPostmortem(state, other, draftOptions)).code).toBe('INVALID_INPUT');
    const bad: [Partial<DraftOptions>, RegExp][] = [
      [{ timeZone: 'Mars/Olympus' }, /options\.timeZone: unknown time zone "Mars\/Olympus"/],
      [{ now: 'yesterday' }, /options\.now/],
      [{ reviewDueMs: -1 }, /options\.reviewDueMs/],
      [{ containedBy: 'constructor' }, /options\.containedBy: runbook pm-tabletop has no step "constructor"/],
    ];
    for (const [patch, message] of bad) {
      const refused = refusal(() => draftPostmortem(state, plan, { ...draftOptions, ...patch }));
      expect(refused.code).toBe('INVALID_INPUT');
      expect(refused.message).toMatch(message);
    }
    const { endedAt: _ended, ...noEnd } = state;
    expect(refusal(() => draftPostmortem(noEnd, plan, draftOptions)).code).toBe('INVALID_INPUT');
    expect(state).toEqual(before);
  });
});
