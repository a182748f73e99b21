/** Checks beyond the schema, on inline runbooks: references, expressions, secrets, kinds. */
import { describe, expect, it } from 'vitest';
import { compileRunbook } from '../../../src/runbook/catalog.js';
import { createSecretCatalog, type SecretCatalog } from '../../../src/secrets/declared.js';
import { brief, issuesOf, planOf, runbook, testActions } from './helpers.js';

// In `runbook(...)`, `steps:` is line 16 and the first step starts on line 17.

describe('step kinds', () => {
  it('requires exactly one kind', () => {
    expect(brief(issuesOf(runbook('  - id: a\n    title: A\n')))).toEqual([
      '17:5 steps[0] a step needs one kind: action, task, decision, approval, notify, parallel, runbook, wait, postmortem',
    ]);
    expect(brief(issuesOf(runbook('  - id: a\n    title: A\n    wait: 1m\n    task: Do it\n')))).toEqual([
      '19:5 steps[0].wait a step has exactly one kind, but this one has `task` and `wait`',
    ]);
  });

  it('reports a missing common field at the step', () => {
    expect(brief(issuesOf(runbook('  - id: a\n    wait: 1m\n')))).toEqual(['17:5 steps[0].title `title` is required']);
  });

  it('reports problems inside a parallel branch at the branch', () => {
    const issues = issuesOf(
      runbook('  - id: p\n    title: P\n    parallel:\n      - { id: b, title: B, wait: soon }\n'),
    );
    expect(issues.map((i) => [i.line, i.col, i.path, i.stepId])).toEqual([[20, 34, 'steps[0].parallel[0].wait', 'b']]);
  });

  it('rejects a step that is not a mapping', () => {
    expect(brief(issuesOf(runbook('  - just text\n')))).toEqual([
      '17:5 steps[0] expected a step (a mapping with id, title and one kind), got "just text"',
    ]);
  });
});

