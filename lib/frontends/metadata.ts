import { LipError } from '../errors/index.js';

/** OpenAI's bounds of `metadata`: pairs, characters of a key, characters of a value. */
export const METADATA_LIMITS = { pairs: 16, key: 64, value: 512 } as const;

/**
 * `metadata` as OpenAI bounds it wherever it takes it (Responses, Conversations, stored Chat
 * completions, batches): an object of at most 16 pairs, keys of at most 64 characters, string
 * values of at most 512. Undefined when absent or null; otherwise a 400 LipError naming `param`
 * (`param.key` for a pair: its key cut to 64 characters).
 * @see spec/frontends/metadata.spec.ts
 */
export function checkMetadata(raw: unknown, param = 'metadata'): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalid(param, 'must be an object of strings');
  const entries = Object.entries(raw);
  if (entries.length > METADATA_LIMITS.pairs) throw invalid(param, `at most ${METADATA_LIMITS.pairs} pairs (got ${entries.length})`);
  for (const [key, value] of entries) {
    const pair = `${param}.${key.slice(0, METADATA_LIMITS.key)}`;
    if (key.length > METADATA_LIMITS.key) throw invalid(pair, `keys are at most ${METADATA_LIMITS.key} characters (got ${key.length})`);
    if (typeof value !== 'string') throw invalid(pair, 'must be a string');
    if (value.length > METADATA_LIMITS.value) throw invalid(pair, `values are at most ${METADATA_LIMITS.value} characters (got ${value.length})`);
  }
  return raw as Record<string, string>;
}

function invalid(param: string, message: string): LipError {
  return new LipError('LIP_ERR_REQUEST_INVALID', `${param}: ${message}`, { param });
}
