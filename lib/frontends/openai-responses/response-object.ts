import type { Call, TokenLogprob, ToolCaller, Usage } from '../../canonical/index.js';
import { CALLER_DIALECTS, TOOL_SEARCH_TOOL_NAME, totalTokens } from '../../canonical/index.js';
import { storedItemId } from './item-ids.js';
import { wireLogprobs } from '../logprobs.js';
import type { EncodeContext } from '../protocol.js';
import { wireId } from '../protocol.js';
import type { ResponsesEcho, ResponsesHints } from './decode-request.js';
import { CLIENT_ITEM_PREFIXES, clientCallItem, type ClientToolType } from './client-tools.js';

export type ResponseStatus = 'queued' | 'in_progress' | 'completed' | 'incomplete' | 'failed' | 'cancelled';
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

/** What changes between the snapshots of one response (created, completed, failed ...). */
export interface ResponseState {
  readonly status: ResponseStatus;
  readonly output: readonly unknown[];
  readonly usage?: Usage;
  readonly incompleteReason?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * The Response object of one request: id, creation time, model and the echoed request fields
 * are fixed once; `build` adds what changes. Field order follows the API's own objects.
 */
export class ResponseShell {
  readonly id: string;
  private readonly createdAt: number;
  private readonly now: () => number;
  private readonly model: string;
  private readonly echo: ResponsesEcho;
  private readonly previousResponseId: string | null;
  private readonly stored: boolean;

  constructor(context: EncodeContext) {
    this.id = context.responseId ?? wireId(context, 'resp_', 48);
    this.previousResponseId = context.continuation?.previousResponseId ?? null;
    this.stored = context.continuation ? context.continuation.store : context.responseId !== undefined;
    this.createdAt = context.created;
    this.now = context.now ?? unixSeconds;
    this.model = context.model ?? context.call.model;
    this.echo = (context.hints as Partial<ResponsesHints>).echo ?? {};
  }

  build(state: ResponseState): Record<string, unknown> {
    const e = this.echo;
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status: state.status,
      // A background response (`background: true`, echoed) runs detached from its request.
      background: e.background === true,
      // When it completed (never before it was created: the clock may step back); null until then and for any other end.
      completed_at: state.status === 'completed' ? Math.max(this.createdAt, this.now()) : null,
      error: state.error ?? null,
      incomplete_details: state.incompleteReason ? { reason: state.incompleteReason } : null,
      instructions: e.instructions ?? null,
      max_output_tokens: e.max_output_tokens ?? null,
      max_tool_calls: e.max_tool_calls ?? null,
      model: this.model,
      output: state.output,
      parallel_tool_calls: e.parallel_tool_calls ?? true,
      previous_response_id: this.previousResponseId,
      prompt_cache_key: e.prompt_cache_key ?? null,
      prompt_cache_retention: e.prompt_cache_retention ?? null,
      // Only when the client set it (newer models' field; the object has no default for it).
      ...(e.prompt_cache_options !== undefined ? { prompt_cache_options: e.prompt_cache_options } : {}),
      reasoning: e.reasoning ?? { effort: null, summary: null },
      safety_identifier: e.safety_identifier ?? null,
      service_tier: e.service_tier ?? 'default',
      store: this.stored,
      temperature: e.temperature ?? 1,
      text: e.text ?? { format: { type: 'text' }, verbosity: 'medium' },
      tool_choice: e.tool_choice ?? 'auto',
      tools: e.tools ?? [],
      top_logprobs: e.top_logprobs ?? 0,
      top_p: e.top_p ?? 1,
      presence_penalty: e.presence_penalty ?? 0,
      frequency_penalty: e.frequency_penalty ?? 0,
      truncation: e.truncation ?? 'disabled',
      usage: state.usage ? responsesUsage(state.usage) : null,
      user: e.user ?? null,
      metadata: e.metadata ?? {},
      // The conversation a turn ran in (only then: OpenAI's object leaves it out otherwise).
      ...(e.conversation !== undefined ? { conversation: e.conversation } : {}),
    };
  }
}

/** The clock's Unix time in seconds. */
function unixSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * The id of the output item at `index`: made from the response id (item-ids.ts), so that a
 * response shows the same item ids each time it is encoded (streamed or not, and again when it is
 * retrieved, `GET /v1/responses/{id}`) and an `item_reference` finds it; `newId` when the context
 * has one (golden files); random without a response id.
 */
export function outputItemId(context: Pick<EncodeContext, 'newId' | 'responseId'>, prefix: string, index: number): string {
  if (context.newId !== undefined || context.responseId === undefined) return wireId(context, prefix);
  return storedItemId(prefix, context.responseId, 'output', index);
}

/** Canonical usage in Responses terms (cache reads and writes are part of input_tokens there too). */
export function responsesUsage(u: Usage): Record<string, unknown> {
  return {
    input_tokens: u.inputTokens ?? 0,
    input_tokens_details: { cached_tokens: u.cacheReadTokens ?? 0, cache_write_tokens: u.cacheWriteTokens ?? 0 },
    output_tokens: u.outputTokens ?? 0,
    output_tokens_details: { reasoning_tokens: u.reasoningTokens ?? 0 },
    total_tokens: totalTokens(u),
  };
}

/**
 * An assistant message item; `logprobs`: its text's token log probabilities, when the client
 * asked for them; `annotations`: the sources its text cites (`url_citation`s).
 */
