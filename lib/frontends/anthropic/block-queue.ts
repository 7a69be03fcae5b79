import { HeldOutput } from '../../wire/held-output.js';

/**
 * The content blocks of one streamed Anthropic message, kept strictly sequential: one block is
 * open at a time, opened with `content_block_start` and closed with `content_block_stop` before
 * the next one starts, with indexes counting from 0 in that order. Canonical streams may
 * interleave (two tool calls whose argument deltas alternate, text while a tool call is still
 * open); a block that cannot start yet buffers its content and is flushed, as one delta, when
 * its turn comes. In the common sequential case nothing is buffered; what is buffered is bounded
 * (HeldOutput: LIP_ERR_RESPONSE_TOO_LARGE past collect()'s limits). A server tool's blocks (a
 * finished web search's `server_tool_use` and `web_search_tool_result`) come whole; a citation
 * joins the latest text block as a `citations_delta`. A hosted tool's block (code execution, web
 * fetch, ...) is the upstream's own: it opens with the block as it started, its deltas are the
 * upstream's as they came, and it stops when the tool's block is done.
 */
type Block =
  | { kind: 'text'; buffer: string; closed: boolean; citations?: string[] }
  | { kind: 'thinking'; buffer: string; signature?: string; closed: boolean }
  | { kind: 'redacted_thinking'; data: string; closed: true }
  | { kind: 'tool_use'; id: string; wireId: string; name: string; caller?: string; toolset?: string; buffer: string; closed: boolean }
  | { kind: 'server_tool'; block: string; input?: string; closed: true }
  | { kind: 'hosted'; block: string; deltas: string[]; closed: boolean };

export class BlockQueue {
  private readonly queue: Block[] = [];
  private readonly tools = new Map<string, Block & { kind: 'tool_use' }>();
  private readonly hosted = new Map<string, Block & { kind: 'hosted' }>();
  private headStarted = false;
  private headPrefix = '';
  private nextIndex = 0;
  private readonly held = new HeldOutput();

  /** `onStart` runs before the very first block starts (message_start goes there). */
  constructor(private readonly onStart: () => string) {}

  get toolCount(): number {
    return this.tools.size;
  }

  text(text: string): string {
    const tail = this.queue[this.queue.length - 1];
    if (tail?.kind === 'text' && !tail.closed) return this.deliver(tail, text, 'text_delta', 'text');
    const block: Block = { kind: 'text', buffer: '', closed: false };
    return this.push(block) + this.deliver(block, text, 'text_delta', 'text');
  }

  thinking(text: string): string {
    const tail = this.queue[this.queue.length - 1];
    if (tail?.kind === 'thinking' && !tail.closed) return this.deliver(tail, text, 'thinking_delta', 'thinking');
    const block: Block = { kind: 'thinking', buffer: '', closed: false };
    return this.push(block) + this.deliver(block, text, 'thinking_delta', 'thinking');
  }

  /** A signature closes the open thinking block, or stands alone as an empty one (always when `standalone`: another provider's signature of the text after it). */
  signature(signature: string, standalone = false): string {
    const tail = this.queue[this.queue.length - 1];
    if (!standalone && tail?.kind === 'thinking' && !tail.closed) {
      tail.signature = signature;
      tail.closed = true;
      const out = this.isLive(tail) ? this.delta('signature_delta', 'signature', signature) : '';
      return out + this.pump();
    }
    return this.push({ kind: 'thinking', buffer: '', signature, closed: true });
  }

  redacted(data: string): string {
    return this.push({ kind: 'redacted_thinking', data, closed: true });
  }

  /**
   * A tool_use block for the call `id`, named `wireId` on the wire (an id that carries state), with
   * its `caller` JSON when it has one and the `toolset_name` of a toolset member's call.
   */
  toolStart(id: string, name: string, wireId = id, caller?: string, toolset?: string): string {
    const block = { kind: 'tool_use' as const, id, wireId, name, ...(caller !== undefined ? { caller } : {}), ...(toolset !== undefined ? { toolset } : {}), buffer: '', closed: false };
    this.tools.set(id, block);
    return this.push(block);
  }

  toolArgs(id: string, args: string): string {
    let out = '';
    if (!this.tools.has(id)) out = this.toolStart(id, '');
    return out + this.deliver(this.tools.get(id)!, args, 'input_json_delta', 'partial_json');
  }

  toolEnd(id: string): string {
    const block = this.tools.get(id);
    if (!block || block.closed) return '';
    block.closed = true;
    return this.pump();
  }

  /** A server tool's whole block (`block`: its content_block JSON), with its input as one `input_json_delta`. */
  serverTool(block: string, input?: string): string {
    return this.push({ kind: 'server_tool', block, ...(input !== undefined ? { input } : {}), closed: true });
  }

  /** A hosted tool's block, open: `block` its content_block JSON as the upstream started it. */
  hostedStart(id: string, block: string): string {
    const open = { kind: 'hosted' as const, block, deltas: [], closed: false };
    this.hosted.set(id, open);
    return this.push(open);
  }

