import type { Call, ToolCallPart, ToolDefinition, ToolResultPart } from '../../canonical/index.js';
import { TOOL_DIALECTS } from '../../canonical/index.js';
import { openCallId, plainCallId } from '../state-envelope.js';
import { badField, callerOf } from './decode-input.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * OpenAI's client-run tools: tools whose schema OpenAI defines and the client runs (the OpenAI
 * Agents SDK's shell and apply_patch with GPT-5.1 and later; Codex's older local shell). Each is a
 * provider tool of TOOL_DIALECTS.openaiResponses named after its type: an openai-responses
 * backend sends the declaration as written, every other offers a function of that name with the
 * schema below, whose arguments are the item's `action` (shell, local shell) or `{operation}`
 * (apply_patch). The model's calls come back to the client as the tool's own item
 * (`shell_call`, `apply_patch_call`, `local_shell_call`), whichever provider made them.
 * @see spec/frontends/openai-responses/client-tools.spec.ts
 */
export type ClientToolType = 'shell' | 'apply_patch' | 'local_shell';

export const CLIENT_TOOL_TYPES: ReadonlySet<string> = new Set<ClientToolType>(['shell', 'apply_patch', 'local_shell']);

/** The item of a call of each tool, and of the client's answer. */
export const CLIENT_CALL_ITEMS: Readonly<Record<ClientToolType, string>> = { shell: 'shell_call', apply_patch: 'apply_patch_call', local_shell: 'local_shell_call' };
const OUTPUT_ITEMS: Readonly<Record<string, ClientToolType>> = { shell_call_output: 'shell', apply_patch_call_output: 'apply_patch', local_shell_call_output: 'local_shell' };
const CALL_ITEMS: Readonly<Record<string, ClientToolType>> = { shell_call: 'shell', apply_patch_call: 'apply_patch', local_shell_call: 'local_shell' };

/** Input item types of these tools' calls and answers. */
export const CLIENT_ITEM_TYPES: ReadonlySet<string> = new Set([...Object.keys(CALL_ITEMS), ...Object.keys(OUTPUT_ITEMS)]);

const stringList = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

/** What another provider's model is offered in each tool's place. */
const OFFERED: Readonly<Record<ClientToolType, { readonly description: string; readonly parameters: Json }>> = {
  shell: {
    description: 'Runs shell commands on the user\'s machine, in order, and returns the stdout, stderr and exit code of each.',
    parameters: {
      type: 'object',
      properties: {
        commands: stringList('The command lines to run, in order.'),
        timeout_ms: { type: 'integer', description: 'The longest the commands may run, in milliseconds.' },
        max_output_length: { type: 'integer', description: 'The most characters of output to return per command.' },
      },
      required: ['commands'],
    },
  },
  apply_patch: {
    description: 'Creates, updates or deletes one file on the user\'s machine. create_file: `diff` is the new file\'s content, each line prefixed with "+". update_file: `diff` is a V4A diff of the file: hunks starting with "@@" (optionally followed by a line of context such as a function signature), then lines of context prefixed with " ", removed lines with "-" and added lines with "+". delete_file: no diff.',
    parameters: {
      type: 'object',
      properties: {
        operation: {
          type: 'object',
          properties: {
            type: { type: 'string', enum: ['create_file', 'update_file', 'delete_file'], description: 'What to do with the file.' },
            path: { type: 'string', description: 'The path of the file, relative to the workspace root.' },
            diff: { type: 'string', description: 'create_file and update_file: the diff to apply.' },
          },
          required: ['type', 'path'],
        },
      },
      required: ['operation'],
    },
  },
  local_shell: {
    description: 'Runs one command on the user\'s machine and returns its output.',
    parameters: {
      type: 'object',
      properties: {
        command: stringList('The command and its arguments (argv), e.g. ["ls", "-la"].'),
        env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Environment variables to set for the command.' },
        timeout_ms: { type: 'integer', description: 'The longest the command may run, in milliseconds.' },
        working_directory: { type: 'string', description: 'The directory to run the command in.' },
        user: { type: 'string', description: 'The user to run the command as.' },
      },
      required: ['command'],
    },
  },
};

