type Json = Record<string, any>;
type Refusal = { status: number; error: { message: string; type?: string; code?: string } } | undefined;

/**
 * What Anthropic's Messages API refuses in a request's combination of fields, whatever the test,
 * in its own words: thinking (a budget or adaptive) beside a tool choice that forces a call
 * (`any`, or one `tool`): "Thinking may not be enabled when tool_choice forces tool use."; a
 * schema it compiles into a grammar (a `strict` tool's `input_schema`, `output_config.format`)
 * with a keyword outside its structured outputs' subset ("For 'integer' type, property 'minimum'
 * is not supported"), an object not closed ("For 'object' type, 'additionalProperties' must be
 * explicitly set to false") or a recursive `$ref` (documented as not supported; the words are the
 * emulator's). Bedrock's Converse refuses the first for a Claude model (thinking in
 * `additionalModelRequestFields`, `toolConfig.toolChoice` `any` or `tool`), the model's words
 * wrapped in a ValidationException. Both refuse a user turn after tool calls that does not begin
 * with their results ("Messages following tool_use blocks must begin with a matching number of
 * tool_result blocks"; on Bedrock `toolResult` after `toolUse`, cache points aside), and a final
 * assistant turn (a prefill) that ends with whitespace (on Bedrock for a Claude model, a cache
 * point after the text aside). Both refuse thinking beside an open tool loop (the last turn a
 * user's holding tool results) whose assistant turn does not start with a thinking block (on
 * Bedrock a `reasoningContent`): "When `thinking` is enabled, a final `assistant` message must
 * start with a thinking block". Bedrock's Claude models after Claude 3 refuse `temperature` beside
 * `topP` ("`temperature` and `top_p` cannot both be specified for this model. Please use only one.").
 * Both refuse a thinking budget under 1024 tokens or not under the output limit (`max_tokens`,
 * on Bedrock `maxTokens`): "`max_tokens` must be greater than `thinking.budget_tokens`".
 */
const FORCED_WITH_THINKING = 'Thinking may not be enabled when tool_choice forces tool use.';
const LOOP_WITHOUT_THINKING = 'When `thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the lastmost set of `tool_use` and `tool_result` blocks). '
  + 'We recommend you include thinking blocks from previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking';
const BUDGET_NOT_UNDER_LIMIT = '`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size';
const BUDGET_TOO_SMALL = 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024';
const TEMPERATURE_WITH_TOP_P = '`temperature` and `top_p` cannot both be specified for this model. Please use only one.';
/** Claude models that still take `temperature` and `top_p` together (Claude 3 and older). */
const BOTH_SAMPLING = /claude-(3|v2|instant)/;
const thinks = (thinking: Json | undefined) => thinking?.type === 'enabled' || thinking?.type === 'adaptive';
/** The constraints Anthropic's structured outputs document as not supported. */
const UNSUPPORTED = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'maxItems', 'uniqueItems', 'minProperties', 'maxProperties'];

const invalid = (message: string): Refusal => ({ status: 400, error: { message, type: 'invalid_request_error' } });

/**
 * Words for a recursive schema, which Anthropic's structured outputs document as not supported.
 * The API's own message for it is not on record: these are the emulator's, naming the definition.
 */
const RECURSIVE = (name: string) => `Recursive schemas are not supported: '${name}' refers to itself`;

/**
 * The first definition a schema reaches again through its own `$ref`s (`#` the root, `#/$defs/X`
 * or `#/definitions/X`), or undefined: the refs a definition holds are the edges, nested `$defs`
 * aside, and a cycle among those reachable from the root is recursion.
 */
function recursiveDefinition(root: unknown): string | undefined {
  if (typeof root !== 'object' || root === null || Array.isArray(root)) return undefined;
  const defs = new Map<string, unknown>([['#', root]]);
  for (const key of ['$defs', 'definitions']) {
    const map = (root as Json)[key];
    if (typeof map === 'object' && map !== null) for (const [name, def] of Object.entries(map)) defs.set(`#/${key}/${name}`, def);
  }
  const refsOf = (node: unknown, found: string[] = []): string[] => {
    if (Array.isArray(node)) node.forEach((n) => refsOf(n, found));
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === '$ref' && typeof value === 'string') found.push(value);
        else if (key !== '$defs' && key !== 'definitions' && key !== 'enum' && key !== 'const') refsOf(value, found);
      }
    }
    return found;
  };
  const state = new Map<string, 'open' | 'done'>();
  const visit = (name: string): string | undefined => {
    if (state.get(name) === 'open') return name;
    if (state.get(name) === 'done' || !defs.has(name)) return undefined;
    state.set(name, 'open');
    for (const ref of refsOf(defs.get(name))) {
      let pointer = ref;
      try { pointer = decodeURIComponent(ref).replace(/~1/g, '/').replace(/~0/g, '~'); } catch { /* as written */ }
      const cycle = visit(pointer);
      if (cycle !== undefined) return cycle;
    }
    state.set(name, 'done');
    return undefined;
  };
  return visit('#');
}

