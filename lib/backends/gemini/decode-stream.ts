import { randomId } from '../../wire/ids.js';
import type { FinishDetails, FinishReason, LipEvent, TokenAlternative, TokenLogprob, Usage } from '../../canonical/index.js';
import { COLLECT_LIMITS, HOSTED_DIALECTS, REASONING_DIALECTS } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { checkUpstreamJson, MAX_UPSTREAM_DEPTH, MAX_UPSTREAM_ITEMS, upstreamTooDeep, upstreamTooMany, valueTooDeep, type SseMessage } from '../../wire/index.js';
import { malformedFrame, parseFrame, type StreamDecoder } from '../http/index.js';
import { geminiStreamError } from './classify-error.js';
import { GroundingReader } from './decode-grounding.js';
import { GeminiFinishFields } from './finish-fields.js';
import { mapGeminiFinishReason } from './map-finish-reason.js';

type Json = Record<string, any>;

/**
 * Gemini `usageMetadata` -> canonical. `promptTokenCount` already includes the cached tokens;
 * thoughts are counted IN ADDITION to the candidates, and the canonical output includes them.
 */
export function geminiUsage(u: Json): Usage {
  const out: { -readonly [K in keyof Usage]: Usage[K] } = {};
  const prompt = typeof u.promptTokenCount === 'number' ? u.promptTokenCount : undefined;
  const toolPrompt = typeof u.toolUsePromptTokenCount === 'number' ? u.toolUsePromptTokenCount : 0;
  if (prompt !== undefined) out.inputTokens = prompt + toolPrompt;
  const candidates = typeof u.candidatesTokenCount === 'number' ? u.candidatesTokenCount : 0;
  const thoughts = typeof u.thoughtsTokenCount === 'number' ? u.thoughtsTokenCount : 0;
  if (typeof u.candidatesTokenCount === 'number' || thoughts > 0) out.outputTokens = candidates + thoughts;
  if (typeof u.totalTokenCount === 'number') out.totalTokens = u.totalTokenCount;
  if (typeof u.cachedContentTokenCount === 'number' && u.cachedContentTokenCount > 0) out.cacheReadTokens = u.cachedContentTokenCount;
  if (thoughts > 0) out.reasoningTokens = thoughts;
  return out;
}

