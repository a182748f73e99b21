/**
 * The link filter on rendered HTML parts: URL-bearing attributes keep only http, https and mailto URLs and
 * in-page `#fragments`. Any other value (`javascript:`, `data:`, `vbscript:`, a relative or scheme-relative
 * path) is replaced by `#blocked-unsafe-url`, the way Go's html/template replaces an unsafe URL, so it never
 * reaches a recipient's mail client while the approver still sees where the link was.
 */

/** What an unsafe URL attribute value becomes. */
export const BLOCKED_URL = '#blocked-unsafe-url';

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

/** Returns `html` with every URL attribute outside http, https, mailto and `#fragment` replaced by BLOCKED_URL. */
export function filterUnsafeUrls(html: string): string {
  return html.replace(TAG, (tag: string, name: string, attributes: string) => {
    const filtered = attributes.replace(
      ATTRIBUTE,
      (whole: string, attribute: string, equals?: string, double?: string, single?: string, bare?: string) => {
        const value = double ?? single ?? bare;
        if (value === undefined || !URL_ATTRIBUTES.has(attribute.toLowerCase())) return whole;
        const safe = attribute.toLowerCase() === 'srcset' ? isSafeSrcset(value) : isSafeUrl(value);
        if (safe) return whole;
        // Keep the author's quote character so the markup around the value reads the same.
        const quote = single === undefined ? '"' : "'";
        return `${attribute}${equals ?? '='}${quote}${BLOCKED_URL}${quote}`;
      },
    );
    return filtered === attributes ? tag : `<${name}${filtered}>`;
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
