/**
 * The canonical request: one protocol-neutral shape that every frontend decodes into and every
 * backend encodes from. N frontends + M backends = N + M codecs, never N x M translators.
 *
 * Conventions every codec relies on:
 * - `system` holds the leading system/developer instructions; a system message in the middle of
 *   a conversation stays in `messages` with role `system`.
 * - Tool calls are `tool_call` parts of `assistant` messages; tool results are `tool_result`
 *   parts of `tool` messages (one message may carry several results).
 * - Reasoning history is a `reasoning` part of an `assistant` message, tagged with the dialect
 *   that produced it so that only a backend speaking that dialect replays it verbatim.
 */
import type { ProviderOptions, ToolProviderOptions } from './dialect-registry.js';
import type { ToolCaller, ToolCallFields, WebSearchResult } from './events.js';

export type Role = 'system' | 'user' | 'assistant' | 'tool';

/**
 * A prompt-cache breakpoint at a piece of the prompt (Anthropic `cache_control`, Bedrock
 * `cachePoint`, OpenAI `prompt_cache_breakpoint`): the prompt up to and including it may be
 * cached. `ttl` as the client wrote it (`5m`, `1h`). Providers that cache on their own (Gemini)
 * leave it out.
 */
export interface CacheMark {
  readonly ttl?: string;
  /**
   * Anthropic's `cache_control.scope` as the client wrote it (`global`: Claude Code's, with the
   * beta `prompt-caching-scope-2026-01-05`, caches a prefix across sessions): the anthropic
   * backend writes it back, every other leaves it out (Bedrock's `cachePoint` has no such field).
   */
  readonly scope?: string;
  /**
   * The client wrote it as OpenAI's `prompt_cache_breakpoint` (GPT-5.6 and later): a call holding
   * such a mark is one whose marks an OpenAI backend writes back as breakpoints (models before
   * GPT-5.6 refuse them, so marks of other forms alone never are). On the mark rather than the
   * call, so that it stays with a stored conversation's turns (`previous_response_id`).
   */
  readonly breakpoint?: true;
}

export interface TextPart {
  readonly type: 'text';
  readonly text: string;
  readonly cache?: CacheMark;
}

/** An image by URL (`https:`, `http:` or `data:`; Gemini's `gs:` and Files API references too) or inline base64 `data` with its media type. */
export interface ImagePart {
  readonly type: 'image';
  readonly url?: string;
  readonly data?: string;
  readonly mediaType?: string;
  /** OpenAI's `detail` hint (`auto`, `low`, `high`). */
  readonly detail?: string;
  /**
   * What the provider does with an image larger than the model takes (Anthropic's
   * `transformations.oversized_image`): `downsize` scales it down (every provider's default),
   * `error` refuses the request instead, so that a computer-use client's coordinates are never
   * those of a silently scaled screenshot. A backend whose API cannot say so leaves it out.
   */
  readonly oversized?: 'downsize' | 'error';
  readonly cache?: CacheMark;
  /** What the client's protocol wrote on the image besides its data (MediaFields). */
  readonly providerFields?: MediaFields;
}

/** A document (PDF, text, ...) by URL, provider file id, or inline base64 `data`. */
export interface FilePart {
  readonly type: 'file';
  readonly url?: string;
  readonly data?: string;
  readonly fileId?: string;
  readonly mediaType?: string;
  readonly filename?: string;
  readonly cache?: CacheMark;
  /** The client asks the model to cite this document (Anthropic `citations: {enabled: true}`); `citation` events point into it. */
  readonly citations?: boolean;
  /**
   * What the client says about the document, which the model reads but does not cite (Anthropic's
   * `context`): a backend whose API has no such field sends it as text before the document
   * (lib/backends/document-context.ts).
   */
  readonly context?: string;
  /** What the client's protocol wrote on the file besides its data (MediaFields: a Gemini client's `videoMetadata`). */
  readonly providerFields?: MediaFields;
}

/**
 * What a client wrote on an image or file besides its data, in its protocol's form: `value` holds
 * those fields (a Gemini part's `videoMetadata`, `mediaResolution`, `mediaProcessing`), `dialect`
 * whose they are (MEDIA_DIALECTS). Only a backend of that dialect sends them beside the part;
 * every other refuses a call with fields that change what the model reads of a part
 * (bindingMediaFields), and leaves the rest out.
 */
