import { expect } from 'chai';
import { parseSse } from '../../helpers/sse-client.js';

export interface AnthropicEvent {
  readonly event: string;
  readonly data: Record<string, any>;
}

/**
 * Parses a Messages SSE body and asserts the invariants real clients rely on: every frame's
 * `event:` equals its `type`; exactly one `message_start`, first, followed by `ping`; blocks
 * started with consecutive indexes from 0, one at a time, each stopped before the next starts;
 * deltas only for the open block and of its kind; `message_delta` then `message_stop` at the end
 * (or an `error` event).
 */
export function checkAnthropicWire(body: string): AnthropicEvent[] {
  const events = parseSse(body).messages.map((m) => ({ event: m.event, data: JSON.parse(m.data) as Record<string, any> }));
  for (const e of events) expect(e.data.type, 'event name = type').to.equal(e.event);
  const names = events.map((e) => e.event);
  expect(names.filter((n) => n === 'message_start'), 'one message_start').to.have.length(names.includes('error') && names[0] === 'error' ? 0 : 1);
  if (names[0] === 'message_start') expect(names[1]).to.equal('ping');
  let open: { index: number; type: string } | undefined;
  let next = 0;
  const deltaKinds: Record<string, string[]> = {
    text: ['text_delta', 'citations_delta'], thinking: ['thinking_delta', 'signature_delta'], tool_use: ['input_json_delta'], redacted_thinking: [],
    server_tool_use: ['input_json_delta'], web_search_tool_result: [],
    web_fetch_tool_result: [], code_execution_tool_result: [], bash_code_execution_tool_result: [], text_editor_code_execution_tool_result: [],
    tool_search_tool_result: [], container_upload: [],
    mcp_tool_use: ['input_json_delta'], mcp_tool_result: [], mcp_tool_listing: [],
    advisor_tool_result: [], compaction: ['compaction_delta'],
  };
  for (const e of events) {
    if (e.event === 'content_block_start') {
      expect(open, `block ${e.data.index} starts while ${open?.index} is open`).to.equal(undefined);
      expect(e.data.index, 'consecutive block index').to.equal(next++);
      open = { index: e.data.index, type: e.data.content_block.type };
    } else if (e.event === 'content_block_delta') {
      expect(open, 'a delta needs an open block').to.not.equal(undefined);
      expect(e.data.index, 'delta for the open block').to.equal(open!.index);
      expect(deltaKinds[open!.type], `delta kind for a ${open!.type} block`).to.include(e.data.delta.type);
    } else if (e.event === 'content_block_stop') {
      expect(e.data.index, 'stop for the open block').to.equal(open?.index);
      open = undefined;
    }
  }
  if (names.at(-1) !== 'error') {
    expect(open, 'all blocks stopped').to.equal(undefined);
    expect(names.slice(-2)).to.deep.equal(['message_delta', 'message_stop']);
  }
  return events;
}

/**
 * The content blocks the events build, as a client accumulates them: a tool_use keeps its input
 * JSON text apart (`json`); a server_tool_use's (or mcp_tool_use's) input is that JSON parsed, a text block's
 * `citations` collect its citations_delta, and a compaction_delta's values replace a compaction
 * block's, as the SDK's (Beta)MessageStream does.
 */
export function accumulate(events: readonly AnthropicEvent[]): Record<string, any>[] {
  const blocks: Record<string, any>[] = [];
  const serverInput = new Map<Record<string, any>, string>();
  for (const e of events) {
    if (e.event === 'content_block_start') blocks[e.data.index] = { ...e.data.content_block, ...(e.data.content_block.type === 'tool_use' ? { json: '' } : {}) };
    if (e.event !== 'content_block_delta') continue;
    const b = blocks[e.data.index]!;
    const d = e.data.delta;
    if (d.type === 'text_delta') b.text += d.text;
    if (d.type === 'citations_delta') b.citations = [...(b.citations ?? []), d.citation];
    if (d.type === 'thinking_delta') b.thinking += d.thinking;
    if (d.type === 'signature_delta') b.signature = d.signature;
    if (d.type === 'compaction_delta') Object.assign(b, { content: d.content }, 'encrypted_content' in d ? { encrypted_content: d.encrypted_content } : {});
    if (d.type === 'input_json_delta' && (b.type === 'server_tool_use' || b.type === 'mcp_tool_use')) serverInput.set(b, (serverInput.get(b) ?? '') + d.partial_json);
    else if (d.type === 'input_json_delta') b.json += d.partial_json;
  }
  for (const [b, json] of serverInput) if (json) b.input = JSON.parse(json);
  return blocks;
}
