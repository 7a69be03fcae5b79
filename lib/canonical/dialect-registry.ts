import type { Call, MediaFields } from './call.js';

/**
 * Reasoning dialects: which provider format a reasoning payload belongs to. Backends replay a
 * reasoning part verbatim only in their own dialect; unknown dialects are legal and simply not
 * replayed. This file is the one place in canonical/ that names providers. A client of another
 * protocol carries a dialect's signatures and opaque payloads home sealed with the dialect
 * (lib/frontends/state-envelope.ts), so they reach only a backend of that dialect.
 * Bedrock's Claude models speak Anthropic's dialects: Anthropic documents thinking signatures
 * as valid across the Claude API, Bedrock and Vertex AI.
 */
export const REASONING_DIALECTS = {
  openaiChat: 'openai.chat.reasoning_content',
  openaiResponses: 'openai.responses.reasoning',
  anthropicThinking: 'anthropic.thinking',
  anthropicRedacted: 'anthropic.redacted_thinking',
  geminiThought: 'gemini.thought',
  /**
   * OpenRouter's `reasoning_details` (the reasoning of any model it serves, in its own form:
   * `reasoning.text` with its signature, `reasoning.summary`, `reasoning.encrypted`), as the
   * JSON array of one reasoning run's entries: the signature of the reasoning text it was streamed with.
   */
  openrouterDetails: 'openrouter.reasoning_details',
  /** A conversation summary lip wrote for a Responses client's `/responses/compact` (any backend). */
  lipCompaction: 'lip.compaction',
} as const;

/**
 * Tool dialects: whose schema a provider-defined tool (ToolDefinition.providerTool) follows. Only
 * a backend of the dialect sends the definition as written; the others offer a function tool in
 * its place. Bedrock's Claude models get the function tool too: Converse declares tools as
 * `toolSpec` only.
 */
export const TOOL_DIALECTS = {
  /**
   * Anthropic's client tools: `bash_…`, `text_editor_…`, `memory_…`, `computer_…`, and the
   * members of its toolsets (`computer_toolset_…`, `browser_toolset_…`: ToolDefinition.toolset),
   * whose results may be written in its form (a `browser_state` block: ToolResultPart.written).
   */
  anthropic: 'anthropic.tool',
  /**
   * OpenAI Responses' client-run tools: `shell`, `apply_patch`, `local_shell`, and computer use
   * (`computer`, `computer_use_preview`). Their calls and the client's answers are items of their
   * own (`shell_call`, `shell_call_output`, `computer_call`, ...), which only a backend of the
   * dialect sends as such; a computer call's safety checks are its ToolCallPart.providerFields.
   */
  openaiResponses: 'openai.responses.tool',
  /**
   * Gemini's computer use (`computerUse`): predefined functions (`click_at`, `navigate`, ...) that
   * the model calls as ordinary function calls and the client runs. Each function is a provider
   * tool of its own, all with the client's one `{computerUse: {...}}` declaration, which a gemini
   * backend sends once.
   */
  gemini: 'gemini.tool',
} as const;

/**
 * Web search dialects: whose ids and encrypted results a `web_search` event or part carries, and
 * whose declaration a hosted web search tool's `providerTool` is. Only a backend of the dialect
 * sends them back as they were (ToolDefinition.providerTool, WebSearchPart).
 */
export const SEARCH_DIALECTS = {
  anthropic: 'anthropic.web_search',
  openaiResponses: 'openai.responses.web_search',
  openaiChat: 'openai.chat.web_search',
  gemini: 'gemini.google_search',
} as const;

/** A provider's store of files, as a media reference names it (FILE_STORES). */
export interface FileStore {
  /** What the store is, in a refusal's words. */
  readonly name: string;
  /** The backend kinds that read its files, for a refusal's advice. */
  readonly readers: string;
  /** Whether a URL or file id is of the store's form. */
  holds(reference: string): boolean;
}