  /** One of the upstream's deltas of an open hosted block (`delta`: its JSON), held while the block waits. */
  hostedDelta(id: string, delta: string): string {
    const block = this.hosted.get(id);
    if (block === undefined || block.closed) return '';
    if (this.isLive(block)) return this.rawDelta(delta);
    this.held.add('args', delta.length);
    block.deltas.push(delta);
    return '';
  }

  /** The hosted block is done: it stops (once its turn has come). */
  hostedEnd(id: string): string {
    const block = this.hosted.get(id);
    if (block === undefined || block.closed) return '';
    block.closed = true;
    this.hosted.delete(id);
    return this.pump();
  }

  /**
   * A citation (`citation`: its JSON) as a `citations_delta` of the latest text block not yet
   * stopped (held with it while it waits), or of a new, empty one when every text block has
   * stopped (the text it cites went before a later block).
   */
  citation(citation: string): string {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const block = this.queue[i]!;
      if (block.kind !== 'text') continue;
      if (this.isLive(block)) return this.citationDelta(citation);
      this.held.add('text', citation.length);
      (block.citations ??= []).push(citation);
      return '';
    }
    const block: Block = { kind: 'text', buffer: '', closed: false, citations: [citation] };
    return this.push(block);
  }

  /** Closes and flushes every block (the message ends). */
  closeAll(): string {
    for (const block of this.queue) block.closed = true;
    return this.pump();
  }

  private isLive(block: Block): boolean {
    return this.headStarted && this.queue[0] === block;
  }

  private push(block: Block): string {
    const tail = this.queue[this.queue.length - 1];
    if (tail && (tail.kind === 'text' || tail.kind === 'thinking')) tail.closed = true; // a new block ends a text run
    this.queue.push(block);
    return this.pump();
  }

  private deliver(block: Block & { buffer: string }, text: string, deltaType: string, field: string): string {
    if (text.length === 0) return '';
    if (this.isLive(block)) return this.delta(deltaType, field, text);
    this.held.add(block.kind === 'tool_use' ? 'args' : block.kind === 'thinking' ? 'reasoning' : 'text', text.length);
    block.buffer += text;
    return '';
  }

  private delta(deltaType: string, field: string, value: string): string {
    return `event: content_block_delta\ndata: {"type":"content_block_delta",${this.headPrefix},"delta":{"type":"${deltaType}","${field}":${JSON.stringify(value)}}}\n\n`;
  }

  private rawDelta(delta: string): string {
    return `event: content_block_delta\ndata: {"type":"content_block_delta",${this.headPrefix},"delta":${delta}}\n\n`;
  }

  private citationDelta(citation: string): string {
    return `event: content_block_delta\ndata: {"type":"content_block_delta",${this.headPrefix},"delta":{"type":"citations_delta","citation":${citation}}}\n\n`;
  }

  /** Starts the head block if needed; stops and drops closed heads, starting the next ones. */
  private pump(): string {
    let out = '';
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (!this.headStarted) out += this.start(head);
      if (!head.closed) break;
      out += `event: content_block_stop\ndata: {"type":"content_block_stop",${this.headPrefix}}\n\n`;
      this.queue.shift();
      this.headStarted = false;
    }
    return out;
  }

  private start(block: Block): string {
    let out = this.nextIndex === 0 ? this.onStart() : '';
    this.headPrefix = `"index":${this.nextIndex++}`;
    this.headStarted = true;
    const frame = (contentBlock: string) => `event: content_block_start\ndata: {"type":"content_block_start",${this.headPrefix},"content_block":${contentBlock}}\n\n`;
    switch (block.kind) {
      case 'text':
        out += frame('{"type":"text","text":""}');
        if (block.buffer) out += this.delta('text_delta', 'text', block.buffer);
        if (block.citations) {
          for (const citation of block.citations) out += this.citationDelta(citation);
          block.citations = undefined;
        }
        break;
      case 'thinking':
        out += frame('{"type":"thinking","thinking":"","signature":""}');
        if (block.buffer) out += this.delta('thinking_delta', 'thinking', block.buffer);
        if (block.signature !== undefined) out += this.delta('signature_delta', 'signature', block.signature);
        break;
      case 'redacted_thinking':
        out += frame(JSON.stringify({ type: 'redacted_thinking', data: block.data }));
        break;
      case 'tool_use':
        out += frame(`{"type":"tool_use","id":${JSON.stringify(block.wireId)},"name":${JSON.stringify(block.name)},"input":{}${block.caller !== undefined ? `,"caller":${block.caller}` : ''}${block.toolset !== undefined ? `,"toolset_name":${JSON.stringify(block.toolset)}` : ''}}`);
        if (block.buffer) out += this.delta('input_json_delta', 'partial_json', block.buffer);
        break;
      case 'server_tool':
        out += frame(block.block);
        if (block.input !== undefined) out += this.delta('input_json_delta', 'partial_json', block.input);
        break;
      case 'hosted':
        out += frame(block.block);
        for (const delta of block.deltas) out += this.rawDelta(delta);
        block.deltas = [];
        break;
    }
    if ('buffer' in block) block.buffer = '';
    return out;
  }
}
