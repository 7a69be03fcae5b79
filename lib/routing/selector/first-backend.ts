/**
 * The backend id named by a selector's first leaf (text before its first `:`), skipping a
 * leading `{...}` global block and `[...]` annotations; undefined for a model-only first leaf.
 * Used to decide whether a body `model` is a selector (CONTRACT section 4).
 */
export function firstLeafBackend(selector: string): string | undefined {
  let s = selector.trim();
  if (s.startsWith('{')) {
    const close = s.indexOf('}');
    if (close < 0) return undefined;
    s = s.slice(close + 1).trimStart();
  }
  while (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) return undefined;
    s = s.slice(close + 1).trimStart();
  }
  const end = s.search(/[|^!?]/);
  const leaf = end < 0 ? s : s.slice(0, end);
  const colon = leaf.indexOf(':');
  return colon <= 0 ? undefined : leaf.slice(0, colon).trim();
}
