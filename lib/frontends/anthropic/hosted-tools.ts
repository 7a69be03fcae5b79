import type { HostedToolPart, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS } from '../../canonical/index.js';
import { cacheOf } from '../cache-control.js';

type Json = Record<string, any>; // validated by messagesRequestSchema before any field is read

/**
 * Anthropic's server tools that lip passes through to an Anthropic backend, by family and the
 * date of the version (a later version of a family is taken too): web fetch
 * (`web_fetch_20250910`), code execution (`code_execution_20250825`), tool search
 * (`tool_search_tool_regex_20251119`, `tool_search_tool_bm25`, with or without a date, as the
 * SDK types them) and the advisor (`advisor_20260301`: the model consults a stronger model, which
 * Anthropic runs within the answer). Web search has a canonical form of its own
 * (web-search-tool.ts); the MCP connector's `mcp_toolset` is one too (mcpToolsetTool); every other
 * server tool stays refused.
 */
const HOSTED_TOOL = /^(?:web_fetch_\d{8}|code_execution_\d{8}|tool_search_tool_(?:regex|bm25)(?:_\d{8})?|advisor_\d{8})$/;

/**
 * The blocks of those tools' work in a conversation, besides their `server_tool_use`: the results
 * the model gets (assistant content; the advisor's advice is an `advisor_tool_result`),
 * `container_upload` (a file the client puts in the code execution container; Anthropic also
 * writes it in a response), and the MCP connector's calls, results and tool listings
 * (`mcp_tool_use`, `mcp_tool_result`, `mcp_tool_listing`: Anthropic called the client's MCP
 * server). Each passes as written.
 */
export const HOSTED_BLOCKS: ReadonlySet<string> = new Set([
  'web_fetch_tool_result', 'code_execution_tool_result', 'bash_code_execution_tool_result',
  'text_editor_code_execution_tool_result', 'tool_search_tool_result', 'container_upload',
  'mcp_tool_use', 'mcp_tool_result', 'mcp_tool_listing', 'advisor_tool_result',
]);

/** The block Anthropic's server-side compaction answers with, and that later requests send back first. */
export const COMPACTION_BLOCK = 'compaction';

/** The MCP connector's tool type: the tools of one server of the request's `mcp_servers`. */
export const MCP_TOOLSET = 'mcp_toolset';

/**
 * An `mcp_toolset` (the tools of one of the request's `mcp_servers`, which Anthropic calls
 * itself) as a hosted tool named `mcp:<mcp_server_name>` (as a Responses client's MCP server is,
 * so that a tool policy blocks either by the same name): its declaration as written less the cache
 * mark, which lip carries itself. Only an Anthropic backend sends it, with the servers.
 *
 * ```ts
 * mcpToolsetTool({ type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { enabled: true } })
 * // { name: 'mcp:docs', kind: 'hosted', parameters: {},
 * //   providerTool: { dialect: 'anthropic.server_tool', definition: { type: 'mcp_toolset', mcp_server_name: 'docs', default_config: { enabled: true } } } }
 * ```
 */
export function mcpToolsetTool(t: Json): ToolDefinition {
  const { cache_control: _mark, ...definition } = t;
  return { name: `mcp:${String(t.mcp_server_name)}`, kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED_DIALECTS.anthropic, definition }, ...cacheOf(t) };
}

/** Whether a tool `type` names one of the server tools lip passes through. */
export function isHostedTool(type: unknown): boolean {
  return typeof type === 'string' && HOSTED_TOOL.test(type);
}

/**
 * A server tool as a hosted tool: its declaration as the client wrote it, every field kept
 * (`max_uses`, `allowed_callers`, `defer_loading`, fields lip does not know) but the cache mark,
 * which lip carries itself, for an Anthropic backend to send back; every other backend refuses
 * the call before sending (a route moves on to an Anthropic candidate).
 *
 * ```ts
 * hostedTool({ type: 'code_execution_20250825', name: 'code_execution', cache_control: { type: 'ephemeral' } })
 * // { name: 'code_execution', kind: 'hosted', parameters: {}, cache: {},
 * //   providerTool: { dialect: 'anthropic.server_tool', definition: { type: 'code_execution_20250825', name: 'code_execution' } } }
 * ```
 */
