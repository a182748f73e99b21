import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadTemplates, renderMessage, TemplateError, variablesOf } from '../../../src/templating/index.js';
import { fact, sampleContext } from './context-fixture.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes templates (relative path -> source) to a fresh directory and loads them. */
async function catalogOf(files: Record<string, string>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'firebreak-templates-'));
  dirs.push(dir);
  for (const [file, source] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), source);
  }
  return loadTemplates(dir);
}

/** Renders a one-part chat message and returns the thrown TemplateError. */
async function renderError(source: string, context = sampleContext()): Promise<TemplateError> {
  const catalog = await catalogOf({ 'm/chat.text.hbs': source });
  try {
    renderMessage(catalog, 'm', 'chat', context);
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('expected rendering to fail');
}

describe('strict rendering', () => {
  it('throws on a missing variable, naming the variable and the file', async () => {
    const error = await renderError('Service: {{params.service}}\n');
    expect(error.code).toBe('MISSING_VARIABLE');
    expect(error.variable).toBe('params.service');
    expect(error.message).toMatch(/m[/\\]chat\.text\.hbs: variable params\.service is not defined/);
  });

  it('names the missing step of a longer path, in a helper argument, a block or a mustache, never a TypeError', async () => {
    const context = sampleContext();
    context.decisions = {};
    for (const source of [
      '{{date decisions.becameAware.at}}',
      '{{#if params.organisation}}{{date decisions.becameAware.at}}{{/if}}',
      '{{#with params}}{{date ../decisions.becameAware.at}}{{/with}}',
      '{{decisions.becameAware.at}}',
    ]) {
      const error = await renderError(source, context);
      expect([error.code, error.variable, error.message], source).toEqual([
        'MISSING_VARIABLE',
        'decisions.becameAware',
        expect.stringMatching(/chat\.text\.hbs: variable decisions\.becameAware is not defined$/),
      ]);
    }
    // Only the last segment of a helper argument may be absent.
    const catalog = await catalogOf({ 'm/chat.text.hbs': '{{#if sender.nickname}}x{{/if}}ok' });
    expect(renderMessage(catalog, 'm', 'chat', sampleContext()).parts.text).toBe('ok');
    const scalar = await renderError('{{params.organisation.name}}');
    expect([scalar.code, scalar.variable]).toEqual(['MISSING_VARIABLE', 'name']);
  });

  it('refuses a suspected fact through plain access and says to use the fact helper', async () => {
    const error = await renderError('{{facts.recordsAffected}} records\n');
    expect(error.code).toBe('SUSPECTED_FACT');
    expect(error.variable).toBe('facts.recordsAffected');
    expect(error.message).toContain('use {{fact "recordsAffected"}}');
  });

  it('renders a confirmed fact through plain access', async () => {
    const catalog = await catalogOf({ 'm/chat.text.hbs': '{{list facts.dataCategories}}' });
    expect(renderMessage(catalog, 'm', 'chat', sampleContext()).parts.text).toBe(
      'names, email addresses and billing postcodes',
    );
  });

  it('escapes HTML parts only', async () => {
    const context = sampleContext();
    context.params.affectedSystem = '<Support & Billing>';
    const catalog = await catalogOf({
      'm/email.subject.hbs': '{{params.affectedSystem}}\n',
      'm/email.text.hbs': '{{params.affectedSystem}}',
      'm/email.html.hbs': '<p>{{params.affectedSystem}}</p>',
    });
    const { parts } = renderMessage(catalog, 'm', 'email', context);
    expect(parts).toEqual({
      subject: '<Support & Billing>',
      text: '<Support & Billing>',
      html: '<p>&lt;Support &amp; Billing&gt;</p>',
    });
  });
});

describe('the public status page', () => {
  it.each([
    ['{{incident.id}}', 'incident.id'],
    ['{{incident.title}}', 'incident.title'],
    ['{{incident.runbook.id}}', 'incident.runbook'],
    ['{{#with incident}}{{title}}{{/with}}', 'incident.title'],
    ['{{lookup incident "id"}}', 'incident.id'],
  ])('refuses %s in a statuspage template, naming the variable', async (source, variable) => {
    const catalog = await catalogOf({ 'm/statuspage.md.hbs': `## Update\n\n${source}\n` });
    const error = (() => {
      try {
        renderMessage(catalog, 'm', 'statuspage', sampleContext());
      } catch (caught) {
        return caught;
      }
      throw new Error('expected rendering to fail');
    })() as TemplateError;
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.code).toBe('PRIVATE_VARIABLE');
    expect(error.variable).toBe(variable);
    expect(error.message).toMatch(/statuspage\.md\.hbs: incident\.\w+ is not available on the status page/);
  });

  it('still renders severity and start on the status page, and everything on the other channels', async () => {
    const catalog = await catalogOf({
      'm/statuspage.md.hbs': '{{incident.severity}} since {{date incident.startedAt format="date"}}',
      'm/chat.text.hbs': '{{incident.id}}: {{incident.title}}',
    });
    const context = sampleContext();
    expect(renderMessage(catalog, 'm', 'statuspage', context).parts.md).toBe('sev1 since 14 March 2025');
    expect(renderMessage(catalog, 'm', 'chat', context).parts.text).toBe(
      `${context.incident.id}: ${context.incident.title}`,
    );
  });

  it('renders the status page state part as open or resolved, approved with the text', async () => {
    const catalog = await catalogOf({
      'm/statuspage.md.hbs': '## Update\n',
      'm/statuspage.state.hbs': '{{#if params.resolved}}resolved{{else}}open{{/if}}\n',
    });
    const resolved = renderMessage(catalog, 'm', 'statuspage', { ...sampleContext(), params: { resolved: true } });
    const open = renderMessage(catalog, 'm', 'statuspage', { ...sampleContext(), params: { resolved: false } });
    expect(resolved.parts).toEqual({ md: '## Update\n', state: 'resolved' });
    expect(open.parts.state).toBe('open');
    expect(resolved.fingerprint).not.toBe(open.fingerprint);
  });

  it('refuses a status page state other than open or resolved, naming the file', async () => {
    const catalog = await catalogOf({ 'm/statuspage.md.hbs': '## Update\n', 'm/statuspage.state.hbs': 'fixed\n' });
    const error = (() => {
      try {
        renderMessage(catalog, 'm', 'statuspage', sampleContext());
      } catch (caught) {
        return caught;
      }
      throw new Error('expected rendering to fail');
    })() as TemplateError;
    expect(error).toBeInstanceOf(TemplateError);
    expect(error.code).toBe('INVALID_VALUE');
    expect(error.message).toMatch(/statuspage\.state\.hbs.*"fixed", not open or resolved/);
  });
});

