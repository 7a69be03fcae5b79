import type { CitationEvent, CollectedCitation, FinishDetails, FinishReason, HostedToolEvent, LipEvent, Usage, WebSearchEvent } from '../../canonical/index.js';
import { COLLECT_LIMITS, HOSTED_DIALECTS, TextBuilder, hasUsage, mergeUsage } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { HeldOutput } from '../../wire/held-output.js';
import { geminiLogprobsResult } from '../logprobs.js';
import type { EncodeContext, StreamEncoder } from '../protocol.js';
import { wireId } from '../protocol.js';
import { REASONING_DIALECTS } from '../../canonical/index.js';
import { carryOpaque, carrySignature } from '../state-envelope.js';
import { CarriedReasoning } from './carried-reasoning.js';
import { geminiErrorObject } from './encode-error.js';
import { candidateFieldsOf, promptFeedbackOf } from './finish-details.js';
import { groundingMetadata, type GroundingSearch } from './encode-grounding.js';
import { geminiUsage } from './encode-usage.js';
import { functionArgs } from './function-args.js';
import { mapFinishReason } from './map-finish-reason.js';
import { groundingOf, mergedGrounding } from './grounding-record.js';
import { declaresUrlContext, mergedUrlContext, urlContextOf } from './url-context.js';

/**
 * Events -> `streamGenerateContent?alt=sse` chunks (`data:` only). Each text or thought delta
 * is one chunk with one part; a signature is a thought part with empty text (other dialects'
 * signatures and opaque reasoning sealed in it, see state-envelope.ts), except Gemini's own
 * signature of a text part (`standalone`), which is written on that text part as Gemini wrote it
 * (on an empty text part when no text follows), never on the thoughts before; the signatures and
 * opaque reasoning of other dialects go again, with their thought text, on the next text or
 * `functionCall` part, for clients that drop thought parts (carried-reasoning.ts). A call with
 * `includeThoughts: false` gets no thought part, as from Gemini then: a signature of Gemini's rides
 * on the next text part, other dialects' state only on the next text or `functionCall` part (on
 * the last chunk's empty text part when none follows), so it is still replayed; a tool call is
 * buffered until it finishes and sent as one `functionCall` part (Gemini never streams
 * arguments). The last chunk carries `finishReason` and `usageMetadata`; every chunk carries
 * `modelVersion` and `responseId`. A failure after output is a final `{"error":{...}}` chunk.
 * Hosted web searches and citations (any dialect) are held and sent as the last chunk's
 * `groundingMetadata` (encode-grounding.ts), as Gemini sends it; the text they cite is kept
 * only when the call declares a web search tool or URL context (its byte offsets need it).
 * Gemini's own hosted tool parts (code execution's `executableCode` and `codeExecutionResult`,
 * a built-in's `toolCall` and `toolResponse`) are written as they came, each in a chunk of its own
 * when it is done, in its place among the other parts; a `urlContextMetadata` or
 * `groundingMetadata` record rides on the candidate of the next chunk written (lip writes no chunk
 * without a part), and a grounding written so takes the place of the one lip would make of the
 * searches and citations. Another provider's hosted blocks have no Gemini form and are not written
 * (only a Gemini client declares Gemini's tools). A gemini backend's candidate fields
 * (`finishMessage`, `safetyRatings`, `citationMetadata`) ride on the last chunk's candidate; a
 * prompt it blocked ends the stream with a chunk of its `promptFeedback` and no candidate.
 * Buffered arguments are bounded (HeldOutput: LIP_ERR_RESPONSE_TOO_LARGE past collect()'s limits).
 */
export class GeminiStreamEncoder implements StreamEncoder {
  private readonly suffix: string;
  private readonly calls = new Map<string, { name: string; args: TextBuilder; signature?: string; dialect?: string }>();
  private finished = false;
  private usage: Usage = {};
  private readonly held = new HeldOutput();
  /** The client asked for log probabilities (`responseLogprobs`). */
  private readonly logprobs: boolean;
  /** The text so far, kept only when the call declares a web search (citations are offsets in it). */
  private readonly texts: string[] | undefined;
  /** Hosted web searches by id, in the order they started, and the citations: the last chunk's grounding. */
  private searches: Map<string, GroundingSearch> | undefined;
  private citations: CollectedCitation[] | undefined;
  /** URL context and grounding records not yet written (the next chunk's candidate carries them), and how many came. */
  private urlContexts: unknown[] = [];
  private groundings: Record<string, unknown>[] = [];
  private records = 0;
  /** A grounding came as Gemini wrote it: none is made of the searches and citations. */
  private groundingWritten = false;
  /** Gemini's signature of the text part to come (a standalone `reasoning_signature`), written on that part. */
  private heldSignature: string | undefined;
  /** Other dialects' reasoning, carried again by the next text or call part. */
  private readonly carried = new CarriedReasoning();
  /** The thought text since the last signature: the text of the reasoning the next signature closes. */
  private thought = new TextBuilder();
  /** The client asked for no thoughts (`includeThoughts: false`): no thought part is written, signatures ride on the next part. */
  private readonly hideThoughts: boolean;

