import type { HostedToolPart, Part, ToolDefinition, ToolReferencePart, ToolResultPart } from '../../canonical/index.js';
import { CUSTOM_TOOL_PARAMETERS, HOSTED_DIALECTS, TOOL_SEARCH_DIALECTS, TOOL_SEARCH_TOOL_NAME } from '../../canonical/index.js';
import { openCallId, plainCallId } from '../state-envelope.js';
import { badField } from './decode-input.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * OpenAI's namespaces and tool search as a Responses client (Codex CLI with MCP servers and a
 * model that searches its tools) declares them:
 *
 * * a `namespace` tool (`{type: "namespace", name: "mcp__calendar", description, tools: [...]}`)
 *   is its function and custom tools, each a ToolDefinition with that `namespace` (and its
 *   description); `defer_loading` is `deferLoading`;
 * * `{type: "tool_search", execution: "client", description, parameters}` is the client's own
 *   search (kind `tool_search`, named TOOL_SEARCH_TOOL_NAME): the model's calls of it are
 *   `tool_search_call` items, the client answers with `tool_search_output` items that load tools;
 * * `{type: "tool_search"}` run by OpenAI (`execution: "server"`, the default) is an optional
 *   hosted tool: an openai-responses backend sends it as written, every other leaves it out and
 *   declares the deferred tools in full; its items pass through as hosted items.
 * @see spec/frontends/openai-responses/tool-search.spec.ts
 */
export function namespaceTools(t: Json, path: string): ToolDefinition[] {
  const described = typeof t.description === 'string' && t.description.length > 0 ? { namespaceDescription: t.description as string } : {};
  return (t.tools as Json[]).map((member, j) => ({ ...memberTool(member, `${path}.tools[${j}]`), namespace: t.name as string, ...described }));
}

/**
 * A function or custom tool (at the top level, in a namespace, loaded by a tool search, or added
 * by an `additional_tools` item); its `allowed_callers` (programmatic tool calling) as
 * `providerOptions.openai.allowedCallers`, and a function's `strict` left out as
 * `providerOptions.openai.strictOmitted` (the Responses API's default differs from Chat's).
 */
export function memberTool(t: Json, path: string): ToolDefinition {
  const deferred = t.defer_loading === true ? { deferLoading: true } : {};
  const described = typeof t.description === 'string' ? { description: t.description as string } : {};
  const openai = {
    ...(Array.isArray(t.allowed_callers) ? { allowedCallers: t.allowed_callers as string[] } : {}),
    ...(t.type === 'function' && typeof t.strict !== 'boolean' ? { strictOmitted: true } : {}),
  };
  const callers = Object.keys(openai).length > 0 ? { providerOptions: { openai } } : {};
  if (t.type === 'custom') return { name: t.name, ...described, parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', ...(t.format ? { format: t.format } : {}), ...deferred, ...callers };
  if (t.type !== 'function') throw badField(`${path}.type`, `"${String(t.type)}" tools cannot be in a namespace (only function and custom tools)`, true);
  return {
    name: t.name, ...described,
    parameters: t.parameters ?? { type: 'object', properties: {} },
    ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
    ...deferred, ...callers,
  };
}

/** The tool search tool: the client's own (kind `tool_search`) or OpenAI's (an optional hosted tool, as written). */
export function toolSearchTool(t: Json): ToolDefinition {
  if (t.execution !== 'client') {
    return { name: TOOL_SEARCH_TOOL_NAME, parameters: {}, kind: 'hosted', optional: true, providerTool: { dialect: HOSTED_DIALECTS.openaiResponses, definition: t } };
  }
  return {
    name: TOOL_SEARCH_TOOL_NAME,
    ...(typeof t.description === 'string' ? { description: t.description } : {}),
    parameters: t.parameters ?? { type: 'object', properties: {} },
    kind: 'tool_search',
  };
}

/**
 * One tool search tool at most, no other tool outside a namespace under its name, and no two
 * tools of one namespace under one name: a 400 naming the declaration.
 */
export function checkNamespacesAndSearch(declared: readonly Json[]): void {
  let search = -1;
  const names = new Map<string, string>();
  declared.forEach((t, i) => {
    if (t.type === 'tool_search') {
      if (search >= 0) throw badField(`tools[${i}].type`, 'declares a second tool_search tool; declare one');
      search = i;
    } else if (t.type === 'namespace') {
      (t.tools as Json[]).forEach((member, j) => {
        const key = `${String(t.name)}\u0000${String(member.name)}`;
        if (names.has(key)) throw badField(`tools[${i}].tools[${j}].name`, `duplicates the tool "${String(member.name)}" of the namespace "${String(t.name)}" (${names.get(key)!})`);
        names.set(key, `tools[${i}].tools[${j}]`);
      });
    }
  });
  if (search < 0) return;
  const clash = declared.findIndex((t) => (t.type === 'function' || t.type === 'custom') && t.name === TOOL_SEARCH_TOOL_NAME);
  if (clash >= 0) throw badField(`tools[${clash}].name`, `"${TOOL_SEARCH_TOOL_NAME}" is the name of the tool_search tool here; give the ${String(declared[clash]!.type)} tool another name`, true);
}

/** Whether a request's tools (as written: a stored response's echo) declare the client's own tool search. */
export function declaresClientToolSearch(tools: unknown): boolean {
  return Array.isArray(tools) && tools.some((t) => typeof t === 'object' && t !== null && (t as Json).type === 'tool_search' && (t as Json).execution === 'client');
}

/** A `tool_search_call` item of an earlier turn: the client's a call of its tool search (JSON arguments as text), OpenAI's a hosted item as written. */
export function toolSearchCallPart(item: Json, path: string): Part {
  if (item.execution === 'server') return hostedItem(item);
  const { id, call } = openCallId(item.call_id, `${path}.call_id`);
  const args = typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments ?? {});
  return { type: 'tool_call', id, name: TOOL_SEARCH_TOOL_NAME, arguments: args, ...(call ? { signature: call.signature, dialect: call.dialect } : {}) };
}

/**
 * A `tool_search_output` item of an earlier turn: the client's is the result of its search's
 * call, naming the tools it loaded (tool references) and keeping them (`loaded`: canonical
 * definitions, and the item as written for an openai-responses backend); OpenAI's is a hosted
 * item as written. Tools other than functions, custom tools and namespaces stay in the item only.
 */
export function toolSearchOutputPart(item: Json, path: string): ToolResultPart | HostedToolPart {
  if (item.execution === 'server') return hostedItem(item);
  const tools = (item.tools as Json[]).flatMap((t, j): ToolDefinition[] => {
    if (t.type === 'namespace') return namespaceTools(t, `${path}.tools[${j}]`);
    return t.type === 'function' || t.type === 'custom' ? [memberTool(t, `${path}.tools[${j}]`)] : [];
  });
  const refs: ToolReferencePart[] = tools.map((t) => ({ type: 'tool_reference', name: t.name, ...(t.namespace !== undefined ? { namespace: t.namespace } : {}) }));
  return {
    type: 'tool_result', callId: plainCallId(item.call_id),
    content: refs.length > 0 ? refs : 'The tool search loaded no tools.',
    loaded: { tools, dialect: TOOL_SEARCH_DIALECTS.openaiResponses, record: item },
  };
}

function hostedItem(item: Json): HostedToolPart {
  return { type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: item };
}
