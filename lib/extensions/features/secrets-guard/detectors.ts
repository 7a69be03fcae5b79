import type { FeatureConfigProblem } from '../../sdk.js';
import { isSafePattern } from '../tool-call-repair/safe-pattern.js';

/** One kind of credential-shaped string. `pattern` is global (for replace); search ignores that. */
export interface Detector {
  readonly id: string;
  readonly pattern: RegExp;
}

/**
 * The built-in detectors: API keys of the major providers, private key blocks and bearer
 * tokens. Each regex is linear (no nested quantifiers) and anchored on a distinctive prefix, so
 * scanning costs one pass per detector.
 */
export const BUILTIN_DETECTORS: readonly Detector[] = [
  { id: 'private_key', pattern: /-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]*?-----END[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*$)/g },
  { id: 'anthropic_api_key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g },
  { id: 'openai_api_key', pattern: /\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g },
  { id: 'aws_access_key_id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { id: 'google_api_key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g },
  { id: 'github_token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})/g },
  { id: 'slack_token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { id: 'stripe_key', pattern: /\b[rs]k_(?:live|test)_[A-Za-z0-9]{20,}/g },
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
