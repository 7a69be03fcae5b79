import type { Call, HostedToolPart, LipEvent, ToolDefinition } from '../../canonical/index.js';
import { HOSTED_DIALECTS } from '../../canonical/index.js';
import { MAX_UPSTREAM_ITEMS, upstreamTooMany } from '../../wire/index.js';

type Json = Record<string, any>;

const DIALECT = HOSTED_DIALECTS.openaiResponses;

/**
 * The output items of OpenAI's hosted tools other than web search: code interpreter, file
 * search, image generation, remote MCP (its tool listing, calls and approval requests) and
 * programmatic tool calling (a `program` and its `program_output`, programs.ts); and the other
 * items only OpenAI reads, passed on as written alike: its `compaction` items (server-side
 * compaction, a `compaction_trigger`) and `additional_tools`. Other item types lip does not know
 * are left out, as before.
 */
export const HOSTED_ITEM_TYPES: ReadonlySet<string> = new Set([
  'code_interpreter_call', 'file_search_call', 'image_generation_call', 'mcp_call', 'mcp_list_tools', 'mcp_approval_request',
  'program', 'program_output', 'compaction', 'additional_tools',
]);

/** Whether an output item is a hosted tool's: one of HOSTED_ITEM_TYPES, or a tool search OpenAI ran itself. */
export function isHostedItem(item: Json): boolean {
  return HOSTED_ITEM_TYPES.has(item.type) || ((item.type === 'tool_search_call' || item.type === 'tool_search_output') && item.execution !== 'client');
}

/**
 * The stream events of those items (`response.code_interpreter_call.interpreting`,
 * `response.code_interpreter_call_code.delta`, `response.image_generation_call.partial_image`,
 * `response.mcp_call_arguments.delta`, `response.mcp_list_tools.completed`, ...): each names its
 * item by `item_id`.
 */
const HOSTED_EVENT = /^response\.(code_interpreter_call|file_search_call|image_generation_call|mcp_call|mcp_list_tools|mcp_approval_request)[._]/;

/** Whether a stream event is one of a hosted item's own. */
export function isHostedEvent(type: string | undefined): boolean {
  return type !== undefined && HOSTED_EVENT.test(type);
}

/** A hosted tool of this dialect as the client declared it. */
export function hostedToolBody(tool: ToolDefinition): Json {
  return { ...tool.providerTool!.definition };
}

/** A hosted tool as a tool choice names it: by its type, an MCP server by its label too. */
export function hostedChoice(tool: ToolDefinition): Json {
  const d = tool.providerTool!.definition;
  return d.type === 'mcp' ? { type: 'mcp', server_label: d.server_label } : { type: d.type };
}

/**
 * A hosted tool's item of an earlier turn (or the client's approval answer) as the input item it
 * was. An `additional_tools` item whose part lists fewer tools than the item declares (a tool
 * catalog filter removed some, canonical/added-tools.ts fromCatalogView) keeps the tools left,
 * declared by `declare` as the request's `tools` are.
 */
export function hostedItemInput(part: HostedToolPart, declare: (tools: readonly ToolDefinition[]) => Json[]): Json {
  if (part.tools !== undefined && part.tools.length < declaredCount(part.block)) return { ...part.block, tools: declare(part.tools) };
  return { ...part.block };
}

/** How many tools an `additional_tools` item declares (a namespace's members each; none for another item). */
function declaredCount(block: Json): number {
  if (!Array.isArray(block.tools)) return 0;
  let n = 0;
  for (const t of block.tools as Json[]) n += t?.type === 'namespace' && Array.isArray(t.tools) ? t.tools.length : 1;
  return n;
}

/** The client's `include` values of hosted tools' items, when the call declares such a tool (they concern its output). */
export function hostedIncludes(call: Call): readonly string[] {
  if (!call.tools.some((t) => t.kind === 'hosted')) return [];
  return call.providerOptions?.openai?.include ?? [];
}

/**
 * The hosted items of one streamed response, as `hosted_tool` events: an item is `added` with
 * `response.output_item.added`, each of its own events is `progress` (the event less
 * `sequence_number` and `output_index`, which place it in this stream only), `done` with
 * `response.output_item.done` (the final item). An item is named by its id (else by its place);
 * an event of an item never added, or after it was done, is dropped; an item still open at the
 * end is done with its form in the final response, when that lists it.
 */
export class HostedItems {
  /** Item id -> done; output index -> item id. */
  private readonly items = new Map<string, boolean>();
  private readonly at = new Map<string, string>();

  constructor(private readonly backendId: string) {}

  /** A hosted item (HOSTED_ITEM_TYPES) added or done. */
  item(item: Json, outputIndex: unknown, done: boolean, out: LipEvent[]): void {
    const place = textOf(outputIndex);
    const id = textOf(item.id) || `hosted_${place}`;
    const state = this.items.get(id);
    if (state === true || (state === false && !done)) return; // done already, or added twice
    if (state === undefined && this.items.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'hosted tool items');
    this.items.set(id, done);
    if (place) this.at.set(place, id);
    out.push({ type: 'hosted_tool', id, dialect: DIALECT, phase: done ? 'done' : 'added', block: item });
  }

  /** One of a hosted item's own stream events (isHostedEvent). */
  progress(frame: Json, type: string, out: LipEvent[]): void {
    const id = this.items.has(textOf(frame.item_id)) ? textOf(frame.item_id) : this.at.get(textOf(frame.output_index));
    if (id === undefined || this.items.get(id) !== false) return;
    const { sequence_number: _sequence, output_index: _index, ...update } = frame;
    out.push({ type: 'hosted_tool', id, dialect: DIALECT, phase: 'progress', update: { ...update, type } });
  }

  /** The items still open when the response ends: done as the final response lists them. */
  finish(output: unknown, out: LipEvent[]): void {
    if (!Array.isArray(output)) return;
    for (const [id, done] of this.items) {
      if (done) continue;
      const item: unknown = output.find((o: unknown) => typeof o === 'object' && o !== null && (o as Json).id === id);
      if (typeof item === 'object' && item !== null && isHostedItem(item as Json)) {
        this.items.set(id, true);
        out.push({ type: 'hosted_tool', id, dialect: DIALECT, phase: 'done', block: item as Json });
      }
    }
  }
}

/** An upstream id or index as text: strings and numbers as sent, anything else ''. */
function textOf(value: unknown): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}
