/**
 * What the attacks share: an attack's shape, the incidents the audit opened (so "no new incident" can be
 * checked), triggers, reads of an incident's state, bounded waits for a step, cancels, and signed generic
 * webhook deliveries (signed as docs/webhooks.md says, independently of Firebreak's own code).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { describe, field, sleep, waitFor, type Answer } from './api.js';
import { AttackSkipped, expectThat } from './report.js';
import type { AuditStack } from './stack.js';

/** One attack: `run` resolves with what happened when it was refused, or throws AttackSucceeded/AttackSkipped. */
export interface Attack {
  id: string;
  finding: string;
  attack: string;
  run(ctx: AuditContext): Promise<string>;
}

/** An incident's state as the API returns it, read loosely: the audit checks what it needs. */
export interface StateView {
  status: string;
  steps: {
    id: string;
    status: string;
    startedAt?: string;
    endedAt?: string;
    error?: { code: string; message: string };
  }[];
  facts: Record<string, unknown>;
  approvals: Record<string, { textHash: string; votes: unknown[] }>;
  timeline: unknown[];
  params: Record<string, unknown>;
  alerts?: number;
}

/** The running instance and what the audit opened on it. */
export class AuditContext {
  /** Incident ids the audit itself opened, by runbook. */
  private readonly opened = new Map<string, Set<string>>();

  constructor(readonly stack: AuditStack) {}

  get api() {
    return this.stack.api;
  }

  get tokens() {
    return this.stack.tokens;
  }

  /** Notes an incident the audit opened on purpose. */
  noteOpened(runbook: string, incidentId: string): void {
    if (!this.opened.has(runbook)) this.opened.set(runbook, new Set());
    this.opened.get(runbook)?.add(incidentId);
  }

  /** Triggers `runbook` as the commander (or `token`) and notes the incident it opens. */
  async trigger(runbook: string, params: Record<string, unknown>, token = this.tokens.commander): Promise<Answer> {
    const answer = await this.api.post('/api/v1/incidents', token, { runbook, params });
    const id = field(answer.body, 'incidentId');
    if (typeof id === 'string') this.noteOpened(runbook, id);
    return answer;
  }

  /** Triggers `runbook` for the attack's setup; a refusal means the attack cannot run (SKIP). */
  async open(runbook: string, params: Record<string, unknown> = {}): Promise<string> {
    const answer = await this.trigger(runbook, params);
    const id = field(answer.body, 'incidentId');
    if (answer.status !== 201 || typeof id !== 'string') {
      throw new AttackSkipped(`setup: trigger of ${runbook} answered ${describe(answer)}`);
    }
    return id;
  }

  /** The incident's state, read by the reader (who reads every incident). */
  async state(incidentId: string): Promise<StateView> {
    const answer = await this.api.get(`/api/v1/incidents/${incidentId}`, this.tokens.reader);
    if (answer.status !== 200) throw new AttackSkipped(`setup: reading ${incidentId} answered ${describe(answer)}`);
    return field(answer.body, 'incident') as StateView;
  }

  /** Waits (bounded) until `ready` holds for the incident's state; the last state seen otherwise. */
  async until(incidentId: string, ready: (state: StateView) => boolean, timeoutMs = 20_000): Promise<StateView> {
    let last: StateView | undefined;
    const state = await waitFor(
      async () => {
        last = await this.state(incidentId);
        return ready(last) ? last : undefined;
      },
      { timeoutMs },
    );
    return state ?? last ?? (await this.state(incidentId));
  }

  /** Waits until step `stepId` has one of `statuses`; SKIP when it never does (the attack cannot run). */
  async untilStep(incidentId: string, stepId: string, statuses: string[], timeoutMs = 20_000): Promise<StateView> {
    const state = await this.until(incidentId, (s) => statuses.includes(step(s, stepId)?.status ?? ''), timeoutMs);
    const status = step(state, stepId)?.status;
    if (!statuses.includes(status ?? '')) {
      throw new AttackSkipped(
        `setup: step ${stepId} of ${incidentId} is ${status ?? 'missing'}, not ${statuses.join('/')}`,
      );
    }
    return state;
  }

  /** Cancels as the commander and waits for the incident to close; whether it did. */
  async cancel(incidentId: string): Promise<boolean> {
    const answer = await this.api.post(`/api/v1/incidents/${incidentId}/cancel`, this.tokens.commander, {
      reason: 'security audit',
    });
    if (answer.status !== 200) return false;
    return (await this.until(incidentId, (s) => s.status !== 'running', 15_000)).status === 'cancelled';
  }

  /** The ids of `runbook`'s incidents, as the reader lists them. */
  async listed(runbook: string): Promise<string[]> {
    const answer = await this.api.get(`/api/v1/incidents?runbook=${runbook}&limit=500`, this.tokens.reader);
    expectThat(answer.status === 200, `listing incidents answered ${describe(answer)}`);
    const incidents = field(answer.body, 'incidents');
    return Array.isArray(incidents) ? incidents.map((i) => String(field(i, 'incidentId'))) : [];
  }

  /** Incidents of `runbook` the audit did not open, looked for over `settleMs` (visibility lags). */
  async strayIncidents(runbook: string, settleMs = 1_500): Promise<string[]> {
    const known = this.opened.get(runbook) ?? new Set();
    const deadline = Date.now() + settleMs;
    for (;;) {
      const stray = (await this.listed(runbook)).filter((id) => !known.has(id));
      if (stray.length > 0 || Date.now() >= deadline) return stray;
      await sleep(300);
    }
  }

  /** Sends a generic webhook delivery signed with v2 (`headers` override the signed ones). */
  async deliver(body: string, headers: Record<string, string>): Promise<Answer> {
    return this.api.call('/api/v1/webhooks/generic', { method: 'POST', body, headers });
  }

  /** The headers of a v2-signed delivery of `body`. */
  signed(body: string, deliveryId = `audit-${randomUUID()}`, timestamp = Math.floor(Date.now() / 1000)) {
    const hex = createHmac('sha256', this.stack.webhookSecret)
      .update(`v2\n${timestamp}\n${deliveryId}\n`)
      .update(body)
      .digest('hex');
    return {
      'x-firebreak-timestamp': String(timestamp),
      'x-firebreak-delivery': deliveryId,
      'x-firebreak-signature': `v2=${hex}`,
    };
  }
}

/** Step `id` of a state. */
export function step(state: StateView, id: string): StateView['steps'][number] | undefined {
  return state.steps.find((s) => s.id === id);
}

/** `status` of step `id`, with its error code when it failed. */
export function stepSummary(state: StateView, id: string): string {
  const s = step(state, id);
  if (!s) return `${id} missing`;
  return `${id} ${s.status}${s.error ? ` (${s.error.code}: ${s.error.message.slice(0, 160)})` : ''}`;
}
