import type { LipEvent } from '../../canonical/index.js';
import { MAX_UPSTREAM_ITEMS, upstreamTooMany } from '../../wire/index.js';

interface ToolState {
  title: string;
  kind: string;
  inputBytes: number;
  outputBytes: number;
  status: string;
  done: boolean;
}

const size = (value: unknown): number => (value === undefined ? 0 : Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value) ?? ''));

function blockText(content: unknown): string {
  const block = content as { type?: string; text?: unknown } | undefined;
  return block?.type === 'text' && typeof block.text === 'string' ? block.text : '';
}

/**
 * Turns `session/update` notifications into canonical events. Message chunks are text, thought
 * chunks reasoning (unless `thoughts` is off), a plan and a mode change are reasoning lines,
 * and the agent's own tool activity becomes Markdown text (a line when a tool starts, a fenced
 * summary when it ends): the client did not ask for these tools, so they are narrated rather
 * than surfaced as tool calls it would be expected to answer. A turn that opens more than
 * MAX_UPSTREAM_ITEMS tools fails (LIP_ERR_UPSTREAM_LIMIT_EXCEEDED), as in every other kind: their
 * states are kept for the turn's end.
 */
export class UpdateDecoder {
  private readonly tools = new Map<string, ToolState>();
  /** Whether the reasoning so far ends a line (a plan or mode block starts on a line of its own). */
  private reasoningAtLineStart = true;

  constructor(private readonly thoughts: boolean, private readonly backendId = 'acp') {}

  decode(update: Record<string, unknown>): LipEvent[] {
    const events = this.events(update);
    for (const e of events) if (e.type === 'reasoning_delta') this.reasoningAtLineStart = e.text.endsWith('\n');
    return events;
  }

  private events(update: Record<string, unknown>): LipEvent[] {
    const block = (text: string): LipEvent[] => [{ type: 'reasoning_delta', text: this.reasoningAtLineStart ? text : `\n${text}` }];
    switch (update.sessionUpdate) {
      case 'agent_message_chunk': {
        const text = blockText(update.content);
        return text ? [{ type: 'text_delta', text }] : [];
      }
      case 'agent_thought_chunk': {
        const text = blockText(update.content);
        return text && this.thoughts ? [{ type: 'reasoning_delta', text }] : [];
      }
      case 'plan': {
        const entries = Array.isArray(update.entries) ? update.entries as { content?: unknown; status?: unknown }[] : [];
        const lines = entries.map((e) => `- [${typeof e.status === 'string' ? e.status : 'pending'}] ${typeof e.content === 'string' ? e.content : ''}`);
        return this.thoughts && lines.length > 0 ? block(`[plan]\n${lines.join('\n')}\n`) : [];
      }
      case 'current_mode_update':
        return this.thoughts && typeof update.currentModeId === 'string' ? block(`[mode] ${update.currentModeId}\n`) : [];
      case 'tool_call':
      case 'tool_call_update':
        return this.tool(update);
      default:
        return [];
    }
  }

  /** Summaries of tools still running when the turn ended. */
  flush(): LipEvent[] {
    const open = [...this.tools.values()].filter((t) => !t.done);
    for (const t of open) t.done = true;
    return open.map((t) => ({ type: 'text_delta', text: summary(t, 'unfinished') }));
  }

  private tool(update: Record<string, unknown>): LipEvent[] {
    const id = typeof update.toolCallId === 'string' ? update.toolCallId : '';
    let state = this.tools.get(id);
    const events: LipEvent[] = [];
    if (!state) {
      if (this.tools.size >= MAX_UPSTREAM_ITEMS) throw upstreamTooMany(this.backendId, 'tools');
      state = { title: 'tool', kind: 'other', inputBytes: 0, outputBytes: 0, status: 'pending', done: false };
      this.tools.set(id, state);
      if (typeof update.title === 'string') state.title = update.title;
      if (typeof update.kind === 'string') state.kind = update.kind;
      events.push({ type: 'text_delta', text: `\n\n> tool \`${state.title}\` (${state.kind}) started\n\n` });
    } else {
      if (typeof update.title === 'string') state.title = update.title;
      if (typeof update.kind === 'string') state.kind = update.kind;
    }
    if (update.rawInput !== undefined) state.inputBytes = size(update.rawInput);
    if (update.rawOutput !== undefined) state.outputBytes = size(update.rawOutput);
    else if (Array.isArray(update.content) && update.content.length > 0) state.outputBytes = size(update.content);
    if (typeof update.status === 'string') state.status = update.status;
    if (!state.done && (state.status === 'completed' || state.status === 'failed')) {
      state.done = true;
      events.push({ type: 'text_delta', text: summary(state, state.status) });
    }
    return events;
  }
}

function summary(t: ToolState, status: string): string {
  return `\n\n\`\`\`tool\n${t.title} (${t.kind}): ${status}\ninput: ${t.inputBytes} bytes, output: ${t.outputBytes} bytes\n\`\`\`\n\n`;
}
