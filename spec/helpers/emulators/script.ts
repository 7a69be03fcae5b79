/**
 * What an emulated upstream answers, described once and written out in each provider's exact
 * wire format by its emulator. Usage is given in the canonical convention (input includes
 * cache reads and writes, output includes reasoning); each emulator converts it to its own
 * terms, so a test can assert that lip converts it back.
 */
export interface ToolCallScript {
  readonly id?: string;
  readonly name: string;
  /** The arguments JSON, whole or as the fragments to stream; cut off for a call a length stop ends (argumentsObject). */
  readonly args: string | readonly string[];
  /** Gemini `thoughtSignature` on the functionCall part. */
  readonly signature?: string;
  /**
   * A custom (freeform) tool's call: `args` is its raw input. OpenAI Responses writes a
   * `custom_tool_call` item (`custom_tool_call_input` deltas), Chat a `type: "custom"` call;
   * the other emulators ignore the flag.
   */
  readonly custom?: boolean;
  /**
   * Who made the call: Anthropic writes it as the tool_use block's `caller` (`{type:
   * "code_execution_20250825", tool_id}` for a programmatic call), OpenAI Responses as the call
   * item's `caller` (`{type: "program", caller_id}`: the `call_id` of a `program` item of
   * `hosted`); the other emulators ignore it.
   */
  readonly caller?: Readonly<Record<string, unknown>>;
  /**
   * The toolset of the member called (`computer`, `browser`): Anthropic writes it as the tool_use
   * block's `toolset_name`, on its `content_block_start` when streaming; the other emulators ignore it.
   */
  readonly toolset?: string;
  /** The namespace of the tool called: OpenAI Responses writes it as `function_call.namespace`; the other emulators ignore it. */
  readonly namespace?: string;
  /**
   * A call of the client's tool search: OpenAI Responses writes a `tool_search_call` item
   * (`execution: "client"`, `args` parsed as its `arguments`, no argument events); the other
   * emulators write an ordinary call of `name`.
   */
  readonly toolSearch?: boolean;
  /**
   * A call of one of OpenAI's client-run tools: OpenAI Responses writes the tool's own item
   * (`shell_call`, `apply_patch_call`, `local_shell_call`, `computer_call`; added in progress and
   * done whole, no argument events), whose `action` is `args` parsed (shell, local shell, a
   * computer call's one action) or whose `operation` is `args`' `operation` (apply_patch) or
   * whose `actions` are `args`' `actions` (a computer call's batch): `args` are the function
   * arguments lip offers other providers. The other emulators write an ordinary call of `name`
   * with those arguments.
   */
  readonly clientItem?: 'shell_call' | 'apply_patch_call' | 'local_shell_call' | 'computer_call';
  /** A `computer_call`'s `pending_safety_checks` (OpenAI Responses; none by default). */
  readonly safetyChecks?: readonly Readonly<Record<string, unknown>>[];
  /**
   * Interleaved thinking: the reasoning the model did right before this call, after the calls
   * before it. Anthropic and Bedrock write its blocks (thinking, then redacted) before the call's;
   * the other emulators ignore it.
   */
  readonly reasoning?: ReasoningScript;
}

export interface ReasoningScript {
  /** Thinking / summary text, whole or as deltas. */
  readonly text?: string | readonly string[];
  /** Anthropic thinking signature; Gemini thoughtSignature on the last thought part. */
  readonly signature?: string;
  /** Anthropic `redacted_thinking` data (a separate block after the thinking). */
  readonly redacted?: string;
  /** OpenAI Responses `encrypted_content` of the reasoning item. */
  readonly encrypted?: string;
  /** OpenAI Responses reasoning item id (default `rs_emu0001`). */
  readonly id?: string;
  /**
   * Chat: OpenRouter's `reasoning_details` entries, each streamed in a chunk of its own after the
   * reasoning text (`delta.reasoning_details: [entry]`), the array on a whole answer's message.
   */
  readonly details?: readonly Readonly<Record<string, unknown>>[];
}

