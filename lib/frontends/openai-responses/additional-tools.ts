import type { Call, HostedToolPart, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS, sameTool, toolKey, toolsWithAdded } from '../../canonical/index.js';
import { badField } from './decode-input.js';
import { declaredTool } from './declared-tools.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * OpenAI's `additional_tools` items (`{type: "additional_tools", role: "developer", tools: [...]}`
 * in `input`): tools made available from that point of the conversation on. The item is a hosted
 * part of the Responses dialect, as written, in a user message of its own at its place (an
 * openai-responses backend sends it there), and carries its tools as canonical definitions
 * (HostedToolPart.tools), which every other backend declares with the call's own. Each tool is
 * decoded as `tools` would declare it; a name (in its namespace) the request declares already, in
 * `tools` or an earlier item, must be the same declaration, else a 400 at the item's tool.
 *
 * ```ts
 * const added = new AddedTools(tools);
 * added.part({ type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file', ... }] }, 'input[3]')
 * // { type: 'hosted_tool', dialect: 'openai.responses.hosted_tool', block: <the item>, tools: [{ name: 'write_file', ... }] }
 * ```
 * @see spec/frontends/openai-responses/additional-tools.spec.ts
 */
export class AddedTools {
  /** The request's tools so far by key, with where each was declared; made at the first item. */
  private known: Map<string, { readonly tool: ToolDefinition; readonly at: string }> | undefined;

  constructor(private readonly declared: readonly ToolDefinition[]) {}

  /** The item at `path` as its part. */
  part(item: Json, path: string): HostedToolPart {
    const known = (this.known ??= new Map(this.declared.map((tool) => [toolKey(tool), { tool, at: 'tools' }])));
    const tools: ToolDefinition[] = [];
    (item.tools as Json[]).forEach((t, j) => {
      const at = `${path}.tools[${j}]`;
      const decoded = declaredTool(t, at);
      for (const tool of Array.isArray(decoded) ? decoded : [decoded]) {
        const seen = known.get(toolKey(tool));
        if (seen === undefined) known.set(toolKey(tool), { tool, at });
        else if (!sameTool(seen.tool, tool)) throw badField(at, `declares the tool "${tool.name}"${tool.namespace !== undefined ? ` of the namespace "${tool.namespace}"` : ''} otherwise than ${seen.at} does; a tool made available again must be declared the same way`);
        tools.push(tool);
      }
    });
    return { type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: item, tools };
  }
}

/**
 * The call with the tools its history adds among its own (once per name), for the encoders to
 * know every tool the model may call (a client tool's call is written as its own item, the
 * client's tool search's as a tool_search_call, whether declared in `tools` or added later). The
 * same call when nothing adds tools.
 */
export function withAddedTools(call: Call): Call {
  const tools = toolsWithAdded(call);
  return tools === call.tools ? call : { ...call, tools };
}
