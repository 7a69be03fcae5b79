import type { FeatureConfigProblem } from '../../sdk.js';
import { isSafePattern } from '../tool-call-repair/safe-pattern.js';

/** One kind of credential-shaped string. `pattern` is global (for replace); search ignores that. */
export interface Detector {
  readonly id: string;
  readonly pattern: RegExp;
  /** A second look at a match of `pattern` (what a linear regex cannot say): false, it is none. */
  readonly accept?: (match: string) => boolean;
  /** A match cut short (at the end of its text) goes on in the streamed text that follows until this matches (StreamDetector.closing). */
  readonly closing?: RegExp;
}

/**
 * Where a prefix-anchored key may start: not inside a word (as `\b` before a word character),
 * except right after a URL-encoded byte (`%22sk-...`, a key in a query string or an encoded JSON).
 */
const START = '(?:(?<![A-Za-z0-9_])|(?<=%[0-9A-Fa-f]{2}))';
const starting = (source: string): RegExp => new RegExp(START + source, 'g');

/**
 * A bare `sk-` key (no `proj-`, `svcacct-`, `admin-` scope) looks like one: a legacy key is `sk-`
 * and 48 letters and digits, so its body is at least 32 characters, holds a letter and a digit,
 * and has a run of at least 20 between hyphens. Kebab-case names (`sk-feature-branch-for-login`)
 * and UUIDs (`sk-12345678-1234-...`, runs of at most 12) are not keys.
 */
function keyLikeBareSk(match: string): boolean {
  if (/^sk-(?:proj|svcacct|admin)-/.test(match)) return true;
  const body = match.slice(3);
  return body.length >= 32 && /[A-Za-z]/.test(body) && /[0-9]/.test(body) && body.split('-').some((run) => run.length >= 20);
}

/**
 * Each match of `detector` in `text` replaced by `replacement()` (a function, so that `$&` in a
 * configured replacement is text), and how many there were. A zero-length match, or one the
 * detector does not accept, is none: it stays as it is.
 */
export function replaceMatches(text: string, detector: Detector, replacement: () => string): { text: string; n: number } {
  if (text.search(detector.pattern) < 0) return { text, n: 0 };
  let n = 0;
  const out = text.replace(detector.pattern, (m: string) => {
    if (m.length === 0 || (detector.accept !== undefined && !detector.accept(m))) return m;
    n++;
    return replacement();
  });
  return n === 0 ? { text, n } : { text: out, n };
}

/**
 * The built-in detectors: API keys of the major providers, private key blocks and bearer
 * tokens. Each regex is linear (no nested quantifiers) and anchored on a distinctive prefix, so
 * scanning costs one pass per detector. A prefix must not be inside a word, but may follow a
 * URL-encoded byte (START); a bare `sk-` match must also look like a key (keyLikeBareSk).
 */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  {
    id: 'private_key', pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g,
    closing: /-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----/,
  },
  { id: 'anthropic_api_key', pattern: starting('sk-ant-[A-Za-z0-9_-]{20,}') },
  { id: 'openai_api_key', pattern: starting('sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}'), accept: keyLikeBareSk },
  { id: 'aws_access_key_id', pattern: starting('(?:AKIA|ASIA)[0-9A-Z]{16}\\b') },
  { id: 'google_api_key', pattern: starting('AIza[0-9A-Za-z_-]{35}') },
  { id: 'github_token', pattern: starting('(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})') },
  { id: 'slack_token', pattern: starting('xox[abposr]-[A-Za-z0-9-]{10,}') },
  { id: 'stripe_key', pattern: starting('[rs]k_(?:live|test)_[A-Za-z0-9]{20,}') },
  { id: 'bearer_token', pattern: /\b[Bb]earer[ \t]+[A-Za-z0-9._~+/-]{20,}=*/g },
];

/** A configured extra detector (`patterns:` in the config). */
export interface PatternConfig {
  readonly id: string;
  readonly regex: string;
  readonly flags?: string;
}

/**
 * Compiles the configured extra detectors; throws (a configuration error) for a regex that
 * does not compile or cannot be a detector (see compilePattern).
 */
export function compileDetectors(patterns: readonly PatternConfig[]): Detector[] {
  return patterns.map((p) => {
    const compiled = compilePattern(p);
    if ('message' in compiled) throw new Error(`patterns "${p.id}": ${compiled.message}`);
    return { id: p.id, pattern: compiled.pattern };
  });
}

/** Every configured pattern that cannot be a detector, with its path inside the feature's config (`patterns[2].regex`). */
export function patternProblems(patterns: readonly PatternConfig[]): FeatureConfigProblem[] {
  return patterns.flatMap((p, i) => {
    const compiled = compilePattern(p);
    return 'message' in compiled ? [{ path: ['patterns', i, compiled.key], message: compiled.message }] : [];
  });
}

/** Text of every character class (letters, digits, word and non-word punctuation, space) that a regex able to match nothing will match nothing in. */
const EMPTY_MATCH_PROBE = 'a 1 A-_ .\n';

/**
 * A configured pattern as a global RegExp, or why it cannot be one: it must compile (first, so
 * that a syntax error such as a group left open is named as such), its shape must not backtrack
 * catastrophically (it runs on every request) and it must not match the empty string, alone or
 * inside text (a zero-length match on a probe text).
 */
function compilePattern(p: PatternConfig): { pattern: RegExp } | { key: 'regex' | 'flags'; message: string } {
  const flags = `g${(p.flags ?? '').replace(/g/g, '')}`;
  let pattern: RegExp;
  try {
    pattern = new RegExp(p.regex, flags);
  } catch (err) {
    return { key: validFlags(flags) ? 'regex' : 'flags', message: (err as Error).message };
  }
  if (!isSafePattern(p.regex)) return { key: 'regex', message: 'the regex could backtrack catastrophically (nested quantifiers, backreferences or lookarounds)' };
  if (pattern.test('')) return { key: 'regex', message: 'the regex matches the empty string' };
  // One that matches nothing inside text (`\b[0-9]*\b`, `^`) would fire on every request.
  for (const m of EMPTY_MATCH_PROBE.matchAll(pattern)) {
    if (m[0].length === 0) return { key: 'regex', message: `the regex can match an empty string (a zero-length match at offset ${m.index} of ${JSON.stringify(EMPTY_MATCH_PROBE)})` };
  }
  return { pattern };
}

function validFlags(flags: string): boolean {
  try {
    new RegExp('', flags);
    return true;
  } catch {
    return false;
  }
}