/** The first part of a schema outside the structured outputs' subset, in the API's words, or undefined. */
export function grammarProblem(schema: unknown): string | undefined {
  const recursive = recursiveDefinition(schema);
  return recursive !== undefined ? RECURSIVE(recursive) : nodeProblem(schema);
}

function nodeProblem(schema: unknown): string | undefined {
  if (Array.isArray(schema)) return schema.map(nodeProblem).find((p) => p !== undefined);
  if (typeof schema !== 'object' || schema === null) return undefined;
  const s = schema as Json;
  const type = typeof s.type === 'string' ? s.type : undefined;
  if (type === 'object' && s.additionalProperties !== false) return "For 'object' type, 'additionalProperties' must be explicitly set to false";
  const unsupported = UNSUPPORTED.find((key) => s[key] !== undefined) ?? (typeof s.minItems === 'number' && s.minItems > 1 ? 'minItems' : undefined);
  if (unsupported !== undefined) return `For '${type ?? 'any'}' type, property '${unsupported}' is not supported`;
  const nested = [s.items, s.anyOf, s.allOf, s.oneOf, ...['properties', '$defs', 'definitions'].flatMap((key) => (typeof s[key] === 'object' && s[key] !== null ? Object.values(s[key]) : []))];
  return nested.map(nodeProblem).find((p) => p !== undefined);
}

/**
 * Anthropic's words for a turn after tool calls that does not begin with a result for each
 * (`isCall` / `isResult` tell the blocks of the wire; `skip`: blocks that do not count, Bedrock's
 * cache points), or undefined.
 */
function resultsNotFirst(messages: unknown, isCall: (b: Json) => boolean, isResult: (b: Json) => boolean, skip: (b: Json) => boolean = () => false): string | undefined {
  const list: Json[] = Array.isArray(messages) ? messages : [];
  const blocks = (m: Json | undefined): Json[] => (Array.isArray(m?.content) ? m!.content.filter((b: Json) => !skip(b)) : []);
  for (let i = 1; i < list.length; i++) {
    const calls = blocks(list[i - 1]).filter(isCall).length;
    if (calls === 0 || list[i - 1]?.role !== 'assistant') continue;
    const content = blocks(list[i]);
    const leading = content.findIndex((b) => !isResult(b));
    if ((leading < 0 ? content.length : leading) < calls) {
      return `messages.${i}: Did not find ${calls} tool_result block(s) at the beginning of this message. Messages following tool_use blocks must begin with a matching number of tool_result blocks.`;
    }
  }
  return undefined;
}

/**
 * Anthropic's words for an open tool loop (the last turn a user's holding a tool result, after an
 * assistant turn) whose assistant turn does not start with a thinking block (`isThinking`;
 * `blockType`: the type a block is named by in the message), or undefined.
 */
function loopWithoutThinking(messages: unknown, isThinking: (b: Json) => boolean, isResult: (b: Json) => boolean, blockType: (b: Json) => string): string | undefined {
  const list: Json[] = Array.isArray(messages) ? messages : [];
  const [assistant, user] = list.slice(-2);
  const results = user?.role === 'user' && Array.isArray(user.content) && user.content.some(isResult);
  if (!results || assistant?.role !== 'assistant' || !Array.isArray(assistant.content)) return undefined;
  const first = assistant.content[0];
  if (first === undefined || isThinking(first)) return undefined;
  return `messages.${list.length - 2}.content.0.type: Expected \`thinking\` or \`redacted_thinking\`, but found \`${blockType(first)}\`. ${LOOP_WITHOUT_THINKING}`;
}