describe('links in HTML parts', () => {
  const unsafe = [
    'javascript:alert(document.cookie)',
    'JavaScript:alert(1)',
    ' \tjava\nscript:alert(1)',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'vbscript:msgbox(1)',
    'javascript&colon;alert(1)',
    'javascript&#58;alert(1)',
    '&#x6A;avascript:alert(1)',
    '//evil.example.net/phish',
    'account/reset',
  ];

  it.each(unsafe)('never lets %j through an href, src or srcset, whether from a param or a fact', async (url) => {
    const context = sampleContext();
    context.params.link = url;
    context.facts.link = fact('link', url);
    const catalog = await catalogOf({
      'm/email.subject.hbs': 'Notice\n',
      'm/email.text.hbs': 'See {{params.link}}',
      'm/email.html.hbs': [
        `<p><a href="{{params.link}}">reset</a> <a title="x>y" HREF='{{facts.link}}'>again</a></p>`,
        "<img alt='logo' src='{{params.link}}' srcset=\"https://cdn.example.com/a.png 1x, {{params.link}} 2x\">",
        '<p><a href="{{{params.link}}}">raw</a></p>',
      ].join('\n'),
    });
    const { parts } = renderMessage(catalog, 'm', 'email', context);
    expect(parts.html).toBe(
      [
        `<p><a href="#blocked-unsafe-url">reset</a> <a title="x>y" HREF='#blocked-unsafe-url'>again</a></p>`,
        `<img alt='logo' src='#blocked-unsafe-url' srcset="#blocked-unsafe-url">`,
        '<p><a href="#blocked-unsafe-url">raw</a></p>',
      ].join('\n'),
    );
    // The text part is not markup: the value is shown as written, where no client makes it a live link.
    expect(parts.text).toBe(`See ${url}`);
  });

  it('filters unquoted attribute values too', async () => {
    const context = sampleContext();
    context.params.link = 'javascript:alert(1)';
    const catalog = await catalogOf({
      'm/email.subject.hbs': 'Notice\n',
      'm/email.text.hbs': 'Notice',
      'm/email.html.hbs': '<a class=x href={{params.link}}>go</a><a href = {{params.link}}>go</a>',
    });
    expect(renderMessage(catalog, 'm', 'email', context).parts.html).toBe(
      '<a class=x href="#blocked-unsafe-url">go</a><a href = "#blocked-unsafe-url">go</a>',
    );
  });

  const unsafeCss = [
    'url(javascript:alert(1))',
    "url('data:image/svg+xml;base64,PHN2Zz4=')",
    'u\\72 l(javascript:alert(1))',
    'url(//evil.example.net/pixel.gif)',
    'image-set("javascript:alert(1)" 1x)',
    'width: expr/**/ession(alert(1))',
    'behavior: url(https://evil.example.net/x.htc)',
    '-moz-binding: url(https://evil.example.net/x.xml#x)',
    "@import 'https://evil.example.net/x.css'",
  ];

  it.each(unsafeCss)('blocks a style attribute or <style> element whose CSS has %j, even from a param', async (css) => {
    const context = sampleContext();
    context.params.css = css;
    const catalog = await catalogOf({
      'm/email.subject.hbs': 'Notice\n',
      'm/email.text.hbs': 'Notice',
      'm/email.html.hbs': '<p style="color: red; background: {{params.css}}">x</p><style>p { background: {{{params.css}}} }</style>',
    });
    expect(renderMessage(catalog, 'm', 'email', context).parts.html).toBe(
      '<p style="#blocked-unsafe-css">x</p><style>#blocked-unsafe-css</style>',
    );
  });

  it('keeps CSS that loads only http(s) URLs', async () => {
    const context = sampleContext();
    const html =
      '<p style="color: #333; background: url(https://cdn.example.com/bg.png)">x</p>' +
      "<style>h1 { background-image: url('https://cdn.example.com/h.png'); content: 'Note: javascript is off' }</style>";
    const catalog = await catalogOf({
      'm/email.subject.hbs': 'Notice\n',
      'm/email.text.hbs': 'Notice',
      'm/email.html.hbs': html,
    });
    expect(renderMessage(catalog, 'm', 'email', context).parts.html).toBe(html);
  });

  it('keeps http, https and mailto links and in-page fragments as rendered', async () => {
    const context = sampleContext();
    context.params.link = 'https://status.example.com/incidents?id=1&ref=mail';
    const html = [
      '<a href="{{params.link}}">status</a> <a href="http://example.com">site</a>',
      '<a href="MAILTO:{{params.supportEmail}}">mail</a> <a href="#what-happened">jump</a>',
      '<img src="https://cdn.example.com/logo.png" srcset="https://cdn.example.com/a.png 1x, https://cdn.example.com/b.png 2x">',
    ].join('\n');
    const catalog = await catalogOf({
      'm/email.subject.hbs': 'Notice\n',
      'm/email.text.hbs': 'Notice',
      'm/email.html.hbs': html,
    });
    expect(renderMessage(catalog, 'm', 'email', context).parts.html).toBe(
      html
        .replace('{{params.link}}', 'https://status.example.com/incidents?id&#x3D;1&amp;ref&#x3D;mail')
        .replace('{{params.supportEmail}}', 'privacy@acme.example'),
    );
  });
});