/**
 * Gemini `streamGenerateContent?alt=sse` -> canonical events. Every frame is a whole
 * GenerateContentResponse; the first opens the response and the message. Parts of the first
 * candidate: `thought` text is reasoning, other text is text, `functionCall` is a complete tool
 * call (started, arguments, finished at once; Gemini gives no ids, so they are made up).
 * Arguments nested deeper than MAX_UPSTREAM_DEPTH fail the attempt (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED)
 * before anything of their frame is emitted, so nothing downstream serialises them.
 * A `thoughtSignature` on a thought part becomes `reasoning_signature` (after its text: it closes
 * the thought); on a text part a `standalone` one before the text it rides on (a signature-only
 * block, so that replay puts it back on that part, not on the thought before); on a functionCall
 * it is the tool call's signature. Images and files the model answers with (`inlineData`,
 * `fileData`: an image model's images) have no canonical form and are left out; an answer of
 * nothing else (no text, call or built-in part; thoughts alone are not an answer) fails at its
 * finish with LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED naming them, its usage emitted first, rather
 * than pass for an empty answer. The frame with `finishReason` (or a blocked prompt) ends the response with
 * the last usage; there is no other terminal frame. Gemini sends its running `usageMetadata` on every
 * frame: each snapshot that differs from the last one emitted is a `usage` event as it comes (before
 * the frame's parts; snapshots replace each other, see mergeUsage), so that an answer cut before its
 * end (the client left, the stream broke) is charged the tokens reported so far. A blocked prompt (`promptFeedback.blockReason`,
 * no candidate) is a content filter stop whose details hold the `promptFeedback` as written; the
 * candidate's `finishMessage`, `safetyRatings` and `citationMetadata` ride on its finish's details
 * likewise (finish-fields.ts: only a Gemini client is written them back). A candidate's
 * `groundingMetadata` (Google Search; it comes with the last frames) is reported at the end,
 * before the usage: its searches,
 * and its citations when the call declares a web search or URL context (`search`, which grounds
 * an answer on the pages it read the same way, without queries: only then is the text kept,
 * since the citation offsets are counted in it). See decode-grounding.ts.
 *
 * The parts of Gemini's built-in tools (code execution's `executableCode` and
 * `codeExecutionResult`; `toolCall` and `toolResponse`, a built-in's own call and result that
 * `includeServerSideToolInvocations` asks for) are hosted tool blocks: each is one `hosted_tool`
 * event, `done` (Gemini streams a part whole), its block the part as written (`thoughtSignature`
 * included), in its place among text and calls; lip's id for them is the response's
 * `gh_<responseId>_<n>`, n their place. A candidate's `urlContextMetadata` (URL context: which
 * pages were read, Google sends it with the first frame) is a `hosted_tool` record of the whole
 * message (`scope: 'message'`, `{urlContextMetadata}`), reported before the parts of the frame
 * that carries it, once (a frame repeating it unchanged adds nothing). When the call declares one
 * of Gemini's grounding built-ins (`written`: Google Maps, File Search, Vertex AI's retrieval, ...),
 * whose sources (places, documents, a Maps widget token) have no canonical form, the candidate's
 * `groundingMetadata` is such a record too (`{groundingMetadata}`), as written, in the same way;
 * its searches and web citations are reported as well.
 *
 * @see spec/backends/gemini/decode-stream.spec.ts
 * @see spec/backends/gemini/decode-hosted.spec.ts
 */
export class GeminiStreamDecoder implements StreamDecoder {
  private started = false;
  private ended = false;
  private calls = 0;
  /** Whether the answer holds text, a call or a built-in's part (what an answer of images alone lacks). */
  private answered = false;
  /** The images and files the model answered with (left out), and the first one's media type. */
  private mediaParts = 0;
  private mediaType: string | undefined;
  private usage: Usage | undefined;
  /** The usage last emitted: a frame's running `usageMetadata` is emitted when it differs. */
  private emittedUsage: Usage | undefined;
  /** Gemini gives no call ids; made-up ones must stay unique across the turns of a conversation. */
  private readonly idPrefix = `${randomId('call_', 12)}_`;
  /** The response text, kept when the call declares a web search or URL context (grounding offsets count in it). */
  private readonly texts: string[] | undefined;
  private keptChars = 0;
  private grounding: GroundingReader | undefined;
  /** Search ids: made from the response id (or a random one), then the query's place. */
  private searchPrefix = '';
  /** Hosted tool ids, likewise (Gemini gives its parts none), then the part's place. */
  private hostedPrefix = '';
  private hostedParts = 0;
  /** The records of the message reported so far, by kind (JSON), so that a frame repeating one adds nothing. */
  private readonly records: Record<RecordKey, string[]> = { urlContextMetadata: [], groundingMetadata: [] };
  /** The candidate's own fields of the answer's end, and a blocked prompt's feedback (the finish's details). */
  private readonly fields: GeminiFinishFields;

  /**
   * `search`: keep the text for the grounding's citations (the call declares a web search or URL
   * context). `written`: report the grounding as written too (the call declares a grounding built-in).
   */
  constructor(private readonly backendId: string, private readonly secrets: readonly string[], search = false, private readonly written = false) {
    this.texts = search ? [] : undefined;
    this.fields = new GeminiFinishFields(backendId);
  }

  message(message: SseMessage, out: LipEvent[]): void {
    if (this.ended) return;
    checkUpstreamJson(this.backendId, message.data);
    this.frame(parseFrame(this.backendId, message.data), out);
  }

