import type { Call, ToolCallFields, ToolCallPart, ToolDefinition, ToolResultPart } from '../../canonical/index.js';
import { TOOL_DIALECTS } from '../../canonical/index.js';
import { openCallId, plainCallId } from '../state-envelope.js';
import { badField, callerOf, imagePart } from './decode-input.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * OpenAI's client-run tools: tools whose schema OpenAI defines and the client runs (the OpenAI
 * Agents SDK's shell and apply_patch with GPT-5.1 and later; Codex's older local shell; computer
 * use, `computer` with GPT-5.4 and later, `computer_use_preview` before). Each is a provider tool
 * of TOOL_DIALECTS.openaiResponses named after its type (both computer use tools are the one tool
 * `computer`: a `computer_call` item does not say which of them it is a call of, and a request
 * declares one): an openai-responses backend sends the declaration as written, every other
 * offers a function of that name with the schema below, whose arguments are the item's `action`
 * (shell, local shell; computer use's one action), `{operation}` (apply_patch) or `{actions}`
 * (computer use's batch). The model's calls come back to the client as the tool's own item
 * (`shell_call`, `apply_patch_call`, `local_shell_call`, `computer_call`), whichever provider
 * made them; a computer call's `pending_safety_checks` are its providerFields, which only an
 * openai-responses backend makes and sends back.
 * @see spec/frontends/openai-responses/client-tools.spec.ts
 * @see spec/frontends/openai-responses/computer-use.spec.ts
 */
export type ClientToolType = 'shell' | 'apply_patch' | 'local_shell' | 'computer';

/** The tool each declaration type is. */
const TOOL_OF_TYPE: Readonly<Record<string, ClientToolType>> = { shell: 'shell', apply_patch: 'apply_patch', local_shell: 'local_shell', computer: 'computer', computer_use_preview: 'computer' };

/** The declaration types of these tools. */
export const CLIENT_TOOL_TYPES: ReadonlySet<string> = new Set(Object.keys(TOOL_OF_TYPE));

/** The tool_choice types that name one of them: the declaration types, and `computer_use` (the computer tool). */
export const CLIENT_CHOICE_TYPES: ReadonlySet<string> = new Set([...CLIENT_TOOL_TYPES, 'computer_use']);

/** The canonical names of these tools. */
export const CLIENT_TOOL_NAMES: ReadonlySet<string> = new Set(Object.values(TOOL_OF_TYPE));

const OUTPUT_ITEMS: Readonly<Record<string, ClientToolType>> = { shell_call_output: 'shell', apply_patch_call_output: 'apply_patch', local_shell_call_output: 'local_shell', computer_call_output: 'computer' };
const CALL_ITEMS: Readonly<Record<string, ClientToolType>> = { shell_call: 'shell', apply_patch_call: 'apply_patch', local_shell_call: 'local_shell', computer_call: 'computer' };

/** Input item types of these tools' calls and answers. */
export const CLIENT_ITEM_TYPES: ReadonlySet<string> = new Set([...Object.keys(CALL_ITEMS), ...Object.keys(OUTPUT_ITEMS)]);

const stringList = (description: string) => ({ type: 'array', items: { type: 'string' }, description });

/** What another provider's model is offered in each tool's place (computer use: computerOffer). */
const OFFERED: Readonly<Record<Exclude<ClientToolType, 'computer'>, { readonly description: string; readonly parameters: Json }>> = {
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
 * One computer use action (ComputerAction), as another provider's model is offered it: every
 * field of OpenAI's action union, each saying which actions read it.
 */
const COMPUTER_ACTION: Json = {
  type: 'object',
  properties: {
    type: {
      type: 'string', enum: ['click', 'double_click', 'drag', 'keypress', 'move', 'screenshot', 'scroll', 'type', 'wait'],
      description: 'The action: click or double_click at (x, y); drag along path; keypress the keys; move the pointer to (x, y); screenshot (only look); scroll by (scroll_x, scroll_y) at (x, y); type the text; wait a moment.',
    },
    x: { type: 'number', description: 'click, double_click, move, scroll: the x-coordinate on the screen, in pixels from the left.' },
    y: { type: 'number', description: 'click, double_click, move, scroll: the y-coordinate on the screen, in pixels from the top.' },
    button: { type: 'string', enum: ['left', 'right', 'wheel', 'back', 'forward'], description: 'click: the mouse button.' },
    keys: stringList('keypress: the keys to press together; click, double_click, drag, move, scroll: the keys held down meanwhile.'),
    path: {
      type: 'array', description: 'drag: the points the pointer goes through, from where the drag starts to where it ends.',
      items: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] },
    },
    scroll_x: { type: 'number', description: 'scroll: the horizontal distance to scroll, in pixels.' },
    scroll_y: { type: 'number', description: 'scroll: the vertical distance to scroll, in pixels.' },
    text: { type: 'string', description: 'type: the text to type.' },
  },
  required: ['type'],
};

/**
 * What another provider's model is offered for computer use: `computer` runs a batch of
 * actions (`{actions}`), `computer_use_preview` one action (its arguments are the action), the
 * display's size and environment named when declared.
 */
function computerOffer(t: Json): { readonly description: string; readonly parameters: Json } {
  const intro = 'Operates the user\'s computer through its screen, mouse and keyboard';
  if (t.type === 'computer') {
    return {
      description: `${intro}: runs the actions in order, then answers with a screenshot of the screen.`,
      parameters: { type: 'object', properties: { actions: { type: 'array', items: COMPUTER_ACTION, description: 'The actions to run, in order.' } }, required: ['actions'] },
    };
  }
  const display = `The display is ${String(t.display_width)}x${String(t.display_height)} pixels; the environment is ${String(t.environment)}.`;
  return { description: `${intro}: runs one action, then answers with a screenshot of the screen. ${display}`, parameters: COMPUTER_ACTION };
}

/**
 * A client tool declaration -> a provider tool of the Responses dialect, named after its type
 * (both computer use tools `computer`). A shell in a container (`environment` `container_auto`
 * or `container_reference`) is OpenAI's to run, not the client's: refused.
 *
 * ```ts
 * clientTool({ type: 'shell' }, 'tools[0]')
 * // { name: 'shell', kind: 'provider', description, parameters: { ...commands },
 * //   providerTool: { dialect: 'openai.responses.tool', definition: { type: 'shell' } } }
 * clientTool({ type: 'computer_use_preview', display_width: 1024, display_height: 768, environment: 'browser' }, 'tools[1]')
 * // { name: 'computer', kind: 'provider', description: '... The display is 1024x768 pixels; the environment is browser.',
 * //   parameters: { ...one action }, providerTool: { dialect: 'openai.responses.tool', definition: { type: 'computer_use_preview', ... } } }
 * ```
 */
export function clientTool(t: Json, path: string): ToolDefinition {
  const tool = TOOL_OF_TYPE[t.type as string]!;
  const environment = t.environment?.type;
  if (tool === 'shell' && environment !== undefined && environment !== 'local') {
    throw badField(`${path}.environment.type`, `a shell in an OpenAI container ("${String(environment)}") is not supported; declare the local shell ({"type": "local"} or no environment), which the client runs`, true);
  }
  const offer = tool === 'computer' ? computerOffer(t) : OFFERED[tool];
  return { name: tool, ...offer, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: t } };
}

