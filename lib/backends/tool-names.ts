import type { MonoTypeOperatorFunction } from 'rxjs';
import { map } from 'rxjs/internal/operators/map';
import type { Call, LipEvent, Message, Part, ToolChoice, ToolDefinition } from '../canonical/index.js';
import { isPortable, portableName } from './tool-namespaces.js';

/**
 * A tool name every provider takes: 1 to 64 characters of `[a-zA-Z0-9_-]` (OpenAI's and Bedrock's
 * rule; Anthropic takes up to 128, Gemini dots and colons too) starting with a letter or `_`
 * (Gemini on Vertex AI refuses a leading digit or `-`).
 */
function fits(name: string): boolean {
  const first = name.charCodeAt(0);
  return ((first >= 65 && first <= 90) || (first >= 97 && first <= 122) || first === 95) && isPortable(name);
}

/** The tools whose name the model calls them by; hosted tools and the web search go by their provider's own names. */
const named = (t: ToolDefinition) => t.kind !== 'hosted' && t.kind !== 'web_search';

/**
 * Tool names a provider refuses, as MCP servers write them (`calendar.read`, `github:create_issue`,
 * `Create CIFS Share`, names over 64 characters, `2fa_check`): OpenAI, Anthropic and Bedrock
 * refuse the whole request with a 400 for one such tool, Gemini one that starts with a digit.
 * Every HTTP backend sends such a tool, its calls in the
 * history, its results and the tool choice naming it under a portable name (characters outside
 * `[a-zA-Z0-9_-]` as `_`, `_` before a leading digit or `-`, at most 64; cut and tagged with a hash
 * of the whole when too long or taken, so that it stays the same on every turn), and the model's
 * calls of that name come back under the client's (originalToolNames). A call whose names all fit
 * is returned as it is.
 *
 * ```ts
 * const sent = portableToolNames(call); // 'calendar.read' -> 'calendar_read'
 * return send(sent).pipe(originalToolNames(call));
 * ```
 * @see spec/backends/tool-names.spec.ts
 */
export function portableToolNames(call: Call): Call {
  const names = renames(call);
  if (names === undefined) return call;
  const rename = (name: string) => names.get(name) ?? name;
  return {
    ...call,
    tools: call.tools.map((t) => (named(t) && names.has(t.name) ? { ...t, name: rename(t.name) } : t)),
    messages: call.messages.map((m) => renamedMessage(m, names)),
    toolChoice: renamedChoice(call.toolChoice, rename),
  };
}

/** Operator: a call of a portable name (portableToolNames) comes back under the client's name; the identity when no name was changed. */
export function originalToolNames(call: Call): MonoTypeOperatorFunction<LipEvent> {
  const names = renames(call);
  if (names === undefined) return (source) => source;
  const back = new Map([...names].map(([original, portable]) => [portable, original]));
  return map((event) => {
    if (event.type !== 'tool_call_started') return event;
    const original = back.get(event.name);
    return original === undefined ? event : { ...event, name: original };
  });
}

/**
 * The portable name of every tool name of the call that does not fit (declared tools first, then
 * calls and results of the history), or undefined when all fit (allFit: the usual call costs a
 * scan that allocates nothing).
 */
function renames(call: Call): ReadonlyMap<string, string> | undefined {
  if (allFit(call)) return undefined;
  const bad: string[] = [];
  const note = (name: string | undefined) => {
    if (name !== undefined && !fits(name) && !bad.includes(name)) bad.push(name);
  };
  for (const t of call.tools) if (named(t)) note(t.name);
  for (const m of call.messages) {
    if (m.role !== 'assistant' && m.role !== 'tool') continue;
    for (const p of m.parts) {
      if (p.type === 'tool_call') note(p.name);
      else if (p.type === 'tool_result') note(p.name);
    }
  }
  // A choice of a hosted tool names it by the provider's own name: never renamed (nor are the tools it names).
  const hosted = new Set(call.tools.filter((t) => !named(t)).map((t) => t.name));
  if (call.toolChoice.type === 'tool' && !hosted.has(call.toolChoice.name)) note(call.toolChoice.name);
  for (const name of hosted) {
    const at = bad.indexOf(name);
    if (at >= 0) bad.splice(at, 1);
  }
  if (bad.length === 0) return undefined;
  // Names that fit stay as they are: a portable name must not be one of them (a call of it would be ambiguous).
  const taken = new Set<string>();
  const keep = (name: string | undefined) => {
    if (name !== undefined && fits(name)) taken.add(name);
  };
  for (const t of call.tools) keep(t.name);
  for (const m of call.messages) for (const p of m.parts) if (p.type === 'tool_call' || p.type === 'tool_result') keep(p.name);
  const out = new Map<string, string>();
  for (const name of bad) {
    const portable = portableName(/^[A-Za-z_]/.test(name) ? name : `_${name}`, name, taken);
    taken.add(portable);
    out.set(name, portable);
  }
  return out;
}

/** Whether every tool name of the call fits: no allocation, one regex test per name. */
function allFit(call: Call): boolean {
  for (const t of call.tools) if (named(t) && !fits(t.name)) return false;
  for (const m of call.messages) {
    if (m.role !== 'assistant' && m.role !== 'tool') continue;
    for (const p of m.parts) {
      if ((p.type === 'tool_call' || p.type === 'tool_result') && p.name !== undefined && !fits(p.name)) return false;
    }
  }
  const choice = call.toolChoice;
  return choice.type !== 'tool' || fits(choice.name) || call.tools.some((t) => !named(t) && t.name === choice.name);
}

function renamedMessage(message: Message, names: ReadonlyMap<string, string>): Message {
  if (message.role !== 'assistant' && message.role !== 'tool') return message;
  if (!message.parts.some((p) => (p.type === 'tool_call' || p.type === 'tool_result') && p.name !== undefined && names.has(p.name))) return message;
  return {
    ...message,
    parts: message.parts.map((p): Part => ((p.type === 'tool_call' || p.type === 'tool_result') && p.name !== undefined && names.has(p.name) ? { ...p, name: names.get(p.name)! } : p)),
  };
}

function renamedChoice(choice: ToolChoice, rename: (name: string) => string): ToolChoice {
  if (choice.type === 'tool') return { type: 'tool', name: rename(choice.name) };
  if ((choice.type === 'auto' || choice.type === 'any') && choice.allowed !== undefined) return { ...choice, allowed: choice.allowed.map(rename) };
  return choice;
}