describe('reference checks', () => {
  it('checks compensate against compensations', () => {
    const steps =
      '  - { id: a, title: A, wait: 1m, compensate: b }\n  - { id: b, title: B, wait: 1m, compensate: undo-c }\n';
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '17:46 steps[0].compensate `b` is a step, not a compensation: list it under `compensations:`',
      '18:46 steps[1].compensate unknown compensation `undo-c` (declared compensations: none)',
    ]);
  });

  it('refuses a compensation that registers its own and ids shared with steps', () => {
    const text = `${runbook('  - { id: a, title: A, action: timeline.note, with: { text: x }, compensate: undo }\n')}compensations:
  - { id: undo, title: Undo, action: timeline.note, with: { text: y }, compensate: undo }
  - { id: a, title: Again, action: timeline.note, with: { text: z } }
`;
    expect(brief(issuesOf(text))).toEqual([
      '19:72 compensations[0].compensate a compensation cannot register a compensation of its own',
      '20:11 compensations[1].id duplicate step id `a` (first used on line 17); step ids are unique in a runbook',
    ]);
  });

  it('checks roles: escalation targets, self-escalation and `after` without `escalateTo`', () => {
    const text = runbook('  - { id: w, title: W, wait: 1m }\n').replace(
      '  commander: { escalateTo: ciso }\n  ciso: {}\n',
      '  commander: { escalateTo: commander }\n  ciso: { after: 1h }\n',
    );
    expect(brief(issuesOf(text))).toEqual([
      '11:28 roles.commander.escalateTo a role cannot escalate to itself',
      '12:11 roles.ciso.after `after` needs `escalateTo`: the role that may act once it has passed',
    ]);
  });

  it('checks param defaults against their type and enum', () => {
    const text = runbook('  - { id: w, title: W, wait: 1m }\n').replace(
      '  count: { type: integer, default: 2 }\n',
      '  count: { type: integer, default: 2.5 }\n  mode: { type: boolean, enum: [a] }\n  key: { type: secret, default: "env:API_KEY" }\n',
    );
    expect(brief(issuesOf(text))).toEqual([
      '8:36 params.count.default default does not fit the param: expected a whole number, got 2.5',
      '9:26 params.mode.enum `enum` applies to string params only',
      '10:33 params.key.default default does not fit the param: a secret param takes the name of a secret declared under `secrets` in firebreak.yaml, never a reference (env:, file:) or the secret itself',
    ]);
  });

  it('checks deadlines: reminders before the deadline, remindTo, when and duplicate ids', () => {
    const deadlines = `deadlines:
  - { id: d, title: D, startsAt: decision:ok, within: 4h, remind: [1h, 4h], remindTo: role:legal, metBy: step:w, when: decisions.ok }
  - { id: d, title: D, startsAt: decision:ok, within: 4h, metBy: step:w }
`;
    const steps =
      '  - { id: ok-step, title: OK, decision: ok, options: [yes, no] }\n  - { id: w, title: W, wait: 1m }\n';
    expect(brief(issuesOf(runbook(steps, deadlines)))).toEqual([
      '17:72 deadlines[0].remind[1] reminder at 4h is not before the deadline (4h)',
      '17:87 deadlines[0].remindTo unknown role `legal` (declared roles: commander, ciso)',
      '17:120 deadlines[0].when `when` must be true or false, but `decisions.ok` is of type string',
      '18:11 deadlines[1].id duplicate deadline id `d`',
    ]);
  });

  it('lets a deadline be met by a parallel branch', () => {
    const deadlines = 'deadlines:\n  - { id: d, title: D, startsAt: decision:aware, within: 1h, metBy: step:b }\n';
    const steps =
      '  - { id: a, title: A, decision: aware }\n  - { id: p, title: P, parallel: [{ id: b, title: B, wait: 1m }] }\n';
    expect(planOf(runbook(steps, deadlines)).deadlines[0]?.metBy).toEqual({ step: 'b' });
  });

  it('checks approvals: approvers, duplicates and what onTimeout needs', () => {
    const steps = `  - id: a
    title: A
    approval: Go?
    approvers: [role:commander, role:commander, role:ghost]
    onTimeout: abort
  - { id: b, title: B, approval: Go?, approvers: [role:ciso], timeout: 1h, onTimeout: escalate }
  - { id: c, title: C, approval: Go?, approvers: [] }
`;
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '20:33 steps[0].approvers[1] role:commander is listed twice',
      '20:49 steps[0].approvers[2] unknown role `ghost` (declared roles: commander, ciso)',
      '21:16 steps[0].onTimeout `onTimeout: abort` needs a `timeout` on the step',
      '22:87 steps[1].onTimeout `onTimeout: escalate` but none of the approver roles declares `escalateTo`',
      '23:50 steps[2].approvers an approval needs at least one approver role',
    ]);
  });

  it('checks decision options and retry intervals', () => {
    const steps = `  - { id: a, title: A, decision: pick, options: [x, x] }
  - { id: b, title: B, action: timeline.note, with: { text: t }, retry: { maxAttempts: 2, initialInterval: 1m, maximumInterval: 10s } }
`;
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '17:53 steps[0].options[1] option `x` is listed twice',
      '18:129 steps[1].retry.maximumInterval `maximumInterval` must not be shorter than `initialInterval`',
    ]);
  });

  it('still runs reference checks when another part fails the schema', () => {
    const steps = '  - { id: a, title: A, wait: 1 minute }\n  - { id: b, title: B, task: T, assignee: role:ghost }\n';
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '17:30 steps[0].wait expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '18:43 steps[1].assignee unknown role `ghost` (declared roles: commander, ciso)',
    ]);
  });

  it('counts the names declared by parts that failed the schema as declared', () => {
    const steps =
      '  - { id: a, title: A, decision: ok, options: [yes, no], colour: red }\n  - { id: b, title: B, when: decisions.ok == "yes", task: T }\n';
    expect(brief(issuesOf(runbook(steps)))).toEqual(['17:58 steps[0].colour unknown key `colour`']);
  });
});