/** One declaration per client tool (one computer use tool of either type), and no function or custom tool under its name: a 400 naming the second. */
export function checkClientTools(declared: readonly Json[]): void {
  const seen = new Set<string>();
  declared.forEach((t, i) => {
    const tool = CLIENT_TOOL_TYPES.has(t.type) ? TOOL_OF_TYPE[t.type as string]! : undefined;
    if (tool === undefined) return;
    if (seen.has(tool)) throw badField(`tools[${i}].type`, `declares a second ${tool === 'computer' ? 'computer use' : tool} tool; declare one`);
    seen.add(tool);
  });
  const clash = declared.findIndex((t) => (t.type === 'function' || t.type === 'custom') && seen.has(t.name));
  if (clash >= 0) throw badField(`tools[${clash}].name`, `"${String(declared[clash]!.name)}" is the name of the ${String(declared[clash]!.name)} tool here; give the ${String(declared[clash]!.type)} tool another name`, true);
}

/**
 * The canonical name of the client tool a choice names by type (`{type: "shell"}`; any of
 * `computer`, `computer_use_preview` and `computer_use` names the computer use tool declared),
 * if the call declares it; else a 400 at `path`.
 */
export function clientChoice(type: string, tools: readonly ToolDefinition[], path: string): string {
  const name = (Object.hasOwn(TOOL_OF_TYPE, type) ? TOOL_OF_TYPE[type] : undefined) ?? 'computer';
  if (!tools.some((t) => isClientTool(t) && t.name === name)) throw badField(path, `names the ${type} tool, which is not in tools`);
  return name;
}

