/**
 * The canonical event stream (version 1). Backends emit it, routing operators pass it along,
 * frontends encode it. Content is keyed: tool calls by `id`; text and reasoning belong to the
 * current message. Failures are NOT events in a live pipeline: they travel as the Observable's
 * error notification (a LipError). The `error` event exists so that recordings and `collect()`
 * can represent a failed stream as data.
 */
export const LIP_EVENT_VERSION = 1;

/**
 * Faithful finish reasons. Every protocol maps its own vocabulary onto these and back:
 * `stop` (natural end), `length` (max tokens), `tool_calls`, `content_filter`,
 * `stop_sequence` (a configured stop sequence matched), `other` (anything else, see `raw`).
 */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter' | 'stop_sequence' | 'other';

/**
 * Token usage, in the OpenAI convention: `inputTokens` INCLUDES cache reads and cache writes,
 * `outputTokens` INCLUDES reasoning tokens. Anthropic (cache counts in addition to input) and
 * Gemini (thoughts in addition to candidates) convert at their codecs.
 * A usage event is a snapshot: each present field replaces the previous value.
 */
export interface Usage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly totalTokens?: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
  /**
   * Of `cacheWriteTokens`, those written to a cache that lives an hour (Anthropic's
   * `cache_creation.ephemeral_1h_input_tokens`, priced apart); the rest were written for 5
   * minutes. Absent when the provider did not split its cache writes by lifetime.
   */
  readonly cacheWrite1hTokens?: number;
  /**
   * How the provider served the answer, as it named it (only an Anthropic upstream reports them:
   * its `usage.service_tier`, `standard` / `priority` / `batch`; `inference_geo`, where it ran;
   * `speed`, `standard` / `fast`). Absent when the provider did not say.
   */
  readonly serviceTier?: string;
  readonly inferenceGeo?: string;
  readonly speed?: string;
  /**
   * Of the counts above, those the provider's server-side compaction used (Anthropic's
   * `compaction` entries of `usage.iterations`, which its top-level counts leave out): the counts
   * above are everything the answer cost, and a client of that provider's protocol is written its
   * top-level counts without these (lib/frontends/anthropic/encode-usage.ts).
   */
  readonly compaction?: CompactionUsage;
  /**
   * The provider's own breakdown of the answer's usage into its sampling iterations, as written
   * (USAGE_DIALECTS: Anthropic's `usage.iterations`: the messages of a server-side tool loop, a
   * compaction, an advisor's, a fallback model's). Only a client of that provider's protocol is
   * written it; the counts above already hold what it says.
   */
  readonly iterations?: UsageIterations;
}

/** A provider's usage iterations in its dialect's form (Usage.iterations). */
export interface UsageIterations {
  readonly dialect: string;
  readonly value: readonly unknown[];
}

/** The tokens a server-side compaction used, in the same convention as Usage (input includes cache reads and writes). */
export interface CompactionUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

export interface ResponseStartedEvent {
  readonly type: 'response_started';
  /** Upstream response id, when the provider gave one. */
  readonly id?: string;
  /** Model the upstream reports having used. */
  readonly model?: string;
}
export interface MessageStartedEvent { readonly type: 'message_started' }
/** A token the model could have produced, with its log probability (`bytes`: its UTF-8 bytes, when the provider gave them). */
export interface TokenAlternative {
  readonly token: string;
  readonly logprob: number;
  readonly bytes?: readonly number[];
}
/** An output token's log probability, with the most likely alternatives when they were asked for. */
export interface TokenLogprob extends TokenAlternative {
  readonly top?: readonly TokenAlternative[];
}
/** Output text; `logprobs`: the log probabilities of its tokens, when the call asked for them and the provider gave them. */
export interface TextDeltaEvent {
  readonly type: 'text_delta';
  readonly text: string;
  readonly logprobs?: readonly TokenLogprob[];
  /**
   * The text is the model's refusal (OpenAI's `refusal` in place of `content`, a Responses
   * `refusal` part): the OpenAI protocols send it as such, so that a client parsing structured
   * output knows there is nothing to parse; the others show it as text.
   */
  readonly refusal?: true;
}
export interface ReasoningDeltaEvent { readonly type: 'reasoning_delta'; readonly text: string }
/**
 * Closes the current reasoning block with its signature (Anthropic thinking, Gemini thought).
 * `dialect` names the provider format the signature belongs to (REASONING_DIALECTS); every
 * backend sets it, so that frontends can carry it home to that provider only. Absent (old
 * recordings, extensions): unknown, passed on as the client protocol's own.
 * `standalone`: the signature is not the reasoning's before it but the output's after it (a Gemini
 * `thoughtSignature` on a text part, emitted before that text): it is a signature-only block of its
 * own, and the open reasoning block ends unsigned; a gemini backend puts it back on the text part.
 */
