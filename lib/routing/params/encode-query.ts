/**
 * The canonical form of a leaf's query, as used in candidate keys (CONTRACT section 5): keys
 * sorted by code unit, `key=value` joined by `&`, each part percent-encoded the way URL query
 * components are (unreserved `A-Z a-z 0-9 - _ . ~` kept, a space as `+`, everything else
 * `%XX` of its UTF-8 bytes). Two leaves that mean the same query get the same key:
 *
 * ```
 * encodeQuery({ top_p: '0.9', note: 'a b!' })  ->  'note=a+b%21&top_p=0.9'
 * ```
 * @see spec/routing/params/encode-query.spec.ts
 */
export function encodeQuery(query: Readonly<Record<string, string>>): string {
  const keys = Object.keys(query).sort(compareCodeUnits);
  let out = '';
  for (const key of keys) {
    if (out) out += '&';
    out += `${encodeComponent(key)}=${encodeComponent(query[key]!)}`;
  }
  return out;
}

/** One query component, percent-encoded (space as `+`). */
export function encodeComponent(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (!isUnreserved(text.charCodeAt(i))) return encodeURIComponent(text).replace(/[!'()*]/g, hexEscape).replace(/%20/g, '+');
  }
  return text;
}

function isUnreserved(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f || c === 0x2e || c === 0x7e;
}

function hexEscape(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase()}`;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