/**
 * A hosted web search the upstream ran before its text (when the request declared its search
 * tool): Anthropic `server_tool_use` + `web_search_tool_result` blocks, OpenAI Responses a
 * `web_search_call` item, Gemini `groundingMetadata` (`webSearchQueries`, `groundingChunks`;
 * at the end, as Gemini sends it), Chat nothing (it reports only citations).
 */
export interface SearchScript {
  readonly id?: string;
  readonly query: string;
  readonly results?: readonly { readonly url: string; readonly title: string; readonly pageAge?: string; readonly encrypted?: string }[];
  /** The provider's error code: the search failed (Anthropic `web_search_tool_result_error`, OpenAI status `failed`). */
  readonly error?: string;
}

/**
 * A source the text cites: text delta number `delta` is the cited span. Anthropic puts that
 * delta in a text block of its own with a `citations_delta`; OpenAI a `url_citation` annotation
 * of its offsets (Chat on the message / the last chunk); Gemini a `groundingSupports` segment
 * in UTF-8 byte offsets.
 */
export interface CitationScript {
  readonly delta: number;
  /** The cited page (a web search's); absent for a document citation. */
  readonly url?: string;
  /**
   * A document of the request cited instead (Anthropic's `char_location`, `page_location`,
   * `content_block_location`; only the Anthropic emulator writes these).
   */
  readonly document?: { readonly index: number; readonly title?: string; readonly kind: 'char' | 'page' | 'block'; readonly start: number; readonly end: number };
  /** A search result of the request cited (Anthropic `search_result_location`; `url` its source). */
  readonly searchResult?: { readonly index: number; readonly start: number; readonly end: number };
  readonly title?: string;
  readonly citedText?: string;
  readonly encryptedIndex?: string;
}

export interface UsageScript {
  readonly input: number;
  readonly output: number;
  readonly cacheRead?: number;
  readonly cacheWrite?: number;
  /** Of `cacheWrite`, those written for an hour (Anthropic's `cache_creation`; the rest for 5 minutes). */
  readonly cacheWrite1h?: number;
  readonly reasoning?: number;
  /** How the answer was served (Anthropic's `service_tier`, `standard` unless set, and `inference_geo`, null unless set). */
  readonly serviceTier?: string;
  readonly inferenceGeo?: string;
}

export type FinishScript = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'stop_sequence';

/**
 * Faults, applied to the frame list of a streamed answer. Frame numbers count SSE frames from 0.
 * - `reset`: destroy the socket before any byte, after the status line and headers plus part of
 *   the first frame, right after the first frame that carries output, or after N whole frames.
 * - `stall`: never answer, stop after the frames that precede the first output, right after the
 *   first output frame, or after N frames (the connection stays open until the client gives up).
 * - `malformedAt`: frame N is replaced by a frame that is not JSON.
 * - `endAt`: the body ends cleanly after N frames, without the provider's terminal frames.
 * - `endMidFrame`: the body ends cleanly (a chunked body's final chunk) halfway through the first
 *   output frame (`first_output`) or the frame after it (`after_output`).
 * - `hugeLine`: one `data:` line of `bytes` bytes (a JSON object with a padding string), sent
 *   in 64 KiB pieces that honour backpressure, before the first output frame (or right after
 *   it with `afterOutput`), then `\n\n` and the remaining frames; with `terminated: false` the
 *   line never ends and the connection stays open.
 * - `endless`: after the first output frame, that frame is repeated forever (in batches that
 *   honour backpressure) until the client closes; the close records how many bytes were written.
 */
export interface FaultScript {
  readonly reset?: 'before_first_byte' | 'after_first_byte' | 'after_output' | number;
  readonly stall?: 'before_headers' | 'before_first_token' | 'after_output' | number;
  readonly malformedAt?: number;
  readonly endAt?: number;
  readonly endMidFrame?: 'first_output' | 'after_output';
  readonly hugeLine?: { readonly bytes: number; readonly afterOutput?: boolean; readonly terminated?: boolean };
  readonly endless?: boolean;
}

