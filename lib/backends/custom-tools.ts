import { Observable } from 'rxjs/internal/Observable';
import type { MonoTypeOperatorFunction } from 'rxjs';
import type { Call, LipEvent, Message, Part, ToolDefinition } from '../canonical/index.js';
import { COLLECT_LIMITS, CUSTOM_TOOL_PARAMETERS } from '../canonical/index.js';
import { LipError } from '../errors/index.js';

/**
 * Custom (freeform) tools for providers that know only function tools: a custom tool is offered
 * as a function tool with one required string parameter, `input` (CUSTOM_TOOL_PARAMETERS, its
 * format told in the description), a custom call in the history goes out as a call with
 * `{"input": "<raw input>"}`, and the model's calls of such a tool come back as custom calls
 * whose input is that string. Backends whose protocol has custom tools (OpenAI Responses and
 * Chat) send them as they are and use neither function.
 *
 * ```ts
 * const sent = customToolsAsFunctions(call); // the same call when it has no custom tool or call
 * return send(sent).pipe(customCallsFromFunctions(call));
 * ```
 * @see spec/backends/custom-tools.spec.ts
 */
export function customToolsAsFunctions(call: Call): Call {
  const customTool = call.tools.some((t) => t.kind === 'custom');
  const customCall = call.messages.some((m) => m.parts.some((p) => p.type === 'tool_call' && p.custom === true));
  if (!customTool && !customCall) return call;
  return {
    ...call,
    tools: customTool ? call.tools.map((t) => (t.kind === 'custom' ? asFunctionTool(t) : t)) : call.tools,
    messages: customCall ? call.messages.map(asFunctionCalls) : call.messages,
  };
}

/** The function tool that stands in for a custom tool. */
export function asFunctionTool(tool: ToolDefinition): ToolDefinition {
  const { kind: _kind, format, ...rest } = tool;
  const input = { ...(CUSTOM_TOOL_PARAMETERS.properties as Record<string, Record<string, unknown>>).input, description: inputDescription(format) };
  const lead = tool.description !== undefined && tool.description.length > 0 ? `${tool.description}\n\n` : '';
  return {
    ...rest,
    description: `${lead}Pass the tool's whole raw input as the one string parameter "input" (not JSON-encoded content).${formatNote(format)}`,
    parameters: { ...CUSTOM_TOOL_PARAMETERS, properties: { input } },
  };
}

function inputDescription(format: ToolDefinition['format']): string {
  return format?.type === 'grammar' ? 'The raw input; it must match the grammar in the tool description.' : 'The raw input of the tool, as one string.';
}

/** What the description says of a grammar format (`{type: "grammar", syntax, definition}`); nothing for plain text. */
function formatNote(format: ToolDefinition['format']): string {
  if (format?.type !== 'grammar' || typeof format.definition !== 'string') return '';
  const syntax = typeof format.syntax === 'string' ? format.syntax : 'grammar';
  return `\n\nThe input must match this ${syntax} ${syntax === 'regex' ? 'expression' : 'grammar'}:\n${format.definition}`;
}

function asFunctionCalls(message: Message): Message {
  if (!message.parts.some((p) => p.type === 'tool_call' && p.custom === true)) return message;
  return {
    ...message,
    parts: message.parts.map((p): Part => {
      if (p.type !== 'tool_call' || p.custom !== true) return p;
      const { custom: _custom, ...rest } = p;
      return { ...rest, arguments: JSON.stringify({ input: p.arguments }) };
    }),
  };
}

/**
 * Operator: the calls of a custom tool in a function-only provider's stream become custom calls.
 * Their `tool_call_started` is marked `custom`; their argument deltas are held (bounded by
 * COLLECT_LIMITS) and, when the call finishes, its `input` string goes out as one delta. Arguments
 * that are not an object with a string `input` go out as they are (the model ignored the schema;
 * the client sees what it wrote). Every other event passes untouched; with no custom tool
 * declared this is the identity.
 *
 * ```
 * upstream: started(apply_patch) delta('{"input":"*** Be') delta('gin"}') finished
 * client:   started(apply_patch, custom) delta('*** Begin') finished
 * ```
 */
export function customCallsFromFunctions(call: Call): MonoTypeOperatorFunction<LipEvent> {
  const names = new Set(call.tools.filter((t) => t.kind === 'custom').map((t) => t.name));
  if (names.size === 0) return (source) => source;
  return (source) => new Observable<LipEvent>((subscriber) => {
    const held = new Map<string, string>();
    let heldChars = 0;
    return source.subscribe({
      next: (event) => {
        if (event.type === 'tool_call_started' && names.has(event.name)) {
          held.set(event.id, held.get(event.id) ?? '');
          subscriber.next({ ...event, custom: true });
        } else if (event.type === 'tool_call_delta' && held.has(event.id)) {
          heldChars += event.args.length;
          if (heldChars > COLLECT_LIMITS.toolArgsChars) {
            subscriber.error(new LipError('LIP_ERR_RESPONSE_TOO_LARGE', `tool arguments exceed ${COLLECT_LIMITS.toolArgsChars} characters`));
            return;
          }
          held.set(event.id, held.get(event.id)! + event.args);
        } else if (event.type === 'tool_call_finished' && held.has(event.id)) {
          const input = rawInput(held.get(event.id)!);
          held.delete(event.id);
          if (input.length > 0) subscriber.next({ type: 'tool_call_delta', id: event.id, args: input });
          subscriber.next(event);
        } else {
          subscriber.next(event);
        }
      },
      error: (err: unknown) => subscriber.error(err),
      complete: () => subscriber.complete(),
    });
  });
}

/** The `input` string of a stand-in call's arguments (`{"input": "..."}`), else the arguments themselves. */
export function rawInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (parsed !== null && typeof parsed === 'object' && typeof (parsed as { input?: unknown }).input === 'string') return (parsed as { input: string }).input;
  } catch {
    // not JSON: passed on as written
  }
  return args;
}
