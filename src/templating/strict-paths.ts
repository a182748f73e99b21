/**
 * Strict paths all the way down. Handlebars' strict mode checks only the last segment of a path in a
 * mustache, and no segment of a helper argument, so `{{date decisions.becameAware.at}}` without that
 * decision read `.at` of undefined and failed with a bare TypeError. This compiler checks every segment
 * before the last with the same `in` test strict mode uses, so the guarded context (`context.ts`) names
 * the missing path; the last segment keeps Handlebars' rule (a helper argument's may be absent).
 */
import type Handlebars from 'handlebars';

/** The part of Handlebars' JavaScriptCompiler this subclass relies on (untyped in the package's types). */
interface JavaScriptCompilerInternals {
  options: { strict?: boolean };
  popStack(): unknown;
  push(expression: unknown): unknown;
  aliasable(name: string): unknown;
  quotedString(text: string): unknown;
  resolvePath(type: string, parts: string[], start: number, falsy: boolean, strict: boolean): void;
}

type CompilerClass = new (...args: unknown[]) => JavaScriptCompilerInternals;

/** Makes `env` compile strict templates whose every path segment before the last must exist. */
export function useStrictPaths(env: typeof Handlebars): void {
  const holder = env as unknown as { JavaScriptCompiler: CompilerClass };
  const Base = holder.JavaScriptCompiler;
  class StrictPathCompiler extends Base {
    override resolvePath(type: string, parts: string[], start: number, falsy: boolean, strict: boolean): void {
      if (this.options.strict !== true || parts.length - start < 2) {
        super.resolvePath(type, parts, start, falsy, strict);
        return;
      }
      let stack = this.popStack();
      for (let i = start; i < parts.length - 1; i++) {
        stack = [
          this.aliasable('container.strict'),
          '(',
          stack,
          ', ',
          this.quotedString(parts[i] ?? ''),
          ', undefined)',
        ];
      }
      this.push(stack);
      super.resolvePath(type, parts, parts.length - 1, falsy, strict);
    }
  }
  // Block bodies are compiled by `new this.compiler()`, which Handlebars sets to its own class.
  (StrictPathCompiler.prototype as unknown as { compiler: CompilerClass }).compiler = StrictPathCompiler;
  holder.JavaScriptCompiler = StrictPathCompiler;
}