export function hostedTool(t: Json): ToolDefinition {
  const { cache_control: _mark, ...definition } = t;
  return { name: t.name, kind: 'hosted', parameters: {}, providerTool: { dialect: HOSTED_DIALECTS.anthropic, definition }, ...cacheOf(t) };
}

/**
 * A block of a hosted tool's work from the client's history, as written (a `cache_control` on it
 * stays in it: only an Anthropic backend sends the block, and sends it as it is).
 */
export function hostedPart(b: Json): HostedToolPart {
  return { type: 'hosted_tool', dialect: HOSTED_DIALECTS.anthropic, block: { ...b } };
}

/**
 * A `compaction` block of the history (Anthropic summarized the turns before it into the block,
 * which the client sends back in their place) as a hosted part, as written, that stands for those
 * turns (HostedToolPart.compaction): its `content` is the summary a backend of another provider
 * reads as text, unless the block also carries `tool_changes` (tools the compacted turns added or
 * withdrew, which the summary does not state); a block whose summary is only its
 * `encrypted_content` has none (another provider's backend refuses it). A failed compaction (no
 * content, nothing encrypted) stands for nothing, as Anthropic treats it: another provider's
 * backend leaves it out.
 *
 * ```ts
 * compactionPart({ type: 'compaction', content: 'The user wants add() fixed.', encrypted_content: 'Eo4B...' })
 * // { type: 'hosted_tool', dialect: 'anthropic.server_tool', block: { ...as written }, compaction: { summary: 'The user wants add() fixed.' } }
 * ```
 */
export function compactionPart(b: Json): HostedToolPart {
  const part = hostedPart(b);
  const changes = Array.isArray(b.tool_changes) && b.tool_changes.length > 0;
  if (typeof b.content === 'string' && !changes) return { ...part, compaction: { summary: b.content } };
  return typeof b.content === 'string' || typeof b.encrypted_content === 'string' || changes ? { ...part, compaction: {} } : part;
}

/**
 * A `compaction` block as Anthropic streams it: a start holding the block without its summary
 * (`content`, and `encrypted_content` when the block has one, null), then one `compaction_delta`
 * carrying them (the SDKs' accumulators assign the delta's values to the block). Undefined for
 * every other block.
 *
 * ```ts
 * compactionStream({ type: 'compaction', content: 'Summary.', encrypted_content: 'Eo4B' })
 * // { start: { type: 'compaction', content: null, encrypted_content: null },
 * //   delta: { type: 'compaction_delta', content: 'Summary.', encrypted_content: 'Eo4B' } }
 * ```
 */
export function compactionStream(block: Readonly<Record<string, unknown>>): { start: Json; delta: Json } | undefined {
  if (block.type !== COMPACTION_BLOCK) return undefined;
  const { content, encrypted_content: encrypted, ...rest } = block;
  const sealed = 'encrypted_content' in block;
  return {
    start: { ...rest, content: null, ...(sealed ? { encrypted_content: null } : {}) },
    delta: { type: 'compaction_delta', content: content ?? null, ...(sealed ? { encrypted_content: encrypted ?? null } : {}) },
  };
}

/**
 * Whether a block is a page web fetch got (a `web_fetch_tool_result` holding a
 * `web_fetch_result`): what `usage.server_tool_use.web_fetch_requests` counts.
 */
export function isFetchedPage(block: Readonly<Record<string, unknown>>): boolean {
  const content = block.content as { type?: unknown } | null | undefined;
  return block.type === 'web_fetch_tool_result' && typeof content === 'object' && content !== null && content.type === 'web_fetch_result';
}

/**
 * A `server_tool_use`'s (or an `mcp_tool_use`'s: Anthropic streams both alike) input as the JSON
 * text of the `input_json_delta` that streams it, when it has one to stream (a non-empty object);
 * undefined otherwise, and for every other block (written as it is).
 */
export function serverToolInput(block: Readonly<Record<string, unknown>>): string | undefined {
  const input = block.input;
  if ((block.type !== 'server_tool_use' && block.type !== 'mcp_tool_use') || typeof input !== 'object' || input === null || Array.isArray(input) || Object.keys(input).length === 0) return undefined;
  return JSON.stringify(input);
}