  constructor(context: EncodeContext) {
    this.logprobs = context.call.options.logprobs !== undefined;
    this.hideThoughts = context.call.options.reasoning?.includeThoughts === false;
    this.texts = context.call.tools.some((t) => t.kind === 'web_search') || declaresUrlContext(context.call) ? [] : undefined;
    this.suffix = `,"modelVersion":${JSON.stringify(context.model ?? context.call.model)},"responseId":${JSON.stringify(wireId(context, '', 22))}}\n\n`;
  }

  private chunk(parts: string, tail = ''): string {
    return `data: {"candidates":[{"content":{"parts":[${parts}],"role":"model"}${tail}${this.records > 0 ? this.pendingRecords() : ''},"index":0}]`;
  }

  /** The records not yet written, as the candidate's fields (then none is pending). */
  private pendingRecords(): string {
    const urlContext = this.urlContexts.length > 0 ? `,"urlContextMetadata":${JSON.stringify(mergedUrlContext(this.urlContexts))}` : '';
    const grounding = this.groundings.length > 0 ? `,"groundingMetadata":${JSON.stringify(mergedGrounding(this.groundings))}` : '';
    if (urlContext !== '') this.urlContexts = [];
    if (grounding !== '') this.groundings = [];
    return `${urlContext}${grounding}`;
  }

  event(event: LipEvent): string {
    switch (event.type) {
      case 'text_delta':
        if (!event.text) return '';
        if (this.texts !== undefined) {
          this.held.add('text', event.text.length);
          this.texts.push(event.text);
        }
        return `${this.chunk(this.textPart(event.text), event.logprobs !== undefined && this.logprobs ? `,"logprobsResult":${JSON.stringify(geminiLogprobsResult(event.logprobs))}` : '')}${this.suffix}`;
      case 'reasoning_delta': {
        if (!event.text) return '';
        this.held.add('reasoning', event.text.length);
        this.thought.append(event.text);
        if (this.hideThoughts) return '';
        return `${this.textSignature()}${this.chunk(`{"text":${JSON.stringify(event.text)},"thought":true}`)}${this.suffix}`;
      }
      case 'reasoning_signature': {
        const out = this.textSignature();
        const text = this.thought.toString();
        this.thought = new TextBuilder();
        // Gemini's signature of a text part is held for that part (written on it, off the thoughts);
        // with the thoughts hidden, every signature of Gemini's (or of no known dialect) is.
        const gemini = event.dialect === REASONING_DIALECTS.geminiThought;
        if (this.hideThoughts ? gemini || event.dialect === undefined : gemini && event.standalone === true) {
          this.heldSignature = event.signature;
          return out;
        }
        if (event.dialect !== undefined) this.carried.hold({ dialect: event.dialect, signature: event.signature, ...(text && event.standalone !== true ? { text } : {}) });
        if (this.hideThoughts) return out;
        const signature = carrySignature(event.signature, event.dialect, REASONING_DIALECTS.geminiThought, true);
        return `${out}${this.chunk(`{"text":"","thought":true,"thoughtSignature":${JSON.stringify(signature)}}`)}${this.suffix}`;
      }
      case 'reasoning_opaque': // no Gemini form: opaque payloads travel sealed in a thought signature
        this.thought = new TextBuilder();
        this.carried.hold({ dialect: event.dialect, opaque: event.data, ...(event.id !== undefined ? { id: event.id } : {}) });
        if (this.hideThoughts) return '';
        return `${this.textSignature()}${this.chunk(`{"text":"","thought":true,"thoughtSignature":${JSON.stringify(carryOpaque(event, undefined, true))}}`)}${this.suffix}`;
      case 'tool_call_started':
        this.calls.set(event.id, { name: event.name, args: new TextBuilder(), ...(event.signature ? { signature: event.signature, dialect: event.dialect } : {}) });
        return '';
      case 'tool_call_delta': {
        this.held.add('args', event.args.length);
        const call = this.calls.get(event.id);
        if (call) call.args.append(event.args);
        else this.calls.set(event.id, { name: '', args: new TextBuilder(event.args) });
        return '';
      }
      case 'tool_call_finished':
        return this.flushCall(event.id);
      case 'web_search':
        this.search(event);
        return '';
      case 'citation':
        this.cite(event);
        return '';
      case 'hosted_tool':
        return this.hosted(event);
      case 'usage':
        this.usage = mergeUsage(this.usage, event.usage);
        return '';
      case 'response_finished':
        return this.finish(event.reason, event.raw, event.details);
      default:
        return ''; // lifecycle, warnings
    }
  }

