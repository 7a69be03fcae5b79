import type { ToolDefinition } from '../../canonical/index.js';
import { badField } from './decode-input.js';
import { WEB_SEARCH_TOOL_TYPES, webSearchTool } from './web-search-call.js';
import { HOSTED_TOOL_TYPES, hostedTool } from './hosted-tools.js';
import { memberTool, namespaceTools, toolSearchTool } from './tool-search.js';
import { CLIENT_TOOL_TYPES, clientTool } from './client-tools.js';

type Json = Record<string, any>; // validated by responsesRequestSchema before any field is read

/**
 * A tool as a Responses request declares it (in `tools`, or in an `additional_tools` item at
 * `path`): one ToolDefinition, or a namespace's several; a type lip cannot carry is a 400 there.
 */
export function declaredTool(t: Json, path: string): ToolDefinition | ToolDefinition[] {
  if (t.type === 'function' || t.type === 'custom') return memberTool(t, path);
  if (t.type === 'namespace') return namespaceTools(t, path);
  if (t.type === 'tool_search') return toolSearchTool(t);
  if (WEB_SEARCH_TOOL_TYPES.has(t.type)) return webSearchTool(t);
  if (HOSTED_TOOL_TYPES.has(t.type)) return hostedTool(t);
  if (CLIENT_TOOL_TYPES.has(t.type)) return clientTool(t, path);
  throw badField(`${path}.type`, `"${String(t.type)}" tools are not supported (only function, custom, namespace, tool_search, web_search, code_interpreter, file_search, image_generation, mcp, programmatic_tool_calling, shell, apply_patch, local_shell, computer and computer_use_preview tools)`, true);
}