  /** The current frame's token log probabilities (`logprobsResult`), until its text takes them. */
  private logprobs: TokenLogprob[] | undefined;
  /** The latest `continuationToken` (a long answer's checkpoint), for an answer stopped with CONTINUATION. */
  private continuation: string | undefined;

  /** One GenerateContentResponse (a `:generateContent` answer is exactly one, see decode-response.ts). */
  frame(frame: Json, out: LipEvent[]): void {
    if (this.ended) return;
    if (frame.error) throw geminiStreamError(this.backendId, frame, this.secrets);
    const candidate = Array.isArray(frame.candidates) ? (frame.candidates as Json[]).find((c) => isObject(c) && (c.index ?? 0) === 0) : undefined;
    const parts = candidate?.content?.parts;
    if (Array.isArray(parts)) this.checkDepth(parts);
    if (!this.started) {
      this.started = true;
      out.push({ type: 'response_started', ...(typeof frame.responseId === 'string' ? { id: frame.responseId } : {}), ...(typeof frame.modelVersion === 'string' ? { model: frame.modelVersion } : {}) });
      out.push({ type: 'message_started' });
      const key = typeof frame.responseId === 'string' && frame.responseId.length > 0 ? frame.responseId : randomId('', 16);
      this.searchPrefix = `gs_${key}_`;
      this.hostedPrefix = `gh_${key}_`;
    }
    const blocked = frame.promptFeedback?.blockReason;
    const finishing = typeof candidate?.finishReason === 'string' || typeof blocked === 'string';
    if (isObject(frame.usageMetadata)) {
      this.usage = geminiUsage(frame.usageMetadata);
      // The running usage as it comes (before the frame's parts, as Anthropic reports its input up front), so that
      // an answer cut before its end is charged what was used; the finishing frame's goes at the end, below.
      if (!finishing && !sameUsage(this.usage, this.emittedUsage)) this.emitUsage(this.usage, out);
    }
    this.logprobs = geminiLogprobs(candidate?.logprobsResult);
    if (candidate?.urlContextMetadata !== undefined && candidate.urlContextMetadata !== null) this.record('urlContextMetadata', candidate.urlContextMetadata, out);
    if (this.written && isObject(candidate?.groundingMetadata)) this.record('groundingMetadata', candidate.groundingMetadata, out);
    if (Array.isArray(parts)) for (const part of parts as Json[]) if (isObject(part)) this.part(part, out);
    if (isObject(candidate?.groundingMetadata)) (this.grounding ??= new GroundingReader(this.backendId)).read(candidate.groundingMetadata);
    this.fields.read(candidate);
    // A long answer's checkpoints carry a continuation token; its last one resumes an answer stopped with CONTINUATION.
    if (typeof candidate?.continuationToken === 'string' && candidate.continuationToken.length > 0) this.continuation = candidate.continuationToken;
    if (typeof candidate?.finishReason === 'string') {
      if (this.mediaParts > 0 && !this.answered) throw this.mediaOnly(out);
      // The finish reason in words, the ratings, the citations: for a Gemini client (the other protocols have no place for them).
      const details = this.fields.details(candidate);
      this.finish({ ...mapGeminiFinishReason(candidate.finishReason, this.calls > 0), ...(details !== undefined ? { details } : {}) }, out);
    }
    // A blocked prompt: a content filter for every client; a Gemini client is answered the feedback, with no candidate.
    else if (typeof blocked === 'string') this.finish({ reason: 'content_filter', raw: blocked, details: this.fields.blocked(frame.promptFeedback) }, out);
  }

  end(): void {
    // Gemini always ends with a finishReason; a body without one was cut short.
  }