/**
 * File stores: whose store an image's or file's reference (its URL, its file id) names, by its
 * form: Google's (a Gemini Files API URI or file name `files/…`, a `gs://` Cloud Storage URI: read
 * with the caller's Google credentials), OpenAI's (file ids `file-…`), Anthropic's (file ids
 * `file_…`). A reference of no store's form (a web URL, an id of another form) is nobody's. A
 * backend refuses a reference of another provider's store (lib/backends/media-refusal.ts); lip's
 * own files never reach one by reference (the frontends put them inline).
 */
export const FILE_STORES = {
  google: { name: "Google's storage", readers: 'gemini', holds: (r) => /^(?:gs:\/\/|https?:\/\/generativelanguage\.googleapis\.com\/[^?#]*\bfiles\/|files\/[a-z0-9-]+$)/iu.test(r) },
  openai: { name: "OpenAI's files", readers: 'openai-responses, openai-chat', holds: (r) => r.startsWith('file-') },
  anthropic: { name: "Anthropic's files", readers: 'anthropic', holds: (r) => r.startsWith('file_') },
} as const satisfies Record<string, FileStore>;

/**
 * Media dialects (ImagePart and FilePart `providerFields`): whose fields of an image or file
 * besides its data they are. Only a backend of the dialect sends them beside the part.
 */
export const MEDIA_DIALECTS = {
  /**
   * A Gemini part's `videoMetadata` (`startOffset`, `endOffset`, `fps`: the stretch of a video the
   * model reads, and at what frame rate), `mediaResolution` (`{level, numTokens}`: how many tokens
   * the image or each frame is spent) and `mediaProcessing` (`STATIC`, `AGENTIC`: how the model
   * goes through a video), as written.
   */
  gemini: 'gemini.part',
} as const;

/** A field of an image's or file's provider fields that changes what the model reads of it (bindingMediaFields). */
export interface BindingMediaField {
  /** The field, as a refusal names it. */
  readonly field: string;
  /** What it asks of the model, in a refusal's words. */
  readonly what: string;
  /** The backend kinds that read it, for a refusal's advice. */
  readonly readers: string;
}

const GEMINI_VIDEO_METADATA: BindingMediaField = { field: 'videoMetadata', what: 'a stretch of a video, at a frame rate', readers: 'gemini' };

/**
 * The fields of an image's or file's provider fields that change what the model reads of it:
 * Gemini's `videoMetadata` (a stretch of the video, a frame rate). A backend of another dialect
 * refuses the call before sending rather than have its model read the whole file
 * (lib/backends/media-refusal.ts); the other fields are hints (Gemini's `mediaResolution` and
 * `mediaProcessing`), left out, as the request's own `generationConfig.mediaResolution` is.
 */
export function bindingMediaFields(fields: MediaFields | undefined): readonly BindingMediaField[] {
  return fields?.dialect === MEDIA_DIALECTS.gemini && fields.value.videoMetadata !== undefined ? [GEMINI_VIDEO_METADATA] : [];
}

/**
 * Hosted tool dialects (ToolDefinition kind `hosted`, `hosted_tool` events and parts): whose
 * declaration, blocks and items they are. Only a backend of the dialect sends them; the others
 * refuse a call that declares one and leave such parts of the history out.
 */
export const HOSTED_DIALECTS = {
  anthropic: 'anthropic.server_tool',
  openaiResponses: 'openai.responses.hosted_tool',
  gemini: 'gemini.builtin_tool',
} as const;

/**
 * Tool search dialects (LoadedTools): whose record of what a client's tool search loaded it is
 * (OpenAI's `tool_search_output` item). Only a backend of the dialect sends it back as written;
 * the others get the loaded tools declared and text naming them.
 */
export const TOOL_SEARCH_DIALECTS = {
  openaiResponses: 'openai.responses.tool_search',
} as const;

/**
 * Finish dialects (ResponseFinishedEvent.details): whose fields of an answer's end they are. Only a
 * client of that protocol reads them.
 */
export const FINISH_DIALECTS = {
  /**
   * Anthropic's message fields lip has no canonical form for, by wire name, as written:
   * `stop_details` (a refusal's `{type: "refusal", category, explanation}`), `context_management`
   * (the context edits the server applied) and `input_transformations` (the thinking blocks it
   * dropped or let through when they failed its conversation check).
   */
  anthropic: 'anthropic.message',
  /**
   * Gemini's fields of an answer's end lip has no canonical form for, as written: the candidate's
   * `finishMessage` (the finish reason in words), `safetyRatings` and `citationMetadata`, and a
   * blocked prompt's `promptFeedback` (the answer then has no candidate).
   */
  gemini: 'gemini.candidate',
} as const;

/** Usage dialects (Usage.iterations): whose breakdown of an answer's usage it is. Only a client of that protocol reads it. */
export const USAGE_DIALECTS = {
  /** Anthropic's `usage.iterations`, as written (`message`, `compaction`, `advisor_message`, `fallback_message` entries). */
  anthropic: 'anthropic.iterations',
} as const;

/**
 * Caller dialects (ToolCaller): whose record of who made a tool call it is. Only a client of that
 * protocol reads it, and only a backend of the dialect sends it back with the call.
 */
export const CALLER_DIALECTS = {
  /** Anthropic's tool_use `caller`: `{type: "direct"}`, or the code execution tool that called it (`{type: "code_execution_…", tool_id}`). */
  anthropic: 'anthropic.caller',
  /**
   * OpenAI Responses' call items' `caller`: `{type: "direct"}`, or the program that made the call
   * (`{type: "program", caller_id}`: programmatic tool calling, the `call_id` of a `program` item).
   */
  openaiResponses: 'openai.responses.caller',
} as const;

/**
 * OpenAI request knobs a client set for cost and caching, as it wrote them. Sent only by the
 * OpenAI backends (each the ones its endpoint takes), never by another provider's.
 */
export interface OpenAIProviderOptions {
  /** `auto`, `default`, `flex`, `scale`, `priority` (OpenAI may add tiers). */
  readonly serviceTier?: string;
  /** Routes prompt-cache hits (Codex CLI sends its conversation id). */
  readonly promptCacheKey?: string;
  /** `in_memory` or `24h`. */
  readonly promptCacheRetention?: string;
  /** A stable hash of the end user, for OpenAI's abuse detection. */
  readonly safetyIdentifier?: string;
  /** Responses only: `auto` or `disabled`. */
  readonly truncation?: 'auto' | 'disabled';
  /** Chat only: token id -> bias (-100 to 100). */
  readonly logitBias?: Readonly<Record<string, number>>;
  /** Chat only: predicted output (`{type: "content", content}`), opaque. */
  readonly prediction?: Readonly<Record<string, unknown>>;
  /** `{mode?: "implicit" | "explicit", ttl?}` (GPT-5.6 and later). */
  readonly promptCacheOptions?: Readonly<Record<string, unknown>>;
  /**
   * `{model, policy?: {input?: {mode}, output?: {mode}}}`: OpenAI moderates the input and output
   * (`score` or `block`). A policy that blocks is a hosted capability (hostedKnobs): refused by
   * every backend that does not send it.
   */
  readonly moderation?: Readonly<Record<string, unknown>>;
  /**
   * Responses only: `max_tool_calls`, the most calls of OpenAI's built-in (hosted) tools one
   * response makes (further calls are ignored). Another provider has no such limit: dropped there.
   */
  readonly maxToolCalls?: number;
  /**
   * Responses only: the client's `include` values that belong to its hosted tools'
   * (HOSTED_DIALECTS.openaiResponses) items (`code_interpreter_call.outputs`,
   * `file_search_call.results`), as written; the openai-responses backend asks for them with those
   * tools. The other include values have canonical homes (logprobs, encrypted reasoning, search sources).
   */
  readonly include?: readonly string[];
  /**
   * Responses only: `context_management` as written (`[{type: "compaction", compact_threshold}]`):
   * OpenAI compacts the context itself once it grows past the threshold, and its answer holds the
   * `compaction` item. A hosted capability (hostedKnobs): sent by the openai-responses backend
   * whatever `provider_options` says, refused by every other backend.
   */
  readonly contextManagement?: readonly Readonly<Record<string, unknown>>[];
  /**
   * Responses only: the input ended with a `compaction_trigger` item: OpenAI compacts the context
   * and answers with the `compaction` item. A hosted capability, as `contextManagement` is; the
   * openai-responses backend ends the input with the item again. It concerns this request alone:
   * a continued conversation does not repeat it.
   */
  readonly compactionTrigger?: boolean;
}

/** Anthropic request knobs; sent only by the anthropic backend. */
export interface AnthropicProviderOptions {
  /** `auto` or `standard_only`. */
  readonly serviceTier?: string;
  /** Where the model runs (data residency, e.g. `us`); the workspace's default when absent. */
  readonly inferenceGeo?: string;
  /** `fast`: Anthropic's high output speed mode (priced higher); `standard`. */
  readonly speed?: 'standard' | 'fast';
  /** `{edits: [...]}`: context edits the server applies (clearing old tool results or thinking), opaque. */
  readonly contextManagement?: Readonly<Record<string, unknown>>;
  /**
   * `thinking: {type: "between_tools"}`: thinking off, the short progress notes the model writes
   * between tool calls come back as thinking blocks (canonically: no reasoning).
   */
  readonly thinkingType?: 'between_tools';
  /** `thinking.display` as written (`summarized`, `omitted`, ...); canonically `reasoning.includeThoughts`. */
  readonly thinkingDisplay?: string;
  /**
   * `thinking.block_binding` as written (`{prefix_mismatch_behavior: "drop_block"}`: a thinking
   * block sent back that fails Anthropic's conversation check is dropped instead of failing the
   * request). Sent with the thinking it belongs to.
   */
  readonly thinkingBlockBinding?: Readonly<Record<string, unknown>>;
  /** `output_config.task_budget` as written (`{type: "tokens", total, remaining?}`): the token budget of a task across its contexts. */
  readonly taskBudget?: Readonly<Record<string, unknown>>;
  /** `container` as written: the code execution container to reuse (its id, or `{id, skills}`). */
  readonly container?: string | Readonly<Record<string, unknown>>;
  /**
   * `mcp_servers` as written (`{type: "url", url, name, authorization_token?, tool_configuration?}`):
   * the MCP servers Anthropic connects to and whose tools it runs (the MCP connector). A hosted
   * capability, like a hosted tool of HOSTED_DIALECTS.anthropic (hostedKnobs). Each
   * `authorization_token` is the client's secret: recordings mask it (scrub-credentials.ts).
   */
  readonly mcpServers?: readonly Readonly<Record<string, unknown>>[];
  /**
   * `compaction` as written (`{type: "summarize", instructions?}`): the request asks Anthropic to
   * compact the conversation into one `compaction` block and answer with it alone. A hosted
   * capability, as the `compact_…` edit of `contextManagement` is (hostedKnobs).
   */
  readonly compaction?: Readonly<Record<string, unknown>>;
}

/** Gemini request knobs; sent only by the gemini backend. */
export interface GeminiProviderOptions {
  /** `[{category, threshold, method?}]`: the client's blocking thresholds per harm category, as written. */
  readonly safetySettings?: readonly Readonly<Record<string, unknown>>[];
  /** `generationConfig.mediaResolution` (`MEDIA_RESOLUTION_LOW`, ...): tokens spent per image or video frame. */
  readonly mediaResolution?: string;
  /**
   * `thinkingConfig.thinkingLevel` as written (`low`, `high`, ...; Gemini 3): a gemini backend sends
   * it in place of a budget derived from the effort (the models that take a level may think worse
   * on a budget; the older ones refuse a level, and a client that wrote one knows its model).
   */
  readonly thinkingLevel?: string;
  /**
   * `toolConfig.includeServerSideToolInvocations`: Gemini also returns its built-in tools' own
   * calls and results (`toolCall`, `toolResponse` parts). Only Gemini makes such parts.
   */
  readonly includeServerSideToolInvocations?: boolean;
  /** `toolConfig.retrievalConfig` as written (`{latLng, languageCode}`): where the user is, for Google Maps and Search grounding. */
  readonly retrievalConfig?: Readonly<Record<string, unknown>>;
  /** `serviceTier` as written (`flex`, `standard`, `priority`): Gemini's price and latency tier. */
  readonly serviceTier?: string;
  /** `generationConfig.enableEnhancedCivicAnswers`: Gemini's enhanced answers on civic topics (elections, ...), where the model has them. */
  readonly enhancedCivicAnswers?: boolean;
  /**
   * `modelArmorConfig` as written (`{promptTemplateName?, responseTemplateName?}`, Vertex AI):
   * Model Armor screens the prompt and the answer by those templates. A safety gate, a hosted
   * capability (hostedKnobs): sent by the gemini backend whatever provider_options says, refused
   * by every other backend.
   */
  readonly modelArmorConfig?: Readonly<Record<string, unknown>>;
  /**
   * The `continuationToken` of an answer Gemini stopped for the client to resume (`finishReason:
   * CONTINUATION`): set by the gemini backend itself when it resumes the answer, never from a
   * client's request, and sent whatever the row's provider_options says.
   */
  readonly continuationToken?: string;
}

/**
 * Request knobs that belong to one provider family (Call.providerOptions), tagged with it; like
 * the dialects, named here, the one place in canonical/ that names providers: a frontend fills its own
 * family's from an explicit list of fields, a backend of that family sends them on (never over a
 * field lip sets itself), every other backend ignores them.
 */
export interface ProviderOptions {
  readonly openai?: OpenAIProviderOptions;
  readonly anthropic?: AnthropicProviderOptions;
  readonly gemini?: GeminiProviderOptions;
}

/**
 * Hosted capabilities of no hosted tool dialect, each run by the backends that name it to
 * `forHostedDialect` (hostedKnobs): OpenAI's moderation of a call that a `block` policy makes a
 * safety gate, run by the OpenAI backends that send OpenAI's knobs.
 */
export const HOSTED_KNOB_DIALECTS = {
  openaiModeration: 'openai.moderation',
} as const;

/**
 * The request knobs that have a provider run something itself (a hosted capability, as a hosted
 * tool is), each with the hosted dialect whose backends alone send it and the field a refusal
 * names: every other backend refuses a call that sets one before sending, as it refuses another
 * provider's hosted tool (lib/backends/hosted-tools.ts). Anthropic's `mcp_servers` alone enable
 * the tools of those servers (the 2025-04-04 MCP connector beta needs no `mcp_toolset`); its
 * server-side compaction (serverCompaction) has Anthropic summarize the conversation; an OpenAI
 * `moderation` policy that blocks (blockingModeration) has OpenAI refuse flagged input or output,
 * a safety gate a backend that does not send it would silently open; so does a Gemini client's
 * `modelArmorConfig` (Model Armor screens the prompt and answer).
 */
export function hostedKnobs(options: ProviderOptions | undefined): readonly { readonly dialect: string; readonly field: string }[] {
  const anthropic = options?.anthropic;
  const openai = options?.openai;
  const gemini = options?.gemini;
  if (anthropic === undefined && openai === undefined && gemini === undefined) return [];
  const servers = anthropic?.mcpServers;
  return [
    ...(servers !== undefined && servers.length > 0 ? [{ dialect: HOSTED_DIALECTS.anthropic, field: 'mcp_servers' }] : []),
    ...(anthropic !== undefined ? serverCompaction(anthropic).map((field) => ({ dialect: HOSTED_DIALECTS.anthropic, field })) : []),
    ...(openai !== undefined ? openaiCompaction(openai).map((field) => ({ dialect: HOSTED_DIALECTS.openaiResponses, field })) : []),
    ...(openai !== undefined && blockingModeration(openai) ? [{ dialect: HOSTED_KNOB_DIALECTS.openaiModeration, field: 'moderation' }] : []),
    ...(gemini?.modelArmorConfig !== undefined ? [{ dialect: HOSTED_DIALECTS.gemini, field: 'modelArmorConfig' }] : []),
  ];
}

/** Whether the call's OpenAI `moderation` policy blocks input or output (`mode: "block"`); one that only scores is a plain knob. */
function blockingModeration(openai: OpenAIProviderOptions): boolean {
  const policy = openai.moderation?.policy as { readonly input?: { readonly mode?: unknown } | null; readonly output?: { readonly mode?: unknown } | null } | null | undefined;
  return policy?.input?.mode === 'block' || policy?.output?.mode === 'block';
}

/**
 * The fields of OpenAI knobs that ask for OpenAI's own compaction, as a refusal names them:
 * `context_management` (OpenAI compacts the context once it grows past a threshold, and its answer
 * holds the `compaction` item) and a `compaction_trigger` item ending the input (the answer is the
 * compaction). Only a Responses client sets them.
 */
function openaiCompaction(openai: OpenAIProviderOptions): string[] {
  return [
    ...(openai.contextManagement !== undefined && openai.contextManagement.length > 0 ? ['context_management'] : []),
    ...(openai.compactionTrigger === true ? ['compaction_trigger'] : []),
  ];
}

/**
 * The hosted knobs that go with a hosted tool a tool filter removed: an Anthropic MCP server
 * whose `mcp_toolset` (the hosted tool `mcp:<server>`) was in `before` and is not in `after`
 * leaves `mcp_servers` too, so that a policy blocking the toolset blocks the server (Anthropic
 * refuses a server that no toolset names). Servers that never had a toolset (the 2025-04-04 beta's
 * form) stay.
 *
 * ```ts
 * withoutOrphanedKnobs(before, { ...before, tools: [] })
 * // before's call less the servers of its mcp_toolset tools (other servers kept)
 * ```
 */
export function withoutOrphanedKnobs(before: Call, after: Call): Call {
  const servers = after.providerOptions?.anthropic?.mcpServers;
  if (servers === undefined || servers.length === 0 || after.tools.length === before.tools.length) return after;
  const toolsetServers = (tools: Call['tools']) => new Set(tools
    .filter((t) => t.providerTool?.dialect === HOSTED_DIALECTS.anthropic && t.providerTool.definition.type === 'mcp_toolset')
    .map((t) => t.providerTool!.definition.mcp_server_name));
  const kept = toolsetServers(after.tools);
  const removed = [...toolsetServers(before.tools)].filter((name) => !kept.has(name));
  if (removed.length === 0) return after;
  const left = servers.filter((server) => !removed.includes(server.name));
  const { mcpServers: _servers, ...anthropic } = after.providerOptions!.anthropic!;
  return { ...after, providerOptions: { ...after.providerOptions, anthropic: left.length > 0 ? { ...anthropic, mcpServers: left } : anthropic } };
}

/**
 * The fields of Anthropic knobs that ask for server-side compaction, as a refusal names them:
 * a `compact_…` edit of `context_management` (Anthropic compacts the conversation once it grows
 * past the edit's trigger and answers with a `compaction` block first) and a top-level
 * `compaction` (the answer is that block alone). The clearing edits (`clear_tool_uses_…`,
 * `clear_thinking_…`) only leave old content out: they are knobs, not hosted work.
 *
 * ```ts
 * serverCompaction({ contextManagement: { edits: [{ type: 'clear_thinking_20251015' }, { type: 'compact_20260112' }] } })
 * // ['context_management.edits[1] (compact_20260112)']
 * ```
 */
export function serverCompaction(anthropic: AnthropicProviderOptions): string[] {
  const edits = anthropic.contextManagement?.edits;
  const fields = (Array.isArray(edits) ? edits : []).flatMap((edit: unknown, i) => {
    const type = (edit as { type?: unknown } | null)?.type;
    return typeof type === 'string' && COMPACT_EDIT.test(type) ? [`context_management.edits[${i}] (${type})`] : [];
  });
  return anthropic.compaction !== undefined ? [...fields, 'compaction'] : fields;
}

/** A `context_management` edit that compacts (`compact_20260112` and later versions). */
const COMPACT_EDIT = /^compact_/;

/**
 * The members of an Anthropic toolset (ToolDefinition.toolset) a tool filter removed, turned off
 * in the declaration the members left carry (`configs.<member>.enabled: false`), so that an
 * Anthropic backend, which sends that declaration, serves the model only the members left, as
 * every other backend does.
 *
 * ```ts
 * withoutRemovedMembers(before, { ...before, tools: before.tools.filter((t) => t.name !== 'zoom') })
 * // the computer toolset's members left carry { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } }
 * ```
 */
export function withoutRemovedMembers(before: Call, after: Call): Call {
  if (after.tools.length === before.tools.length) return after;
  const member = (t: Call['tools'][number]) => t.toolset !== undefined && t.providerTool?.dialect === TOOL_DIALECTS.anthropic;
  const left = new Set(after.tools.filter(member).map((t) => `${t.toolset!}\u0000${t.name}`));
  const removed = new Map<string, string[]>();
  for (const t of before.tools) {
    if (member(t) && !left.has(`${t.toolset!}\u0000${t.name}`)) removed.set(t.toolset!, [...(removed.get(t.toolset!) ?? []), t.name]);
  }
  if (removed.size === 0) return after;
  return {
    ...after,
    tools: after.tools.map((t) => {
      const off = member(t) ? removed.get(t.toolset!) : undefined;
      if (off === undefined) return t;
      const definition = t.providerTool!.definition;
      const configs = { ...(definition.configs as Record<string, Record<string, unknown> | null> | null | undefined) };
      for (const name of off) configs[name] = { ...configs[name], enabled: false };
      return { ...t, providerTool: { ...t.providerTool!, definition: { ...definition, configs } } };
    }),
  };
}

/**
 * Anthropic fields of one tool, as the client wrote them (beside `defer_loading`, which is
 * canonical: ToolDefinition.deferLoading); sent only by the anthropic backend.
 */
export interface AnthropicToolOptions {
  /** `allowed_callers`: who may call the tool (`direct`, a code execution version: programmatic tool calling). */
  readonly allowedCallers?: readonly string[];
  /** `input_examples`: example inputs of the tool, shown to the model. */
  readonly inputExamples?: readonly Readonly<Record<string, unknown>>[];
  /** `eager_input_streaming`: the input streams as generated, unbuffered (false: never, even with the fine-grained streaming beta). */
  readonly eagerInputStreaming?: boolean;
}

/** OpenAI fields of one tool, as the client wrote them; sent only by the openai-responses backend. */
export interface OpenAIToolOptions {
  /** `allowed_callers`: who may call the tool (`direct`: the model; `programmatic`: a program of programmatic tool calling). */
  readonly allowedCallers?: readonly string[];
  /**
   * A Responses client's function tool left `strict` out (or null): the Responses API then makes
   * the tool strict where its schema allows, so the openai-responses backend leaves it out too.
   * The tool's canonical `strict` stays unset, which every other backend reads as not strict
   * (Chat Completions' and Anthropic's default).
   */
  readonly strictOmitted?: boolean;
}

/**
 * Fields of one tool that belong to one provider family (ToolDefinition.providerOptions), on the
 * pattern of ProviderOptions: a frontend fills its own family's, a backend of that family sends
 * them with the tool, every other backend ignores them.
 */
export interface ToolProviderOptions {
  readonly anthropic?: AnthropicToolOptions;
  readonly openai?: OpenAIToolOptions;
}

/**
 * The conversation a client names in its request knobs, when it names one: OpenAI's
 * `prompt_cache_key` (Codex CLI sends its conversation id there). Undefined otherwise.
 *
 * ```ts
 * conversationKeyOf(emptyCall({ providerOptions: { openai: { promptCacheKey: 'conv-1' } } })) // 'conv-1'
 * ```
 */
export function conversationKeyOf(call: Call): string | undefined {
  const key = call.providerOptions?.openai?.promptCacheKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}

/**
 * Whether the request asks its provider for a compaction as the whole answer: a Responses input
 * ending with a `compaction_trigger` item, or Anthropic's top-level `compaction`. (Compaction once
 * the context grows past a threshold, `context_management`, is not: that answer is an ordinary
 * turn.)
 */
export function asksForCompaction(call: Call): boolean {
  return call.providerOptions?.openai?.compactionTrigger === true || call.providerOptions?.anthropic?.compaction !== undefined;
}
