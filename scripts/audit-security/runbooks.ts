/**
 * The scratch files of an audit: the attack runbooks, one message's templates, and the configuration of
 * the dev instance (users with tokens, access rules, one declared secret, the http.request allow-list, the
 * generic webhook and its routes). Text only; stack.ts writes them.
 */

/** Ids of the attack runbooks. */
export const RUNBOOKS = {
  secretFlow: 'audit-secret-flow',
  private: 'audit-private',
  webhook: 'audit-webhook',
  regex: 'audit-regex',
  ownNames: 'audit-own-names',
  approval: 'audit-approval',
  status: 'audit-status',
  ssrf: 'audit-ssrf',
} as const;

/** The name of the one secret the config declares (for audit-secret-flow only). */
export const DECLARED_SECRET = 'audit-key';

const header = (id: string, title: string) => `apiVersion: firebreak/v1
id: ${id}
title: ${title}
version: 1
severity: sev3
`;

const hold = `  - { id: hold, title: Hold, task: Hold the incident open, assignee: role:commander }
`;

/** The runbook files, by file name; `echo` is the port of the loopback echo server. */
export function runbookFiles(echo: number): Record<string, string> {
  const echoUrl = `http://127.0.0.1:${echo}`;
  return {
    // F1: a param and a fact holding secret markers flow into http.request next to a real secret param.
    [RUNBOOKS.secretFlow]: `${header(RUNBOOKS.secretFlow, 'Audit secret flow')}params:
  note: { type: string, required: true }
  key: { type: secret, required: true }
facts:
  payload: { type: string }
roles:
  commander: {}
steps:
  - { id: supply, title: Supply the payload, task: Set the payload, assignee: role:commander, sets: [payload] }
  - id: call
    title: Call the echo server
    action: http.request
    retry: { maxAttempts: 1 }
    with:
      method: POST
      url: '${echoUrl}/f1?note=\${{ params.note }}&fact=\${{ facts.payload }}'
      headers: { Authorization: 'Bearer \${{ params.key }}' }
      json: { note: '\${{ params.note }}', fact: '\${{ facts.payload }}', nested: ['\${{ params.note }}'] }
  - { id: note, title: Note, action: timeline.note, with: { text: 'note \${{ params.note }} fact \${{ facts.payload }}' } }
${hold}`,
    // F2: an incident with a message awaiting approval, to be read by a token that holds no role in it.
    [RUNBOOKS.private]: `${header(RUNBOOKS.private, 'Audit private incident')}roles:
  commander: {}
  responder: {}
steps:
  - id: tell
    title: Tell the customer
    notify:
      message: audit-notice
      channels: [email]
      to: { email: [customer@example.net] }
      from: role:commander
      approvers: [role:responder]
${hold}`,
    // F3 and F5: what the generic webhook's routes open.
    [RUNBOOKS.webhook]: `${header(RUNBOOKS.webhook, 'Audit alert')}params:
  host: { type: string, required: true }
roles:
  commander: {}
steps:
${hold}`,
    // F4: a catastrophic-backtracking pattern, as a literal and from a param, over a long param.
    [RUNBOOKS.regex]: `${header(RUNBOOKS.regex, 'Audit regex')}params:
  text: { type: string, required: true }
  pattern: { type: string, required: true }
roles:
  commander: {}
steps:
  - id: literal
    title: Literal pattern
    when: 'params.text.matches("(a+)+$")'
    action: timeline.note
    with: { text: matched }
    onFailure: continue
  - id: from-param
    title: Pattern from a param
    when: params.text.matches(params.pattern)
    action: timeline.note
    with: { text: matched }
    onFailure: continue
${hold}`,
    // F5 and F6: names and sizes of params and facts.
    [RUNBOOKS.ownNames]: `${header(RUNBOOKS.ownNames, 'Audit own names')}params:
  host: { type: string, required: true }
facts:
  impact: { type: string }
roles:
  commander: {}
steps:
  - { id: scope, title: Scope, task: 'Scope \${{ params.host }}', assignee: role:commander, sets: [impact] }
`,
    // F7: an approval the requester and a vote without its text must not pass, and a cancel by a non-commander.
    [RUNBOOKS.approval]: `${header(RUNBOOKS.approval, 'Audit approval')}params:
  host: { type: string, required: true }
roles:
  commander: {}
  responder: {}
steps:
  - id: approve
    title: Approve the burn-down
    approval: 'Burn down \${{ params.host }}'
    approvers: [role:commander, role:responder]
${hold}`,
    // F8: a public status update (and an e-mail to the outbox), published without approval.
    [RUNBOOKS.status]: `${header(RUNBOOKS.status, 'Audit public notice')}roles:
  commander: {}
steps:
  - id: publish
    title: Publish
    notify:
      message: audit-notice
      channels: [email, statuspage]
      to: { email: [customer@example.net] }
      from: role:commander
${hold}`,
    // F8: requests to the metadata address, a private address and a name that resolves to loopback.
    [RUNBOOKS.ssrf]: `${header(RUNBOOKS.ssrf, 'Audit outbound requests')}roles:
  commander: {}
steps:
${ssrfStep('metadata', 'http://169.254.169.254/latest/meta-data/')}${ssrfStep('private', 'http://10.0.0.1/')}${ssrfStep(
      'by-name',
      `http://localhost:${echo}/f8-by-name`,
    )}${hold}`,
  };
}

function ssrfStep(id: string, url: string): string {
  return `  - id: ${id}
    title: Request ${url}
    action: http.request
    timeout: 20s
    retry: { maxAttempts: 1 }
    onFailure: continue
    with: { url: '${url}', timeout: 5s }
