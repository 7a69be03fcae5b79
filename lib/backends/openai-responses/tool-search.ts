import type { Call, ToolCallPart, ToolDefinition, ToolResultPart } from '../../canonical/index.js';
import { HOSTED_DIALECTS, TOOL_SEARCH_DIALECTS, TOOL_SEARCH_TOOL_NAME } from '../../canonical/index.js';

type Json = Record<string, unknown>;

/**
 * Namespaces and tool search as the Responses API takes them: the call's namespaced tools go
 * back into `namespace` tools (one per namespace, where its first tool was declared, its tools in
 * their order), the client's tool search as `{type: "tool_search", execution: "client", ...}`,
 * `defer_loading` only beside a tool search the request sends (without one OpenAI has nothing
 * to load a deferred tool with: such a tool is declared in full, as on every other backend), a
 * call of the client's search as a `tool_search_call` item and its answer as the
 * `tool_search_output` item the client wrote. OpenAI's own tool search is a hosted tool
 * (hosted-tools.ts), its items hosted items.
 * @see spec/backends/openai-responses/tool-search.spec.ts
 */
export function toolsBody(call: Call, body: (tool: ToolDefinition, deferred: boolean) => Json): Json[] {
  return declaredTools(call.tools, sendsToolSearch(call), body);
}

/** `tools` as a Responses `tools` list declares them (`deferred`: the request sends a tool search). */
export function declaredTools(tools: readonly ToolDefinition[], deferred: boolean, body: (tool: ToolDefinition, deferred: boolean) => Json): Json[] {
  if (!tools.some((t) => t.namespace !== undefined)) return tools.map((t) => body(t, deferred));
  const out: Json[] = [];
  const spaces = new Map<string, Json[]>();
  for (const tool of tools) {
    if (tool.namespace === undefined) {
      out.push(body(tool, deferred));
      continue;
    }
    const { namespace: name, namespaceDescription, ...member } = tool;
    let members = spaces.get(name);
    if (members === undefined) {
      members = [];
      spaces.set(name, members);
      // OpenAI requires the namespace's description; an empty one stands for a client that wrote none.
      out.push({ type: 'namespace', name, description: namespaceDescription ?? '', tools: members });
    }
    members.push(body(member, deferred));
  }
  return out;
}

/** Whether the request carries a tool search: the client's, or OpenAI's own (a hosted `tool_search`). */
export function sendsToolSearch(call: Call): boolean {
  return call.tools.some((t) => t.kind === 'tool_search' || (t.kind === 'hosted' && t.providerTool?.dialect === HOSTED_DIALECTS.openaiResponses && t.providerTool.definition.type === 'tool_search'));
}

/** The client's tool search tool as the Responses API takes it. */
export function toolSearchToolBody(tool: ToolDefinition): Json {
  return { type: 'tool_search', execution: 'client', ...(tool.description !== undefined ? { description: tool.description } : {}), parameters: tool.parameters };
}

/**
 * The ids of the history's calls of the client's tool search: those answered with the tools they
 * loaded, and, when the call declares the search, every call of its name outside a namespace.
 */
export function toolSearchCallIds(call: Call): ReadonlySet<string> {
  const declared = call.tools.some((t) => t.kind === 'tool_search');
  const ids = new Set<string>();
  for (const m of call.messages) {
    for (const p of m.parts) {
      if (p.type === 'tool_result' && p.loaded !== undefined) ids.add(p.callId);
      else if (declared && p.type === 'tool_call' && p.name === TOOL_SEARCH_TOOL_NAME && p.namespace === undefined) ids.add(p.id);
    }
  }
  return ids;
}

/** A call of the client's tool search as its `tool_search_call` item (arguments a JSON value; text that is not JSON as it is). */
export function toolSearchCallInput(part: ToolCallPart): Json {
  let args: unknown = part.arguments;
  try {
    args = JSON.parse(part.arguments);
  } catch {
    // not JSON: sent as written, OpenAI judges it
  }
  return { type: 'tool_search_call', call_id: part.id, execution: 'client', status: 'completed', arguments: args };
}

/** A tool search's answer: the client's `tool_search_output` as written (for this call id), when it is this API's. */
export function toolSearchOutputInput(part: ToolResultPart): Json | undefined {
  const loaded = part.loaded;
  if (loaded === undefined || loaded.dialect !== TOOL_SEARCH_DIALECTS.openaiResponses) return undefined;
  const { id: _id, ...record } = loaded.record;
  return { ...record, type: 'tool_search_output', call_id: part.callId };
}
