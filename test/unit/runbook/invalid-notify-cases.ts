/** The expected issues of the `notify` fixtures under test/fixtures/runbooks/invalid/ (see invalid-fixtures.test.ts). */
import path from 'node:path';
import { TEMPLATES } from './helpers.js';

/** One expected issue: file relative to the fixture directory, `line:col`, path, step and message. */
export interface Expected {
  file: string;
  at: string;
  path: string;
  stepId?: string;
  message: string;
}

const variableProblems: [template: string, problem: string][] = [
  ['email.subject.hbs', '`params.ghost`, which this runbook does not declare'],
  ['email.text.hbs', '`decisions.ghostDecision.at`, which no decision step of this runbook declares'],
  ['email.text.hbs', '`facts.ghostFact`, which this runbook does not declare'],
  [
    'email.text.hbs',
    '`incident.owner`, which is not a field of the incident (fields: id, title, severity, startedAt, runbook.id, runbook.title)',
  ],
  ['email.text.hbs', '`params.token`, a secret param: a secret param cannot be rendered into a message'],
  ['email.text.hbs', '`sender.phone`, which is not a field of the sender (fields: id, name, email)'],
  [
    'email.text.hbs',
    '`weather`, which is not available: messages can use incident, params, facts, decisions, sender, message and steps.<id>',
  ],
];

/** Fixture name -> the exact issues it reports, loaded with the templates in test/fixtures/templates. */
export const notifyCases: Record<string, Expected[]> = {
  'notify-recipients.yaml': [
    {
      file: 'notify-recipients.yaml',
      at: '22:34',
      path: 'steps[1].notify.channels[2]',
      stepId: 'tell',
      message: 'channel `email` is listed twice',
    },
    {
      file: 'notify-recipients.yaml',
      at: '24:9',
      path: 'steps[1].notify.to.webhook',
      stepId: 'tell',
      message:
        'channel `webhook` needs recipients: list endpoints from `channels.webhook.endpoints` under `to.webhook`',
    },
    {
      file: 'notify-recipients.yaml',
      at: '24:17',
      path: 'steps[1].notify.to.email[0]',
      stepId: 'tell',
      message: '`dpa@authority` is not an e-mail address, a role (role:<name>) or a ${{ }} template',
    },
    {
      file: 'notify-recipients.yaml',
      at: '24:32',
      path: 'steps[1].notify.to.email[1]',
      stepId: 'tell',
      message: 'unknown role `ghost` (declared roles: commander, legal)',
    },
    {
      file: 'notify-recipients.yaml',
      at: '25:9',
      path: 'steps[1].notify.to.chat',
      stepId: 'tell',
      message: '`to.chat` is given but `chat` is not in `channels`',
    },
  ],
  'notify-requires-never-set.yaml': [
    {
      file: 'notify-requires-never-set.yaml',
      at: '30:18',
      path: 'steps[2].notify.requires[0]',
      stepId: 'tell',
      message:
        "fact `recordsAffected` is never set by any step: list it in a task's `sets` (a notify step waits until its required facts are confirmed)",
    },
    {
      file: 'notify-requires-never-set.yaml',
      at: '30:51',
      path: 'steps[2].notify.requires[2]',
      stepId: 'tell',
      message: 'unknown fact `ghostFact` (declared facts: recordsAffected, dataCategories)',
    },
  ],
  'notify-template-variables.yaml': variableProblems.map(([template, problem]) => ({
    file: 'notify-template-variables.yaml',
    at: '14:16',
    path: 'steps[0].notify.message',
    stepId: 'tell',
    message: `template ${path.join(TEMPLATES, 'unsafe-notice', template)} uses ${problem}`,
  })),
  'notify-public-leak.yaml': ['incident.id', 'incident.runbook.title', 'incident.title'].map((variable) => ({
    file: 'notify-public-leak.yaml',
    at: '12:16',
    path: 'steps[0].notify.message',
    stepId: 'publish',
    message:
      `template ${path.join(TEMPLATES, 'unsafe-notice', 'statuspage.md.hbs')} uses \`${variable}\`: ` +
      `incident.${variable.split('.')[1] ?? ''} is not available on the status page: the page is public, and the ` +
      "incident's id, title and runbook say what happened (use facts the approvers confirm)",
  })),
  'notify-unknown-message.yaml': [
    {
      file: 'notify-unknown-message.yaml',
      at: '14:16',
      path: 'steps[0].notify.message',
      stepId: 'tell',
      message: 'unknown message `regulator-notice` (templates: breach-notice, ops-update, unsafe-notice)',
    },
    {
      file: 'notify-unknown-message.yaml',
      at: '22:30',
      path: 'steps[1].notify.channels[1]',
      stepId: 'update',
      message:
        'message `ops-update` has no templates for channel `email` (it has: chat, statuspage); add templates/ops-update/email.<part>.hbs',
    },
  ],
  'notify-distinct.yaml': [
    {
      file: 'notify-distinct.yaml',
      at: '19:17',
      path: 'steps[0].notify.distinct',
      stepId: 'nobody',
      message: '`distinct` needs approvers: list the roles whose members may approve',
    },
    {
      file: 'notify-distinct.yaml',
      at: '29:17',
      path: 'steps[1].notify.distinct',
      stepId: 'too-many',
      message:
        '`distinct: 2` is more than `quorum: 1`: 2 different people must approve, so the quorum would never be what decides; raise `quorum` to at least 2 or leave it out',
    },
  ],
  'notify-approval.yaml': [
    {
      file: 'notify-approval.yaml',
      at: '20:15',
      path: 'steps[0].notify.quorum',
      stepId: 'update',
      message: '`quorum` needs approvers: list the roles whose members may approve',
    },
    {
      file: 'notify-approval.yaml',
      at: '21:17',
      path: 'steps[0].notify.fourEyes',
      stepId: 'update',
      message: '`fourEyes` needs approvers: without them the message is sent without approval',
    },
    {
      file: 'notify-approval.yaml',
      at: '22:24',
      path: 'steps[0].notify.repeat.every',
      stepId: 'update',
      message: 'repeats must be at least 1m apart, got 30s',
    },
    {
      file: 'notify-approval.yaml',
      at: '22:36',
      path: 'steps[0].notify.repeat.until',
      stepId: 'update',
      message: 'a step cannot repeat until it completes itself: name another step',
    },
    {
      file: 'notify-approval.yaml',
      at: '30:31',
      path: 'steps[1].notify.approvers[1]',
      stepId: 'update-again',
      message: 'role:legal is listed twice',
    },
    {
      file: 'notify-approval.yaml',
      at: '31:18',
      path: 'steps[1].notify.onTimeout',
      stepId: 'update-again',
      message: '`onTimeout: escalate` but none of the approver roles declares `escalateTo`',
    },
    {
      file: 'notify-approval.yaml',
      at: '31:18',
      path: 'steps[1].notify.onTimeout',
      stepId: 'update-again',
      message: '`onTimeout: escalate` needs a `timeout` on the step',
    },
    {
      file: 'notify-approval.yaml',
      at: '32:35',
      path: 'steps[1].notify.repeat.until',
      stepId: 'update-again',
      message: 'unknown step `undo` (a compensation cannot stop repeats)',
    },
  ],
  'notify-in-compensations.yaml': [
    {
      file: 'notify-in-compensations.yaml',
      at: '17:5',
      path: 'compensations[0].action',
      stepId: 'tell',
      message: '`action` is required',
    },
    {
      file: 'notify-in-compensations.yaml',
      at: '19:5',
      path: 'compensations[0].notify',
      stepId: 'tell',
      message: 'unknown key `notify`',
    },
  ],
};
