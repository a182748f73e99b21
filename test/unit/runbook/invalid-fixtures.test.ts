/**
 * One fixture per kind of problem under test/fixtures/runbooks/invalid/: each must report exactly the
 * expected issues, at the expected file, line:col and path.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunbookFiles } from '../../../src/runbook/loader.js';
import { loadTemplateDirs, type TemplateCatalog } from '../../../src/templating/catalog.js';
import { FIXTURES, TEMPLATES, testActions } from './helpers.js';
import { notifyCases, type Expected } from './invalid-notify-cases.js';

const INVALID = path.join(FIXTURES, 'invalid');
let templates: TemplateCatalog;

beforeAll(async () => {
  templates = await loadTemplateDirs([TEMPLATES]);
  expect(templates.problems).toEqual([]);
});

const cases: Record<string, Expected[]> = {
  'unknown-key.yaml': [
    { file: 'unknown-key.yaml', at: '21:5', path: 'steps[1].colour', stepId: 'check', message: 'unknown key `colour`' },
  ],
  'wrong-type.yaml': [
    { file: 'wrong-type.yaml', at: '4:10', path: 'version', message: 'expected a whole number, got "three"' },
  ],
  'duplicate-step-id.yaml': [
    {
      file: 'duplicate-step-id.yaml',
      at: '18:9',
      path: 'steps[1].id',
      stepId: 'note',
      message: 'duplicate step id `note` (first used on line 14); step ids are unique in a runbook',
    },
  ],
  'unknown-step-reference.yaml': [
    {
      file: 'unknown-step-reference.yaml',
      at: '18:12',
      path: 'deadlines[0].metBy',
      message: 'unknown step `ghost` (no step has this id)',
    },
  ],
  'unknown-role.yaml': [
    {
      file: 'unknown-role.yaml',
      at: '21:15',
      path: 'steps[1].assignee',
      stepId: 'check',
      message: 'unknown role `ghost` (declared roles: commander)',
    },
  ],
  'unknown-fact.yaml': [
    {
      file: 'unknown-fact.yaml',
      at: '21:23',
      path: 'steps[1].sets[1]',
      stepId: 'check',
      message: 'unknown fact `ghostCount` (declared facts: hostCount)',
    },
  ],
  'unknown-param.yaml': [
    {
      file: 'unknown-param.yaml',
      at: '20:11',
      path: 'steps[1].task',
      stepId: 'check',
      message: 'in `params.ghost`: unknown param `ghost` (declared: host, token)',
    },
  ],
  'unknown-action.yaml': [
    {
      file: 'unknown-action.yaml',
      at: '20:13',
      path: 'steps[1].action',
      stepId: 'page',
      message: 'unknown action `pager.send` (known actions: command.run, http.request, timeline.note)',
    },
  ],
  'unknown-decision.yaml': [
    {
      file: 'unknown-decision.yaml',
      at: '9:15',
      path: 'deadlines[0].startsAt',
      message: 'unknown decision `becameAware` (declared decisions: none)',
    },
  ],
  'unknown-escalation.yaml': [
    {
      file: 'unknown-escalation.yaml',
      at: '10:28',
      path: 'roles.commander.escalateTo',
      message: 'unknown role `ciso` (declared roles: commander)',
    },
  ],
  'unknown-runbook.yaml': [
    {
      file: 'unknown-runbook.yaml',
      at: '20:14',
      path: 'steps[1].runbook',
      stepId: 'recover',
      message: 'unknown runbook `restore-everything`: no loaded runbook has this id',
    },
  ],
  'bad-expression-syntax.yaml': [
    {
      file: 'bad-expression-syntax.yaml',
      at: '20:11',
      path: 'steps[1].when',
      stepId: 'check',
      message: 'invalid expression `facts.hostCount >`: Unexpected token: EOF',
    },
  ],
  'expression-unknown-name.yaml': [
    {
      file: 'expression-unknown-name.yaml',
      at: '20:11',
      path: 'steps[1].when',
      stepId: 'check',
      message: 'in `steps["ghost"].status == "succeeded"`: unknown step `ghost` (declared: note, check)',
    },
  ],
  'when-not-boolean.yaml': [
    {
      file: 'when-not-boolean.yaml',
      at: '20:11',
      path: 'steps[1].when',
      stepId: 'check',
      message: '`when` must be true or false, but `facts.hostCount + 1` is of type int',
    },
  ],
  'secret-in-when.yaml': [
    {
      file: 'secret-in-when.yaml',
      at: '20:11',
      path: 'steps[1].when',
      stepId: 'check',
      message: 'secret param `token` cannot be used in `when`: a secret is only ever interpolated whole into `with`',
    },
  ],
  'secret-outside-with.yaml': [
    {
      file: 'secret-outside-with.yaml',
      at: '20:11',
      path: 'steps[1].task',
      stepId: 'check',
      message:
        'secret param `token` cannot appear here: secrets are only interpolated into `with` of action and runbook steps',
    },
    {
      file: 'secret-outside-with.yaml',
      at: '24:18',
      path: 'steps[2].with.url',
      stepId: 'call',
      message: 'secret param `token` may only be interpolated alone, as ${{ params.token }}',
    },
  ],
  ...notifyCases,
  'postmortem-invalid.yaml': [
    {
      file: 'postmortem-invalid.yaml',
      at: '19:7',
      path: 'steps[1].postmortem.owner',
      stepId: 'review',
      message: '`owner` and `facilitator` are the same field (`owner` is the format v1 spelling): give one of them',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '21:34',
      path: 'steps[1].postmortem.reviewers[1]',
      stepId: 'review',
      message: 'unknown role `legal` (declared roles: commander, security)',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '21:46',
      path: 'steps[1].postmortem.reviewers[2]',
      stepId: 'review',
      message: 'role:security is listed twice',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '22:17',
      path: 'steps[1].postmortem.audience',
      stepId: 'review',
      message: 'unknown role `all-staff` (declared roles: commander, security)',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '23:12',
      path: 'steps[1].postmortem.due',
      stepId: 'review',
      message: 'expected a duration such as 30s, 15m, 4h, 3d or 2w',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '24:20',
      path: 'steps[1].postmortem.containedBy',
      stepId: 'review',
      message: 'a post-mortem step cannot mark containment itself: name the step that contains the incident',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '25:23',
      path: 'steps[1].postmortem.tags[1]',
      stepId: 'review',
      message: 'tag `network` is listed twice',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '26:7',
      path: 'steps[1].postmortem.colour',
      stepId: 'review',
      message: 'unknown key `colour`',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '32:9',
      path: 'steps[2].parallel[0].postmortem',
      stepId: 'again',
      message: 'a runbook has at most one `postmortem` step; step `review` is one',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '32:21',
      path: 'steps[2].parallel[0].postmortem',
      stepId: 'again',
      message: 'a post-mortem needs a facilitator: add `facilitator: role:<name>`',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '32:36',
      path: 'steps[2].parallel[0].postmortem.containedBy',
      stepId: 'again',
      message: '`undo` is a compensation: containment is marked by a step under `steps:`',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '35:9',
      path: 'steps[2].parallel[1].postmortem',
      stepId: 'third',
      message: 'a runbook has at most one `postmortem` step; step `review` is one',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '35:36',
      path: 'steps[2].parallel[1].postmortem.facilitator',
      stepId: 'third',
      message: 'expected a role reference such as role:commander',
    },
    {
      file: 'postmortem-invalid.yaml',
      at: '35:60',
      path: 'steps[2].parallel[1].postmortem.containedBy',
      stepId: 'third',
      message: 'unknown step `nowhere` (no step has this id)',
    },
  ],
  'bad-duration.yaml': [
    {
      file: 'bad-duration.yaml',
      at: '20:11',
      path: 'steps[1].wait',
      stepId: 'settle',
      message: 'expected a duration such as 30s, 15m, 4h, 3d or 2w',
    },
  ],
  'yaml-syntax-error.yaml': [
    { file: 'yaml-syntax-error.yaml', at: '11:1', path: '', message: 'YAML syntax error: Missing closing "quote' },
  ],
  'duplicate-yaml-key.yaml': [
    {
      file: 'duplicate-yaml-key.yaml',
      at: '21:5',
      path: 'steps[1].task',
      message: 'duplicate key `task`: each key may appear once in a mapping',
    },
  ],
  'duplicate-decision.yaml': [
    {
      file: 'duplicate-decision.yaml',
      at: '24:15',
      path: 'steps[2].decision',
      stepId: 'second',
      message: 'decision `severe` is already declared by step `first`',
    },
  ],
  'retry-on-task.yaml': [
    {
      file: 'retry-on-task.yaml',
      at: '21:5',
      path: 'steps[1].retry',
      stepId: 'check',
      message: '`retry` only applies to `action`, `notify` and `runbook` steps: a `task` step is not retried',
    },
  ],
  'action-input.yaml': [
    {
      file: 'action-input.yaml',
      at: '22:15',
      path: 'steps[1].with.method',
      stepId: 'call',
      message: 'expected one of GET, POST, got "FETCH"',
    },
    {
      file: 'action-input.yaml',
      at: '24:7',
      path: 'steps[1].with.retries',
      stepId: 'call',
      message: 'unknown key `retries`',
    },
  ],
  'quorum-without-approvers.yaml': [
    {
      file: 'quorum-without-approvers.yaml',
      at: '22:13',
      path: 'steps[1].quorum',
      stepId: 'approve',
      message: '`quorum` needs approvers: list the roles whose members may approve',
    },
  ],
  'approval-distinct.yaml': [
    {
      file: 'approval-distinct.yaml',
      at: '14:15',
      path: 'steps[0].distinct',
      stepId: 'no-approvers',
      message: '`distinct` needs approvers: list the roles whose members may approve',
    },
    {
      file: 'approval-distinct.yaml',
      at: '20:15',
      path: 'steps[1].distinct',
      stepId: 'more-than-quorum',
      message:
        '`distinct: 3` is more than `quorum: 2`: 3 different people must approve, so the quorum would never be what decides; raise `quorum` to at least 3 or leave it out',
    },
    {
      file: 'approval-distinct.yaml',
      at: '25:15',
      path: 'steps[2].distinct',
      stepId: 'zero',
      message: 'must be at least 1',
    },
    {
      file: 'approval-distinct.yaml',
      at: '30:15',
      path: 'steps[3].distinct',
      stepId: 'fraction',
      message: 'expected a whole number, got 1.5',
    },
  ],
  cycle: [
    {
      file: 'cycle/alpha.yaml',
      at: '9:14',
      path: 'steps[0].runbook',
      stepId: 'call-beta',
      message: 'runbook cycle: alpha -> beta -> alpha',
    },
    {
      file: 'cycle/beta.yaml',
      at: '9:14',
      path: 'steps[0].runbook',
      stepId: 'call-alpha',
      message: 'runbook cycle: beta -> alpha -> beta',
    },
  ],
  'child-params': [
    {
      file: 'child-params/parent.yaml',
      at: '12:5',
      path: 'steps[0].with',
      stepId: 'recover',
      message: 'runbook `child` requires param `before`: give it under `with`',
    },
    {
      file: 'child-params/parent.yaml',
      at: '14:7',
      path: 'steps[0].with.colour',
      stepId: 'recover',
      message: 'runbook `child` has no param `colour` (its params: before, target, token)',
    },
    {
      file: 'child-params/parent.yaml',
      at: '15:14',
      path: 'steps[0].with.token',
      stepId: 'recover',
      message: 'secret param `apiKey` cannot be passed to `child.token`, which is not a secret param',
    },
  ],
  'duplicate-runbook-id': [
    {
      file: 'duplicate-runbook-id/one.yaml',
      at: '2:5',
      path: 'id',
      message: `runbook id \`same-id\` is also used by ${path.join(INVALID, 'duplicate-runbook-id/two.yaml')}`,
    },
    {
      file: 'duplicate-runbook-id/two.yaml',
      at: '2:5',
      path: 'id',
      message: `runbook id \`same-id\` is also used by ${path.join(INVALID, 'duplicate-runbook-id/one.yaml')}`,
    },
  ],
};

describe('invalid runbook fixtures', () => {
  it('has a case for every fixture', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(INVALID)).sort()).toEqual(Object.keys(cases).sort());
  });

  for (const [fixture, expected] of Object.entries(cases)) {
    it(`reports ${fixture} exactly`, async () => {
      const catalog = await loadRunbookFiles([path.join(INVALID, fixture)], { actions: testActions, templates });
      const actual = catalog.issues.map((issue) => ({
        file: path.relative(INVALID, issue.file),
        at: `${issue.line}:${issue.col}`,
        path: issue.path,
        ...(issue.stepId !== undefined && { stepId: issue.stepId }),
        message: issue.message,
      }));
      expect(actual).toEqual(expected);
      // Only the valid child of child-params loads; every other fixture loads nothing.
      expect([...catalog.runbooks.keys()]).toEqual(fixture === 'child-params' ? ['child'] : []);
    });
  }
});
