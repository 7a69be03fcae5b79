import type { ReasoningPart } from '../../canonical/index.js';
import { COLLECT_LIMITS, REASONING_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { MAX_UPSTREAM_ITEMS, upstreamTooMany } from '../../wire/index.js';

type Json = Record<string, unknown>;

/** The fields of an entry whose streamed pieces add up (the others come whole, or a later piece completes them). */
const STREAMED = new Set(['text', 'summary']);

/**
 * OpenRouter's `reasoning_details` of one reasoning run (`reasoning.text` with its `signature`,
 * `reasoning.summary`, `reasoning.encrypted` with its `data`), as the stream brings them: the
 * pieces of one `index` merge into one entry (their `text` and `summary` joined, every other
 * field as its latest non-null value), a piece without an `index` is an entry of its own. `take()`
 * hands the run over as the payload of a reasoning part of the dialect
 * REASONING_DIALECTS.openrouterDetails (the JSON array, entries as written) and starts the next.
 * A run holds no more characters (of its entries' strings) than collect() holds reasoning
 * (COLLECT_LIMITS.reasoningChars), so that an upstream that reasons forever cannot grow it
 * without bound: past that, LIP_ERR_RESPONSE_TOO_LARGE.
 *
 * ```ts
 * details.add([{ type: 'reasoning.text', text: 'Need ', index: 0 }]);
 * details.add([{ type: 'reasoning.text', text: 'weather.', signature: 'sig', index: 0 }]);
 * details.take() // '[{"type":"reasoning.text","text":"Need weather.","index":0,"signature":"sig"}]'
 * ```
 * @see spec/backends/openai-chat/reasoning-details.spec.ts
 */
export class ReasoningDetails {
  private entries: Json[] = [];
  private byIndex = new Map<number, Json>();
  /** Entries of the whole answer, bounded by MAX_UPSTREAM_ITEMS. */
  private count = 0;
  /** Characters of the run's strings, bounded by COLLECT_LIMITS.reasoningChars. */
  private held = 0;

  constructor(private readonly backendId: string) {}

  add(pieces: readonly unknown[]): void {
    for (const piece of pieces) {
      if (!isObject(piece) || typeof piece.type !== 'string') continue;
      const index = typeof piece.index === 'number' ? piece.index : undefined;
      const entry = index === undefined ? undefined : this.byIndex.get(index);
      if (entry === undefined) {
        if (++this.count > MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'reasoning details');
        const fresh = { ...piece };
        for (const value of Object.values(fresh)) this.hold(value);
        this.entries.push(fresh);
        if (index !== undefined) this.byIndex.set(index, fresh);
        continue;
      }
      for (const [key, value] of Object.entries(piece)) {
        if (value === null || value === undefined) continue;
        const before = entry[key];
        const joined = STREAMED.has(key) && typeof before === 'string' && typeof value === 'string';
        this.hold(value, joined ? undefined : before);
        entry[key] = joined ? before + value : value;
      }
    }
  }

  /** Counts a string the run now holds (in place of `replaced`). @throws LipError LIP_ERR_RESPONSE_TOO_LARGE past the limit. */
  private hold(value: unknown, replaced?: unknown): void {
    if (typeof value !== 'string') return;
    this.held += value.length - (typeof replaced === 'string' ? replaced.length : 0);
    if (this.held > COLLECT_LIMITS.reasoningChars) {
      throw new LipError('LIP_ERR_RESPONSE_TOO_LARGE', `backend "${this.backendId}": the reasoning_details of one reasoning run hold more than ${COLLECT_LIMITS.reasoningChars} characters`, { detail: { backend: this.backendId } });
    }
  }

  /** The run's entries as JSON, and an empty run after them; undefined when the run has none. */
  take(): string | undefined {
    if (this.entries.length === 0) return undefined;
    const payload = JSON.stringify(this.entries);
    this.entries = [];
    this.byIndex = new Map();
    this.held = 0;
    return payload;
  }
}

/**
 * The `reasoning_details` an assistant message replays: the entries of its reasoning parts of
 * the OpenRouter dialect, in order, as they came; undefined when it has none. A payload that is
 * not a JSON array (a client's own signature mislabelled) is left out.
 */
export function replayedDetails(parts: readonly ReasoningPart[]): unknown[] | undefined {
  const out: unknown[] = [];
  for (const part of parts) {
    if (part.dialect !== REASONING_DIALECTS.openrouterDetails || part.signature === undefined) continue;
    const entries = parsed(part.signature);
    if (Array.isArray(entries)) out.push(...(entries as unknown[]));
  }
  return out.length > 0 ? out : undefined;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