describe('fact helper', () => {
  it('renders a suspected count with its caveat', async () => {
    const catalog = await catalogOf({
      'm/chat.text.hbs': '{{fact "recordsAffected" one="record" other="records"}}; {{fact "dataSubjectsAffected"}}',
    });
    expect(renderMessage(catalog, 'm', 'chat', sampleContext()).parts.text).toBe(
      'up to 1,200 records (still under investigation); up to 1,140 (still under investigation)',
    );
  });

  it('renders a confirmed fact plainly and a suspected list with a caveat', async () => {
    const context = sampleContext();
    context.facts.recordsAffected = fact('recordsAffected', 1, 'confirmed');
    context.facts.dataCategories = fact('dataCategories', ['names', 'phone numbers'], 'suspected');
    const catalog = await catalogOf({
      'm/chat.text.hbs': '{{fact "recordsAffected" one="record" other="records"}}; {{fact "dataCategories"}}',
    });
    expect(renderMessage(catalog, 'm', 'chat', context).parts.text).toBe(
      '1 record; names and phone numbers (suspected; still under investigation)',
    );
  });

  it('fails on a fact that is not set', async () => {
    const error = await renderError('{{fact "attackerIdentity"}}');
    expect(error.code).toBe('FACT_NOT_SET');
    expect(error.message).toContain('fact "attackerIdentity" is not set');
  });
});

describe('helpers', () => {
  it('formats dates in a time zone, across daylight saving', async () => {
    const catalog = await catalogOf({
      'm/chat.text.hbs':
        '{{date incident.startedAt tz="Europe/Berlin"}} | {{date params.summer tz="Europe/Berlin"}} | {{date incident.startedAt}} | {{date incident.startedAt tz="America/New_York" format="date"}}',
    });
    const context = sampleContext();
    context.params.summer = '2025-07-01T22:30:00Z';
    expect(renderMessage(catalog, 'm', 'chat', context).parts.text).toBe(
      '14 March 2025, 09:30 CET | 2 July 2025, 00:30 CEST | 14 March 2025, 08:30 UTC | 14 March 2025',
    );
  });

  it('formats lists, numbers and plurals', async () => {
    const catalog = await catalogOf({
      'm/chat.text.hbs':
        '{{list params.one}}|{{list params.two}}|{{number params.n}}|{{plural params.n "record" "records"}}|{{plural 1 "record" "records"}}',
    });
    const context = sampleContext();
    Object.assign(context.params, { one: ['a'], two: ['a', 'b'], n: 1234567 });
    expect(renderMessage(catalog, 'm', 'chat', context).parts.text).toBe(
      'a|a and b|1,234,567|1,234,567 records|1 record',
    );
  });
});

