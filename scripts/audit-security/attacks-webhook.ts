/**
 * Finding 3 (a captured signed delivery replayed under a new delivery id) and finding 5's alert side (an
 * alert field named `constructor` is a field like any other).
 */
import { randomBytes } from 'node:crypto';
import { describe, field, type Answer } from './api.js';
import { type Attack, type AuditContext } from './helpers.js';
import { expectThat, setupThat } from './report.js';
import { RUNBOOKS } from './runbooks.js';

/** The incident id a webhook answer names for its first delivery, noted as opened by the audit. */
function incidentOf(ctx: AuditContext, answer: Answer): string | undefined {
  const id = field(answer.body, 'deliveries.0.incidentId');
  if (typeof id !== 'string') return undefined;
  ctx.noteOpened(RUNBOOKS.webhook, id);
  return id;
}

/** A new alert delivered once, correctly signed: its body, headers and incident. */
async function firstDelivery(ctx: AuditContext, tag: string) {
  const body = JSON.stringify({
    kind: 'audit-host',
    host: `web-${tag}`,
    fingerprint: `audit-${tag}-${randomBytes(4).toString('hex')}`,
    title: 'Audit alert',
  });
  const headers = ctx.signed(body);
  const answer = await ctx.deliver(body, headers);
  const incidentId = incidentOf(ctx, answer);
  setupThat(
    answer.status === 200 && incidentId !== undefined,
    `setup: the first delivery answered ${describe(answer)}`,
  );
  return { body, headers, incidentId };
}

const refused = (answer: Answer) => answer.status === 401 || answer.status === 409;

export const webhookAttacks: Attack[] = [
  {
    id: '3a',
    finding: 'F3',
    attack: 'signed delivery replayed under a new delivery id',
    async run(ctx) {
      const { body, headers, incidentId } = await firstDelivery(ctx, '3a');
      const before = await ctx.state(incidentId);
      const replay = await ctx.deliver(body, { ...headers, 'x-firebreak-delivery': `audit-replay-${Date.now()}` });
      expectThat(refused(replay), `the replay answered ${describe(replay)}`);
      const after = await ctx.state(incidentId);
      expectThat(after.alerts === before.alerts, `alerts on the incident went ${before.alerts} -> ${after.alerts}`);
      expectThat(
        after.timeline.length === before.timeline.length,
        `timeline went ${before.timeline.length} -> ${after.timeline.length} entries`,
      );
      return `${describe(replay)}; no new timeline entry (${after.timeline.length}), ${after.alerts ?? 0} alert(s) recorded`;
    },
  },
  {
    id: '3b',
    finding: 'F3',
    attack: 'replays after the incident was cancelled',
    async run(ctx) {
      const { body, headers, incidentId } = await firstDelivery(ctx, '3b');
      setupThat(await ctx.cancel(incidentId), `setup: could not cancel ${incidentId}`);
      const retry = await ctx.deliver(body, headers);
      const retried = incidentOf(ctx, retry);
      expectThat(
        retried === undefined || retried === incidentId,
        `the same delivery again opened ${retried} (${retry.status})`,
      );
      const replay = await ctx.deliver(body, { ...headers, 'x-firebreak-delivery': `audit-replay-${Date.now()}` });
      const replayed = incidentOf(ctx, replay);
      expectThat(refused(replay) && replayed === undefined, `the replay under a new id answered ${describe(replay)}`);
      const stray = await ctx.strayIncidents(RUNBOOKS.webhook);
      expectThat(stray.length === 0, `new incident(s): ${stray.join(', ')}`);
      return `same id again: ${retry.status} naming the cancelled incident; new id: ${describe(replay)}; no new incident`;
    },
  },
  {
    id: '5c',
    finding: 'F5',
    attack: 'alert with a field named constructor',
    async run(ctx) {
      const host = `web-own-${randomBytes(4).toString('hex')}`;
      const body = JSON.stringify({ kind: 'audit-own-names', constructor: host, fingerprint: `audit-${host}` });
      const answer = await ctx.deliver(body, ctx.signed(body));
      const incidentId = incidentOf(ctx, answer);
      expectThat(answer.status === 200 && incidentId !== undefined, `the alert answered ${describe(answer)}`);
      const state = await ctx.state(incidentId);
      expectThat(state.params.host === host, `the route read constructor as ${JSON.stringify(state.params.host)}`);
      await ctx.cancel(incidentId);
      return `routed: incident opened with params.host = alert.constructor`;
    },
  },
];
