import type { Call, GeminiProviderOptions, Message, GenerationOptions, ReasoningOptions, ResponseFormat, TextPart, ToolChoice, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS, SEARCH_DIALECTS, WEB_SEARCH_TOOL_NAME, emptyCall, markLastCacheable } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { compileRequestValidator } from '../../wire/request-validator.js';
import { allowedChoice } from '../allowed-tools.js';
import { originsLater, type DecodedRequest, type MessageOrigin, type Origin, type OriginRecorder } from '../protocol.js';
import { computerUseTools } from './computer-use.js';
import { badField, decodeContents } from './decode-contents.js';
import { normalizeKeys, toJsonSchema } from './normalize-keys.js';
import { generateContentSchema } from './request-schema.js';

type Json = Record<string, any>; // validated by generateContentSchema before any field is read

const validate = compileRequestValidator(generateContentSchema);

/**
 * generateContent body -> Call. The model and whether to stream come from the path
 * (`/v1beta/models/{model}:streamGenerateContent`). `systemInstruction` becomes `system`,
 * `contents` canonical messages (decode-contents.ts), `generationConfig` the options (with
 * `thinkingConfig` as reasoning options and `responseMimeType`/`responseSchema` as the response
 * format), `tools[].functionDeclarations` the tools (`googleSearch` the hosted web search, see
 * webSearchTool; Gemini's other built-ins hosted tools, see hostedTool; `computerUse` its
 * predefined functions, see computer-use.ts) and `toolConfig` the tool choice (its
 * `includeServerSideToolInvocations` and `retrievalConfig` Gemini knobs, see providerOptions).
 * `recorder`, when given, gets where the call's messages, parts and tools came from (DecodedRequest.origins
 * asks for them); a request naming a cachedContent has none (its contents are merged).
 */
export function decodeGenerateContent(raw: unknown, model: string, stream: boolean, recorder?: OriginRecorder): DecodedRequest {
  const body = normalizeKeys(raw);
  validate(body);
  const b = body as Json;
  const cached = b.cachedContent as Json | string | undefined | null;
  if (typeof cached === 'string' && cached.length > 0) throw badField('cachedContent', 'a cached content is looked up for generateContent, streamGenerateContent and countTokens requests only; send the contents themselves');
  if (cached === undefined || cached === null || typeof cached !== 'object') {
    const recorded = recorder && { messages: [] as MessageOrigin[], tools: [] as Origin[], toolChoice: { at: 'toolConfig.functionCallingConfig.mode' } };
    const call = decodeBody(b, model, stream, recorded);
    if (recorder) recorder.origins = recorded;
    return { call, hints: {}, origins: originsLater((again) => decodeGenerateContent(raw, model, stream, again)) };
  }
  return { call: withCachedContent(b, cached, model, stream), hints: {} };
}

/**
 * A request naming a cached content, with the cached content in place (cached-contents.ts
 * `resolveCachedContent`): its contents come before the request's, and its system instruction,
 * tools and tool config are the request's (a request that sets them itself is refused, as Google
 * refuses it). The last block of the cached part gets a cache mark, so that a backend with
 * explicit prompt caching (Anthropic, Bedrock) caches the same prefix Google
 * would have. An error in the contents names them as the client wrote them: `contents[i]` of the
 * request, `cachedContent.contents[i]` of the cached content.
 */
function withCachedContent(b: Json, cached: Json, model: string, stream: boolean): Call {
  for (const field of ['systemInstruction', 'tools', 'toolConfig']) {
    if (b[field] !== undefined && b[field] !== null) throw badField(field, 'cannot be set in a request that names a cachedContent: the system instruction, tools and tool config are the cached content\'s');
  }
  const prefix = (cached.contents ?? []) as Json[];
  const merged = { ...b, systemInstruction: cached.systemInstruction, tools: cached.tools, toolConfig: cached.toolConfig, contents: [...prefix, ...((b.contents ?? []) as Json[])] };
  let call: Call;
  try {
    call = decodeBody(merged, model, stream);
  } catch (err) {
    throw err instanceof LipError ? inCachedOrOwn(err, prefix.length) : err;
  }
  return markCachedPart(call, decodeContents(prefix));
}

