/**
 * Finding 2 (a token holding no role reads nothing of an incident) and finding 7 (approvals name their
 * text and exclude the requester; a cancel needs the commander).
 */
import { describe, field, waitFor } from './api.js';
import { type Attack, type AuditContext } from './helpers.js';
import { AttackSkipped, expectThat, setupThat } from './report.js';
import { RUNBOOKS } from './runbooks.js';

let privateIncident: Promise<string> | undefined;

/** An incident of audit-private whose message awaits approval, opened once for 2a-2c. */
function openPrivate(ctx: AuditContext): Promise<string> {
  privateIncident ??= (async () => {
    const id = await ctx.open(RUNBOOKS.private);
    const pending = await waitFor(
      async () => {
        const answer = await ctx.api.get(`/api/v1/incidents/${id}/messages/tell`, ctx.tokens.commander);
        return field(answer.body, 'message.status') === 'pending_approval' ? true : undefined;
      },
      { timeoutMs: 20_000 },
    );
    setupThat(pending === true, `setup: the message of ${id} never awaited approval`);
    return id;
  })();
  return privateIncident;
}

/** Another id of the same shape that no incident uses. */
function unusedId(id: string): string {
  return `${id.slice(0, -8)}00000000`;
}

/** Whether a list answer names `id` anywhere. */
const names = (text: string, id: string) => text.includes(id);

const accessAttacks: Attack[] = [
  {
    id: '2a',
    finding: 'F2',
    attack: 'role-less token reads the incident',
    async run(ctx) {
      const id = await openPrivate(ctx);
      const unknown = await ctx.api.get(`/api/v1/incidents/${unusedId(id)}`, ctx.tokens.nobody);
      const read = await ctx.api.get(`/api/v1/incidents/${id}`, ctx.tokens.nobody);
      expectThat(read.status === 404, `GET /incidents/{id} answered ${describe(read)}`);
      expectThat(
        read.text === unknown.text.replaceAll(unusedId(id), id),
        `the 404 differs from an unknown id's: ${read.text.slice(0, 120)}`,
      );
      return `404, word for word the answer for an id nobody uses`;
    },
  },
  {
    id: '2b',
    finding: 'F2',
    attack: 'role-less token reads messages, pending, votes',
    async run(ctx) {
      const id = await openPrivate(ctx);
      const paths = [`/incidents/${id}/messages`, `/incidents/${id}/messages/tell`, `/messages/pending?incident=${id}`];
      for (const route of paths) {
        const answer = await ctx.api.get(`/api/v1${route}`, ctx.tokens.nobody);
        expectThat(answer.status === 404, `GET ${route} answered ${describe(answer)}`);
        expectThat(!answer.text.includes('Audit notice'), `GET ${route} shows the message`);
      }
      const vote = await ctx.api.post(`/api/v1/incidents/${id}/messages/tell/votes`, ctx.tokens.nobody, {
        vote: 'reject',
      });
      expectThat(vote.status === 404, `a vote answered ${describe(vote)}`);
      const message = await ctx.api.get(`/api/v1/incidents/${id}/messages/tell`, ctx.tokens.reader);
      const votes = field(message.body, 'message.votes');
      expectThat(Array.isArray(votes) && votes.length === 0, `the message has votes now: ${JSON.stringify(votes)}`);
      return `messages, one message, pending?incident= and a vote: all 404; no vote recorded`;
    },
  },
  {
    id: '2c',
    finding: 'F2',
    attack: 'role-less token lists incidents and pending messages',
    async run(ctx) {
      const id = await openPrivate(ctx);
      const seen = await waitFor(async () => ((await ctx.listed(RUNBOOKS.private)).includes(id) ? true : undefined), {
        timeoutMs: 10_000,
      });
      setupThat(seen === true, `setup: the reader does not list ${id} yet`);
      const pendingForCommander = await ctx.api.get('/api/v1/messages/pending', ctx.tokens.commander);
      setupThat(names(pendingForCommander.text, id), `setup: the commander's pending messages do not show ${id}`);
      const list = await ctx.api.get(`/api/v1/incidents?runbook=${RUNBOOKS.private}`, ctx.tokens.nobody);
      expectThat(list.status === 200 && !names(list.text, id), `the incident list shows it: ${describe(list)}`);
      const all = await ctx.api.get('/api/v1/incidents', ctx.tokens.nobody);
      expectThat(all.status === 200 && !names(all.text, id), `the unfiltered list shows it`);
      const pending = await ctx.api.get('/api/v1/messages/pending', ctx.tokens.nobody);
      expectThat(pending.status === 200 && !names(pending.text, id), `pending messages show it: ${describe(pending)}`);
      return `absent from GET /incidents (filtered and not) and /messages/pending, which the reader and commander see it in`;
    },
  },
];

/** An approval incident waiting for votes, and the hash of its text. */
async function openApproval(ctx: AuditContext): Promise<{ id: string; textHash: string }> {
  const id = await ctx.open(RUNBOOKS.approval, { host: 'web-7' });
  const state = await ctx.untilStep(id, 'approve', ['waiting']);
  const textHash = state.approvals.approve?.textHash;
  if (typeof textHash !== 'string') throw new AttackSkipped(`setup: approval of ${id} shows no textHash`);
  return { id, textHash };
}

const approvalAttacks: Attack[] = [
  {
    id: '7a',
    finding: 'F7',
    attack: 'approving vote without textHash',
    async run(ctx) {
      const { id } = await openApproval(ctx);
      const vote = await ctx.api.post(`/api/v1/incidents/${id}/approvals/approve`, ctx.tokens.responder, {
        vote: 'approve',
      });
      expectThat(vote.status === 400, `answered ${describe(vote)}`);
      const after = await ctx.state(id);
      expectThat(after.approvals.approve?.votes.length === 0, `a vote was recorded`);
      return `${describe(vote)}`.slice(0, 150) + '; no vote recorded';
    },
  },
  {
    id: '7b',
    finding: 'F7',
    attack: "requester approves their own incident's approval",
    async run(ctx) {
      const { id, textHash } = await openApproval(ctx);
      const vote = await ctx.api.post(`/api/v1/incidents/${id}/approvals/approve`, ctx.tokens.commander, {
        vote: 'approve',
        textHash,
      });
      expectThat(vote.status === 403, `answered ${describe(vote)}`);
      const after = await ctx.state(id);
      expectThat(after.approvals.approve?.votes.length === 0, `a vote was recorded`);
      return `${describe(vote)}`.slice(0, 150) + '; no vote recorded';
    },
  },
  {
    id: '7c',
    finding: 'F7',
    attack: 'cancel by a role holder who is not the commander',
    async run(ctx) {
      const { id } = await openApproval(ctx);
      const cancel = await ctx.api.post(`/api/v1/incidents/${id}/cancel`, ctx.tokens.responder, { reason: 'audit' });
      expectThat(cancel.status === 403, `answered ${describe(cancel)}`);
      const after = await ctx.state(id);
      expectThat(after.status === 'running', `the incident is ${after.status}`);
      expectThat(await ctx.cancel(id), `the commander could not cancel it afterwards`);
      return `${describe(cancel)}`.slice(0, 120) + '; still running, then cancelled by the commander';
    },
  },
];

export { accessAttacks, approvalAttacks };