export interface MediaFields {
  readonly dialect: string;
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * A tool call the assistant made. `arguments` is the raw JSON text as the model produced it; for
 * a call of a custom (freeform) tool (`custom: true`) it is the model's raw input string instead.
 */
export interface ToolCallPart {
  readonly type: 'tool_call';
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
  /** A call of a custom tool: `arguments` is its raw input, not JSON. */
  readonly custom?: boolean;
  /** Provider signature bound to this call (Gemini `thoughtSignature` on a functionCall part). */
  readonly signature?: string;
  /**
   * The dialect of `signature` (REASONING_DIALECTS): a backend replays the signature only in its
   * own dialect. Absent on a signature: unknown origin (a record from before dialects were kept).
   */
  readonly dialect?: string;
  /**
   * Who made the call, as the provider wrote it (Anthropic's `caller`: the model itself, or code
   * execution calling the tool; OpenAI Responses' `caller`: the model, or a `program` item;
   * programmatic tool calling either way): a backend of its dialect sends it back with the call
   * (and with its result, where the protocol writes it there too), every other leaves it out.
   */
  readonly caller?: ToolCaller;
  /** The namespace of the tool called (ToolDefinition.namespace): the call names the tool `name` in it. */
  readonly namespace?: string;
  /**
   * Fields of a provider-defined tool's call item besides the arguments, in its dialect's form
   * (TOOL_DIALECTS: OpenAI's `pending_safety_checks` on a `computer_call`): a backend of that
   * dialect sends them back with the call, every other leaves them out.
   */
  readonly providerFields?: ToolCallFields;
  /**
   * The toolset the called tool is a member of (ToolDefinition.toolset: Anthropic's `computer`,
   * `browser`): a backend of the toolset's dialect names it with the call and with the call's
   * result (Anthropic's `toolset_name`); every other calls the member by its name alone.
   */
  readonly toolset?: string;
  readonly cache?: CacheMark;
}

/**
 * A search result the client retrieved itself (Anthropic `search_result` blocks: RAG results
 * given to the model in a user turn or a tool's result): where it came from (`source`, usually
 * a URL), its `title`, its text blocks, and whether the model should cite it (`citations`;
 * citations of it are `citation` events with a `searchResult` location). A backend whose API
 * has no such block gets it as text (lib/backends/search-results.ts).
 */
export interface SearchResultPart {
  readonly type: 'search_result';
  readonly source: string;
  readonly title: string;
  readonly content: readonly TextPart[];
  readonly citations?: boolean;
  readonly cache?: CacheMark;
}

/**
 * A tool a client-side tool search found (Anthropic `tool_reference` blocks in a `tool_result`):
 * a tool of the call declared with `deferLoading`, whose definition the provider loads for the
 * model from here on. A backend whose provider has no deferred loading declared that tool in full
 * and gets the reference as text (`Tool loaded: <name>`), so the model still reads what the search
 * found (lib/backends/tool-references.ts).
 */
export interface ToolReferencePart {
  readonly type: 'tool_reference';
  /** The name of the declared tool. */
  readonly name: string;
  /** The namespace of the tool (ToolDefinition.namespace), when it is in one. */
  readonly namespace?: string;
  readonly cache?: CacheMark;
}

/**
 * What a client-run tool search (a `tool_search` tool's call) loaded, kept on its result: the
 * tools' canonical definitions (functions and custom tools, with their namespace), and the
 * client's record as written (OpenAI's `tool_search_output` item), of its `dialect`
 * (TOOL_SEARCH_DIALECTS). A backend of that dialect sends the record back as it was; every other
 * declares the tools in full and reads the result as text naming them
 * (lib/backends/tool-namespaces.ts).
 */
export interface LoadedTools {
  readonly tools: readonly ToolDefinition[];
  readonly dialect: string;
  readonly record: Readonly<Record<string, unknown>>;
}

/** The result of a tool call, answered by the client. */
export interface ToolResultPart {
  readonly type: 'tool_result';
  readonly callId: string;
  /** The tool's name when the protocol carries it (Gemini needs it, Anthropic does not). */
  readonly name?: string;
  readonly content: string | ReadonlyArray<TextPart | ImagePart | FilePart | SearchResultPart | ToolReferencePart>;
  readonly isError?: boolean;
  readonly cache?: CacheMark;
  /** The answer of a client's tool search: the tools it loaded (its `content` names them as tool references). */
  readonly loaded?: LoadedTools;
  /**
   * Whose call the result answers, as the client wrote it on the result (OpenAI Responses'
   * `function_call_output.caller`: the program that made the call): a backend of its dialect sends
   * it with the result (one that has none there goes with its call's), every other leaves it out.
   */
  readonly caller?: ToolCaller;
  /**
   * The result as the client wrote it, in the form of a provider-defined tool's dialect
   * (TOOL_DIALECTS: OpenAI's `shell_call_output` item with its stdout, stderr and exit code per
   * command): a backend of that dialect sends it back as it was; every other reads `content`.
   */
  readonly written?: WrittenResult;
}

/** A tool result in a provider's own form (ToolResultPart.written). */
export interface WrittenResult {
  /** Whose form it is (TOOL_DIALECTS). */
  readonly dialect: string;
  readonly item: Readonly<Record<string, unknown>>;
}

/**
 * Reasoning from an earlier turn. `dialect` says which provider format the payload belongs to
 * (see `REASONING_DIALECTS`); backends replay only their own dialect and drop or flatten others.
 */
export interface ReasoningPart {
  readonly type: 'reasoning';
  readonly dialect: string;
  /** Visible reasoning or summary text (may be empty when only a signature exists). */
  readonly text?: string;
  /** Anthropic thinking signature, Gemini thoughtSignature. */
  readonly signature?: string;
  /** Opaque payload: Anthropic redacted_thinking `data`, OpenAI `encrypted_content`. */
  readonly opaque?: string;
  /** Provider item id (OpenAI Responses `rs_...`). */
  readonly id?: string;
  /**
   * The summary parts, when the protocol keeps them apart (OpenAI Responses `summary[]`);
   * `text` then holds them joined by blank lines. Lets a replay rebuild the item exactly.
   */
  readonly summary?: readonly string[];
}

/**
 * A hosted web search in an assistant turn of the history (what a `web_search` event reported):
 * a backend of the same `dialect` sends it back in its own form (Anthropic `server_tool_use` +
 * `web_search_tool_result`, OpenAI `web_search_call`); others leave it out, since the text that
 * follows already says what the search found.
 */
export interface WebSearchPart {
  readonly type: 'web_search';
  readonly id: string;
  readonly status: 'completed' | 'failed';
  readonly query?: string;
  readonly results?: readonly WebSearchResult[];
  readonly error?: string;
  readonly dialect?: string;
}

/**
 * The record of a hosted tool's work in the history (what a `hosted_tool` event carried), in the
 * provider's own form: an Anthropic content block (`server_tool_use`, `code_execution_tool_result`,
 * `web_fetch_tool_result`, ...), an OpenAI Responses item (`code_interpreter_call`,
 * `image_generation_call`, `mcp_call`, `program`, ...) or a Gemini part (`executableCode`,
 * `codeExecutionResult`); or another item of a provider's that only its backends read (OpenAI's
 * `compaction` and `additional_tools` items). Only a backend of its `dialect` (HOSTED_DIALECTS)
 * sends it, as it is; every other backend leaves it out (the text after it says what the tool
 * did), reads a compaction from its summary or refuses one without (`compaction`), and declares
 * the tools an item adds (`tools`).
 */
export interface HostedToolPart {
  readonly type: 'hosted_tool';
  readonly dialect: string;
  readonly block: Readonly<Record<string, unknown>>;
  /**
   * The record stands for the conversation before it: the provider compacted those turns into it
   * (Anthropic's `compaction` block, OpenAI's `compaction` item). `summary` is the summary as
   * readable text, absent when the record holds what it replaced only in a form no other provider
   * can read (an encrypted payload alone, as OpenAI's always is; tool changes). A backend of another
   * dialect sends the summary as a user message at the conversation's start in place of everything
   * before the record (compactionSummaryMessage), and refuses a call whose record has none,
   * retryably (lib/backends/hosted-tools.ts).
   */
  readonly compaction?: { readonly summary?: string };
  /**
   * The tools the item makes available from its place in the conversation on (OpenAI's
   * `additional_tools` item), as canonical definitions: a backend of the dialect sends the item in
   * place and nothing more; every other backend declares these tools with the call's own (one
   * per name: a tool declared twice is the same tool, canonical/added-tools.ts), so that its
   * model can call them, and leaves the item out.
   */
  readonly tools?: readonly ToolDefinition[];
}

/** Every part; a `tool_reference` belongs only in a tool result's content (validateCall refuses it in a message). */
export type Part = TextPart | ImagePart | FilePart | ToolCallPart | ToolResultPart | ReasoningPart | WebSearchPart | SearchResultPart | HostedToolPart | ToolReferencePart;
export type PartType = Part['type'];

export interface Message {
  readonly role: Role;
  readonly parts: readonly Part[];
  /**
   * The participant's name, telling apart speakers of one role (OpenAI Chat's `name` on a user
   * or assistant message); sent where the provider takes one (OpenAI Chat), else left out.
   */
  readonly name?: string;
}

export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /**
   * JSON Schema of the arguments object. For a custom tool: CUSTOM_TOOL_PARAMETERS, the one-string
   * object a function-only provider is offered in its place.
   */
  readonly parameters: Readonly<Record<string, unknown>>;
  /**
   * Constrained inputs: the model's arguments must match `parameters` (OpenAI and Anthropic
   * `strict`). A backend whose provider takes only a subset of schemas as strict sends a schema
   * outside that subset without it.
   */
  readonly strict?: boolean;
  readonly cache?: CacheMark;
  /**
   * `custom`: a freeform tool (OpenAI custom tools): the model answers with one raw string, not
   * JSON arguments. `provider`: a tool whose schema a provider defines and the client runs
   * (Anthropic's text editor, bash, memory, computer use), declared in `providerTool`; its calls
   * are ordinary calls with JSON arguments. `web_search`: a search the provider runs itself
   * (Anthropic's `web_search_*` server tool, OpenAI's `web_search`, Gemini's `googleSearch`),
   * with `webSearch` options; it reaches the model as the provider's own search tool, never as a
   * function, and its searches come back as `web_search` events. `hosted`: any other tool the
   * provider runs itself (Anthropic's code execution, web fetch and tool search; OpenAI's code
   * interpreter, file search, image generation and remote MCP; Gemini's code execution and URL
   * context), declared in `providerTool`: only a backend of its dialect can send it (as written),
   * every other refuses the request before sending, and its work comes back as `hosted_tool`
   * events. `tool_search`: a tool search the client runs itself (OpenAI's `tool_search` tool with
   * `execution: "client"`), named TOOL_SEARCH_TOOL_NAME, with the client's description and
   * `parameters`: its calls are ordinary calls (JSON arguments) that a Responses client gets as
   * `tool_search_call` items, its results carry what it `loaded`; a backend without tool search
   * offers it as a function tool. Absent: a function tool.
   */
  readonly kind?: 'custom' | 'provider' | 'web_search' | 'hosted' | 'tool_search';
  /**
   * The input format of a custom tool as the client wrote it (OpenAI `{type: "text"}` or
   * `{type: "grammar", syntax, definition}`), passed on opaquely to providers that take it.
   */
  readonly format?: Readonly<Record<string, unknown>>;
  /**
   * The declaration of a provider-defined tool (`kind: 'provider'`); for `kind: 'web_search'`,
   * the client's own declaration, which a backend of that dialect sends as it was written; for
   * `kind: 'hosted'` (required), the hosted tool as the client declared it (HOSTED_DIALECTS).
   */
  readonly providerTool?: ProviderTool;
  /** A hosted web search's options (`kind: 'web_search'`). */
  readonly webSearch?: WebSearchOptions;
  /**
   * The tool's definition reaches the model only once a tool search found it (Anthropic
   * `defer_loading`: a search tool of the provider's, or the client's own answering with
   * `tool_reference` parts). A backend whose provider has no deferred loading declares the tool
   * in full: the model simply has it from the start.
   */
  readonly deferLoading?: boolean;
  /** Per-tool fields only one provider family reads (ToolProviderOptions), sent only by a backend of that family. */
  readonly providerOptions?: ToolProviderOptions;
  /**
   * The namespace the tool belongs to (OpenAI's `namespace` tools: an MCP server's tools grouped as
   * `mcp__calendar`): names are unique per (namespace, name), and a call of it names both. A
   * backend without namespaces offers it as a function of one unique flattened name
   * (`<namespace>__<name>`) and maps the model's calls back (lib/backends/tool-namespaces.ts).
   */
  readonly namespace?: string;
  /** The namespace's description, as the client wrote it (repeated on each of its tools). */
  readonly namespaceDescription?: string;
  /**
   * The toolset this tool is a member of (kind `provider`): one declaration of the client's
   * (Anthropic's `computer_toolset_…`, `browser_toolset_…`) stands for a family of tools, named by
   * the family (`computer`), that the model calls each by its own name. Each enabled member is a
   * tool of its own, with lip's description and parameters, and all carry the toolset's one
   * declaration as their `providerTool`: a backend of its dialect sends that declaration once, in
   * the place of the first member (with the cache mark any member has), and names the toolset with
   * each call of a member; every other backend offers each member as the function it is.
   */
  readonly toolset?: string;
  /**
   * A hosted tool (kind `hosted`) that only saves work the model can do without it (OpenAI's
   * hosted tool search: it loads deferred tools, which a backend without it declares in full): a
   * backend of another dialect leaves it out instead of refusing the call.
   */
  readonly optional?: boolean;
}

