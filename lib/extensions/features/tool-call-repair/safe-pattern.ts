/** Longest `pattern` (or `patternProperties` key) a tool schema may carry. */
export const MAX_PATTERN_LENGTH = 512;

/**
 * Whether a JSON Schema `pattern` is safe to run against untrusted arguments with the
 * backtracking JS engine. Refused: long patterns, backreferences, lookarounds, and any
 * repeating quantifier (`*`, `+`, `{n,m}` with m > 1) applied to a group that itself contains a
 * quantifier or an alternation (star height above one: `(a+)+`, `(a|aa)*`, `(.*a){20}`), the
 * shapes behind catastrophic backtracking. Conservative: `(foo|bar)+` is refused too. A refused pattern makes the schema `schema_unsupported` (the call passes
 * through unvalidated); it never reaches ajv, so it can never hang the process.
 */
export function isSafePattern(pattern: string): boolean {
  if (pattern.length > MAX_PATTERN_LENGTH) return false;
  // Each open group: does it contain a quantifier or an alternation?
  const groups: { risky: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9k]/.test(next)) return false; // backreference
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      continue;
    }
    if (ch === '[') { inClass = true; continue; }
    if (ch === '(') {
      if (pattern[i + 1] === '?' && /[=!<]/.test(pattern[i + 2] ?? '')) return false; // lookaround
      groups.push({ risky: false });
      continue;
    }
    if (ch === ')') {
      const group = groups.pop();
      if (!group) return false;
      if (group.risky && repeatingQuantifierAt(pattern, i + 1)) return false;
      if (groups.length > 0 && (group.risky || quantifierAt(pattern, i + 1))) groups[groups.length - 1]!.risky = true;
      continue;
    }
    if (ch === '|' || quantifierAt(pattern, i)) {
      if (groups.length > 0) groups[groups.length - 1]!.risky = true;
    }
  }
  return groups.length === 0 && !inClass;
}

function quantifierAt(p: string, i: number): boolean {
  const ch = p[i];
  return ch === '*' || ch === '+' || ch === '?' || (ch === '{' && /^\{\d+(,\d*)?\}/.test(p.slice(i)));
}

/** `*`, `+` or a `{n,m}` that may repeat more than once (`?` and `{0,1}`/`{1}` do not repeat). */
function repeatingQuantifierAt(p: string, i: number): boolean {
  const ch = p[i];
  if (ch === '*' || ch === '+') return true;
  if (ch !== '{') return false;
  const m = /^\{(\d+)(,(\d*))?\}/.exec(p.slice(i));
  if (!m) return false;
  const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
  return max > 1;
}
