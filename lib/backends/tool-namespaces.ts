import type { MonoTypeOperatorFunction } from 'rxjs';
import { map } from 'rxjs/internal/operators/map';
import type { Call, LipEvent, Message, Part, ToolDefinition, ToolResultPart } from '../canonical/index.js';
import { toolReferenceText } from './tool-references.js';

/**
 * Tool namespaces and a client's tool search for providers that have neither (every backend but
 * OpenAI Responses'): a namespaced tool is offered as a function of one unique flat name
 * (`<namespace>__<name>`, Codex CLI's own MCP naming, cut to 64 characters of `[a-zA-Z0-9_-]`,
 * which every provider takes), a namespaced call in the history goes out under that name, the
 * client's `tool_search` tool is an ordinary function tool, the tools its searches loaded are
 * declared in full (they may be in no other place of the request) and its results read as text
 * naming them (`Tool loaded: mcp__calendar__create_event`), and no tool is deferred: there is no
 * search to load it. The model's calls of a flat name come back as calls of (namespace, name).
 * A backend whose protocol has namespaces and tool search (OpenAI Responses) uses neither function.
 *
 * ```ts
 * const sent = namespacesAsFunctions(call); // the same call when it has no namespace or tool search
 * return send(sent).pipe(namespacedCallsFromFunctions(call));
 * // {namespace: 'mcp__calendar', name: 'create_event'} <-> 'mcp__calendar__create_event'
 * ```
 * @see spec/backends/tool-namespaces.spec.ts
 */
export function namespacesAsFunctions(call: Call): Call {
  if (!holdsNamespacesOrSearch(call)) return call;
  const flat = flatNames(call);
  const declared = new Set(call.tools.map(keyOf));
  const tools: ToolDefinition[] = call.tools.flatMap((t) => (t.kind === 'hosted' && t.optional === true ? [t] : [asFunction(t, flat)]));
  for (const loaded of loadedTools(call)) {
    if (declared.has(keyOf(loaded))) continue;
    declared.add(keyOf(loaded));
    tools.push(asFunction(loaded, flat));
  }
  return { ...call, tools, messages: call.messages.map((m) => flatMessage(m, flat)) };
}

/**
 * Operator: a call of a flat name (namespacesAsFunctions) comes back as a call of the namespaced
 * tool it stands for (`name` and `namespace`); every other event passes untouched. The identity
 * when the call has no namespaced tool.
 */
export function namespacedCallsFromFunctions(call: Call): MonoTypeOperatorFunction<LipEvent> {
  if (!holdsNamespacesOrSearch(call)) return (source) => source;
  const flat = flatNames(call);
  if (flat.size === 0) return (source) => source;
  const back = new Map<string, { namespace: string; name: string }>();
  for (const [key, name] of flat) {
    const cut = key.indexOf(SEP);
    back.set(name, { namespace: key.slice(0, cut), name: key.slice(cut + 1) });
  }
  return map((event) => {
    if (event.type !== 'tool_call_started') return event;
    const tool = back.get(event.name);
    return tool === undefined ? event : { ...event, name: tool.name, namespace: tool.namespace };
  });
}

/** The longest tool name Anthropic, OpenAI, Gemini and Bedrock all take. */
export const FLAT_NAME_CHARS = 64;

/**
 * The flat function name of every namespaced tool of the call (declared, loaded by a tool search,
 * or called in the history), keyed `<namespace>\0<name>`, in that order: `<namespace>__<name>`
 * with characters outside `[a-zA-Z0-9_-]` as `_`; a name too long, or taken by another tool, is
 * cut and ends with a hash of the whole (`_` and 8 hex digits), so that it stays the same on
 * every turn. Deterministic: the request and the mapping of the answer compute it alike.
 */
export function flatNames(call: Call): ReadonlyMap<string, string> {
  const taken = new Set<string>();
  const keys: string[] = [];
  const note = (t: { name: string; namespace?: string }) => {
    if (t.namespace === undefined) taken.add(t.name);
    else keys.push(`${t.namespace}${SEP}${t.name}`);
  };
  call.tools.forEach(note);
  for (const t of loadedTools(call)) note(t);
  for (const m of call.messages) for (const p of m.parts) if (p.type === 'tool_call' && p.namespace !== undefined) keys.push(`${p.namespace}${SEP}${p.name}`);
  const out = new Map<string, string>();
  for (const key of keys) {
    if (out.has(key)) continue;
    const name = flatName(key, taken);
    taken.add(name);
    out.set(key, name);
  }
  return out;
}

const SEP = '\u0000';

