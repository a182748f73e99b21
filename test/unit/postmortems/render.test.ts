/**
 * renderPostmortem: golden files for Markdown, HTML and JSON over incidents captured from real runs, values
 * from the incident that try to inject Markdown or HTML, prompts for empty sections, times in the
 * document's time zone, and a JSON export whose bytes do not depend on key order.
 * Set UPDATE_GOLDEN=1 to rewrite the golden files; review the diff before keeping it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FirebreakError } from '../../../src/domain/errors.js';
import { draftPostmortem } from '../../../src/postmortems/draft.js';
import { renderPostmortem, type PostmortemFormat } from '../../../src/postmortems/render.js';
import { escapeMarkdown } from '../../../src/postmortems/render-view.js';
import type { WrittenSections } from '../../../src/postmortems/render-sections.js';
import type { NewPostmortem } from '../../../src/postmortems/types.js';
import { draftOptions, fixture, root, type FixtureName } from './fixtures.js';

const goldenDir = path.join(root, 'test/fixtures/golden/postmortem');
const update = process.env.UPDATE_GOLDEN === '1';

const written: WrittenSections = {
  summary: 'A reused API key let an outsider read **1,200** customer records of the checkout service.',
  lessons: '- Keys are rotated on a schedule, not by memory.\n- The access review runs weekly.',
};

async function drafted(name: FixtureName): Promise<NewPostmortem> {
  const { state, plan } = await fixture(name);
  const { containedBy: _none, ...options } = draftOptions;
  return draftPostmortem(state, plan, name === 'cancelled' ? options : draftOptions);
}

const cases: [FixtureName, PostmortemFormat, WrittenSections][] = [
  ['tabletop', 'md', written],
  ['tabletop', 'html', written],
  ['tabletop', 'json', written],
  ['aborted', 'md', {}],
  ['aborted', 'html', {}],
  ['cancelled', 'md', {}],
];

describe('golden renders', () => {
  it.each(cases)('%s as %s matches its golden file', async (name, format, sections) => {
    const text = renderPostmortem(await drafted(name), sections, format);
    const file = path.join(goldenDir, `${name}.${format}`);
    if (update) {
      await mkdir(goldenDir, { recursive: true });
      await writeFile(file, text);
    }
    expect(text, file).toBe(await readFile(file, 'utf8'));
  });
});

describe('values from the incident', () => {
  const hostile = 'x\n# Owned\n[click](https://evil.example) <script>alert(1)</script> *bold* | cell www.evil.example';

  async function withHostileFact(): Promise<NewPostmortem> {
    const doc = await drafted('tabletop');
    const fact = doc.facts.impact.find((f) => f.name === 'attacker');
    if (fact === undefined) throw new Error('no attacker fact');
    fact.value = hostile;
    doc.facts.timeline[0] = {
      ...(doc.facts.timeline[0] as NonNullable<(typeof doc.facts.timeline)[0]>),
      text: hostile,
    };
    return doc;
  }

  it('cannot start a heading, a link, raw HTML, emphasis or a table cell in Markdown', async () => {
    const md = renderPostmortem(await withHostileFact(), {}, 'md');
    expect(md.split('\n').filter((line) => line.startsWith('# '))).toEqual([
      '# Post-mortem: Customer data exposure (tabletop)',
    ]);
    const escaped =
      'x \\# Owned \\[click\\](https\\://evil.example) \\<script\\>alert(1)\\</script\\> \\*bold\\* \\| cell www\\.evil.example';
    expect(escapeMarkdown(hostile)).toBe(escaped);
    expect(md).toContain(`| attacker | ${escaped} | suspected | bob |`);
    expect(md).not.toContain('<script>');
    expect(md).not.toContain('](https://');
  });

  it('is escaped in HTML', async () => {
    const html = renderPostmortem(await withHostileFact(), { summary: '<img src=x onerror=alert(1)>' }, 'html');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<p>&lt;img src=x onerror=alert(1)&gt;</p>');
  });
});

describe('sections', () => {
  it('shows the prompt of each section nobody has written yet, and the text of those written', async () => {
    const doc = await drafted('tabletop');
    const md = renderPostmortem(doc, { lessons: '   ', 'went-well': 'The runbook had the **right** contacts.' }, 'md');
    expect(md).toContain(
      '## Contributing factors\n\n_Not written yet: what made this possible? (about the system, not people)_',
    );
    expect(md).toContain('## Lessons learned\n\n_Not written yet: ');
    expect(md).toContain('## What went well\n\nThe runbook had the **right** contacts.');
    const html = renderPostmortem(doc, { 'went-well': 'The runbook had the **right** contacts.' }, 'html');
    expect(html).toContain('<h2>What went well</h2>\n<p>The runbook had the <strong>right</strong> contacts.</p>');
    expect(html).toContain(
      '<p class="prompt"><em>Not written yet: what made this possible? (about the system, not people)</em></p>',
    );
  });
});

describe('times', () => {
  it('are shown in the document time zone', async () => {
    const doc = await drafted('tabletop');
    const started = new Date(doc.startedAt);
    const utc = renderPostmortem({ ...doc, facts: { ...doc.facts, timeZone: 'UTC' } }, {}, 'md');
    const tokyo = renderPostmortem({ ...doc, facts: { ...doc.facts, timeZone: 'Asia/Tokyo' } }, {}, 'md');
    const hhmmss = (offsetHours: number) =>
      new Date(started.getTime() + offsetHours * 3_600_000).toISOString().slice(11, 19);
    expect(utc).toContain(`| Started | ${doc.startedAt.slice(0, 10)} ${hhmmss(0)} UTC |`);
    expect(tokyo).toContain(`${hhmmss(9)} GMT+9 |`);
  });
});

describe('JSON', () => {
  it('is the document with its sections, keys sorted, the same bytes whatever order the keys came in', async () => {
    const doc = await drafted('tabletop');
    const text = renderPostmortem(doc, written, 'json');
    const parsed = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(parsed.sections).toMatchObject({ summary: written.summary, 'contributing-factors': null });
    expect(parsed).toMatchObject(JSON.parse(JSON.stringify(doc)) as Record<string, unknown>);
    const reversed = JSON.parse(
      JSON.stringify(doc, (_key, value: unknown) =>
        value !== null && typeof value === 'object' && !Array.isArray(value)
          ? Object.fromEntries(Object.entries(value).reverse())
          : value,
      ),
    ) as NewPostmortem;
    expect(renderPostmortem(reversed, written, 'json')).toBe(text);
  });
});

describe('refusals', () => {
  it('refuses a document whose time zone is unknown, naming it', async () => {
    const doc = await drafted('cancelled');
    const broken = { ...doc, facts: { ...doc.facts, timeZone: 'Mars/Olympus' } };
    expect(() => renderPostmortem(broken, {}, 'md')).toThrow(
      expect.objectContaining({
        code: 'INVALID_INPUT',
        message: `facts.timeZone: unknown time zone "Mars/Olympus" in the post-mortem of ${doc.incidentId}`,
      }),
    );
  });

  it('refuses a format it does not know', async () => {
    const doc = await drafted('cancelled');
    const refused = (() => {
      try {
        renderPostmortem(doc, {}, 'pdf' as PostmortemFormat);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refused).toBeInstanceOf(FirebreakError);
    expect(refused).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'Unknown post-mortem format "pdf" (formats: md, html, json)',
    });
  });
});
