/** Errors and load-time problems of the templating module. */

/** What went wrong while rendering, in a form a caller can branch on. */
export type TemplateErrorCode =
  | 'UNKNOWN_MESSAGE'
  | 'UNKNOWN_CHANNEL'
  | 'MISSING_VARIABLE'
  | 'PRIVATE_VARIABLE'
  | 'MISSING_PARTIAL'
  | 'SUSPECTED_FACT'
  | 'FACT_NOT_SET'
  | 'INVALID_VALUE'
  | 'INVALID_JSON'
  | 'RENDER_FAILED';

/** A rendering failure naming the template file and, when known, the variable. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
  constructor(
    readonly code: TemplateErrorCode,
    message: string,
    readonly file?: string,
    readonly variable?: string,
  ) {
    super(file === undefined ? message : `${file}: ${message}`);
  }

  /** The same error, attributed to the template file being rendered. */
  inFile(file: string): TemplateError {
    return this.file === undefined ? new TemplateError(this.code, this.detail(), file, this.variable) : this;
  }

  private detail(): string {
    return this.file === undefined ? this.message : this.message.slice(this.file.length + 2);
  }
}

/** A problem found while loading templates, located in its file (line and col are 1-based). */
export interface TemplateProblem {
  file: string;
  line: number;
  col: number;
  message: string;
}
