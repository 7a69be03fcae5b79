import { map } from 'rxjs/internal/operators/map';
import { reduce } from 'rxjs/internal/operators/reduce';
import type { OperatorFunction } from 'rxjs';
import type { CitationEvent, FinishDetails, FinishReason, HostedToolEvent, LipEvent, TokenLogprob, ToolCaller, ToolCallFields, Usage, WebSearchEvent, WebSearchResult } from './events.js';
import { COLLECT_LIMITS } from './limits.js';
import { TextBuilder } from './text-builder.js';
import { mergeUsage } from './usage.js';

/** Thrown when a response outgrows COLLECT_LIMITS; its code is registered in lib/errors. */
export class CollectLimitError extends Error {
  override readonly name = 'CollectLimitError';
  readonly code = 'LIP_ERR_RESPONSE_TOO_LARGE';
}

export interface CollectedToolCall {
  readonly type: 'tool_call';
  readonly id: string;
  readonly name: string;
  arguments: string;
  readonly signature?: string;
  /** The dialect of `signature`. */
  readonly dialect?: string;
  /** A call of a custom tool: `arguments` holds its raw input. */
  readonly custom?: boolean;
  /** Who made the call, as the provider wrote it. */
  readonly caller?: ToolCaller;
  /** The namespace of the tool called. */
  readonly namespace?: string;
  /** Fields of the provider's own call item besides the arguments. */
  readonly providerFields?: ToolCallFields;
  /** The toolset the called tool is a member of. */
  readonly toolset?: string;
}
/** A source a text block cites; `start` / `end` are offsets in that block's text (in `CollectedResponse.citations`, in the response's). */
export type CollectedCitation = Omit<CitationEvent, 'type'>;
export interface CollectedText {
  readonly type: 'text';
  text: string;
  logprobs?: TokenLogprob[];
  citations?: CollectedCitation[];
  /** The model's refusal (TextDeltaEvent.refusal): a run of refusal text is a block of its own. */
  refusal?: true;
}
/** A hosted web search, at the place it happened; updated in place as its status changes. */
export interface CollectedWebSearch {
  readonly type: 'web_search';
  readonly id: string;
  status: WebSearchEvent['status'];
  query?: string;
  results?: readonly WebSearchResult[];
  error?: string;
  dialect?: string;
  entryPoint?: string;
}
export interface CollectedReasoning {
  readonly type: 'reasoning';
  text: string;
  signature?: string;
  /** Set for opaque blocks (redacted thinking, encrypted content) and for signatures that named it. */
  dialect?: string;
  opaque?: string;
  id?: string;
}
/**
 * A hosted tool's block in the provider's own form, at the place it was added (its final form
 * once done); `scope: 'message'` for a record of the whole message (Anthropic's `container`).
 */
export interface CollectedHostedTool {
  readonly type: 'hosted_tool';
  readonly id: string;
  readonly dialect: string;
  block: Readonly<Record<string, unknown>>;
  done: boolean;
  readonly scope?: 'message';
}
export type CollectedBlock = CollectedText | CollectedReasoning | CollectedToolCall | CollectedWebSearch | CollectedHostedTool;

/** A whole response folded from events: what every non-streaming encoder writes out. */
export interface CollectedResponse {
  id?: string;
  model?: string;
  /** Content blocks in the order they began: text runs, reasoning blocks, tool calls. */
  readonly blocks: CollectedBlock[];
  /** All text concatenated (a refusal's too). */
  text: string;
  /** The text that was the model's refusal, when some was (also in `text`). */
  refusal?: string;
  /** All reasoning text concatenated. */
  reasoningText: string;
  /** The log probabilities of all text tokens, in order, when the stream carried any. */
  logprobs?: TokenLogprob[];
  /** Every citation, its offsets in `text`. */
  citations?: CollectedCitation[];
  readonly toolCalls: CollectedToolCall[];
  usage: Usage;
  finishReason?: FinishReason;
  rawFinishReason?: string;
  stopSequence?: string;
  /** The provider's own account of the finish (ResponseFinishedEvent.details). */
  finishDetails?: FinishDetails;
  readonly warnings: { code: string; message: string }[];
  /** Set when the stream carried an `error` event. */
  error?: { code: string; message: string; status?: number };
  /** True once a terminal event was seen. */
  finished: boolean;
}