/**
 * A client-run tool whose schema a provider defines, as the client declared it. A backend of its
 * `dialect` sends `definition` back as it is, so that the provider's model gets the tool it was
 * trained on; every other backend offers it as a function tool of the same name, with the tool's
 * `name`, `description` and `parameters`, which the frontend wrote for that purpose. Either way
 * the model's calls of it are ordinary tool calls and the client answers them with ordinary
 * tool results.
 */
/**
 * Options of a hosted web search, each sent to the providers that have it and left out elsewhere:
 * `maxUses` (Anthropic `max_uses`), `allowedDomains` (Anthropic `allowed_domains`, OpenAI
 * `filters.allowed_domains`), `blockedDomains` (Anthropic `blocked_domains`), `userLocation`
 * (both; OpenAI's `approximate` one), `contextSize` (OpenAI `search_context_size`), `liveAccess`
 * (OpenAI `external_web_access`: false keeps to cached pages).
 */
export interface WebSearchOptions {
  readonly maxUses?: number;
  readonly allowedDomains?: readonly string[];
  readonly blockedDomains?: readonly string[];
  readonly userLocation?: { readonly city?: string; readonly region?: string; readonly country?: string; readonly timezone?: string };
  readonly contextSize?: 'low' | 'medium' | 'high';
  readonly liveAccess?: boolean;
}