/** The call with the end of its cached part (`cachedMessages`, as they decode alone) marked for caching. */
function markCachedPart(call: Call, cachedMessages: readonly Message[]): Call {
  const k = cachedMessages.length;
  const messages = call.messages;
  // The last cached message may have taken the request's first model turn into it (consecutive model turns are one message).
  const own = k === 0 ? 0 : cachedMessages[k - 1]!.parts.length;
  const view = k === 0 ? [] : [...messages.slice(0, k - 1), { ...messages[k - 1]!, parts: messages[k - 1]!.parts.slice(0, own) }];
  const prompt = { tools: call.tools, system: call.system, messages: view };
  const marked = markLastCacheable(prompt, {});
  if (marked === prompt) return call;
  const rest = k === 0 ? [] : messages[k - 1]!.parts.slice(own);
  const front = marked.messages.map((m, i) => (i === k - 1 && rest.length > 0 ? { ...m, parts: [...m.parts, ...rest] } : m));
  return { ...call, tools: marked.tools, system: marked.system, messages: [...front, ...messages.slice(k)] };
}

/** A decode error of the merged contents, named by where the client wrote the content. */
function inCachedOrOwn(err: LipError, cachedCount: number): LipError {
  const m = err.param === undefined ? null : /^contents\[(\d+)\]/.exec(err.param);
  if (!m) return err;
  const i = Number(m[1]);
  const named = i < cachedCount ? `cachedContent.contents[${i}]` : `contents[${i - cachedCount}]`;
  const param = named + err.param!.slice(m[0].length);
  const message = err.message.startsWith(`${err.param!}:`) ? `${param}${err.message.slice(err.param!.length)}` : err.message;
  return new LipError(err.code, message, { param, status: err.status, retryable: err.retryable, ...(err.detail ? { detail: err.detail } : {}) });
}