describe('expressions', () => {
  const task = (when: string) => runbook(`  - id: t\n    title: T\n    when: ${when}\n    task: Do it\n`);

  it('accepts conditions over params, facts, decisions, steps and incident', () => {
    const steps = `  - { id: d, title: D, decision: go, options: [yes, no] }
  - { id: ack, title: Ack, decision: aware }
  - id: my-step
    title: T
    when: >-
      params.count > 1 && size(facts.hosts) > 0 && decisions.go == "yes" &&
      decisions.aware < incident.startedAt + duration("1h") && steps["d"].status == "succeeded" &&
      incident.severity == "sev1" && has(facts.seenAt)
    task: Look at \${{ params.host }} for \${{ steps["my-step"].output.x }}
`;
    expect(planOf(runbook(steps)).steps[2]?.when).toContain('params.count > 1');
  });

  it('names the unknown thing in an expression', () => {
    expect(brief(issuesOf(task('facts.ghost > 1')))).toEqual([
      '19:11 steps[0].when in `facts.ghost > 1`: unknown fact `ghost` (declared: hosts, seenAt)',
    ]);
    expect(brief(issuesOf(task('decisions.go == "yes"')))).toEqual([
      '19:11 steps[0].when in `decisions.go == "yes"`: unknown decision `go` (declared: none)',
    ]);
    expect(brief(issuesOf(task('hosts == 1')))).toEqual([
      '19:11 steps[0].when in `hosts == 1`: unknown name `hosts`: expressions can use params, facts, decisions, steps and incident',
    ]);
  });

  it('explains hyphenated step ids', () => {
    expect(brief(issuesOf(task('steps.t-x.status == "ok"').replace('id: t\n', 'id: t-x\n')))).toEqual([
      '19:11 steps[0].when in `steps.t-x.status == "ok"`: step ids with hyphens need index syntax: steps["t-x"]',
    ]);
  });

  it('refuses expressions over a cost limit, naming the limit (issue 10, finding 4)', () => {
    const explosive =
      'facts.hosts.all(a, facts.hosts.exists(b, facts.hosts.map(c, string(a) + string(b) + string(c)).size() > 0))';
    expect(brief(issuesOf(task(explosive)))).toEqual([
      `19:11 steps[0].when invalid expression \`${explosive}\`: comprehensions (all, exists, exists_one, map, filter) nest 3 deep, over the limit of 2`,
    ]);
    const lookahead = runbook('  - id: t\n    title: T\n    task: "Host ${{ params.host.matches(\'^(?!prod)\') }}"\n');
    expect(brief(issuesOf(lookahead))).toEqual([
      '19:11 steps[0].task invalid expression `params.host.matches(\'^(?!prod)\')`: invalid regular expression "^(?!prod)" in matches() (RE2 syntax: no lookaround or backreferences): invalid or unsupported Perl syntax: `(?!`',
    ]);
  });

  it('refuses an empty condition', () => {
    expect(brief(issuesOf(task('""')))).toEqual([
      '19:11 steps[0].when `when` is empty: write a condition, or remove `when`',
    ]);
  });

  it('refuses ${{ }} in a bare condition', () => {
    expect(brief(issuesOf(task('"${{ params.count > 1 }}"')))).toEqual([
      '19:11 steps[0].when `when` holds a bare expression: write it without ${{ }}',
    ]);
  });

  it('reports unclosed templates and bad expressions in any string', () => {
    const steps =
      '  - { id: a, title: "Fix ${{ params.host", action: timeline.note, with: { text: "${{ params.count + }}" } }\n';
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '17:21 steps[0].title unclosed ${{ (expected }})',
      '17:81 steps[0].with.text invalid expression `params.count +`: Unexpected token: EOF',
    ]);
  });

  it('allows a whole secret interpolation in action input and nowhere else', () => {
    const steps = `  - id: call
    title: Call
    action: http.request
    with: { url: "https://x.example", headers: { Authorization: "Bearer \${{ params.token }}" } }
  - { id: t, title: "Token \${{ params.token }}", wait: 1m }
`;
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '21:21 steps[1].title secret param `token` cannot appear here: secrets are only interpolated into `with` of action and runbook steps',
    ]);
  });

  it('refuses a secret where the action does not take one: argv, a method, a note', () => {
    const steps = `  - { id: run, title: Run, action: command.run, with: { command: x, args: ["\${{ params.token }}"], env: { T: "\${{ params.token }}" } } }
  - { id: call, title: Call, action: http.request, with: { method: "\${{ params.token }}", url: "https://x.example/\${{ params.token }}" } }
  - { id: note, title: Note, action: timeline.note, with: { text: "token \${{ params.token }}" } }
`;
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '17:76 steps[0].with.args[0] secret param `token` cannot go to with.args[0]: command.run takes secrets only in env.*',
      '18:68 steps[1].with.method secret param `token` cannot go to with.method: http.request takes secrets only in url, headers.*',
      '19:67 steps[2].with.text secret param `token` cannot go to with.text: timeline.note takes secrets nowhere',
    ]);
  });

  it('skips action input checks where the value is a template', () => {
    const steps =
      '  - { id: a, title: A, action: http.request, with: { method: "${{ params.host }}", url: "${{ params.host }}" } }\n';
    expect(planOf(runbook(steps)).steps[0]).toMatchObject({ with: { method: '${{ params.host }}' } });
  });
});