describe('fingerprint', () => {
  it('is stable for the same context and changes when a fact changes', async () => {
    const catalog = await catalogOf({ 'm/chat.text.hbs': '{{fact "recordsAffected"}}' });
    const first = renderMessage(catalog, 'm', 'chat', sampleContext());
    expect(first.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(renderMessage(catalog, 'm', 'chat', sampleContext()).fingerprint).toBe(first.fingerprint);
    const changed = sampleContext();
    changed.facts.recordsAffected = fact('recordsAffected', 1200, 'confirmed');
    expect(renderMessage(catalog, 'm', 'chat', changed).fingerprint).not.toBe(first.fingerprint);
  });
});

describe('variablesOf', () => {
  it('lists paths, facts used through the helper, and partial variables, but not helpers or item paths', async () => {
    const catalog = await catalogOf({
      'partials/sig.hbs': '{{sender.name}}',
      'm/chat.text.hbs':
        '{{incident.title}} {{fact "recordsAffected"}} {{plural facts.dataSubjectsAffected "person" "people"}} {{date incident.startedAt tz=params.timeZone}}\n{{#if params.note}}{{params.note}}{{/if}}\n{{#each params.services}}{{name}} {{@root.params.region}}{{/each}}\n{{> sig}}',
    });
    const template = catalog.messages.get('m')?.get('chat')?.get('text');
    expect(template).toBeDefined();
    if (template === undefined) return;
    expect(variablesOf(template, catalog.partials.asts)).toEqual([
      'facts.dataSubjectsAffected',
      'facts.recordsAffected',
      'incident.startedAt',
      'incident.title',
      'params.note',
      'params.region',
      'params.services',
      'params.timeZone',
      'sender.name',
    ]);
  });
});

describe('loading', () => {
  it('reports a parse error with file, line and column', async () => {
    const catalog = await catalogOf({ 'm/chat.text.hbs': 'Status:\n  {{params.status bad=}}\n' });
    expect(catalog.problems).toHaveLength(1);
    expect(catalog.problems[0]).toMatchObject({ line: 2, col: 23 });
    expect(catalog.problems[0]?.file).toMatch(/m[/\\]chat\.text\.hbs$/);
    expect(catalog.problems[0]?.message).toMatch(/^parse error: Expecting/);
  });

  it('reports a mismatched block with its location', async () => {
    const catalog = await catalogOf({ 'm/chat.text.hbs': 'a\n{{#if x}}\n{{/iff}}' });
    expect(catalog.problems[0]).toMatchObject({ line: 2, col: 4, message: "if doesn't match iff" });
  });

  it('reports unknown channels and missing required parts', async () => {
    const catalog = await catalogOf({ 'm/fax.text.hbs': 'x', 'n/email.text.hbs': 'x' });
    expect(catalog.problems.map((p) => p.message)).toEqual([
      'unknown channel "fax" (known: email, webhook, statuspage, chat)',
      'missing required part email.subject',
    ]);
  });
});

describe('webhook', () => {
  it('renders valid JSON and rejects invalid JSON', async () => {
    const catalog = await catalogOf({
      'ok/webhook.json.hbs': '{"incident": "{{incident.id}}", "records": {{number params.n}} }',
      'bad/webhook.json.hbs': '{"incident": {{incident.id}} }',
    });
    expect(catalog.problems).toEqual([]);
    const context = sampleContext();
    context.params.n = 12;
    expect(JSON.parse(renderMessage(catalog, 'ok', 'webhook', context).parts.json ?? '')).toEqual({
      incident: 'inc-2025-0314-01',
      records: 12,
    });
    expect(() => renderMessage(catalog, 'bad', 'webhook', context)).toThrow(
      /bad[/\\]webhook\.json\.hbs: rendered webhook/,
    );
    expect(() => renderMessage(catalog, 'bad', 'webhook', context)).toThrow(
      expect.objectContaining({ code: 'INVALID_JSON' }) as Error,
    );
  });

  it('names unknown messages and channels', async () => {
    const catalog = await catalogOf({ 'm/chat.text.hbs': 'x' });
    expect(() => renderMessage(catalog, 'nope', 'chat', sampleContext())).toThrow(/no message "nope"/);
    expect(() => renderMessage(catalog, 'm', 'email', sampleContext())).toThrow(/has no channel "email"/);
  });
});