export interface Script {
  /** A non-2xx status answers with the provider's error body. */
  readonly status?: number;
  /** `fields`: more fields of the error object, for an emulator whose provider writes them (Codex's usage limit: `resets_in_seconds`, `resets_at`). */
  readonly error?: { readonly message: string; readonly type?: string; readonly code?: string; readonly fields?: Readonly<Record<string, unknown>> };
  readonly headers?: Readonly<Record<string, string>>;
  readonly id?: string;
  readonly model?: string;
  readonly reasoning?: ReasoningScript;
  readonly text?: string | readonly string[];
  /**
   * Gemini: a `thoughtSignature` on the first text part (not on the thought parts before it), as
   * Gemini 3 signs an answer's text; the other emulators ignore it.
   */
  readonly textSignature?: string;
  /** Hosted web searches before the text. */
  readonly searches?: readonly SearchScript[];
  /**
   * Hosted tool output other than web search, before the text, in the emulated provider's own
   * wire form, each written as that provider streams it: Anthropic content blocks
   * (`server_tool_use`, `code_execution_tool_result`, `web_fetch_tool_result`, ...), OpenAI
   * Responses output items (`code_interpreter_call`, `image_generation_call`, `mcp_call`, ...),
   * Gemini parts (`executableCode`, `codeExecutionResult`, `toolCall`, `toolResponse`). The other
   * emulators ignore them.
   */
  readonly hosted?: readonly Readonly<Record<string, unknown>>[];
  /**
   * Gemini: what an image model answers besides text, parts as written (`inlineData` images, with
   * their `thoughtSignature`), each whole in a frame of its own after the text. The other
   * emulators ignore it.
   */
  readonly media?: readonly Readonly<Record<string, unknown>>[];
  /** A record of the whole answer from a hosted tool: Anthropic's `container`, Gemini's `urlContextMetadata`. */
  readonly hostedMeta?: Readonly<Record<string, unknown>>;
  /**
   * Anthropic's server-side compaction: the `compaction` block the answer starts with, whole (as a
   * whole answer holds it; streamed as Anthropic streams it), and what the compaction used (an
   * `iterations` entry of type `compaction` beside the message's own, left out of the top-level
   * usage). The other emulators ignore it.
   */
  readonly compaction?: { readonly block: Readonly<Record<string, unknown>>; readonly usage?: UsageScript };
  /**
   * Gemini's `groundingMetadata` exactly as written (Google Maps places, File Search documents, ...),
   * in place of the one the emulator makes of `searches` and `citations`. The other emulators ignore it.
   */
  readonly grounding?: Readonly<Record<string, unknown>>;
  readonly citations?: readonly CitationScript[];
  readonly toolCalls?: readonly ToolCallScript[];
  readonly usage?: UsageScript;
  readonly finish?: FinishScript;
  /** The provider's own finish value, sent verbatim instead of the mapped one. */
  readonly rawFinish?: string;
  /**
   * Gemini: the answer stops for the client to resume it: the last frame's candidate carries this
   * `continuationToken` and `finishReason: CONTINUATION` (unless `rawFinish` says otherwise); with
   * `checkpoints`, the frames before carry tokens of their own too (a long answer's checkpoints).
   * The other emulators ignore it.
   */
  readonly continuation?: { readonly token: string; readonly checkpoints?: boolean };
  /** Gemini: the last frame's candidate's `finishMessage` (the finish reason in words); the other emulators ignore it. */
  readonly finishMessage?: string;
  /**
   * Gemini: the last frame's candidate's own fields as written (`safetyRatings`, `citationMetadata`);
   * the other emulators ignore it.
   */
  readonly candidateFields?: Readonly<Record<string, unknown>>;
  /**
   * Gemini: the answer ends without a `finishReason` (no frame's candidate has one, nor a whole
   * answer's). One with no text, reasoning, calls or built-in parts is then Gemini's empty answer:
   * a single frame of `usageMetadata`, `modelVersion` and `responseId`, no candidate. The other
   * emulators ignore it.
   */
  readonly unfinished?: boolean;
  /**
   * Gemini: the prompt was blocked: the answer is one frame `{promptFeedback, usageMetadata,
   * modelVersion, responseId}` with no candidates (the script's content is not sent); the other
   * emulators ignore it.
   */
  readonly promptFeedback?: Readonly<Record<string, unknown>>;
  /**
   * The stop sequence that matched (a `stop_sequence` finish): Anthropic's `stop_sequence`; Bedrock
   * names it (`additionalModelResponseFields.stop_sequence`) only to a request for a Claude model
   * that asked for `/stop_sequence` in `additionalModelResponseFieldPaths`.
   */
  readonly stopSequence?: string;
  /** Anthropic: the answer's `stop_details` (a refusal's category and explanation); the other emulators ignore it. */
  readonly stopDetails?: Readonly<Record<string, unknown>>;
  /** Anthropic: the answer's `context_management` (the context edits applied); the other emulators ignore it. */
  readonly contextManagement?: Readonly<Record<string, unknown>>;
  /** An in-band error frame instead of the normal ending (after the content frames). */
  readonly streamError?: { readonly message: string; readonly type?: string; readonly code?: string };
  readonly fault?: FaultScript;
  /** Milliseconds between frames (slow drip). */
  readonly dripMs?: number;
  /** Frames sent verbatim instead of the encoded ones (exact wire tests). */
  readonly rawFrames?: readonly string[];
}