describe('secrets named in the file', () => {
  const text = `apiVersion: firebreak/v1
id: inline
title: Inline
version: 1
severity: sev3
params:
  token: { type: secret, default: ci-token }
  other: { type: secret, default: billing-token }
steps:
  - { id: a, title: A, action: timeline.note, with: { text: hi } }
`;
  const compile = (secrets?: SecretCatalog) =>
    compileRunbook(
      { file: 'inline.yaml', bytes: Buffer.from(text) },
      { actions: testActions, ...(secrets && { secrets }) },
    );

  it('are checked against the declared secrets when the config is known, and only then', () => {
    expect(compile().ok).toBe(true);
    const declared = createSecretCatalog({
      'ci-token': { reference: 'env:CI_TOKEN' },
      'billing-token': { reference: 'env:BILLING', runbooks: ['billing'] },
    });
    const result = compile(declared);
    expect(result.ok ? [] : brief(result.issues)).toEqual([
      '8:35 params.other.default secret `billing-token` is not declared for runbook `inline` (available: ci-token)',
    ]);
  });
});

describe('every problem in one run', () => {
  it('checks the references of a step that failed the schema, its branches too', () => {
    const steps = [
      '  - { id: d, title: D, decision: real }',
      '  - { id: a, title: A, wait: 1m, bogus: 1, when: decisions.ghost == "yes" }',
      '  - { id: b, title: B, wait: 1m, timeout: soon, when: decisions.phantom == "no" }',
      '  - id: p',
      '    title: P',
      '    parallel:',
      '      - { id: c, title: "C ${{ facts.nope }}", wait: 1m, retry: { maxAttempts: many } }',
      '',
    ].join('\n');
    expect(brief(issuesOf(runbook(steps)))).toEqual([
      '18:34 steps[1].bogus unknown key `bogus`',
      '18:50 steps[1].when in `decisions.ghost == "yes"`: unknown decision `ghost` (declared: real)',
      '19:43 steps[2].timeout expected a duration such as 30s, 15m, 4h, 3d or 2w',
      '19:55 steps[2].when in `decisions.phantom == "no"`: unknown decision `phantom` (declared: real)',
      '23:25 steps[3].parallel[0].title in `facts.nope`: unknown fact `nope` (declared: hosts, seenAt)',
      '23:80 steps[3].parallel[0].retry.maxAttempts expected a number, got "many"',
    ]);
  });
});

describe('role senders', () => {
  const roles = (sender: string) => `apiVersion: firebreak/v1
id: inline
title: Inline
version: 1
severity: sev3
roles:
  dpo: { sender: ${sender} }
steps:
  - { id: a, title: A, wait: 1m }
`;

  it('compiles a role sender into the plan', () => {
    expect(planOf(roles('{ name: Data Protection Officer, email: dpo@example.com }')).roles.dpo?.sender).toEqual({
      name: 'Data Protection Officer',
      email: 'dpo@example.com',
    });
  });

  it('refuses a sender name on several lines and an address that is not one', () => {
    expect(brief(issuesOf(roles('{ name: "DPO\\nBcc: x@evil.example", email: "dpo at example" }')))).toEqual([
      '7:26 roles.dpo.sender.name must be one line without control characters',
      '7:61 roles.dpo.sender.email expected an e-mail address',
    ]);
  });
});
