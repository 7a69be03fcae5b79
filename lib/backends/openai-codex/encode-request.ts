import { createHash } from 'node:crypto';
import type { Call, GenerationOptions, Message, ToolDefinition } from '../../canonical/index.js';
import { LipError } from '../../errors/index.js';
import { headerValue } from '../../wire/index.js';
import { SEARCH_SOURCES_INCLUDE, encodeResponsesRequest, toolBody, toolsBody, type ResponsesOptions } from '../openai-responses/index.js';
import type { CodexOptions } from './options.js';
import { strictCompatible } from '../strict-schema.js';
import { reasoningEffort } from '../thinking.js';
import { forHostedDialect } from '../hosted-tools.js';
import { refuseForeignMediaFields } from '../media-refusal.js';
import { refuseStopSequences } from '../stop-sequences.js';

type Json = Record<string, unknown>;

/** What the endpoint gets when a call brings no instructions at all (lip's own wording). */
export const DEFAULT_CODEX_INSTRUCTIONS = 'You are Codex, a coding agent based on GPT-5. Help the user with their software task.';

/** Generation parameters the Codex endpoint refuses, by canonical option and wire name. */
const UNSUPPORTED: readonly [keyof GenerationOptions, string][] = [['temperature', 'temperature'], ['topP', 'top_p'], ['maxOutputTokens', 'max_output_tokens']];

/** The Responses encoder's settings for the Codex endpoint: stateless, encrypted reasoning when asked, summaries. */
const RESPONSES: ResponsesOptions = { baseUrl: '', auth: 'bearer', store: false, encryptedReasoning: 'auto', reasoningSummary: 'auto', toolNamespaces: 'native', providerOptions: false, profile: 'openai', headers: {} };

/**
 * The generation parameters of a call that the Codex endpoint refuses, as their wire names.
 */
export function unsupportedParams(call: Call): string[] {
  return UNSUPPORTED.filter(([option]) => call.options[option] !== undefined).map(([, name]) => name);
}

/** The 400 for a call with parameters the endpoint refuses (unless the row ignores them). */
export function unsupportedParamsError(backendId: string, names: readonly string[]): LipError {
  return new LipError('LIP_ERR_REQUEST_UNSUPPORTED', `backend "${backendId}" (openai-codex): the Codex endpoint does not accept ${names.join(', ')}; leave ${names.length > 1 ? 'them' : 'it'} out of the request, or set ignore_unsupported_gen_params: true on the backend row to drop ${names.length > 1 ? 'them' : 'it'}`, {
    status: 400, retryable: false, detail: { backend: backendId, parameters: [...names] },
  });
}

/**
 * The instructions the endpoint requires: the call's system parts and the text of every system
 * message, each block once (exact duplicates dropped), separated by blank lines; the default
 * persona when there is none.
 */
export function codexInstructions(call: Call): string {
  const blocks: string[] = [];
  const add = (text: string) => {
    const block = text.trim();
    if (block !== '' && !blocks.includes(block)) blocks.push(block);
  };
  for (const part of call.system) add(part.text);
  for (const message of call.messages) {
    if (message.role !== 'system') continue;
    for (const part of message.parts) if (part.type === 'text') add(part.text);
  }
  return blocks.length > 0 ? blocks.join('\n\n') : DEFAULT_CODEX_INSTRUCTIONS;
}

