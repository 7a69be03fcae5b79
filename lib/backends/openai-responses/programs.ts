import type { Call, ToolCaller, ToolCallPart, ToolDefinition, ToolResultPart } from '../../canonical/index.js';
import { CALLER_DIALECTS } from '../../canonical/index.js';

type Json = Record<string, any>;

/**
 * Programmatic tool calling as the Responses API writes it. The `programmatic_tool_calling` tool
 * is a hosted tool (hosted-tools.ts): the model writes a JavaScript program that OpenAI runs, its
 * `program` item (code and the `fingerprint` that must come back intact) and `program_output`
 * item (its result) are hosted items, in place. The calls the program makes of the client's tools
 * are ordinary calls (`function_call`, `custom_tool_call`, `shell_call`, `apply_patch_call`) whose
 * `caller` names the program (`{type: "program", caller_id}`): decoded into ToolCaller of
 * CALLER_DIALECTS.openaiResponses, sent back with the call and with the client's answer to it (the
 * output items take the same field: the client's own, else the call's), so that OpenAI resumes
 * the program with the results. A tool's
 * `allowed_callers` (`direct`, `programmatic`) is `providerOptions.openai.allowedCallers`.
 * @see spec/backends/openai-responses/programs.spec.ts
 */
const CALLER_ITEMS: ReadonlySet<string> = new Set(['function_call', 'custom_tool_call', 'shell_call', 'apply_patch_call']);
const ANSWER_ITEMS: ReadonlySet<string> = new Set(['function_call_output', 'custom_tool_call_output', 'shell_call_output', 'apply_patch_call_output']);

/** The caller of a call item as the upstream wrote it, when it wrote one (an object with a type). */
export function callerOf(item: Json): ToolCaller | undefined {
  const caller: unknown = item.caller;
  if (!CALLER_ITEMS.has(item.type) || typeof caller !== 'object' || caller === null || Array.isArray(caller) || typeof (caller as Json).type !== 'string') return undefined;
  return { dialect: CALLER_DIALECTS.openaiResponses, value: caller as Json };
}

/** This API's caller of a call or result of the history, as written; undefined for none or another dialect's. */
function wireCaller(part: Pick<ToolCallPart, 'caller'>): Json | undefined {
  return part.caller?.dialect === CALLER_DIALECTS.openaiResponses ? { ...part.caller.value } : undefined;
}

/** A call's item of the history with its caller (the items that take one). */
export function withCaller(item: Json, part: ToolCallPart): Json {
  const caller = CALLER_ITEMS.has(item.type) ? wireCaller(part) : undefined;
  return caller === undefined ? item : { ...item, caller };
}

/** The callers of the history's calls by call id, those of this API only; empty when there is none. */
export function callersById(call: Call): ReadonlyMap<string, Json> {
  let out: Map<string, Json> | undefined;
  for (const m of call.messages) {
    if (m.role !== 'assistant') continue;
    for (const p of m.parts) {
      if (p.type !== 'tool_call') continue;
      const caller = wireCaller(p);
      if (caller !== undefined) (out ??= new Map()).set(p.id, caller);
    }
  }
  return out ?? NONE;
}

const NONE: ReadonlyMap<string, Json> = new Map();

/**
 * A result's output item with its caller: the one the client wrote on the result, else the one of
 * the call it answers; an item that has one already (written by the client as a whole) as it is.
 */
export function answerWithCaller(item: Json, part: ToolResultPart, callers: ReadonlyMap<string, Json>): Json {
  const caller = ANSWER_ITEMS.has(item.type) && item.caller === undefined ? wireCaller(part) ?? callers.get(item.call_id) : undefined;
  return caller === undefined ? item : { ...item, caller };
}

/** A function or custom tool's `allowed_callers`, as the client wrote it. */
export function allowedCallers(tool: ToolDefinition): Json {
  const callers = tool.providerOptions?.openai?.allowedCallers;
  return callers !== undefined ? { allowed_callers: [...callers] } : {};
}
