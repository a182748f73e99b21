/** `incident show` on a parallel group recorded before groups whose branches failed were recorded as failed. */
import { describe, expect, it } from 'vitest';
import { renderIncident } from '../../../src/cli/render-incident.js';
import type { IncidentState } from '../../../src/domain/state.js';

const state: IncidentState = {
  incidentId: 'inc-1',
  runbook: { id: 'exfil', title: 'Exfiltration', version: 3, contentHash: 'sha256:ab' },
  severity: 'sev1',
  status: 'running',
  startedAt: '2025-03-01T10:00:00.000Z',
  triggeredBy: 'alice',
  params: {},
  steps: [
    // As a run from before the fix recorded it: the group succeeded although every branch failed.
    { id: 'contain', title: 'Contain in parallel', kind: 'parallel', status: 'succeeded' },
    {
      id: 'block',
      title: 'Block the destination',
      kind: 'action',
      status: 'failed',
      parent: 'contain',
      error: { code: 'HTTP_REJECTED', message: 'POST https://firewall/v1/blocks answered 403' },
    },
    {
      id: 'revoke',
      title: 'Revoke sessions',
      kind: 'action',
      status: 'timed_out',
      parent: 'contain',
      error: { code: 'TIMEOUT', message: 'revoke did not finish within 10m' },
    },
  ],
  facts: {},
  decisions: {},
  approvals: {},
  deadlines: {},
  compensations: [],
  pending: [],
  timeline: [],
};

describe('incident show, parallel groups', () => {
  it('shows a group recorded as succeeded whose branches failed as failed, and each branch error', () => {
    const shown = renderIncident(state, new Date('2025-03-01T12:00:00.000Z'));
    expect(shown).toContain(
      '  contain   parallel  failed     Contain in parallel    2 of 2 branches failed and the run continued: block, revoke',
    );
    expect(shown).toContain('HTTP_REJECTED: POST https://firewall/v1/blocks answered 403');
    expect(shown).toContain('TIMEOUT: revoke did not finish within 10m');
    expect(shown).not.toMatch(/contain +parallel +succeeded/);
  });
});