/** One encoded SSE frame; `output` marks frames that carry text, reasoning or tool calls. */
export interface Frame {
  readonly text: string;
  readonly output: boolean;
  /** A binary frame (Bedrock's AWS event stream); written instead of `text`. */
  readonly bytes?: Uint8Array;
}

export function deltas(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return typeof value === 'string' ? (value.length > 0 ? [value] : []) : [...value];
}

export function joined(value: string | readonly string[] | undefined): string {
  return deltas(value).join('');
}

/**
 * A call's arguments as a provider whose calls hold an object writes them in a whole answer
 * (Anthropic's `input`, Bedrock's `input`, Gemini's `args`, and Gemini's stream too): the JSON
 * parsed, `{}` for none. Arguments cut off (a length stop in the middle of the call) are the
 * parameters complete by then, as Anthropic answers a call cut by `max_tokens`: it holds each
 * parameter back until it is complete, and the one cut never comes.
 */
export function argumentsObject(args: string | readonly string[]): Record<string, unknown> {
  const text = joined(args);
  try {
    return JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    // Cut off: up to the last comma between top-level parameters.
  }
  let complete = '{}';
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 1) complete = `${text.slice(0, i)}}`;
  }
  return JSON.parse(complete) as Record<string, unknown>;
}

/** The finish a script implies: its own, else tool_calls when it has calls, else stop. */
export function finishOf(script: Script): FinishScript {
  return script.finish ?? ((script.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop');
}

/** One emulated token: a text delta is one token, with `top` made-up alternatives. */
export interface EmulatedLogprob {
  readonly token: string;
  readonly logprob: number;
  readonly bytes: number[];
  readonly top: { token: string; logprob: number; bytes: number[] }[];
}

/**
 * The log probability an emulator reports for a text delta (a delta is one token): fixed from the
 * delta's place, so a test can predict it; `top` alternatives after the token itself.
 */
export function emulatedLogprob(token: string, index: number, top: number): EmulatedLogprob {
  const logprob = -(index + 1) / 8;
  const alt = (t: string, p: number) => ({ token: t, logprob: p, bytes: [...Buffer.from(t, 'utf8')] });
  return { ...alt(token, logprob), top: Array.from({ length: top }, (_, i) => (i === 0 ? alt(token, logprob) : alt(`${token}~${i}`, logprob - i))) };
}

/** How long an emulated embedding is when the request asks for no length. */
export const EMULATED_DIMENSIONS = 8;

/**
 * The vector an emulator answers for a text: value `i` from the text's length and its character
 * codes, so a test can predict it (and tell the inputs' order from the vectors). Every value is
 * exact in float32, so a base64 answer decodes to the same numbers.
 */
export function emulatedEmbedding(text: string, dimensions = EMULATED_DIMENSIONS): number[] {
  return Array.from({ length: dimensions }, (_, i) => (text.length + (text.charCodeAt(i % Math.max(1, text.length)) || 0) * (i + 1)) / 1024);
}