/** A model id as the endpoint knows it: a client's `openai/` namespace (OpenCode) removed. */
export function codexModel(model: string): string {
  return model.trim().replace(/^openai\//, '');
}

/**
 * Whether lip may choose a `text.verbosity` for this model (the bump, the row's
 * `default_verbosity`): not for the `*-codex` models (gpt-5-codex, gpt-5.1-codex-max,
 * gpt-5.2-codex, ...), which the endpoint refuses anything but `medium` for (400
 * `unsupported_value`) and to which the Codex CLI sends no verbosity at all. A call's own
 * verbosity is sent to every model as asked.
 */
export function takesVerbosity(model: string): boolean {
  return !codexModel(model).toLowerCase().includes('codex');
}

/**
 * The conversation a call belongs to, as the endpoint's `conversation_id`, `session_id` and
 * `prompt_cache_key`: `lip-<model>-<16 hex digits>` of the first non-system message, which
 * every turn of a conversation repeats (clients resend the history; lip rebuilds it for
 * `previous_response_id`), so it is stable from the first turn on. The model is the client's
 * text: it goes as a header can carry it (headerValue: percent-encoded where it cannot, capped).
 */
export function conversationId(call: Call, model: string): string {
  const first: Message | undefined = call.messages.find((m) => m.role !== 'system');
  if (!first) return `lip-${headerValue(model)}`;
  return `lip-${headerValue(model)}-${createHash('sha256').update(JSON.stringify(first)).digest('hex').slice(0, 16)}`;
}

export interface CodexTurn {
  readonly conversationId: string;
  /** This turn's number in the conversation (0: not counted). */
  readonly turn: number;
  /** Whether the verbosity bump applies to it. */
  readonly bump: boolean;
}

/**
 * Call -> the Codex Responses request: the Responses body (tools, tool history, encrypted
 * reasoning replay, response format) reshaped for the Codex endpoint: always streamed and
 * `store: false`; mandatory `instructions` (system text folded in, none left in `input`);
 * custom tools, namespaces, the client's tool search (OpenAI's own is left out, as an optional
 * hosted tool) and the hosted web search as the Responses body has them (the client's own
 * `web_search` declaration, `external_web_access` included, or one built from the options; no
 * `include` of its sources, which Codex CLI does not ask for); `strict` only for strict-compatible tool schemas (and never for a tool the call marks
 * `strict: false`); `parallel_tool_calls` false unless asked; `reasoning` from the call or the
 * row's `default_reasoning_effort`, with `summary: "auto"`; `text.verbosity` from the call, the
 * bump, or the row's default (the last two not for a `*-codex` model: takesVerbosity); `prompt_cache_key` = the conversation. Temperature, top_p and
 * max_output_tokens are dropped (the backend refused them already unless the row ignores them);
 * stop sequences, which the endpoint has not either, are refused, retryably (stop-sequences.ts:
 * dropped, the answer would run past the stop), unless the row ignores unsupported parameters,
 * which is the operator's choice to drop them;
 * metadata and `user` are not sent. Of the client's OpenAI knobs only `service_tier` goes out (the
 * Codex CLI sends it; the endpoint refuses fields it does not know): lip's own `prompt_cache_key`
 * stays, truncation, prompt_cache_retention and safety_identifier are dropped.
 *
 * @see spec/backends/openai-codex/encode-request.spec.ts
 */
export function encodeCodexRequest(given: Call, model: string, o: CodexOptions, turn: CodexTurn): Json {
  refuseForeignMediaFields(given, 'openai-codex');
  if (!o.ignoreUnsupportedGenParams) refuseStopSequences(given, 'openai-codex');
  const call = forHostedDialect(given, 'openai-codex');
  // Log probabilities are not asked for: the endpoint takes no `top_logprobs` (the answer has none).
  const { temperature: _t, topP: _p, maxOutputTokens: _m, logprobs: _l, stopSequences: _s, ...options } = call.options;
  const reasoning = options.reasoning ?? (o.defaultReasoningEffort ? { effort: o.defaultReasoningEffort } : undefined);
  const { user: _user, ...rest } = call;
  // OpenAI's client tools (shell, apply_patch) go as functions: Codex CLI declares its own shell
  // and apply_patch as function and custom tools, and nothing says the endpoint takes OpenAI's.
  // Nor programmatic tool calling: no tool's allowed_callers, no call's caller.
  const shaped: Call = {
    ...rest, system: [], messages: asFunctionResults(call.messages.filter((m) => m.role !== 'system')), metadata: {},
    tools: call.tools.map(({ providerOptions: _options, ...t }) => (t.kind === 'provider' ? { ...t, kind: undefined, providerTool: undefined } : t)),
    options: { ...options, ...(reasoning ? { reasoning: { ...reasoning, effort: reasoningEffort(reasoning) ?? o.defaultReasoningEffort } } : {}) },
  };
  const body = encodeResponsesRequest(shaped, codexModel(model), RESPONSES, true);
  body.instructions = codexInstructions(call);
  if (body.reasoning) {
    body.reasoning = { ...(body.reasoning as Json), summary: 'auto' };
    if ((body.reasoning as Json).effort === undefined) delete (body.reasoning as Json).effort;
  }
  if (call.tools.length > 0) {
    body.tools = toolsBody(shaped, (t: ToolDefinition, deferred) => (t.kind === 'custom' || t.kind === 'web_search' || t.kind === 'tool_search' ? toolBody(t, deferred) : {
      type: 'function', name: t.name, ...(t.description !== undefined ? { description: t.description } : {}),
      parameters: t.parameters, strict: t.strict !== false && strictCompatible(t.parameters),
      ...(deferred && t.deferLoading === true ? { defer_loading: true } : {}),
    }));
    body.parallel_tool_calls = options.parallelToolCalls ?? false;
  }
  // The web search's sources are not asked for (Codex CLI does not ask the endpoint for them).
  if (Array.isArray(body.include)) {
    const include = (body.include as string[]).filter((value) => value !== SEARCH_SOURCES_INCLUDE);
    if (include.length > 0) body.include = include;
    else delete body.include;
  }
  // A -codex model gets no verbosity lip chose (takesVerbosity); the call's own goes as asked.
  const verbosity = options.verbosity ?? (!takesVerbosity(model) ? undefined : turn.bump ? 'high' : o.defaultVerbosity);
  const text = { ...(body.text as Json | undefined), ...(verbosity ? { verbosity } : {}) };
  if (Object.keys(text).length > 0) body.text = text;
  body.prompt_cache_key = turn.conversationId;
  const tier = call.providerOptions?.openai?.serviceTier;
  if (tier !== undefined) body.service_tier = tier;
  return body;
}

/**
 * The history with client tools' answers as plain results (their own items are the Responses
 * API's, not this endpoint's), and calls without their callers (a program's calls are plain calls here).
 */
function asFunctionResults(messages: readonly Message[]): Message[] {
  return messages.map((m) => (m.role === 'tool' ? {
    ...m, parts: m.parts.map((p) => (p.type === 'tool_result' && (p.written !== undefined || p.caller !== undefined) ? { ...p, written: undefined, caller: undefined } : p)),
  } : m.role === 'assistant' && m.parts.some((p) => p.type === 'tool_call' && p.caller !== undefined) ? {
    ...m, parts: m.parts.map((p) => (p.type === 'tool_call' && p.caller !== undefined ? { ...p, caller: undefined } : p)),
  } : m));
}