/** A validated, key-normalised generateContent body -> Call; `origins`, when given, gets where its messages and tools came from. */
function decodeBody(b: Json, model: string, stream: boolean, origins?: { readonly messages: MessageOrigin[]; readonly tools: Origin[] }): Call {
  // Output lip cannot give: refused, not ignored.
  const modalities = (b.generationConfig?.responseModalities ?? []) as string[];
  const other = modalities.find((m) => m.toUpperCase() !== 'TEXT');
  if (other !== undefined) throw badField('generationConfig.responseModalities', `only TEXT output is supported (got ${JSON.stringify(other)})`, true);
  if (b.generationConfig?.speechConfig != null) throw badField('generationConfig.speechConfig', 'audio output is not supported', true);
  const system: TextPart[] = [];
  const instruction = b.systemInstruction?.parts as Json[] | undefined;
  instruction?.forEach((p, i) => {
    if (typeof p.text !== 'string') throw badField(`systemInstruction.parts[${i}]`, 'only text parts are allowed in a system instruction');
    system.push({ type: 'text', text: p.text });
  });

  const tools: ToolDefinition[] = [];
  let search: { tool: ToolDefinition; path: string } | undefined;
  const hosted = new Map<HostedKey, { tool: ToolDefinition; path: string }>();
  let computer: { tools: ToolDefinition[]; path: string } | undefined;
  ((b.tools ?? []) as Json[]).forEach((t, i) => {
    const other = Object.keys(t).find((k) => !TOOL_KEYS.has(k));
    if (other) throw badField(`tools[${i}].${other}`, `${other} tools are not supported`, true);
    for (const key of ['googleSearch', 'googleSearchRetrieval'] as const) {
      if (t[key] === undefined || t[key] === null) continue;
      const path = `tools[${i}].${key}`;
      if (search) throw badField(path, `a second Google Search tool (${search.path} declares one already)`);
      search = { tool: webSearchTool(key, t[key] as Json), path };
    }
    for (const key of HOSTED_KEYS) {
      if (t[key] === undefined || t[key] === null) continue;
      const path = `tools[${i}].${key}`;
      const known = hosted.get(key);
      if (known) throw badField(path, `a second ${key} tool (${known.path} declares one already)`);
      hosted.set(key, { tool: hostedTool(key, t[key] as Json), path });
    }
    if (t.computerUse !== undefined && t.computerUse !== null) {
      const path = `tools[${i}].computerUse`;
      if (computer) throw badField(path, `a second computerUse tool (${computer.path} declares one already)`);
      computer = { tools: computerUseTools(t.computerUse as Json), path };
    }
    ((t.functionDeclarations ?? []) as Json[]).forEach((f, k) => {
      origins?.tools.push({ at: `tools[${i}].functionDeclarations[${k}]`, fields: { parameters: f.parametersJsonSchema !== undefined ? 'parametersJsonSchema' : 'parameters' } });
      tools.push({
        name: f.name,
        ...(typeof f.description === 'string' ? { description: f.description } : {}),
        parameters: (f.parametersJsonSchema ?? (f.parameters ? toJsonSchema(f.parameters, `tools[${i}].functionDeclarations[${k}].parameters`) : { type: 'object', properties: {} })) as Record<string, unknown>,
      });
    });
  });
  for (const builtin of [...(search ? [search] : []), ...hosted.values()]) {
    const name = builtin.tool.name;
    if (tools.some((t) => t.name === name)) throw badField(builtin.path, `lip names the ${builtin.tool.kind === 'web_search' ? 'hosted search' : 'built-in'} tool "${name}", and a function of that name is declared too; rename the function`, true);
    tools.push(builtin.tool);
    origins?.tools.push({ at: builtin.path });
  }
  for (const tool of computer?.tools ?? []) {
    if (tools.some((t) => t.name === tool.name)) {
      throw badField(computer!.path, tool.kind === 'provider'
        ? `computer use predefines the function "${tool.name}", and a function of that name is declared too; exclude it (excludedPredefinedFunctions) or rename the function`
        : 'lip names the computer use tool "computerUse", and a function of that name is declared too; rename the function', true);
    }
    tools.push(tool);
    origins?.tools.push({ at: computer!.path });
  }

  const call: Call = {
    ...emptyCall(),
    model,
    stream,
    system,
    messages: decodeContents(b.contents, origins?.messages),
    tools,
    toolChoice: toolChoice(b.toolConfig?.functionCallingConfig, tools),
    options: options(b.generationConfig ?? {}),
    ...providerOptions(b),
  };
  return call;
}

/**
 * The built-in tools Gemini runs itself that lip carries to a gemini backend as declared: code
 * execution, URL context, the grounding tools (Google Maps, File Search, and Vertex AI's
 * retrieval, enterprise web search, Exa and Parallel searches) and remote MCP servers.
 */
const HOSTED_KEYS = ['codeExecution', 'urlContext', 'googleMaps', 'fileSearch', 'retrieval', 'enterpriseWebSearch', 'exaAiSearch', 'parallelAiSearch', 'mcpServers'] as const;
type HostedKey = (typeof HOSTED_KEYS)[number];

/**
 * The keys a `tools[]` entry may have: the functions, the Google Search tool (current and
 * legacy), the hosted built-ins and computer use. Another (a tool Google adds later) is refused,
 * naming the key.
 */
const TOOL_KEYS = new Set<string>(['functionDeclarations', 'googleSearch', 'googleSearchRetrieval', ...HOSTED_KEYS, 'computerUse']);

/**
 * `googleSearch` -> the canonical hosted web search, the client's declaration kept as written
 * (a gemini backend sends it back as it is). `excludeDomains` (Vertex AI) is the search's
 * blocked domains; `timeRangeFilter`, `searchTypes` and `blockingConfidence` have no canonical
 * form and reach only a gemini backend. The legacy `googleSearchRetrieval` (Gemini 1.5) is the
 * same search: current models take `googleSearch` only and decide themselves when to search,
 * which is what its `dynamicRetrievalConfig` asked for, so its declaration becomes `{}`.
 *
 * ```ts
 * webSearchTool('googleSearch', { excludeDomains: ['x.com'] })
 * // { kind: 'web_search', name: 'web_search', parameters: {}, webSearch: { blockedDomains: ['x.com'] },
 * //   providerTool: { dialect: 'gemini.google_search', definition: { excludeDomains: ['x.com'] } } }
 * ```
 */