function isClientTool(t: ToolDefinition): boolean {
  return t.kind === 'provider' && t.providerTool?.dialect === TOOL_DIALECTS.openaiResponses && CLIENT_TOOL_NAMES.has(t.name);
}

/**
 * Which client tool a call of `name` (outside a namespace) is a call of, when the call declares
 * it: the frontend then writes the call as that tool's item.
 */
export function clientToolOf(call: Call, name: string, namespace: string | undefined): ClientToolType | undefined {
  if (namespace !== undefined || !CLIENT_TOOL_NAMES.has(name)) return undefined;
  return call.tools.some((t) => isClientTool(t) && t.name === name) ? name as ClientToolType : undefined;
}

/** The client tools a request declared (as written: a stored response's echo), for writing its calls again. */
export function declaredClientTools(tools: unknown): ToolDefinition[] {
  if (!Array.isArray(tools)) return [];
  return tools.filter((t): t is Json => typeof t === 'object' && t !== null && CLIENT_TOOL_TYPES.has((t as Json).type))
    .map((t) => ({ name: TOOL_OF_TYPE[t.type as string]!, parameters: {}, kind: 'provider', providerTool: { dialect: TOOL_DIALECTS.openaiResponses, definition: t } }));
}

/** The fields of a call's providerFields that are this protocol's own (a computer call's safety checks), for writing its item. */
export function ownCallFields(fields: ToolCallFields | undefined): { fields?: Readonly<Record<string, unknown>> } {
  return fields?.dialect === TOOL_DIALECTS.openaiResponses ? { fields: fields.value } : {};
}

/** Whether an item type is one of these tools' calls (`shell_call`, ...) rather than an answer. */
export function isClientCallItem(type: string): boolean {
  return Object.hasOwn(CALL_ITEMS, type);
}

/**
 * A call item of an earlier turn -> a tool call of the tool of its type, whose arguments are the
 * item's `action` (shell, local shell, a computer call's one action) or `{operation}`
 * (apply_patch) or `{actions}` (a computer call's batch) as JSON, with its `caller` (a program's
 * call); a computer call's `pending_safety_checks` are kept as its providerFields. The item's
 * status is not kept: a call the client answers is done, and goes back `completed`.
 */
export function clientCallPart(item: Json, path: string): ToolCallPart {
  const tool = CALL_ITEMS[item.type as string]!;
  const { id, call } = openCallId(item.call_id, `${path}.call_id`);
  const args = tool === 'apply_patch' ? { operation: item.operation } : tool === 'computer' ? computerCallArgs(item, path) : item.action;
  const checks = tool === 'computer' && Array.isArray(item.pending_safety_checks) && item.pending_safety_checks.length > 0
    ? { providerFields: { dialect: TOOL_DIALECTS.openaiResponses, value: { pending_safety_checks: item.pending_safety_checks } } } : {};
  return { type: 'tool_call', id, name: tool, arguments: JSON.stringify(args), ...(call ? { signature: call.signature, dialect: call.dialect } : {}), ...checks, ...callerOf(item) };
}

/** A computer call's arguments: `{actions}` of a batch, else its one action; one with neither is a 400. */
function computerCallArgs(item: Json, path: string): Json {
  if (Array.isArray(item.actions) && item.actions.length > 0) return { actions: item.actions };
  if (typeof item.action === 'object' && item.action !== null) return item.action;
  throw badField(`${path}.action`, 'is required (or a non-empty actions)');
}

