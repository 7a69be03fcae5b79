import type { Call, Message, Part, ToolDefinition } from './call.js';

/**
 * Tools added in the course of a conversation (HostedToolPart.tools: OpenAI's `additional_tools`
 * items). A call declares each tool once: the same tool added again, or added when `tools`
 * declares it already, is one tool; the same name (in the same namespace) for another
 * declaration is a clash, which validateCall reports. A backend that has no such items declares
 * the added tools with the call's (lib/backends/added-tools.ts).
 *
 * ```ts
 * toolKey({ name: 'create_event', namespace: 'mcp__calendar' }) // 'mcp__calendar\u0000create_event'
 * sameTool({ name: 'f', parameters: { a: 1, b: 2 } }, { name: 'f', parameters: { b: 2, a: 1 } }) // true
 * ```
 */
export function toolKey(tool: Pick<ToolDefinition, 'name' | 'namespace'>): string {
  return tool.namespace === undefined ? tool.name : `${tool.namespace}\u0000${tool.name}`;
}

/** Whether two declarations of a tool are the same: equal JSON values, whatever the order of their fields. */
export function sameTool(a: ToolDefinition, b: ToolDefinition): boolean {
  return sameJson(a, b);
}

/** Whether a message list holds a part that adds tools: a cheap scan, so that other calls pay nothing more. */
export function holdsAddedTools(messages: readonly Message[]): boolean {
  for (const m of messages) for (const p of m.parts) if (p.type === 'hosted_tool' && p.tools !== undefined) return true;
  return false;
}

/** The tools the messages' parts add, in the order they come (a tool added twice twice). */
export function addedTools(messages: readonly Message[]): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const m of messages) for (const p of m.parts) if (p.type === 'hosted_tool' && p.tools !== undefined) out.push(...p.tools);
  return out;
}

/**
 * Every tool the model of a call may call: the call's own, then those its history adds, each name
 * (in its namespace) once. The call's own array when nothing adds tools.
 */
export function toolsWithAdded(call: Pick<Call, 'tools' | 'messages'>): readonly ToolDefinition[] {
  if (!holdsAddedTools(call.messages)) return call.tools;
  const keys = new Set(call.tools.map(toolKey));
  const tools = [...call.tools];
  for (const tool of addedTools(call.messages)) {
    if (keys.has(toolKey(tool))) continue;
    keys.add(toolKey(tool));
    tools.push(tool);
  }
  return tools;
}

/**
 * A tool catalog filter's view of a call: every tool its model may call (toolsWithAdded), so that
 * a filter sees the tools the history adds as it sees the call's own. The call itself when
 * nothing adds tools.
 */
export function catalogView(call: Call): Call {
  const tools = toolsWithAdded(call);
  return tools === call.tools ? call : { ...call, tools };
}

/**
 * The call a catalog filter answered about `catalogView(before)`, put back in its form: `tools`
 * loses the tools only the history adds (a tool the filter brought in stays), and each part that
 * adds tools keeps those the answer still lists, the others removed (a part left with none leaves
 * its message, a message left empty leaves the call). So a filter that removes a tool removes it
 * wherever it was declared. The answer as it is when `before` adds no tools.
 *
 * ```ts
 * const view = catalogView(call) // tools: [read_file, write_file (added by an item)]
 * fromCatalogView(call, { ...view, tools: [view.tools[0]] }) // tools: [read_file]; the item's part gone
 * ```
 */
export function fromCatalogView(before: Call, answer: Call): Call {
  if (!holdsAddedTools(before.messages)) return answer;
  const own = new Set(before.tools.map(toolKey));
  const addedOnly = new Set<string>();
  for (const tool of addedTools(before.messages)) if (!own.has(toolKey(tool))) addedOnly.add(toolKey(tool));
  const kept = new Set(answer.tools.map(toolKey));
  const tools = answer.tools.filter((t) => !addedOnly.has(toolKey(t)));
  let changed = false;
  const messages: Message[] = [];
  for (const m of answer.messages) {
    const parts: Part[] = [];
    let narrowed = false;
    for (const p of m.parts) {
      if (p.type !== 'hosted_tool' || p.tools === undefined || p.tools.every((t) => kept.has(toolKey(t)))) {
        parts.push(p);
        continue;
      }
      narrowed = true;
      const left = p.tools.filter((t) => kept.has(toolKey(t)));
      if (left.length > 0) parts.push({ ...p, tools: left });
    }
    if (!narrowed) messages.push(m);
    else if (parts.length > 0) messages.push({ ...m, parts });
    changed ||= narrowed;
  }
  return { ...answer, tools, ...(changed ? { messages } : {}) };
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((value, i) => sameJson(value, (b as unknown[])[i]));
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  return keys.length === Object.keys(y).filter((k) => y[k] !== undefined).length && keys.every((k) => sameJson(x[k], y[k]));
}