/** The one name a client-run tool search has (OpenAI's `tool_search` tool has none of its own). */
export const TOOL_SEARCH_TOOL_NAME = 'tool_search';

/** The one name a hosted web search tool has (Anthropic requires it; the others have none). */
export const WEB_SEARCH_TOOL_NAME = 'web_search';

export interface ProviderTool {
  /** Whose definition it is (TOOL_DIALECTS). */
  readonly dialect: string;
  /**
   * The tool as the client wrote it, less what lip reads elsewhere (the cache mark) or ignores:
   * its `type`, `name` and own fields (`{type: "text_editor_20250728", name:
   * "str_replace_based_edit_tool", max_characters: 10000}`).
   */
  readonly definition: Readonly<Record<string, unknown>>;
}

/**
 * The arguments schema that stands in for a custom tool where only function tools exist: one
 * required string, the raw input. A call of it (`{"input": "..."}`) is the custom call's input.
 */
export const CUSTOM_TOOL_PARAMETERS: Readonly<Record<string, unknown>> = Object.freeze({
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input of the tool, as one string.' } },
  required: ['input'],
  additionalProperties: false,
});

/**
 * `any` = the model must call some tool; `tool` = it must call the named one. `allowed` (on
 * `auto` and `any`) names the only tools the model may call while all of `tools` stay declared
 * (OpenAI `allowed_tools`, which keeps the prompt cache; Gemini `allowedFunctionNames`); a
 * provider without it is sent only the allowed tools.
 */