  /** Function-call arguments and hosted tool parts arrive as objects: refuse any too deep to serialise safely. */
  private checkDepth(parts: readonly unknown[]): void {
    for (const part of parts) {
      const args: unknown = isObject(part) && isObject(part.functionCall) ? part.functionCall.args : undefined;
      if (isObject(args) && valueTooDeep(args, MAX_UPSTREAM_DEPTH)) throw upstreamTooDeep(this.backendId, 'a functionCall\'s args');
      if (isObject(part) && isHostedPart(part) && valueTooDeep(part, MAX_UPSTREAM_DEPTH)) throw upstreamTooDeep(this.backendId, 'a built-in tool part');
    }
  }

  /** A candidate's `urlContextMetadata` or `groundingMetadata`: one record of the message per distinct value, as written. */
  private record(key: RecordKey, metadata: unknown, out: LipEvent[]): void {
    if (valueTooDeep(metadata, MAX_UPSTREAM_DEPTH)) throw upstreamTooDeep(this.backendId, key);
    const seen = this.records[key];
    const text = JSON.stringify(metadata);
    if (seen.includes(text)) return;
    if (seen.length >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, `${key} records`);
    const id = `${this.hostedPrefix}${RECORD_IDS[key]}${seen.length > 0 ? `_${seen.length}` : ''}`;
    seen.push(text);
    out.push({ type: 'hosted_tool', id, dialect: HOSTED_DIALECTS.gemini, phase: 'done', scope: 'message', block: { [key]: metadata } });
  }

  private part(part: Json, out: LipEvent[]): void {
    if (isHostedPart(part)) {
      if (this.hostedParts >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'built-in tool parts');
      this.answered = true;
      out.push({ type: 'hosted_tool', id: `${this.hostedPrefix}${this.hostedParts++}`, dialect: HOSTED_DIALECTS.gemini, phase: 'done', block: part });
      return;
    }
    const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature.length > 0 ? part.thoughtSignature : undefined;
    if (part.functionCall) {
      const fc = part.functionCall as Json;
      if (typeof fc.name !== 'string') throw malformedFrame(this.backendId, 'a functionCall without a string name');
      if (this.calls >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'function calls');
      this.calls++;
      this.answered = true;
      const id = typeof fc.id === 'string' && fc.id ? fc.id : `${this.idPrefix}${this.calls}`;
      out.push({ type: 'tool_call_started', id, name: fc.name, ...(signature ? { signature, dialect: REASONING_DIALECTS.geminiThought } : {}) });
      out.push({ type: 'tool_call_delta', id, args: JSON.stringify(fc.args ?? {}) });
      out.push({ type: 'tool_call_finished', id });
      return;
    }
    if (typeof part.text !== 'string') {
      // An image or a file the model made: no canonical form (counted, for an answer of nothing else).
      const media = isObject(part.inlineData) ? part.inlineData : isObject(part.fileData) ? part.fileData : undefined;
      if (media !== undefined) {
        this.mediaParts++;
        this.mediaType ??= typeof media.mimeType === 'string' ? media.mimeType : undefined;
      }
      return;
    }
    if (part.thought === true) {
      if (part.text.length > 0) out.push({ type: 'reasoning_delta', text: part.text });
      if (signature) out.push({ type: 'reasoning_signature', signature, dialect: REASONING_DIALECTS.geminiThought });
      return;
    }
    // The text part's own: standalone, so that it does not close (and sign) the thoughts before it.
    if (signature) out.push({ type: 'reasoning_signature', signature, dialect: REASONING_DIALECTS.geminiThought, standalone: true });
    if (part.text.length === 0) return;
    this.answered = true;
    // The frame's log probabilities go with its (first) text.
    const logprobs = this.logprobs;
    this.logprobs = undefined;
    // Kept for the grounding's byte offsets, up to collect()'s text bound (citations past it are clamped to it).
    if (this.texts !== undefined && this.keptChars < COLLECT_LIMITS.textChars) {
      this.texts.push(part.text);
      this.keptChars += part.text.length;
    }
    out.push(logprobs ? { type: 'text_delta', text: part.text, logprobs } : { type: 'text_delta', text: part.text });
  }

