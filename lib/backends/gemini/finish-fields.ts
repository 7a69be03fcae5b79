import type { FinishDetails } from '../../canonical/index.js';
import { FINISH_DIALECTS } from '../../canonical/index.js';
import { MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, valueTooDeep } from '../../wire/index.js';

type Json = Record<string, any>;

/**
 * Gemini's own fields of an answer's end, which have no canonical form, gathered over the frames
 * for the finish's details (FINISH_DIALECTS.gemini; only a Gemini client is written them back),
 * each as written:
 *
 * - a blocked prompt's `promptFeedback` (`blockReason`, its `safetyRatings`, `blockReasonMessage`):
 *   the answer has no candidate, and a Gemini client gets none either;
 * - the candidate's `finishMessage` (the finish reason in words), its latest `safetyRatings`, and
 *   the sources of its `citationMetadata` (Gemini reports them on the frames whose text they cite:
 *   each distinct source once, in the order they came).
 *
 * ```ts
 * fields.read(candidate);  // every frame's first candidate
 * fields.details(last)     // { dialect: 'gemini.candidate', value: { finishMessage?, safetyRatings?, citationMetadata? } }
 * fields.blocked(feedback) // { dialect: 'gemini.candidate', value: { promptFeedback } }
 * ```
 * @see spec/backends/gemini/decode-stream.spec.ts
 */
export class GeminiFinishFields {
  private safetyRatings: unknown;
  private readonly sources: unknown[] = [];
  private readonly seen = new Set<string>();

  constructor(private readonly backendId: string) {}

  /** A frame's candidate: its safety ratings replace the ones before, its citation sources add up. */
  read(candidate: Json | undefined): void {
    if (candidate === undefined) return;
    if (Array.isArray(candidate.safetyRatings)) this.safetyRatings = this.checked(candidate.safetyRatings, 'safetyRatings');
    const sources: unknown = candidate.citationMetadata?.citationSources;
    if (!Array.isArray(sources)) return;
    for (const source of this.checked(sources, 'citationMetadata')) {
      const key = JSON.stringify(source);
      if (this.seen.has(key)) continue;
      if (this.seen.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'citation sources');
      this.seen.add(key);
      this.sources.push(source);
    }
  }

  /** The finishing candidate's fields, when it has any. */
  details(candidate: Json): FinishDetails | undefined {
    const value: Record<string, unknown> = {};
    if (typeof candidate.finishMessage === 'string' && candidate.finishMessage.length > 0) value.finishMessage = candidate.finishMessage;
    if (this.safetyRatings !== undefined) value.safetyRatings = this.safetyRatings;
    if (this.sources.length > 0) value.citationMetadata = { citationSources: this.sources };
    return Object.keys(value).length > 0 ? { dialect: FINISH_DIALECTS.gemini, value } : undefined;
  }

  /** A blocked prompt's feedback, as written. */
  blocked(promptFeedback: Json): FinishDetails {
    return { dialect: FINISH_DIALECTS.gemini, value: { promptFeedback: this.checked(promptFeedback, 'promptFeedback') } };
  }

  private checked<T>(value: T, what: string): T {
    if (valueTooDeep(value, MAX_UPSTREAM_DEPTH)) throw upstreamTooDeep(this.backendId, what);
    return value;
  }
}