`;
}

/** The one message the runbooks send: templates/audit-notice/<channel>.<part>.hbs. */
export const TEMPLATE_FILES: Record<string, string> = {
  'audit-notice/email.subject.hbs': 'Audit notice: {{incident.title}}\n',
  'audit-notice/email.text.hbs': 'This is an audit notice about {{incident.title}}.\n',
  // The public page may not name the incident (finding 8): a fixed heading, as an approved text would be.
  'audit-notice/statuspage.md.hbs': '## Audit service notice\n\nWe are looking into a problem.\n',
};

/** What the config needs to know. */
export interface ConfigInput {
  echo: number;
  /** `sha256:<hex>` of each user's token. */
  hashes: { commander: string; responder: string; nobody: string; reader: string };
  projectTemplates: string;
}

/** firebreak.yaml of the dev instance under audit (paths relative to it: ./runbooks, ./templates). */
export function configFile(input: ConfigInput): string {
  const { hashes } = input;
  return `users:
  - { id: audit-commander, email: commander@audit.example, roles: [commander], token: '${hashes.commander}' }
  - { id: audit-responder, email: responder@audit.example, roles: [responder], token: '${hashes.responder}' }
  - { id: audit-nobody, email: nobody@audit.example, token: '${hashes.nobody}' }
  - { id: audit-reader, email: reader@audit.example, roles: [auditor], token: '${hashes.reader}' }
access:
  trigger: { '*': [commander] }
  read: [auditor]
runbooks: { dirs: [./runbooks] }
templates: { dirs: ['${input.projectTemplates}', ./templates] }
actions:
  http:
    # The echo server by address; the same server by a name that resolves to loopback; and the metadata
    # address as a careless operator might list it (allowLinkLocal stays false).
    allow: ['http://127.0.0.1:${input.echo}', 'http://localhost:${input.echo}', 'http://169.254.169.254']
    allowLinkLocal: false
    defaultTimeout: 10s
secrets:
  ${DECLARED_SECRET}: { ref: env:FIREBREAK_AUDIT_DECLARED, runbooks: [${RUNBOOKS.secretFlow}] }
api: { authFailures: { max: 10, window: 1m } }
webhooks:
  generic: { secrets: [file:./webhook.secret] }
  routes:
    - receiver: generic
      match: 'alert.?kind.orValue("") == "audit-host"'
      runbook: ${RUNBOOKS.webhook}
      params: { host: alert.host }
    - receiver: generic
      match: 'alert.?kind.orValue("") == "audit-own-names"'
      runbook: ${RUNBOOKS.webhook}
      params: { host: alert.constructor }
`;
}
