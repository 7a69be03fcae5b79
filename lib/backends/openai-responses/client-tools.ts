import type { Call, ToolCallFields, ToolCallPart, ToolDefinition, ToolResultPart } from '../../canonical/index.js';
import { TOOL_DIALECTS } from '../../canonical/index.js';
import { failedOutput } from '../failed-tool-result.js';

type Json = Record<string, any>;

/**
 * OpenAI's client-run tools (TOOL_DIALECTS.openaiResponses: `shell`, `apply_patch`,
 * `local_shell`, and computer use, `computer`, of either declared type) as the Responses API
 * takes them: the declaration as the client wrote it, a call of the history as the tool's own
 * item (its arguments are the item's `action`, `{operation}` for apply_patch, `{actions}` for a
 * computer call's batch; a computer call's `pending_safety_checks` its providerFields), the
 * client's answer as the output item it wrote (a computer call's with its
 * `acknowledged_safety_checks`); the model's call items come back as tool calls of the tool of
 * that name with those arguments.
 * @see spec/backends/openai-responses/client-tools.spec.ts
 * @see spec/backends/openai-responses/computer-use.spec.ts
 */
const ITEM_TOOLS: Readonly<Record<string, string>> = { shell_call: 'shell', apply_patch_call: 'apply_patch', local_shell_call: 'local_shell', computer_call: 'computer' };

/** Whether a declared tool is one of them. */
export function isClientTool(t: ToolDefinition): boolean {
  return t.kind === 'provider' && t.providerTool?.dialect === TOOL_DIALECTS.openaiResponses;
}

/** The declaration as written. */
export function clientToolBody(t: ToolDefinition): Json {
  return { ...t.providerTool!.definition };
}

/** The client tool a call item is of (`shell_call` -> `shell`), if it is one. */
export function clientItemTool(type: unknown): string | undefined {
  return typeof type === 'string' ? ITEM_TOOLS[type] : undefined;
}

/** A call item's arguments as JSON text: its action, `{operation}`, or a computer call's `{actions}`. */
export function clientItemArgs(item: Json): string {
  const value = item.type === 'apply_patch_call' ? (item.operation !== undefined ? { operation: item.operation } : undefined)
    : item.type === 'computer_call' && Array.isArray(item.actions) && item.actions.length > 0 ? { actions: item.actions } : item.action;
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/** A call item's fields besides its arguments that the call carries (a computer call's pending safety checks), if any. */
export function clientItemFields(item: Json): { providerFields?: ToolCallFields } {
  if (item.type !== 'computer_call' || !Array.isArray(item.pending_safety_checks) || item.pending_safety_checks.length === 0) return {};
  return { providerFields: { dialect: TOOL_DIALECTS.openaiResponses, value: { pending_safety_checks: item.pending_safety_checks } } };
}

/**
 * The ids of the history's calls of client tools: those the client answered in the tool's own
 * form, and, of the tools the call declares, every call of its name outside a namespace.
 */
export function clientCallIds(call: Call): ReadonlyMap<string, string> {
  const declared = new Set(call.tools.filter(isClientTool).map((t) => t.name));
  const answered = new Set<string>();
  for (const m of call.messages) for (const p of m.parts) if (p.type === 'tool_result' && p.written?.dialect === TOOL_DIALECTS.openaiResponses) answered.add(p.callId);
  const ids = new Map<string, string>();
  for (const m of call.messages) {
    for (const p of m.parts) {
      if (p.type !== 'tool_call' || p.namespace !== undefined || !Object.values(ITEM_TOOLS).includes(p.name)) continue;
      if (declared.has(p.name) || answered.has(p.id)) ids.set(p.id, p.name);
    }
  }
  return ids;
}

/**
 * A call of the history as the tool's item, `completed` (an answered call is done); a computer
 * call with its pending safety checks when it had any (an empty list is left out, as OpenAI's
 * Agents SDK does: the API refuses it on a replayed call).
 */
export function clientCallInput(part: ToolCallPart, tool: string): Json {
  const args = parsed(part.arguments);
  if (tool === 'apply_patch') return { type: 'apply_patch_call', call_id: part.id, status: 'completed', operation: args.operation ?? {} };
  if (tool === 'local_shell') return { type: 'local_shell_call', id: part.id, call_id: part.id, status: 'completed', action: { ...args, type: 'exec' } };
  if (tool === 'computer') {
    const checks = part.providerFields?.dialect === TOOL_DIALECTS.openaiResponses ? part.providerFields.value.pending_safety_checks : undefined;
    return {
      type: 'computer_call', id: part.id, call_id: part.id, status: 'completed', ...computerActions(args),
      ...(Array.isArray(checks) && checks.length > 0 ? { pending_safety_checks: checks } : {}),
    };
  }
  return { type: 'shell_call', call_id: part.id, status: 'completed', action: args };
}

/**
 * The client's answer as it wrote it, under the call's id; one of another form (a function
 * result of a client whose protocol has no such item, answering a call an openai-responses model
 * made) as the tool's output item built from its text: a shell's as one chunk of stdout, a
 * computer call's screenshot from its image (undefined without one: the result then goes as a
 * function_call_output).
 */
export function clientOutputInput(part: ToolResultPart, tool: string): Json | undefined {
  const text = typeof part.content === 'string' ? part.content : part.content.map((p) => (p.type === 'text' ? p.text : '')).join('');
  if (part.written?.dialect === TOOL_DIALECTS.openaiResponses) {
    const item = part.written.item;
    if (item.type === 'local_shell_call_output') return { ...withoutId(item), ...(item.call_id !== undefined ? { call_id: part.callId } : { id: part.callId }) };
    return { ...withoutId(item), call_id: part.callId };
  }
  if (tool === 'computer') return screenshotOutput(part);
  if (tool === 'apply_patch') return { type: 'apply_patch_call_output', call_id: part.callId, status: part.isError === true ? 'failed' : 'completed', output: text };
  if (tool === 'local_shell') return { type: 'local_shell_call_output', id: part.callId, output: failedOutput(text, part.isError) };
  return { type: 'shell_call_output', call_id: part.callId, output: [{ stdout: text, stderr: '', outcome: { type: 'exit', exit_code: part.isError === true ? 1 : 0 } }] };
}

/** A computer call's `actions` (a batch) or its one `action` (nested by a model that bent the schema, or the arguments themselves). */
function computerActions(args: Json): Json {
  if (Array.isArray(args.actions)) return { actions: args.actions };
  return { action: typeof args.action === 'object' && args.action !== null && !Array.isArray(args.action) ? args.action : args };
}

/** A computer call's output from the first image of a result: its URL, or its data as a data: URL. */
function screenshotOutput(part: ToolResultPart): Json | undefined {
  const image = typeof part.content === 'string' ? undefined : part.content.find((p) => p.type === 'image');
  if (image?.type !== 'image') return undefined;
  const url = image.url ?? `data:${image.mediaType ?? 'image/png'};base64,${image.data ?? ''}`;
  return { type: 'computer_call_output', call_id: part.callId, output: { type: 'computer_screenshot', image_url: url } };
}

/** An item lip got from the client keeps no id of its own: OpenAI's ids are for items it made and stores. */
function withoutId(item: Json): Json {
  const { id: _id, ...rest } = item;
  return rest;
}

function parsed(text: string): Json {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {};
  } catch {
    return {};
  }
}