function webSearchTool(key: 'googleSearch' | 'googleSearchRetrieval', declared: Json): ToolDefinition {
  const definition = key === 'googleSearch' ? declared : {};
  const blocked = key === 'googleSearch' && Array.isArray(declared.excludeDomains) && declared.excludeDomains.length > 0 ? declared.excludeDomains as string[] : undefined;
  return {
    kind: 'web_search', name: WEB_SEARCH_TOOL_NAME, parameters: {},
    ...(blocked ? { webSearch: { blockedDomains: blocked } } : {}),
    providerTool: { dialect: SEARCH_DIALECTS.gemini, definition },
  };
}

/**
 * A built-in (`codeExecution`, `urlContext`, `googleMaps`, `fileSearch`, `mcpServers`, ...) -> a
 * hosted tool (dialect `gemini.builtin_tool`) named after its key, its definition the one-key tool
 * object as the client wrote it (`{codeExecution: {}}`, `{mcpServers: [...]}`), which only a gemini
 * backend sends, as it is; every other backend refuses the call.
 *
 * ```ts
 * hostedTool('urlContext', {})
 * // { kind: 'hosted', name: 'urlContext', parameters: {}, providerTool: { dialect: 'gemini.builtin_tool', definition: { urlContext: {} } } }
 * ```
 */
function hostedTool(key: HostedKey, declared: Json): ToolDefinition {
  return { kind: 'hosted', name: key, parameters: {}, providerTool: { dialect: HOSTED_DIALECTS.gemini, definition: { [key]: declared } } };
}

/**
 * The Gemini request knobs lip carries, as written: the safety thresholds, the media resolution,
 * the thinking level, whether to return the built-in tools' own calls and results
 * (`includeServerSideToolInvocations`), where the user is (`retrievalConfig`), the service tier,
 * the enhanced civic answers, and Model Armor's templates (`modelArmorConfig`, a hosted capability:
 * only a gemini backend takes it).
 */
function providerOptions(b: Json): Pick<Call, 'providerOptions'> {
  const gemini: { -readonly [K in keyof GeminiProviderOptions]: GeminiProviderOptions[K] } = {};
  if (Array.isArray(b.safetySettings) && b.safetySettings.length > 0) gemini.safetySettings = b.safetySettings;
  if (typeof b.generationConfig?.mediaResolution === 'string') gemini.mediaResolution = b.generationConfig.mediaResolution;
  const level = thinkingLevel(b.generationConfig?.thinkingConfig);
  if (level !== undefined) gemini.thinkingLevel = level;
  if (typeof b.toolConfig?.includeServerSideToolInvocations === 'boolean') gemini.includeServerSideToolInvocations = b.toolConfig.includeServerSideToolInvocations;
  if (b.toolConfig?.retrievalConfig != null && Object.keys(b.toolConfig.retrievalConfig).length > 0) gemini.retrievalConfig = b.toolConfig.retrievalConfig;
  if (typeof b.serviceTier === 'string' && b.serviceTier.length > 0) gemini.serviceTier = b.serviceTier;
  if (typeof b.generationConfig?.enableEnhancedCivicAnswers === 'boolean') gemini.enhancedCivicAnswers = b.generationConfig.enableEnhancedCivicAnswers;
  if (b.modelArmorConfig != null && Object.keys(b.modelArmorConfig).length > 0) gemini.modelArmorConfig = b.modelArmorConfig;
  return Object.keys(gemini).length > 0 ? { providerOptions: { gemini } } : {};
}

/**
 * `functionCallingConfig`: `ANY` must call a function, `NONE` none, `AUTO` and `VALIDATED` may;
 * `allowedFunctionNames` restricts which (a list of one under `ANY` names the function to call;
 * computer use's predefined functions are functions too). The names restrict the client's own
 * functions only: under `AUTO` the Google Search tool, the hosted built-ins and computer use stay
 * allowed beside them.
 */
