/**
 * Renders a notice from `templates/notices/<kind>/email.subject.hbs` and `email.text.hbs`, compiled in the
 * house's strict environment (a variable the data lacks is an error naming it, never an empty string).
 * Notices are plain text: nothing is HTML-escaped, and the subject is folded onto one line and capped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode, FirebreakError } from '../domain/errors.js';
import type { NoticeKind } from '../domain/notice.js';
import type { JsonValue } from '../domain/plan.js';
import { shippedTemplates } from '../package-root.js';
import { createEnvironment } from '../templating/index.js';

/** The parts of a rendered notice, as the e-mail channel takes them. */
export interface RenderedNotice {
  subject: string;
  text: string;
}

/** Longest subject kept (RFC 5322 recommends 78 characters per line; mail clients show about this much). */
export const MAX_SUBJECT = 200;

type Compiled = Readonly<Record<keyof RenderedNotice, HandlebarsTemplateDelegate>>;

/** Compiles notice templates from one directory (default: the package's `templates/notices/`), once per kind. */
export class NoticeTemplates {
  private readonly compiled = new Map<NoticeKind, Compiled>();
  private readonly env = createEnvironment();

  constructor(private readonly dir: string = shippedTemplates('notices')) {}

  /** Renders one notice; throws INVALID_INPUT naming the file and the problem (a missing template or variable). */
  render(kind: NoticeKind, data: Record<string, JsonValue>): RenderedNotice {
    const templates = this.templatesOf(kind);
    const part = (name: keyof RenderedNotice): string => {
      try {
        return templates[name](data);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new FirebreakError(ErrorCode.InvalidInput, `notice ${kind}: ${this.fileOf(kind, name)}: ${reason}`);
      }
    };
    const subject = part('subject').replace(/\s+/g, ' ').trim();
    return {
      subject: subject.length > MAX_SUBJECT ? `${subject.slice(0, MAX_SUBJECT - 1)}…` : subject,
      text: part('text'),
    };
  }

  private templatesOf(kind: NoticeKind): Compiled {
    const known = this.compiled.get(kind);
    if (known !== undefined) return known;
    const compile = (name: keyof RenderedNotice): HandlebarsTemplateDelegate => {
      const file = this.fileOf(kind, name);
      try {
        return this.env.compile(this.env.parse(readFileSync(file, 'utf8')), { strict: true, noEscape: true });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new FirebreakError(ErrorCode.InvalidInput, `notice template ${file}: ${reason}`);
      }
    };
    const compiled = { subject: compile('subject'), text: compile('text') };
    this.compiled.set(kind, compiled);
    return compiled;
  }

  private fileOf(kind: NoticeKind, part: keyof RenderedNotice): string {
    return path.join(this.dir, kind, `email.${part}.hbs`);
  }
}