export function refuseAnthropicCombination(body: Json | undefined): Refusal {
  const forced = body?.tool_choice?.type === 'any' || body?.tool_choice?.type === 'tool';
  if (forced && thinks(body?.thinking)) return invalid(FORCED_WITH_THINKING);
  const budget = body?.thinking?.type === 'enabled' ? body.thinking.budget_tokens : undefined;
  if (typeof budget === 'number' && budget < 1024) return invalid(BUDGET_TOO_SMALL);
  if (typeof budget === 'number' && typeof body?.max_tokens === 'number' && budget >= body.max_tokens) return invalid(BUDGET_NOT_UNDER_LIMIT);
  const loop = thinks(body?.thinking)
    ? loopWithoutThinking(body?.messages, (b) => b?.type === 'thinking' || b?.type === 'redacted_thinking', (b) => b?.type === 'tool_result', (b) => String(b?.type))
    : undefined;
  if (loop !== undefined) return invalid(loop);
  const order = resultsNotFirst(body?.messages, (b) => b?.type === 'tool_use', (b) => b?.type === 'tool_result');
  if (order !== undefined) return invalid(order);
  for (const [i, t] of (Array.isArray(body?.tools) ? body!.tools : []).entries()) {
    const problem = t?.strict === true ? grammarProblem(t.input_schema) : undefined;
    if (problem !== undefined) return invalid(`tools.${i}.custom: ${problem}`);
  }
  const format = body?.output_config?.format;
  const problem = format?.type === 'json_schema' ? grammarProblem(format.schema) : undefined;
  return problem !== undefined ? invalid(`output_config.format.schema: ${problem}`) : undefined;
}

/** A text block's own problem in the API's words: empty, or only whitespace. */
const blankText = (b: any): string | undefined => {
  if (b?.type !== 'text' || typeof b.text !== 'string') return undefined;
  if (b.text.length === 0) return 'text content blocks must be non-empty';
  return /\S/u.test(b.text) ? undefined : 'text content blocks must contain non-whitespace text';
};

/**
 * What the Messages API refuses in any request's text, in its own words: a text block that is
 * empty or only whitespace (in `system`, in a message, in a tool result's content), a final
 * assistant turn (a prefill) that ends with whitespace, and a failed tool result with no content.
 */
export function refuseAnthropicText(body: Json | undefined): Refusal {
  for (const b of Array.isArray(body?.system) ? body!.system : []) {
    const problem = blankText(b);
    if (problem !== undefined) return invalid(`system: ${problem}`);
  }
  const messages: any[] = Array.isArray(body?.messages) ? body!.messages : [];
  for (const [i, m] of messages.entries()) {
    for (const [j, b] of (Array.isArray(m?.content) ? m.content : []).entries()) {
      const problem = blankText(b) ?? (b?.type === 'tool_result' && Array.isArray(b.content) ? b.content.map(blankText).find((p: unknown) => p !== undefined) : undefined);
      if (problem !== undefined) return invalid(`messages: ${problem}`);
      const empty = b?.content === undefined || b.content === '' || (Array.isArray(b.content) && b.content.length === 0);
      if (b?.type === 'tool_result' && b.is_error === true && empty) return invalid(`messages.${i}.content.${j}.tool_result: content cannot be empty if \`is_error\` is true`);
    }
  }
  return prefillEndsWithWhitespace(messages) ? invalid(`messages: ${TRAILING_WHITESPACE}`) : undefined;
}

const TRAILING_WHITESPACE = 'final assistant content cannot end with trailing whitespace';

/** Whether the final turn is an assistant's whose content ends with whitespace (`skip`: blocks that are no content, Bedrock's cache points). */
function prefillEndsWithWhitespace(messages: unknown, skip: (b: Json) => boolean = () => false): boolean {
  const final = Array.isArray(messages) ? messages.at(-1) : undefined;
  const content = typeof final?.content === 'string' ? final.content : Array.isArray(final?.content) ? final.content.findLast((b: Json) => !skip(b))?.text : undefined;
  return final?.role === 'assistant' && typeof content === 'string' && /\s$/u.test(content);
}