function toolChoice(config: Json | undefined, tools: readonly ToolDefinition[]): ToolChoice {
  const names: string[] = config?.allowedFunctionNames ?? [];
  names.forEach((name, i) => {
    if (!tools.some((t) => t.name === name && (t.kind === undefined || t.kind === 'provider'))) throw badField(`toolConfig.functionCallingConfig.allowedFunctionNames[${i}]`, `names the function "${name}", which is not declared in tools`);
  });
  if (config?.mode === 'NONE') return { type: 'none' };
  if (names.length === 0) return { type: config?.mode === 'ANY' ? 'any' : 'auto' };
  const required = config?.mode === 'ANY';
  const builtins = required ? [] : tools.filter((t) => t.kind !== undefined && !names.includes(t.name)).map((t) => t.name);
  return allowedChoice(required, [...names, ...builtins]);
}

function options(g: Json): GenerationOptions {
  if (typeof g.candidateCount === 'number' && g.candidateCount > 1) throw badField('generationConfig.candidateCount', 'only one candidate per request is supported', true);
  const o: { -readonly [K in keyof GenerationOptions]: GenerationOptions[K] } = {};
  if (typeof g.temperature === 'number') o.temperature = g.temperature;
  if (typeof g.topP === 'number') o.topP = g.topP;
  if (typeof g.topK === 'number') o.topK = g.topK;
  if (typeof g.maxOutputTokens === 'number') o.maxOutputTokens = g.maxOutputTokens;
  if (Array.isArray(g.stopSequences) && g.stopSequences.length > 0) o.stopSequences = g.stopSequences;
  if (typeof g.presencePenalty === 'number') o.presencePenalty = g.presencePenalty;
  if (typeof g.frequencyPenalty === 'number') o.frequencyPenalty = g.frequencyPenalty;
  if (typeof g.seed === 'number') o.seed = g.seed;
  if (g.responseLogprobs === true) o.logprobs = typeof g.logprobs === 'number' ? g.logprobs : 0;
  const thinking = g.thinkingConfig as Json | undefined;
  if (thinking) {
    const r: { -readonly [K in keyof ReasoningOptions]: ReasoningOptions[K] } = {};
    if (typeof thinking.thinkingBudget === 'number' && thinking.thinkingBudget >= 0) r.budgetTokens = thinking.thinkingBudget; // -1 = dynamic
    if (typeof thinking.includeThoughts === 'boolean') r.includeThoughts = thinking.includeThoughts;
    const level = thinkingLevel(thinking);
    if (level !== undefined) r.effort = level.toLowerCase();
    if (Object.keys(r).length > 0) o.reasoning = r;
  }
  const format = responseFormat(g);
  if (format) o.responseFormat = format;
  return o;
}

/**
 * The thinking level the client chose: `MINIMAL`, `LOW`, ... as written; none for
 * `THINKING_LEVEL_UNSPECIFIED`, the enum's default, which chooses nothing (no effort, and nothing
 * sent on to a gemini backend).
 */
function thinkingLevel(thinking: Json | undefined): string | undefined {
  const level: unknown = thinking?.thinkingLevel;
  return typeof level === 'string' && level.toUpperCase() !== 'THINKING_LEVEL_UNSPECIFIED' ? level : undefined;
}

/** Output types every backend can give: plain text, or JSON (with a schema when one is given). */
const MIME_TYPES = new Set(['text/plain', 'application/json']);

function responseFormat(g: Json): ResponseFormat | undefined {
  // `text/x.enum` (one enum value as bare text) and the like: no backend could keep to them.
  if (typeof g.responseMimeType === 'string' && !MIME_TYPES.has(g.responseMimeType)) {
    throw badField('generationConfig.responseMimeType', `must be text/plain or application/json (got ${JSON.stringify(g.responseMimeType.slice(0, 60))})`, true);
  }
  if (g.responseJsonSchema) return { type: 'json_schema', schema: g.responseJsonSchema };
  if (g.responseSchema) return { type: 'json_schema', schema: toJsonSchema(g.responseSchema, 'generationConfig.responseSchema') as Record<string, unknown> };
  if (g.responseMimeType === 'application/json') return { type: 'json_object' };
  return undefined;
}