export type ToolChoice =
  | { readonly type: 'auto'; readonly allowed?: readonly string[] }
  | { readonly type: 'none' }
  | { readonly type: 'any'; readonly allowed?: readonly string[] }
  | { readonly type: 'tool'; readonly name: string };

export type ResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | {
    readonly type: 'json_schema';
    readonly name?: string;
    /** What the answer is for, which the model reads to shape it (OpenAI `description`; other providers have no place for it). */
    readonly description?: string;
    readonly schema: Readonly<Record<string, unknown>>;
    readonly strict?: boolean;
  };

export interface ReasoningOptions {
  /** `minimal`, `low`, `medium`, `high` (OpenAI vocabulary; other values pass through). */
  readonly effort?: string;
  /** Thinking budget in tokens (Anthropic `budget_tokens`, Gemini `thinkingBudget`). */
  readonly budgetTokens?: number;
  /** Ask the provider to return its reasoning text / summaries. */
  readonly includeThoughts?: boolean;
  /**
   * How detailed a summary of its reasoning the client asked for (OpenAI Responses
   * `reasoning.summary`: `auto`, `concise`, `detailed`); a backend that takes a level sends it,
   * the others read `includeThoughts`.
   */
  readonly summary?: 'auto' | 'concise' | 'detailed';
  /**
   * Let the model decide whether and how much to think (Anthropic `thinking: {type: "adaptive"}`).
   * An explicit `budgetTokens` wins; backends without such a mode use their own default.
   */
  readonly adaptive?: boolean;
  /**
   * The effort is Anthropic's own (`output_config.effort`): how thoroughly the model works, with
   * thinking or without, not a request to reason. An Anthropic model gets it as its effort and
   * thinks only as `budgetTokens`/`adaptive` say; other backends read `effort` as any effort.
   */
  readonly outputEffort?: boolean;
  /**
   * The client turned thinking off without a budget (an Anthropic client's `thinking: {type:
   * "disabled"}`). A backend whose off switch its models take sends it (openai-chat's `thinking`
   * and OpenRouter `reasoning` parameters); the others ask for no reasoning, as without reasoning
   * options (a Gemini 2.5 Pro refuses a budget of 0).
   */
  readonly disabled?: boolean;
}