  /** A text part, with the signature held for it, else the other dialects' reasoning held for it. */
  private textPart(text: string): string {
    if (this.thought.length > 0) this.thought = new TextBuilder();
    const held = this.heldSignature ?? this.carried.signatureFor();
    const signature = held !== undefined ? `,"thoughtSignature":${JSON.stringify(held)}` : '';
    this.heldSignature = undefined;
    return `{"text":${JSON.stringify(text)}${signature}}`;
  }

  /** The chunk of a held text signature whose text never came (empty text), before any other part; '' when none is held. */
  private textSignature(): string {
    return this.heldSignature !== undefined ? `${this.chunk(this.textPart(''))}${this.suffix}` : '';
  }

  private search(event: WebSearchEvent): void {
    const searches = (this.searches ??= new Map());
    const known = searches.get(event.id);
    if (known === undefined && searches.size >= COLLECT_LIMITS.toolCalls) throw tooMany('web searches');
    const query = event.query ?? known?.query;
    const results = event.results ?? known?.results;
    const entryPoint = event.entryPoint ?? known?.entryPoint;
    searches.set(event.id, { status: event.status, ...(query !== undefined ? { query } : {}), ...(results !== undefined ? { results } : {}), ...(entryPoint !== undefined ? { entryPoint } : {}) });
  }

  /** Gemini's own part once done, as it came; its URL context or grounding record held for the next chunk. */
  private hosted(event: HostedToolEvent): string {
    if (event.dialect !== HOSTED_DIALECTS.gemini || event.phase !== 'done' || event.block === undefined) return '';
    if (event.scope === 'message') {
      const grounding = groundingOf(event.block);
      const urlContext = urlContextOf(event.block);
      if (grounding === undefined && urlContext === undefined) return '';
      if (++this.records > COLLECT_LIMITS.toolCalls) throw tooMany('URL context and grounding records');
      if (grounding !== undefined) {
        this.groundings.push(grounding);
        this.groundingWritten = true;
      } else this.urlContexts.push(urlContext);
      return '';
    }
    return `${this.textSignature()}${this.chunk(JSON.stringify(event.block))}${this.suffix}`;
  }

  private cite(event: CitationEvent): void {
    const citations = (this.citations ??= []);
    if (citations.length >= COLLECT_LIMITS.toolCalls) throw tooMany('citations');
    const { type: _type, ...citation } = event;
    citations.push(citation);
  }

  private flushCall(id: string): string {
    const call = this.calls.get(id);
    if (!call) return '';
    this.calls.delete(id);
    const out = this.textSignature();
    this.thought = new TextBuilder();
    const signature = this.carried.signatureFor(call.signature ? { signature: call.signature, ...(call.dialect !== undefined ? { dialect: call.dialect } : {}) } : undefined);
    const part = { functionCall: { id, name: call.name, args: functionArgs(call.args.toString()) }, ...(signature ? { thoughtSignature: signature } : {}) };
    return `${out}${this.chunk(JSON.stringify(part))}${this.suffix}`;
  }

  private finish(reason: FinishReason | undefined, raw?: string, details?: FinishDetails): string {
    if (this.finished) return '';
    this.finished = true;
    let out = this.textSignature();
    for (const id of [...this.calls.keys()]) out += this.flushCall(id);
    const usage = hasUsage(this.usage) ? `,"usageMetadata":${JSON.stringify(geminiUsage(this.usage))}` : '';
    const metadata = !this.groundingWritten && (this.searches !== undefined || this.citations !== undefined)
      ? groundingMetadata(this.searches?.values() ?? [], this.citations ?? [], this.texts?.join(''))
      : undefined;
    const grounding = metadata !== undefined ? `,"groundingMetadata":${JSON.stringify(metadata)}` : '';
    const promptFeedback = promptFeedbackOf(details);
    if (promptFeedback !== undefined) return `${out}data: {"promptFeedback":${JSON.stringify(promptFeedback)}${usage}${this.suffix}`;
    const fields = JSON.stringify(candidateFieldsOf(details)).slice(1, -1);
    // Hidden thoughts' reasoning that no text or call part carried: the last part carries it.
    const carried = this.hideThoughts ? this.carried.signatureFor() : undefined;
    const last = carried !== undefined ? `{"text":"","thoughtSignature":${JSON.stringify(carried)}}` : '{"text":""}';
    return `${out}${this.chunk(last, `,"finishReason":"${mapFinishReason(reason, raw)}"${fields !== '' ? `,${fields}` : ''}${grounding}`)}${usage}${this.suffix}`;
  }

  error(err: LipError): string {
    if (this.finished) return '';
    this.finished = true;
    return `data: ${JSON.stringify({ error: geminiErrorObject(err) })}\n\n`;
  }

  end(): string {
    return this.finish(undefined);
  }
}

function tooMany(what: string): LipError {
  return new LipError('LIP_ERR_RESPONSE_TOO_LARGE', `the streamed response holds more than ${COLLECT_LIMITS.toolCalls} ${what}`);
}