/**
 * A client tool declaration -> a provider tool of the Responses dialect, named after its type.
 * A shell in a container (`environment` `container_auto` or `container_reference`) is OpenAI's
 * to run, not the client's: refused.
 *
 * ```ts
 * clientTool({ type: 'shell' }, 'tools[0]')
 * // { name: 'shell', kind: 'provider', description, parameters: { ...commands },
 * //   providerTool: { dialect: 'openai.responses.tool', definition: { type: 'shell' } } }
 * ```
 */
export function clientTool(t: Json, path: string): ToolDefinition {
  const type = t.type as ClientToolType;
  const environment = t.environment?.type;
  if (type === 'shell' && environment !== undefined && environment !== 'local') {
    throw badField(`${path}.environment.type`, `a shell in an OpenAI container ("${String(environment)}") is not supported; declare the local shell ({"type": "local"} or no environment), which the client runs`, true);
  }
  return { name: type, ...OFFERED[type], kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: t } };
}

/** One declaration per client tool, and no function or custom tool under its name: a 400 naming the second. */
export function checkClientTools(declared: readonly Json[]): void {
  const seen = new Set<string>();
  declared.forEach((t, i) => {
    if (!CLIENT_TOOL_TYPES.has(t.type)) return;
    if (seen.has(t.type)) throw badField(`tools[${i}].type`, `declares a second ${String(t.type)} tool; declare one`);
    seen.add(t.type);
  });
  const clash = declared.findIndex((t) => (t.type === 'function' || t.type === 'custom') && seen.has(t.name));
  if (clash >= 0) throw badField(`tools[${clash}].name`, `"${String(declared[clash]!.name)}" is the name of the ${String(declared[clash]!.name)} tool here; give the ${String(declared[clash]!.type)} tool another name`, true);
}

/** The canonical name of the client tool a choice names by type (`{type: "shell"}`), if the call declares it; else a 400 at `path`. */
export function clientChoice(type: string, tools: readonly ToolDefinition[], path: string): string {
  if (!tools.some((t) => isClientTool(t) && t.name === type)) throw badField(path, `names the ${type} tool, which is not in tools`);
  return type;
}

function isClientTool(t: ToolDefinition): boolean {
  return t.kind === 'provider' && t.providerTool?.dialect === TOOL_DIALECTS.openaiResponses && CLIENT_TOOL_TYPES.has(t.name);
}

/**
 * Which client tool a call of `name` (outside a namespace) is a call of, when the call declares
 * it: the frontend then writes the call as that tool's item.
 */
export function clientToolOf(call: Call, name: string, namespace: string | undefined): ClientToolType | undefined {
  if (namespace !== undefined || !CLIENT_TOOL_TYPES.has(name)) return undefined;
  return call.tools.some((t) => isClientTool(t) && t.name === name) ? name as ClientToolType : undefined;
}

/** The client tools a request declared (as written: a stored response's echo), for writing its calls again. */
export function declaredClientTools(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter((t): t is Json => typeof t === 'object' && t !== null && CLIENT_TOOL_TYPES.has((t as Json).type))
    .map((t) => ({ name: t.type, parameters: {}, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: t } }));
}

/** Whether an item type is one of these tools' calls (`shell_call`, ...) rather than an answer. */
export function isClientCallItem(type: string): boolean {
  return type in CALL_ITEMS;
}

/**
 * A call item of an earlier turn -> a tool call of the tool of its type, whose arguments are the
 * item's `action` (shell, local shell) or `{operation}` (apply_patch) as JSON, with its `caller`
 * (a program's call). The item's status is not kept: a call the client answers is done, and goes
 * back `completed`.
 */