function flatName(key: string, taken: ReadonlySet<string>): string {
  return portableName(key.replace(SEP, '__'), key, taken);
}

/**
 * `name` as a tool name every provider takes: characters outside `[a-zA-Z0-9_-]` as `_` (with
 * `chars: 'any'` as they are), at most `max` characters; one too long, or in `taken`, is cut and
 * ends with a hash of `key` (`_` and 8 hex digits, then `_2`, `_3` ... while still taken).
 * Deterministic.
 */
export function portableName(name: string, key: string, taken: ReadonlySet<string>, max = FLAT_NAME_CHARS, chars: 'portable' | 'any' = 'portable'): string {
  const whole = chars === 'portable' ? name.replace(/[^a-zA-Z0-9_-]/g, '_') : name;
  if (whole.length > 0 && whole.length <= max && !taken.has(whole)) return whole;
  const hashed = `${whole.slice(0, max - 9)}_${fnv1a(key)}`;
  let out = hashed;
  for (let n = 2; taken.has(out); n++) out = `${hashed.slice(0, max - String(n).length - 1)}_${n}`;
  return out;
}

const PORTABLE_CHARS = /^[a-zA-Z0-9_-]+$/;

/** Whether `text` is 1 to `max` characters of `[a-zA-Z0-9_-]` (the length first; an unbounded class is the fastest test). */
export function isPortable(text: string, max = FLAT_NAME_CHARS): boolean {
  return text.length > 0 && text.length <= max && PORTABLE_CHARS.test(text);
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable tag of a name (not a secret). */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Whether the call has anything this module rewrites: a cheap scan, so that other calls pay nothing more. */
function holdsNamespacesOrSearch(call: Call): boolean {
  for (const t of call.tools) if (t.namespace !== undefined || t.kind === 'tool_search' || (t.kind === 'hosted' && t.optional === true)) return true;
  for (const m of call.messages) {
    if (m.role !== 'assistant' && m.role !== 'tool') continue;
    for (const p of m.parts) if ((p.type === 'tool_call' && p.namespace !== undefined) || (p.type === 'tool_result' && p.loaded !== undefined)) return true;
  }
  return false;
}

function keyOf(t: ToolDefinition): string {
  return t.namespace === undefined ? t.name : `${t.namespace}${SEP}${t.name}`;
}

/** The tools the client's tool searches of the history loaded, in order. */
function loadedTools(call: Call): ToolDefinition[] {
  const out: ToolDefinition[] = [];
  for (const m of call.messages) {
    if (m.role !== 'tool') continue;
    for (const p of m.parts) if (p.type === 'tool_result' && p.loaded !== undefined) out.push(...p.loaded.tools);
  }
  return out;
}

/** A tool as a function-only provider takes it: under its flat name, never deferred; the tool search as a plain function. */
function asFunction(tool: ToolDefinition, flat: ReadonlyMap<string, string>): ToolDefinition {
  const { namespace, namespaceDescription: _described, deferLoading: _deferred, ...rest } = tool;
  const named = namespace === undefined ? rest : { ...rest, name: flat.get(keyOf(tool)) ?? tool.name };
  if (named.kind !== 'tool_search') return named;
  const { kind: _kind, ...plain } = named;
  return plain;
}

function flatMessage(message: Message, flat: ReadonlyMap<string, string>): Message {
  if (!message.parts.some((p) => (p.type === 'tool_call' && p.namespace !== undefined) || (p.type === 'tool_result' && p.loaded !== undefined))) return message;
  return {
    ...message,
    parts: message.parts.map((p): Part => {
      if (p.type === 'tool_call' && p.namespace !== undefined) {
        const { namespace: _namespace, ...rest } = p;
        return { ...rest, name: flat.get(`${p.namespace}${SEP}${p.name}`) ?? p.name };
      }
      if (p.type === 'tool_result' && p.loaded !== undefined) return loadedAsText(p, flat);
      return p;
    }),
  };
}

/** A tool search's result as text naming the tools it loaded, under the names the model has them by. */
function loadedAsText(part: ToolResultPart, flat: ReadonlyMap<string, string>): ToolResultPart {
  const { loaded: _loaded, ...rest } = part;
  if (typeof part.content === 'string') return rest;
  const content: ToolResultPart['content'] = part.content.map((c) => {
    if (c.type !== 'tool_reference') return c;
    const name = c.namespace === undefined ? c.name : flat.get(`${c.namespace}${SEP}${c.name}`) ?? c.name;
    return toolReferenceText({ type: 'tool_reference', name, ...(c.cache ? { cache: c.cache } : {}) });
  });
  return { ...rest, content };
}