/**
 * Folds events into a CollectedResponse. Adjacent text deltas form one text block; reasoning
 * deltas form a reasoning block that a signature closes (a `standalone` signature is a block of
 * its own, after the unsigned one); tool calls are kept by id in the order
 * they started (arguments before a start are tolerated and keep that order). Streamed text is
 * held in TextBuilders (a delta costs about its own length) and written into the response when
 * it is read.
 */
export class Collector {
  private readonly folded: CollectedResponse = {
    blocks: [], text: '', reasoningText: '', toolCalls: [], usage: {}, warnings: [], finished: false,
  };
  private readonly text = new TextBuilder();
  private refusal: TextBuilder | undefined;
  private readonly reasoningText = new TextBuilder();
  private current: CollectedText | CollectedReasoning | undefined;
  /** The open block's text; written into it when another block opens. */
  private currentText = new TextBuilder();
  private readonly tools = new Map<string, CollectedToolCall>();
  private readonly toolArgs = new Map<CollectedToolCall, TextBuilder>();
  private toolArgsChars = 0;

  /** The response folded so far. */
  get response(): CollectedResponse {
    const r = this.folded;
    r.text = this.text.toString();
    if (this.refusal !== undefined) r.refusal = this.refusal.toString();
    r.reasoningText = this.reasoningText.toString();
    if (this.current !== undefined) this.current.text = this.currentText.toString();
    for (const [call, args] of this.toolArgs) call.arguments = args.toString();
    return r;
  }

