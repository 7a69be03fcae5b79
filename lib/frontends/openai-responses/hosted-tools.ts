import type { HostedToolEvent, HostedToolPart, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS } from '../../canonical/index.js';
import { badField } from './decode-input.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * The tools OpenAI runs itself besides web search: a Responses client declares them, only an
 * openai-responses backend can send them (as written), and their work comes back as the
 * provider's own output items. Programmatic tool calling is one: OpenAI runs the model's program,
 * whose calls of the client's tools come to the client as ordinary calls naming their `caller`.
 * Tools the client runs on OpenAI's schema (shell, apply_patch, local_shell, computer use) are
 * not among them (client-tools.ts).
 */
export const HOSTED_TOOL_TYPES: ReadonlySet<string> = new Set(['code_interpreter', 'file_search', 'image_generation', 'mcp', 'programmatic_tool_calling']);

/** Output items of those tools an assistant turn may hold (sent back as input items on the next turn). */
export const HOSTED_ITEM_TYPES: ReadonlySet<string> = new Set([
  'code_interpreter_call', 'file_search_call', 'image_generation_call', 'mcp_call', 'mcp_list_tools', 'mcp_approval_request',
  'program', 'program_output',
]);

/** The client's answer to an `mcp_approval_request`: an input item of its own turn. */
export const HOSTED_ANSWER_TYPE = 'mcp_approval_response';

/**
 * The canonical name of a hosted tool declaration: its type, or for a remote MCP server
 * `mcp:<server_label>` (a request may declare several servers; names are unique in a call, and
 * a function name cannot hold a colon at OpenAI, so it never clashes with one).
 */
export function hostedToolName(t: Json): string {
  return t.type === 'mcp' ? `mcp:${String(t.server_label)}` : String(t.type);
}

/**
 * A hosted tool declaration -> a `hosted` tool of the Responses dialect, the declaration kept
 * as written for an openai-responses backend.
 *
 * ```ts
 * hostedTool({ type: 'mcp', server_label: 'deepwiki', server_url: 'https://mcp.deepwiki.com/mcp' })
 * // { name: 'mcp:deepwiki', parameters: {}, kind: 'hosted',
 * //   providerTool: { dialect: 'openai.responses.hosted_tool', definition: { type: 'mcp', server_label: 'deepwiki', ... } } }
 * ```
 */
export function hostedTool(t: Json): ToolDefinition {
  return { name: hostedToolName(t), parameters: {}, kind: 'hosted', providerTool: { dialect: HOSTED_DIALECTS.openaiResponses, definition: t } };
}

/**
 * One tool per hosted type (one per label for MCP servers), and no function or custom tool under
 * a hosted tool's name: a 400 naming the second declaration.
 */
export function checkHostedTools(declared: readonly Json[], tools: readonly ToolDefinition[]): void {
  const seen = new Map<string, number>();
  tools.forEach((tool, i) => {
    if (tool.kind !== 'hosted') return;
    if (seen.has(tool.name)) {
      const mcp = declared[i]!.type === 'mcp';
      throw badField(`tools[${i}].${mcp ? 'server_label' : 'type'}`, mcp ? `declares a second MCP server labelled "${String(declared[i]!.server_label)}"; labels must be unique` : `declares a second ${tool.name} tool; declare one`);
    }
    seen.set(tool.name, i);
  });
  const clash = tools.findIndex((t) => t.kind !== 'hosted' && seen.has(t.name));
  if (clash >= 0) throw badField(`tools[${clash}].name`, `"${tools[clash]!.name}" is the name of the ${tools[clash]!.name} tool here; give the ${String(declared[clash]!.type)} tool another name`, true);
}

/**
 * The canonical name of the hosted tool a tool choice names (`{type: "code_interpreter"}`,
 * `{type: "mcp", server_label}`), if the call declares it; else a 400 at `path`. A choice of one
 * tool of an MCP server (`name`) has no canonical form: refused rather than widened to the server.
 */
export function hostedChoice(c: Json, tools: readonly ToolDefinition[], path: string): string {
  if (c.type === 'mcp' && c.name !== undefined && c.name !== null) {
    throw badField(`${path}.name`, 'choosing one tool of an MCP server is not supported; choose the server ({"type": "mcp", "server_label": ...})', true);
  }
  if (c.type === 'mcp' && typeof c.server_label !== 'string') throw badField(`${path}.server_label`, 'is required');
  const name = hostedToolName(c);
  if (tools.some((t) => t.kind === 'hosted' && t.name === name)) return name;
  if (c.type === 'mcp') throw badField(`${path}.server_label`, `names the MCP server "${String(c.server_label)}", which is not in tools`);
  throw badField(`${path}.type`, `names the ${name} tool, which is not in tools`);
}

/** A hosted tool's item of an earlier turn (or the client's approval answer) -> a part of the Responses dialect, as written. */
export function hostedPart(item: Json): HostedToolPart {
  return { type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: item };
}

/**
 * The `include` values that belong to hosted tools' items (`code_interpreter_call.outputs`,
 * `file_search_call.results`, and any later value of those item types), as written; undefined
 * when there is none. The others have canonical homes (logprobs, encrypted reasoning, search sources).
 */
export function hostedIncludes(include: unknown): string[] | undefined {
  if (!Array.isArray(include)) return undefined;
  const hosted = (include as unknown[]).filter((value): value is string => typeof value === 'string' && HOSTED_ITEM_TYPES.has(value.split('.')[0]!));
  return hosted.length > 0 ? [...new Set(hosted)] : undefined;
}

/**
 * Whether a hosted tool's block (an event's, a collected one, a history part) is an output item
 * a Responses client can be shown as it is: this dialect's, a block of the message rather than a
 * record of the whole of it, and an item with a type. Another provider's blocks (an Anthropic
 * `code_execution_tool_result`, a Gemini `executableCode` part) have no form in this protocol.
 */
export function ownHostedItem(hosted: Pick<HostedToolEvent, 'dialect' | 'block' | 'scope'>): boolean {
  const block = hosted.block;
  return hosted.dialect === HOSTED_DIALECTS.openaiResponses && hosted.scope === undefined
    && typeof block === 'object' && block !== null && !Array.isArray(block) && typeof block.type === 'string';
}
