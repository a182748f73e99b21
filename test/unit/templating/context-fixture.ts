/** A fixed, realistic message context for golden-file and behaviour tests. */
import type { FactRecord } from '../../../src/domain/state.js';
import type { JsonValue } from '../../../src/domain/plan.js';
import type { MessageContext } from '../../../src/templating/index.js';

/** A fact record as a responder would have set it. */
export function fact(name: string, value: JsonValue, status: FactRecord['status'] = 'confirmed'): FactRecord {
  return { name, value, status, setBy: 'dana', setAt: '2025-03-14T11:05:00Z', step: 'assess-scope' };
}

/**
 * A breach on a customer database, scope partly confirmed. Its instants all differ, and fall on different
 * days, so a golden file shows which one each sentence states: data first left (`exfiltrationStart`,
 * suspected) 11 March, first observed (`params.firstSeen`) 13 March, incident opened 14 March 08:30 UTC,
 * aware (`decisions.becameAware`) 14 March 10:15 UTC.
 */
export function sampleContext(): MessageContext {
  const facts = [
    fact('recordsAffected', 1200, 'suspected'),
    fact('dataSubjectsAffected', 1140, 'suspected'),
    fact('dataCategories', ['names', 'email addresses', 'billing postcodes']),
    fact(
      'breachNature',
      'An attacker used a leaked support-tool API key to export customer profiles from the support database.',
    ),
    fact(
      'likelyConsequences',
      'Affected people may receive targeted phishing that refers to their account. No passwords or payment card numbers were exposed.',
    ),
    fact('measuresTaken', [
      'revoked the leaked API key',
      'rotated all support-tool credentials',
      'blocked the source IP addresses',
    ]),
    fact('currentStatus', 'Contained; scope assessment in progress.'),
    fact('affectedServices', ['Support portal', 'Help centre search']),
    fact(
      'publicSummary',
      'We have contained unauthorised access to our support system and are contacting affected customers.',
    ),
    fact('exfiltrationStart', '2025-03-11T02:10:00Z', 'suspected'),
    fact('measuresProposed', ['notify affected customers by email', 'require hardware keys for support staff']),
  ];
  return {
    incident: {
      id: 'inc-2025-0314-01',
      title: 'Customer data exported from support database',
      severity: 'sev1',
      startedAt: '2025-03-14T08:30:00Z',
      runbook: { id: 'data-breach', title: 'Personal data breach' },
    },
    params: {
      organisation: 'Acme Cloud GmbH',
      timeZone: 'Europe/Berlin',
      affectedSystem: 'our customer support system',
      source: 'orders',
      drill: 'postgres-restore-drill',
      within: '3d',
      customerAdvice:
        'Be wary of emails or calls that mention your account and ask for passwords or payment details; we will never ask for them.',
      supportEmail: 'privacy@acme.example',
      firstSeen: '2025-03-13T21:40:00Z',
      dpoContact: 'Dr. Jana Weber, Data Protection Officer, dpo@acme.example, +49 30 1234 5678',
    },
    facts: Object.fromEntries(facts.map((record) => [record.name, record])),
    decisions: {
      becameAware: {
        name: 'becameAware',
        by: 'dana',
        at: '2025-03-14T10:15:00Z',
        step: 'aware',
      },
    },
    sender: { id: 'dana', name: 'Dana Fischer', email: 'dana@acme.example' },
    message: { sequence: 3, renderedAt: '2025-03-14T12:00:00Z', nextUpdateAt: '2025-03-14T14:00:00Z' },
  };
}