  push(event: LipEvent): void {
    const r = this.folded;
    switch (event.type) {
      case 'response_started':
        if (event.id) r.id = event.id;
        if (event.model) r.model = event.model;
        return;
      case 'text_delta': {
        if (event.text.length === 0) return;
        if (this.text.length + event.text.length > COLLECT_LIMITS.textChars) throw new CollectLimitError(`response text exceeds ${COLLECT_LIMITS.textChars} characters`);
        this.text.append(event.text);
        if (event.refusal === true) (this.refusal ??= new TextBuilder()).append(event.text);
        if (this.current?.type !== 'text' || this.current.refusal !== event.refusal) this.open(event.refusal === true ? { type: 'text', text: '', refusal: true } : { type: 'text', text: '' });
        this.currentText.append(event.text);
        if (event.logprobs !== undefined && event.logprobs.length > 0) this.addLogprobs(event.logprobs, this.current as CollectedText);
        return;
      }
      case 'reasoning_delta': {
        if (this.reasoningText.length + event.text.length > COLLECT_LIMITS.reasoningChars) throw new CollectLimitError(`reasoning exceeds ${COLLECT_LIMITS.reasoningChars} characters`);
        this.reasoningText.append(event.text);
        if (this.current?.type !== 'reasoning' || this.current.signature !== undefined || this.current.opaque !== undefined) this.open({ type: 'reasoning', text: '' });
        this.currentText.append(event.text);
        return;
      }
      case 'reasoning_signature': {
        // A signature closes the open reasoning block, or stands alone (empty thinking text; a standalone one always).
        const dialect = event.dialect !== undefined ? { dialect: event.dialect } : {};
        if (event.standalone !== true && this.current?.type === 'reasoning' && this.current.signature === undefined && this.current.opaque === undefined) Object.assign(this.current, { signature: event.signature, ...dialect });
        else this.open({ type: 'reasoning', text: '', signature: event.signature, ...dialect });
        this.close();
        return;
      }
      case 'reasoning_opaque':
        this.open({ type: 'reasoning', text: '', dialect: event.dialect, opaque: event.data, ...(event.id ? { id: event.id } : {}) });
        this.close();
        return;
      case 'tool_call_started': {
        const existing = this.tools.get(event.id);
        if (existing) {
          // Arguments arrived first: the call keeps its first-seen place; fill in the name.
          (existing as { name: string }).name = event.name;
          if (event.custom === true) (existing as { custom?: boolean }).custom = true;
          if (event.caller !== undefined) (existing as { caller?: ToolCaller }).caller = event.caller;
          if (event.namespace !== undefined) (existing as { namespace?: string }).namespace = event.namespace;
          if (event.providerFields !== undefined) (existing as { providerFields?: ToolCallFields }).providerFields = event.providerFields;
          if (event.toolset !== undefined) (existing as { toolset?: string }).toolset = event.toolset;
          return;
        }
        this.addTool({
          type: 'tool_call', id: event.id, name: event.name, arguments: '',
          ...(event.signature ? { signature: event.signature, ...(event.dialect !== undefined ? { dialect: event.dialect } : {}) } : {}),
          ...(event.custom === true ? { custom: true } : {}),
          ...(event.caller !== undefined ? { caller: event.caller } : {}),
          ...(event.namespace !== undefined ? { namespace: event.namespace } : {}),
          ...(event.providerFields !== undefined ? { providerFields: event.providerFields } : {}),
          ...(event.toolset !== undefined ? { toolset: event.toolset } : {}),
        });
        return;
      }
      case 'tool_call_delta': {
        this.toolArgsChars += event.args.length;
        if (this.toolArgsChars > COLLECT_LIMITS.toolArgsChars) throw new CollectLimitError(`tool arguments exceed ${COLLECT_LIMITS.toolArgsChars} characters`);
        const call = this.tools.get(event.id) ?? this.addTool({ type: 'tool_call', id: event.id, name: '', arguments: '' });
        let args = this.toolArgs.get(call);
        if (args === undefined) this.toolArgs.set(call, (args = new TextBuilder()));
        args.append(event.args);
        return;
      }
      case 'web_search':
        this.webSearch(event);
        return;
      case 'citation':
        this.citation(event);
        return;
      case 'hosted_tool':
        this.hostedTool(event);
        return;
      case 'usage':
        r.usage = mergeUsage(r.usage, event.usage);
        return;
      case 'warning':
        if (r.warnings.length < COLLECT_LIMITS.warnings) r.warnings.push({ code: event.code, message: event.message });
        return;
      case 'error':
        r.error = { code: event.code, message: event.message, ...(event.status !== undefined ? { status: event.status } : {}) };
        r.finished = true;
        return;
      case 'response_finished':
        r.finishReason = event.reason;
        if (event.raw !== undefined) r.rawFinishReason = event.raw;
        if (event.stopSequence !== undefined) r.stopSequence = event.stopSequence;
        if (event.details !== undefined) r.finishDetails = event.details;
        r.finished = true;
        return;
      default:
        return; // message_started, tool_call_finished: structure only
    }
  }

  private open(block: CollectedText | CollectedReasoning): void {
    this.close();
    this.folded.blocks.push(block);
    this.current = block;
  }

  /** Closes the open text or reasoning block: its text is written into it. */
  private close(): void {
    if (this.current === undefined) return;
    this.current.text = this.currentText.toString();
    this.current = undefined;
    this.currentText = new TextBuilder();
  }

  /** Log probabilities join the response's and the open text block's (as many as there are characters, at most). */
  private addLogprobs(logprobs: readonly TokenLogprob[], block: CollectedText): void {
    const r = this.folded;
    if ((r.logprobs?.length ?? 0) + logprobs.length > COLLECT_LIMITS.textChars) throw new CollectLimitError(`response log probabilities exceed ${COLLECT_LIMITS.textChars} tokens`);
    const all = (r.logprobs ??= []);
    const own = (block.logprobs ??= []);
    for (const entry of logprobs) {
      all.push(entry);
      own.push(entry);
    }
  }

