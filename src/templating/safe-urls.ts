/**
 * The link filter on rendered HTML parts: URL-bearing attributes keep only http, https and mailto URLs and
 * in-page `#fragments`. Any other value (`javascript:`, `data:`, `vbscript:`, a relative or scheme-relative
 * path) is replaced by `#blocked-unsafe-url`, the way Go's html/template replaces an unsafe URL, so it never
 * reaches a recipient's mail client while the approver still sees where the link was.
 *
 * CSS can load and run things too: a `style` attribute or a `<style>` element whose CSS has a `url(...)` or
 * `image-set(...)` outside http and https, or `expression(`, `behavior:`, `-moz-binding` or `@import`, is
 * replaced whole by `#blocked-unsafe-css` (not valid CSS: clients ignore it), after CSS escapes and comments
 * are undone so `\75 rl(` and `expr/**\/ession(` are seen for what they are.
 */

/** What an unsafe URL attribute value becomes. */
export const BLOCKED_URL = '#blocked-unsafe-url';
/** What an unsafe `style` attribute value or `<style>` element's CSS becomes. */
export const BLOCKED_CSS = '#blocked-unsafe-css';

/** Attributes whose value a mail client or browser may load or navigate to. */
const URL_ATTRIBUTES = new Set([
  'action',
  'archive',
  'background',
  'cite',
  'classid',
  'codebase',
  'data',
  'dynsrc',
  'formaction',
  'href',
  'icon',
  'longdesc',
  'lowsrc',
  'manifest',
  'ping',
  'poster',
  'profile',
  'src',
  'srcset',
  'usemap',
  'xlink:href',
]);

// A start tag, its attributes kept whole even when a quoted value contains `>`.
const TAG = /<([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:(\s*=\s*)(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
const SAFE_SCHEME = /^(?:https?|mailto):/i;
const NAMED_ENTITIES = new Map([
  ['amp', '&'],
  ['apos', "'"],
  ['colon', ':'],
  ['gt', '>'],
  ['lt', '<'],
  ['newline', '\n'],
  ['num', '#'],
  ['period', '.'],
  ['quot', '"'],
  ['sol', '/'],
  ['tab', '\t'],
]);

// A `<style>` element and its CSS (rendered HTML: the element cannot nest).
const STYLE_ELEMENT = /(<style\b(?:[^>"']|"[^"]*"|'[^']*')*>)([\s\S]*?)(<\/style\s*>)/gi;

/**
 * Returns `html` with every URL attribute outside http, https, mailto and `#fragment` replaced by BLOCKED_URL,
 * and every unsafe `style` attribute or `<style>` element's CSS replaced by BLOCKED_CSS.
 */
export function filterUnsafeUrls(html: string): string {
  const styled = html.replace(STYLE_ELEMENT, (whole: string, open: string, css: string, close: string) =>
    isSafeCss(css) ? whole : `${open}${BLOCKED_CSS}${close}`,
  );
  return styled.replace(TAG, (tag: string, name: string, attributes: string) => {
    const filtered = attributes.replace(
      ATTRIBUTE,
      (whole: string, attribute: string, equals?: string, double?: string, single?: string, bare?: string) => {
        const value = double ?? single ?? bare;
        const lower = attribute.toLowerCase();
        if (value === undefined) return whole;
        let blocked: string;
        if (lower === 'style') {
          if (isSafeCss(decodeEntities(value))) return whole;
          blocked = BLOCKED_CSS;
        } else {
          if (!URL_ATTRIBUTES.has(lower)) return whole;
          if (lower === 'srcset' ? isSafeSrcset(value) : isSafeUrl(value)) return whole;
          blocked = BLOCKED_URL;
        }
        // Keep the author's quote character so the markup around the value reads the same.
        const quote = single === undefined ? '"' : "'";
        return `${attribute}${equals ?? '='}${quote}${blocked}${quote}`;
      },
    );
    return filtered === attributes ? tag : `<${name}${filtered}>`;
  });
}

// What CSS may never hold in a message: old IE's script in CSS, XBL bindings, and imports of more CSS.
const CSS_NEVER = /expression\s*\(|behaviou?r\s*:|-moz-binding|@import/i;
// Functions whose arguments are URLs (image-set's strings are URLs too).
const CSS_URL_FUNCTION = /\b(?:url|(?:-webkit-)?image-set|image)\s*\(/gi;
const SAFE_CSS_URL = /^https?:/i;

/** Whether CSS (HTML entities already decoded) loads nothing but http(s) URLs and runs nothing. */
export function isSafeCss(text: string): boolean {
  const css = decodeCssEscapes(text)
    .replace(/\/\*[\s\S]*?(?:\*\/|$)/g, '')
    .replace(/[\u0000-\u0008\u000b\u000e-\u001f\u007f]/g, '');
  if (CSS_NEVER.test(css)) return false;
  for (const match of css.matchAll(CSS_URL_FUNCTION)) {
    const args = argumentsAt(css, (match.index ?? 0) + match[0].length);
    const urls = [...args.matchAll(/"([^"]*)"|'([^']*)'/g)].map((quoted) => quoted[1] ?? quoted[2] ?? '');
    // url(bare) has no quotes: its whole argument is the URL.
    if (/^url/i.test(match[0]) && !/^\s*["']/.test(args)) urls.push(args);
    for (const url of urls) {
      const value = url.replace(/[\s\u0000-\u0020]/g, '');
      if (value !== '' && !SAFE_CSS_URL.test(value)) return false;
    }
  }
  return true;
}

/** A function's arguments from `start` to its closing parenthesis outside quotes (or the end of the CSS). */
function argumentsAt(css: string, start: number): string {
  let quote: string | undefined;
  for (let i = start; i < css.length; i += 1) {
    const char = css[i];
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ')') {
      return css.slice(start, i);
    }
  }
  return css.slice(start);
}

/** Undoes CSS escapes: `\\6a ` or `\\00006a` (hex, one optional space after) and `\\x` (the character itself). */
function decodeCssEscapes(css: string): string {
  return css.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|([\s\S]))/g, (_whole, hex?: string, char?: string) => {
    if (hex === undefined) return char === '\n' ? '' : (char ?? '');
    const code = parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
  });
}

/** Whether an attribute value (HTML-encoded, as in the markup) is an http(s) or mailto URL or a fragment. */
export function isSafeUrl(encoded: string): boolean {
  // Browsers drop control characters and whitespace inside a scheme (`java\tscript:`), so compare without them.
  const value = decodeEntities(encoded).replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  return value === '' || value.startsWith('#') || SAFE_SCHEME.test(value);
}

/** `srcset` lists `URL [descriptor]` candidates separated by commas: every URL must be safe. */
function isSafeSrcset(encoded: string): boolean {
  return decodeEntities(encoded)
    .split(',')
    .every((candidate) => isSafeUrl(candidate.trim().split(/\s+/)[0] ?? ''));
}

/** Decodes numeric character references and the named ones that can spell a scheme; others stay as they are. */
function decodeEntities(text: string): string {
  return text.replace(
    /&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?/g,
    (whole, hex?: string, dec?: string, named?: string) => {
      if (named !== undefined) return NAMED_ENTITIES.get(named.toLowerCase()) ?? whole;
      const code = hex === undefined ? Number(dec) : parseInt(hex, 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
    },
  );
}