export function clientCallPart(item: Json, path: string): ToolCallPart {
  const tool = CALL_ITEMS[item.type as string]!;
  const { id, call } = openCallId(item.call_id, `${path}.call_id`);
  const args = tool === 'apply_patch' ? { operation: item.operation } : item.action;
  return { type: 'tool_call', id, name: tool, arguments: JSON.stringify(args), ...(call ? { signature: call.signature, dialect: call.dialect } : {}), ...callerOf(item) };
}

/**
 * The client's answer item -> the result of the call it answers, the item kept as written
 * (`written`, for an openai-responses backend). Another provider's model reads it as text: a
 * shell's stdout, stderr and outcome per command; apply_patch's output (`isError` when failed);
 * the local shell's output as the client wrote it. A `local_shell_call_output` names its call by
 * `call_id`, or by `id` as the SDK's type has it.
 */
export function clientOutputPart(item: Json, path: string): ToolResultPart {
  const tool = OUTPUT_ITEMS[item.type as string]!;
  const wire = tool === 'local_shell' ? item.call_id ?? item.id : item.call_id;
  if (typeof wire !== 'string' || wire.length === 0) throw badField(`${path}.call_id`, 'is required');
  const failed = tool === 'apply_patch' ? item.status === 'failed' : false;
  return {
    type: 'tool_result', callId: plainCallId(wire), content: outputText(tool, item),
    ...(failed ? { isError: true } : {}),
    written: { dialect: TOOL_DIALECTS.openaiResponses, item },
  };
}

function outputText(tool: ClientToolType, item: Json): string {
  if (tool === 'apply_patch') return typeof item.output === 'string' && item.output.length > 0 ? item.output : `The patch was ${item.status === 'failed' ? 'not applied (failed)' : 'applied'}.`;
  if (tool === 'local_shell') return item.output as string;
  return (item.output as Json[]).map((chunk) => {
    const outcome = chunk.outcome?.type === 'timeout' ? 'timed out' : `exit code ${String(chunk.outcome?.exit_code)}`;
    return [`${outcome}`, ...(chunk.stdout ? [`stdout:\n${String(chunk.stdout)}`] : []), ...(chunk.stderr ? [`stderr:\n${String(chunk.stderr)}`] : [])].join('\n');
  }).join('\n\n') || 'No output.';
}

/** A call's item prefix. */
export const CLIENT_ITEM_PREFIXES: Readonly<Record<ClientToolType, string>> = { shell: 'sh_', apply_patch: 'apc_', local_shell: 'lsh_' };

/**
 * The item of a model's call of a client tool (`shell_call`, `apply_patch_call`,
 * `local_shell_call`), from its arguments. Arguments a model of another provider bent (not an
 * object, a missing field) still make an item of the tool's form, with what there is: the client
 * runs its tool and answers whatever the item holds.
 */
export function clientCallItem(tool: ClientToolType, id: string, callId: string, args: string, status: 'in_progress' | 'completed' | 'incomplete'): Record<string, unknown> {
  const a = jsonObject(args);
  if (tool === 'shell') {
    const commands = Array.isArray(a.commands) ? a.commands : typeof a.command === 'string' ? [a.command] : [];
    return { id, type: 'shell_call', status, call_id: callId, action: { ...a, commands, timeout_ms: a.timeout_ms ?? null, max_output_length: a.max_output_length ?? null }, environment: null };
  }
  if (tool === 'apply_patch') {
    const operation = typeof a.operation === 'object' && a.operation !== null ? a.operation : typeof a.type === 'string' ? a : {};
    // apply_patch_call has no `incomplete`: a call cut short is still in progress.
    return { id, type: 'apply_patch_call', status: status === 'incomplete' ? 'in_progress' : status, call_id: callId, operation };
  }
  return { id, type: 'local_shell_call', status, call_id: callId, action: { ...a, type: 'exec', command: Array.isArray(a.command) ? a.command : [], env: a.env ?? {} } };
}

function jsonObject(text: string): Json {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {};
  } catch {
    return {};
  }
}