  /**
   * LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED for an answer of images (or files) alone, after the usage
   * not yet emitted: what the answer used is charged, though nothing of it reaches the client.
   */
  private mediaOnly(out: LipEvent[]): LipError {
    if (this.usage && !sameUsage(this.usage, this.emittedUsage)) this.emitUsage(this.usage, out);
    const what = `${this.mediaParts} ${this.mediaParts === 1 ? 'part' : 'parts'}${this.mediaType !== undefined ? `, ${this.mediaType}` : ''}`;
    return new LipError('LIP_ERR_UPSTREAM_OUTPUT_UNSUPPORTED', `backend "${this.backendId}": the model answered with image output only (${what}), which lip does not pass on; ask a model that answers in text`, {
      detail: { backend: this.backendId },
    });
  }

  private emitUsage(usage: Usage, out: LipEvent[]): void {
    this.emittedUsage = usage;
    out.push({ type: 'usage', usage });
  }

  private finish(finish: { reason: FinishReason; raw?: string; details?: FinishDetails }, out: LipEvent[]): void {
    this.ended = true;
    this.grounding?.events(this.searchPrefix, this.texts?.join(''), out);
    if (this.usage && !sameUsage(this.usage, this.emittedUsage)) this.emitUsage(this.usage, out);
    const resume = finish.raw === 'CONTINUATION' && this.continuation !== undefined ? { resume: this.continuation } : {};
    out.push({ type: 'response_finished', ...finish, ...resume });
  }
}

/**
 * A candidate's `logprobsResult` (`chosenCandidates[i]` with the `topCandidates[i].candidates`
 * of the same step) as canonical entries; none when absent or of another shape.
 */
function geminiLogprobs(result: unknown): TokenLogprob[] | undefined {
  if (!isObject(result) || !Array.isArray(result.chosenCandidates)) return undefined;
  const entry = (c: unknown) => (isObject(c) && typeof c.token === 'string' && typeof c.logProbability === 'number' ? { token: c.token, logprob: c.logProbability } : undefined);
  const top: unknown[] = Array.isArray(result.topCandidates) ? result.topCandidates : [];
  const out: TokenLogprob[] = [];
  (result.chosenCandidates as unknown[]).forEach((chosen, i) => {
    const token = entry(chosen);
    if (!token) return;
    const step = top[i];
    const alternatives = isObject(step) && Array.isArray(step.candidates) ? (step.candidates as unknown[]).map(entry).filter((a): a is TokenAlternative => a !== undefined) : [];
    out.push(alternatives.length > 0 ? { ...token, top: alternatives } : token);
  });
  return out.length > 0 ? out : undefined;
}

/** The candidate's records of the whole message, and the name of each in lip's ids for them. */
type RecordKey = 'urlContextMetadata' | 'groundingMetadata';
const RECORD_IDS: Readonly<Record<RecordKey, string>> = { urlContextMetadata: 'url_context', groundingMetadata: 'grounding' };

/** The keys of the parts of Gemini's built-in tools. */
const HOSTED_PART_KEYS = ['executableCode', 'codeExecutionResult', 'toolCall', 'toolResponse'] as const;

/**
 * A part of Gemini's built-in tools (`executableCode`, `codeExecutionResult`, `toolCall`,
 * `toolResponse`), carried as written whatever its fields hold (a malformed one is the client's to
 * read, never lip's to fail on).
 */
function isHostedPart(part: Json): boolean {
  for (const key of HOSTED_PART_KEYS) if (part[key] !== undefined && part[key] !== null) return true;
  return false;
}

/** Whether two of geminiUsage()'s records hold the same counts (field by field: this runs on every frame). */
function sameUsage(a: Usage, b: Usage | undefined): boolean {
  return b !== undefined && a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens && a.totalTokens === b.totalTokens
    && a.cacheReadTokens === b.cacheReadTokens && a.reasoningTokens === b.reasoningTokens;
}

/** A JSON object (upstream arrays may hold nulls and numbers where objects belong). */
function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null;
}