export interface ReasoningSignatureEvent { readonly type: 'reasoning_signature'; readonly signature: string; readonly dialect?: string; readonly standalone?: true }
/** A complete opaque reasoning block: Anthropic redacted_thinking, OpenAI encrypted_content. */
export interface ReasoningOpaqueEvent {
  readonly type: 'reasoning_opaque';
  readonly dialect: string;
  readonly data: string;
  readonly id?: string;
}
/**
 * Who made a tool call, in the provider's own form: `value`
 * is Anthropic's `caller` (`{type: "code_execution_20250825", tool_id}`: code execution called a
 * client tool, programmatic tool calling; `{type: "direct"}`: the model did) or OpenAI
 * Responses' (`{type: "program", caller_id}`: a program of programmatic tool calling called it)
 * as the upstream wrote it, `dialect` whose it is (CALLER_DIALECTS). Only a client of that
 * protocol gets it, and only a backend of that dialect sends it back with the call.
 */
export interface ToolCaller {
  readonly dialect: string;
  readonly value: Readonly<Record<string, unknown>>;
}
/**
 * What a provider wrote on a call of one of its own client tools besides the arguments, in its
 * own form: `value` holds those fields (OpenAI's `pending_safety_checks` on a `computer_call`),
 * `dialect` whose tool it is (TOOL_DIALECTS). Only a client of that protocol gets them, and only a
 * backend of that dialect sends them back with the call.
 */
export interface ToolCallFields {
  readonly dialect: string;
  readonly value: Readonly<Record<string, unknown>>;
}
export interface ToolCallStartedEvent {
  readonly type: 'tool_call_started';
  readonly id: string;
  readonly name: string;
  /** Provider signature bound to the call (Gemini thoughtSignature). */
  readonly signature?: string;
  /** The dialect of `signature` (REASONING_DIALECTS). */
  readonly dialect?: string;
  /** A call of a custom (freeform) tool: its deltas are pieces of the raw input, not of JSON. */
  readonly custom?: boolean;
  /** Who made the call, as the provider wrote it (Anthropic's `caller`). */
  readonly caller?: ToolCaller;
  /** The namespace of the tool called (ToolDefinition.namespace; OpenAI `function_call.namespace`). */
  readonly namespace?: string;
  /** Fields of the provider's own call item besides the arguments (OpenAI's computer_call safety checks). */
  readonly providerFields?: ToolCallFields;
  /** The toolset the called tool is a member of (ToolDefinition.toolset; Anthropic's `toolset_name`). */
  readonly toolset?: string;
}
/** A piece of a call's arguments (JSON text), or of its raw input for a custom call. */
export interface ToolCallDeltaEvent { readonly type: 'tool_call_delta'; readonly id: string; readonly args: string }
export interface ToolCallFinishedEvent { readonly type: 'tool_call_finished'; readonly id: string }
export interface UsageEvent { readonly type: 'usage'; readonly usage: Usage }

/** One page a hosted web search found (`encrypted`: Anthropic's `encrypted_content`, which only Anthropic reads back). */
export interface WebSearchResult {
  readonly url: string;
  readonly title?: string;
  /** How old the page is, as the provider wrote it (Anthropic `page_age`). */
  readonly pageAge?: string;
  readonly encrypted?: string;
}

/**
 * A hosted web search the provider ran for the model (Anthropic `web_search` server tool,
 * OpenAI `web_search_call`, Gemini Google Search grounding). `searching`: the model asked for
 * it (the query may not be known yet); `completed` / `failed`: it ran, with its query, results
 * and, when failed, the provider's error code. A search may arrive `completed` without a
 * `searching` first (Gemini reports its searches only at the end). `dialect`: whose ids and
 * encrypted data these are. Output: it commits the attempt like a tool call.
 */
export interface WebSearchEvent {
  readonly type: 'web_search';
  readonly id: string;
  readonly status: 'searching' | 'completed' | 'failed';
  readonly query?: string;
  readonly results?: readonly WebSearchResult[];
  readonly error?: string;
  readonly dialect?: string;
  /**
   * What the provider asks an app to display with answers grounded in its search (Google's
   * search suggestions, `searchEntryPoint.renderedContent`: HTML), carried to clients whose
   * protocol has a place for it.
   */
  readonly entryPoint?: string;
}

/**
 * Where in a document of the request a citation points (Anthropic's document citations): the
 * document's place among the request's documents (`index`, counted over every document part of
 * the call, in order) and the cited range, in characters of a text document (`char`, end
 * exclusive), pages of a PDF (`page`, end exclusive) or blocks of a custom-content document
 * (`block`, end exclusive).
 */