export function refuseBedrockCombination(body: Json | undefined, model: string | undefined): Refusal {
  const modelError = (message: string): Refusal => ({ status: 400, error: { message: `The model returned the following errors: ${message}`, type: 'ValidationException' } });
  const choice = body?.toolConfig?.toolChoice;
  const forced = choice?.any !== undefined || choice?.tool !== undefined;
  if (forced && thinks(body?.additionalModelRequestFields?.thinking)) return modelError(FORCED_WITH_THINKING);
  const claude = /(^|[./:])anthropic\./.test(model ?? '');
  const inference = body?.inferenceConfig;
  if (claude && !BOTH_SAMPLING.test(model ?? '') && inference?.temperature !== undefined && inference?.topP !== undefined) return modelError(TEMPERATURE_WITH_TOP_P);
  const budget = body?.additionalModelRequestFields?.thinking?.budget_tokens;
  if (claude && typeof budget === 'number' && budget < 1024) return modelError(BUDGET_TOO_SMALL);
  if (claude && typeof budget === 'number' && typeof inference?.maxTokens === 'number' && budget >= inference.maxTokens) return modelError(BUDGET_NOT_UNDER_LIMIT);
  const bedrockType = (b: Json): string => (b?.toolUse !== undefined ? 'tool_use' : b?.text !== undefined ? 'text' : Object.keys(b ?? {})[0] ?? 'unknown');
  const loop = thinks(body?.additionalModelRequestFields?.thinking)
    ? loopWithoutThinking(body?.messages, (b) => b?.reasoningContent !== undefined, (b) => b?.toolResult !== undefined, bedrockType)
    : undefined;
  if (loop !== undefined) return modelError(loop);
  const order = resultsNotFirst(body?.messages, (b) => b?.toolUse !== undefined, (b) => b?.toolResult !== undefined, (b) => b?.cachePoint !== undefined);
  if (order !== undefined) return modelError(order);
  return claude && prefillEndsWithWhitespace(body?.messages, (b) => b?.cachePoint !== undefined) ? modelError(`messages: ${TRAILING_WHITESPACE}`) : undefined;
}

/** The most blocks with `cache_control` the Messages API takes in one request. */
const MAX_CACHE_BREAKPOINTS = 4;
const CACHE_TTLS: ReadonlySet<unknown> = new Set(['5m', '1h']);
const TTL_ORDER = 'Note that blocks are processed in the following order: `tools`, `system`, `messages`.';

/**
 * What the Messages API refuses in a request's prompt-cache breakpoints, in its own words (the
 * bodies api.anthropic.com answers): more than 4 blocks with a `cache_control` (tools, system
 * blocks, message blocks and the blocks inside a tool result or a search result, and the
 * top-level one of automatic caching): "A maximum of 4 blocks with cache_control may be provided.
 * Found 5."; a `ttl` other than `5m` and `1h`: "system.0.cache_control.ephemeral.ttl: Input should
 * be '5m' or '1h'" (a message block's path names its type: `messages.0.content.0.text.…`); and a
 * one-hour breakpoint after a 5-minute one (no `ttl` is 5 minutes): "system.1.cache_control.ttl: a
 * ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. …". So a
 * breakpoint lip adds or forgets to drop fails a spec as it would fail at Anthropic.
 */
export function refuseAnthropicCache(body: Json | undefined): Refusal {
  const marks: { at: string; typed: string; control: Json }[] = [];
  const visit = (holder: any, at: string, typed: string) => {
    const inner = holder?.content;
    if (Array.isArray(inner) && (holder?.type === 'tool_result' || holder?.type === 'search_result')) {
      inner.forEach((b: any, k: number) => visit(b, `${at}.content.${k}`, `${typed}.content.${k}.${String(b?.type)}`));
    }
    if (holder?.cache_control != null && typeof holder.cache_control === 'object') marks.push({ at, typed, control: holder.cache_control });
  };
  (Array.isArray(body?.tools) ? body!.tools : []).forEach((t: any, i: number) => visit(t, `tools.${i}`, `tools.${i}.${typeof t?.type === 'string' && t.type !== 'custom' ? t.type : 'custom'}`));
  (Array.isArray(body?.system) ? body!.system : []).forEach((s: any, i: number) => visit(s, `system.${i}`, `system.${i}`));
  (Array.isArray(body?.messages) ? body!.messages : []).forEach((m: any, i: number) => {
    if (Array.isArray(m?.content)) m.content.forEach((b: any, j: number) => visit(b, `messages.${i}.content.${j}`, `messages.${i}.content.${j}.${String(b?.type)}`));
  });
  if (body?.cache_control != null && typeof body.cache_control === 'object') marks.push({ at: 'cache_control', typed: '', control: body.cache_control });
  for (const { typed, control } of marks) {
    if (control.ttl !== undefined && !CACHE_TTLS.has(control.ttl)) return invalid(`${typed ? `${typed}.` : ''}cache_control.ephemeral.ttl: Input should be '5m' or '1h'`);
  }
  if (marks.length > MAX_CACHE_BREAKPOINTS) return invalid(`A maximum of ${MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found ${marks.length}.`);
  const short = marks.findIndex((m) => m.control.ttl !== '1h');
  const long = short < 0 ? undefined : marks.slice(short + 1).find((m) => m.control.ttl === '1h');
  return long === undefined ? undefined : invalid(`${long.at}.cache_control.ttl: a ttl='1h' cache_control block must not come after a ttl='5m' cache_control block. ${TTL_ORDER}`);
}