export function messageItem(id: string, text: string, status: ItemStatus, logprobs?: readonly TokenLogprob[], annotations?: readonly unknown[]): Record<string, unknown> {
  return { id, type: 'message', status, content: [outputText(text, logprobs, annotations)], role: 'assistant' };
}

/** A message whose content is the model's refusal (a `refusal` part instead of `output_text`). */
export function refusalItem(id: string, refusal: string, status: ItemStatus): Record<string, unknown> {
  return { id, type: 'message', status, content: [refusalPart(refusal)], role: 'assistant' };
}

export function refusalPart(refusal: string): Record<string, unknown> {
  return { type: 'refusal', refusal };
}

export function outputText(text: string, logprobs?: readonly TokenLogprob[], annotations?: readonly unknown[]): Record<string, unknown> {
  return { type: 'output_text', annotations: annotations ?? [], logprobs: logprobs ? wireLogprobs(logprobs) : [], text };
}

/** A reasoning item; `summary` is empty when there was no visible reasoning text. */
export function reasoningItem(id: string, summary: string | undefined, encrypted: string | undefined): Record<string, unknown> {
  return {
    id,
    type: 'reasoning',
    summary: summary === undefined ? [] : [{ type: 'summary_text', text: summary }],
    ...(encrypted !== undefined ? { encrypted_content: encrypted } : {}),
  };
}

export function functionCallItem(id: string, callId: string, name: string, args: string, status: ItemStatus, namespace?: string): Record<string, unknown> {
  return { id, type: 'function_call', status, arguments: args, call_id: callId, name, ...(namespace !== undefined ? { namespace } : {}) };
}

/** A custom (freeform) tool call: `input` is the raw string the model wrote (ids `ctc_...`). */
export function customToolCallItem(id: string, callId: string, name: string, input: string, status: ItemStatus, namespace?: string): Record<string, unknown> {
  return { id, type: 'custom_tool_call', status, call_id: callId, input, name, ...(namespace !== undefined ? { namespace } : {}) };
}

/**
 * A call of the client's tool search (ids `tsc_...`): its `arguments` are a JSON value, not text
 * (`{"query": ..., "limit": ...}`); arguments that are not JSON (a model that ignored the schema)
 * go as the string they are.
 */
export function toolSearchCallItem(id: string, callId: string, args: string, status: ItemStatus): Record<string, unknown> {
  return { id, type: 'tool_search_call', status, call_id: callId, execution: 'client', arguments: jsonValue(args) };
}

function jsonValue(text: string): unknown {
  if (text.length === 0) return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * How a call is written: a custom tool's, a namespaced tool's, the client's tool search's, or a
 * client tool's on OpenAI's schema (client-tools.ts); `caller`: who made it, as this protocol
 * writes it (callerForm).
 */
export interface CallForm {
  readonly custom?: boolean;
  readonly namespace?: string;
  readonly toolSearch?: boolean;
  readonly client?: ClientToolType;
  /** A client tool's call's own fields (ownCallFields: a computer call's safety checks). */
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly caller?: Readonly<Record<string, unknown>>;
}

/**
 * A call's caller as this protocol writes it (`{type: "program", caller_id}`: a program of
 * programmatic tool calling made the call): OpenAI Responses' own, as the upstream wrote it;
 * another dialect's (Anthropic's code execution) has no place here.
 */
export function callerForm(caller: ToolCaller | undefined): { caller?: Readonly<Record<string, unknown>> } {
  return caller?.dialect === CALLER_DIALECTS.openaiResponses ? { caller: caller.value } : {};
}

/** The call items that name their caller. */
const CALLER_ITEMS: ReadonlySet<unknown> = new Set(['function_call', 'custom_tool_call', 'shell_call', 'apply_patch_call']);

/**
 * The output item of a call: a tool_search_call for the client's tool search, a shell_call,
 * apply_patch_call, local_shell_call or computer_call for those tools, a custom_tool_call for a
 * custom tool, else a function_call; with its `caller` when the form has one and the item takes it.
 */
export function callItem(id: string, callId: string, name: string, text: string, status: ItemStatus, form: CallForm = {}): Record<string, unknown> {
  const item = form.toolSearch === true ? toolSearchCallItem(id, callId, text, status)
    : form.client !== undefined ? clientCallItem(form.client, id, callId, text, status, form.fields)
      : form.custom === true ? customToolCallItem(id, callId, name, text, status, form.namespace) : functionCallItem(id, callId, name, text, status, form.namespace);
  return form.caller !== undefined && CALLER_ITEMS.has(item.type) ? { ...item, caller: { ...form.caller } } : item;
}

/** The item id prefix of a call's item. */
export function callItemPrefix(form: CallForm): string {
  if (form.client !== undefined) return CLIENT_ITEM_PREFIXES[form.client];
  return form.toolSearch === true ? 'tsc_' : form.custom === true ? 'ctc_' : 'fc_';
}

/**
 * Whether a call of `name` (in `namespace`) is a call of the client's tool search: the call
 * declared one (kind `tool_search`), and the call names it outside any namespace.
 */
export function isToolSearchCall(call: Call, name: string, namespace: string | undefined): boolean {
  return namespace === undefined && name === TOOL_SEARCH_TOOL_NAME && call.tools.some((t) => t.kind === 'tool_search');
}