export interface DocumentLocation {
  readonly index: number;
  readonly title?: string;
  readonly kind: 'char' | 'page' | 'block';
  readonly start: number;
  readonly end: number;
  readonly fileId?: string;
}

/**
 * A source the text cites: `start` / `end` (UTF-16 offsets, end exclusive) delimit the cited
 * span in the response's text so far (all `text_delta` since `response_started`); it follows
 * that text. The source is a web page (`url`: a hosted web search's result) or a document of the
 * request (`document`). `encryptedIndex`: Anthropic's `encrypted_index`, only Anthropic reads it back.
 */
export interface CitationEvent {
  readonly type: 'citation';
  readonly url?: string;
  readonly document?: DocumentLocation;
  /**
   * A search result of the request cited (Anthropic `search_result_location`): its place among
   * the request's search results and the range of its text blocks (end exclusive); `url` is the
   * result's source and `title` its title.
   */
  readonly searchResult?: { readonly index: number; readonly start: number; readonly end: number };
  readonly title?: string;
  readonly citedText?: string;
  readonly start: number;
  readonly end: number;
  readonly encryptedIndex?: string;
  readonly dialect?: string;
}
/**
 * The work of a hosted tool other than web search (ToolDefinition kind `hosted`), in the
 * provider's own form: only a client of the same protocol can read it, and only a backend of
 * that provider runs such a tool. `block` is the provider's Anthropic content block, Responses
 * output item or Gemini part as it stands; `id` names it within the response (the provider's id
 * where it has one). `phase`: `added` (the provider opened it, `block` as far as known),
 * `progress` (one of the provider's own stream events for it, in `update`, less the fields that
 * place it in the stream: index, sequence number), `done` (complete, `block` final). A whole
 * response carries only `done`. `scope: 'message'`: a record of the whole message rather than a
 * block of it (Anthropic's `container`); it puts nothing in front of the client.
 */
export interface HostedToolEvent {
  readonly type: 'hosted_tool';
  readonly id: string;
  readonly dialect: string;
  readonly phase: 'added' | 'progress' | 'done';
  readonly block?: Readonly<Record<string, unknown>>;
  readonly update?: Readonly<Record<string, unknown>>;
  readonly scope?: 'message';
}
export interface WarningEvent { readonly type: 'warning'; readonly code: string; readonly message: string }
export interface ErrorEvent {
  readonly type: 'error';
  readonly code: string;
  readonly message: string;
  readonly status?: number;
}
export interface ResponseFinishedEvent {
  readonly type: 'response_finished';
  readonly reason: FinishReason;
  /** The provider's own finish reason, when it differs from the canonical name. */
  readonly raw?: string;
  /** The stop sequence that matched, when `reason` is `stop_sequence`. */
  readonly stopSequence?: string;
  /**
   * The provider stopped a long answer for the client to resume it (Gemini's `finishReason:
   * CONTINUATION` with its `continuationToken`, the token here): the backend resumes it with the
   * token and the answer goes on (lib/backends/continue-turn.ts continueResumedAnswers); no client
   * sees it.
   */
  readonly resume?: string;
  /**
   * The provider's own fields of the answer's end, in its dialect's form (FINISH_DIALECTS:
   * Anthropic's `stop_details` of a refusal, with its category and explanation, the context edits
   * it applied, ...): a client of that protocol is written them back; every other leaves them out.
   */
  readonly details?: FinishDetails;
}

/** A provider's own fields of an answer's end (ResponseFinishedEvent.details), in its dialect's form. */
export interface FinishDetails {
  readonly dialect: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export type LipEvent =
  | ResponseStartedEvent
  | MessageStartedEvent
  | TextDeltaEvent
  | ReasoningDeltaEvent
  | ReasoningSignatureEvent
  | ReasoningOpaqueEvent
  | ToolCallStartedEvent
  | ToolCallDeltaEvent
  | ToolCallFinishedEvent
  | WebSearchEvent
  | CitationEvent
  | HostedToolEvent
  | UsageEvent
  | WarningEvent
  | ErrorEvent
  | ResponseFinishedEvent;

export type LipEventType = LipEvent['type'];

export const LIP_EVENT_TYPES: readonly LipEventType[] = [
  'response_started', 'message_started', 'text_delta', 'reasoning_delta', 'reasoning_signature',
  'reasoning_opaque', 'tool_call_started', 'tool_call_delta', 'tool_call_finished', 'web_search', 'citation', 'hosted_tool', 'usage',
  'warning', 'error', 'response_finished',
];