/** Generation options; absent = provider default. Route `?query` overrides merge into these. */
export interface GenerationOptions {
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly maxOutputTokens?: number;
  readonly stopSequences?: readonly string[];
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  readonly seed?: number;
  readonly reasoning?: ReasoningOptions;
  readonly verbosity?: 'low' | 'medium' | 'high';
  readonly parallelToolCalls?: boolean;
  readonly responseFormat?: ResponseFormat;
  /**
   * Return each output token's log probability with this many most likely alternatives (0: the
   * token's own only); absent: none. Providers without log probabilities answer without them.
   */
  readonly logprobs?: number;
}

export interface Call {
  /** The model string the client asked for (echoed back; may be a selector). */
  readonly model: string;
  /** Whether the client wants a stream. Backends may stream upstream either way. */
  readonly stream: boolean;
  readonly system: readonly TextPart[];
  readonly messages: readonly Message[];
  readonly tools: readonly ToolDefinition[];
  readonly toolChoice: ToolChoice;
  readonly options: GenerationOptions;
  /** Client metadata (string map), forwarded where the provider accepts it. */
  readonly metadata: Readonly<Record<string, string>>;
  /** End-user id the client supplied (OpenAI `user`, Anthropic `metadata.user_id`). */
  readonly user?: string;
  /**
   * Beta features the client opted into with its provider (Anthropic's `anthropic-beta` header:
   * a longer context, interleaved thinking, ...). A backend of that provider sends them on; the
   * others ignore them.
   */
  readonly betas?: readonly string[];
  /** Provider-family request knobs (service tier, prompt-cache key, ...); absent when none were set. */
  readonly providerOptions?: ProviderOptions;
}


/** A minimal valid call, for codecs and tests to spread over. */
export function emptyCall(overrides: Partial<Call> = {}): Call {
  return {
    model: '',
    stream: false,
    system: [],
    messages: [],
    tools: [],
    toolChoice: { type: 'auto' },
    options: {},
    metadata: {},
    ...overrides,
  };
}