  private webSearch(event: WebSearchEvent): void {
    const { type: _type, ...fields } = event;
    const existing = this.folded.blocks.find((b): b is CollectedWebSearch => b.type === 'web_search' && b.id === event.id);
    if (existing !== undefined) {
      Object.assign(existing, fields);
      return;
    }
    if (this.folded.blocks.length >= COLLECT_LIMITS.toolCalls) throw new CollectLimitError(`more than ${COLLECT_LIMITS.toolCalls} blocks`);
    this.folded.blocks.push({ type: 'web_search', ...fields });
    this.close();
  }

  private hostedTool(event: HostedToolEvent): void {
    if (event.block === undefined) return; // progress: what the stream showed, the block has it at done
    const existing = this.folded.blocks.find((b): b is CollectedHostedTool => b.type === 'hosted_tool' && b.id === event.id);
    if (existing !== undefined) {
      existing.block = event.block;
      existing.done = event.phase === 'done';
      return;
    }
    if (this.folded.blocks.length >= COLLECT_LIMITS.toolCalls) throw new CollectLimitError(`more than ${COLLECT_LIMITS.toolCalls} blocks`);
    this.folded.blocks.push({
      type: 'hosted_tool', id: event.id, dialect: event.dialect, block: event.block, done: event.phase === 'done',
      ...(event.scope !== undefined ? { scope: event.scope } : {}),
    });
    if (event.scope === undefined) this.close();
  }

  /** A citation joins the response's list and the text block its span starts in (offsets made the block's). */
  private citation(event: CitationEvent): void {
    const { type: _type, ...fields } = event;
    const r = this.folded;
    if ((r.citations?.length ?? 0) >= COLLECT_LIMITS.toolCalls) throw new CollectLimitError(`more than ${COLLECT_LIMITS.toolCalls} citations`);
    (r.citations ??= []).push(fields);
    let end = this.text.length;
    for (let i = r.blocks.length - 1; i >= 0; i--) {
      const block = r.blocks[i]!;
      if (block.type !== 'text') continue;
      const length = block === this.current ? this.currentText.length : block.text.length;
      const start = end - length;
      if (fields.start >= start || i === 0) {
        const at = Math.max(0, fields.start - start);
        (block.citations ??= []).push({ ...fields, start: at, end: Math.min(length, Math.max(at, fields.end - start)) });
        return;
      }
      end = start;
    }
  }

  private addTool(call: CollectedToolCall): CollectedToolCall {
    if (this.tools.size >= COLLECT_LIMITS.toolCalls) throw new CollectLimitError(`more than ${COLLECT_LIMITS.toolCalls} tool calls`);
    this.tools.set(call.id, call);
    this.folded.toolCalls.push(call);
    this.folded.blocks.push(call);
    this.close();
    return call;
  }
}

/** Folds a finished list of events (recordings, tests). */
export function collectEvents(events: Iterable<LipEvent>): CollectedResponse {
  const collector = new Collector();
  for (const event of events) collector.push(event);
  return collector.response;
}

/**
 * RxJS operator: folds the event stream into one CollectedResponse, emitted when the source
 * completes. Error notifications pass through untouched; a CollectLimitError ends the fold.
 *
 * ```
 * events:  -s-m-t-t-u-f-|
 * collect: -------------(r|)
 * ```
 */
export function collect(): OperatorFunction<LipEvent, CollectedResponse> {
  // One reducing operator: a collector made at the first event of each subscription.
  return (source) => source.pipe(
    reduce<LipEvent, Collector | undefined>((collector, event) => {
      const into = collector ?? new Collector();
      into.push(event);
      return into;
    }, undefined),
    map((collector) => (collector ?? new Collector()).response),
  );
}

/**
 * The finish reason a client should see: a natural stop after tool calls is a tool-call stop
 * (some upstreams say `stop` there; clients then drop the tool calls), and a tool-call stop
 * without any is a natural stop (an upstream whose tool parser failed says `tool_calls` over
 * text alone; clients then look for calls that are not there).
 */
export function effectiveFinishReason(reason: FinishReason | undefined, hasToolCalls: boolean): FinishReason {
  if (hasToolCalls && (reason === undefined || reason === 'stop')) return 'tool_calls';
  if (!hasToolCalls && reason === 'tool_calls') return 'stop';
  return reason ?? 'stop';
}