/**
 * The client's answer item -> the result of the call it answers, the item kept as written
 * (`written`, for an openai-responses backend, with a computer call's `acknowledged_safety_checks`).
 * Another provider's model reads it as text: a shell's stdout, stderr and outcome per command;
 * apply_patch's output (`isError` when failed); the local shell's output as the client wrote it;
 * or, of a computer call, as the screenshot's image (an `image_url`, https: or data:; an uploaded
 * `file_id`, which lip cannot read, is refused as in a message). A `local_shell_call_output` names
 * its call by `call_id`, or by `id` as the SDK's type has it.
 */
export function clientOutputPart(item: Json, path: string): ToolResultPart {
  const tool = OUTPUT_ITEMS[item.type as string]!;
  const wire = tool === 'local_shell' ? item.call_id ?? item.id : item.call_id;
  if (typeof wire !== 'string' || wire.length === 0) throw badField(`${path}.call_id`, 'is required');
  const failed = tool === 'apply_patch' ? item.status === 'failed' : false;
  return {
    type: 'tool_result', callId: plainCallId(wire), content: tool === 'computer' ? [imagePart(item.output, `${path}.output`)] : outputText(tool, item),
    ...(failed ? { isError: true } : {}),
    written: { dialect: TOOL_DIALECTS.openaiResponses, item },
  };
}

function outputText(tool: Exclude<ClientToolType, 'computer'>, item: Json): string {
  if (tool === 'apply_patch') return typeof item.output === 'string' && item.output.length > 0 ? item.output : `The patch was ${item.status === 'failed' ? 'not applied (failed)' : 'applied'}.`;
  if (tool === 'local_shell') return item.output as string;
  return (item.output as Json[]).map((chunk) => {
    const outcome = chunk.outcome?.type === 'timeout' ? 'timed out' : `exit code ${String(chunk.outcome?.exit_code)}`;
    return [`${outcome}`, ...(chunk.stdout ? [`stdout:\n${String(chunk.stdout)}`] : []), ...(chunk.stderr ? [`stderr:\n${String(chunk.stderr)}`] : [])].join('\n');
  }).join('\n\n') || 'No output.';
}

/** A call's item prefix. */
export const CLIENT_ITEM_PREFIXES: Readonly<Record<ClientToolType, string>> = { shell: 'sh_', apply_patch: 'apc_', local_shell: 'lsh_', computer: 'cu_' };

/**
 * The item of a model's call of a client tool (`shell_call`, `apply_patch_call`,
 * `local_shell_call`, `computer_call`), from its arguments and the call's own `fields`
 * (ownCallFields: a computer call's `pending_safety_checks`, none when another provider made it).
 * Arguments a model of another provider bent (not an object, a missing field) still make an item
 * of the tool's form, with what there is: the client runs its tool and answers whatever the item
 * holds.
 */
export function clientCallItem(tool: ClientToolType, id: string, callId: string, args: string, status: 'in_progress' | 'completed' | 'incomplete', fields?: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const a = jsonObject(args);
  if (tool === 'computer') {
    const checks = Array.isArray(fields?.pending_safety_checks) ? fields.pending_safety_checks : [];
    return { id, type: 'computer_call', status, call_id: callId, ...computerActions(a), pending_safety_checks: checks };
  }
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

/**
 * A computer call's action or actions from its arguments: `{actions}` a batch, else one action
 * (nested as `{action}` by a model that bent the schema, or the arguments themselves); none while
 * the arguments are not known yet (an item in progress).
 */
function computerActions(a: Json): Json {
  if (Array.isArray(a.actions)) return { actions: a.actions };
  if (typeof a.action === 'object' && a.action !== null && !Array.isArray(a.action)) return { action: a.action };
  return Object.keys(a).length > 0 ? { action: a } : {};
}

function jsonObject(text: string): Json {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Json : {};
  } catch {
    return {};
  }
}
