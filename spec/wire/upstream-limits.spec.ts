import { expect } from 'chai';
import { AnthropicStreamDecoder } from '../../lib/backends/anthropic/index.js';
import { GeminiStreamDecoder } from '../../lib/backends/gemini/index.js';
import { ChatStreamDecoder } from '../../lib/backends/openai-chat/index.js';
import { ResponsesStreamDecoder } from '../../lib/backends/openai-responses/index.js';
import type { LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { MAX_UPSTREAM_ITEMS, upstreamTooMany } from '../../lib/wire/upstream-limits.js';

interface Decoder { message(m: { event: string; data: string }, out: LipEvent[]): void }

/** Feeds frames until one throws; returns the error and how many tool calls were started before it. */
function feed(decoder: Decoder, frames: Iterable<Record<string, unknown>>): { error: LipError | undefined; started: number } {
  const out: LipEvent[] = [];
  let started = 0;
  try {
    for (const f of frames) {
      decoder.message({ event: typeof f.type === 'string' ? f.type : 'message', data: JSON.stringify(f) }, out);
      for (const e of out) if (e.type === 'tool_call_started') started++;
      out.length = 0;
    }
  } catch (err) {
    expect(err).to.be.instanceOf(LipError);
    return { error: err as LipError, started };
  }
  return { error: undefined, started };
}

function* times<T>(n: number, make: (i: number) => T): Generator<T> {
  for (let i = 0; i < n; i++) yield make(i);
}

function expectTooMany(result: { error: LipError | undefined; started: number }, what: string, started: number = MAX_UPSTREAM_ITEMS): void {
  expect(result.error?.code).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED');
  expect(result.error?.retryable).to.equal(true);
  expect(result.error?.message).to.equal(`backend "b": the answer opened more than 10000 ${what}`);
  expect(result.started).to.equal(started);
}

describe('wire/upstream-limits', () => {
  it('is 10,000 items, the collect() bound on tool calls', () => {
    expect(MAX_UPSTREAM_ITEMS).to.equal(10_000);
    expect(upstreamTooMany('x', 'tool calls').status).to.equal(502);
  });

  it('openai-chat: the 10,001st tool call fails the attempt', () => {
    const frame = (i: number) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index: i, id: `c${i}`, function: { name: 'f', arguments: '{}' } }] } }] });
    expectTooMany(feed(new ChatStreamDecoder('b', []), times(MAX_UPSTREAM_ITEMS + 5, frame)), 'tool calls');
    expect(feed(new ChatStreamDecoder('b', []), times(MAX_UPSTREAM_ITEMS, frame)).error).to.equal(undefined);
  });

  it('openai-responses: the 10,001st function call, or reasoning item, fails the attempt', () => {
    const created = { type: 'response.created', response: { id: 'r' } };
    const call = (i: number) => ({ type: 'response.output_item.added', output_index: i, item: { type: 'function_call', id: `fc${i}`, call_id: `c${i}`, name: 'f', arguments: '' } });
    expectTooMany(feed(new ResponsesStreamDecoder('b', []), [created, ...times(MAX_UPSTREAM_ITEMS + 5, call)]), 'function calls');
    const summary = (i: number) => ({ type: 'response.reasoning_summary_text.delta', item_id: `rs${i}`, summary_index: 0, delta: 'x' });
    expectTooMany(feed(new ResponsesStreamDecoder('b', []), [created, ...times(MAX_UPSTREAM_ITEMS + 5, summary)]), 'reasoning items', 0);
  });

  it('anthropic: more than 10,000 blocks open at once fail the attempt; blocks that stop free their slot', () => {
    const start = { type: 'message_start', message: { id: 'm' } };
    const block = (i: number) => ({ type: 'content_block_start', index: i, content_block: { type: 'tool_use', id: `t${i}`, name: 'f', input: {} } });
    expectTooMany(feed(new AnthropicStreamDecoder('b', []), [start, ...times(MAX_UPSTREAM_ITEMS + 5, block)]), 'open content blocks');
    const text = function* () {
      for (let i = 0; i < MAX_UPSTREAM_ITEMS + 5; i++) {
        yield { type: 'content_block_start', index: i, content_block: { type: 'text', text: '' } };
        yield { type: 'content_block_stop', index: i };
      }
    };
    expect(feed(new AnthropicStreamDecoder('b', []), [start, ...text()]).error).to.equal(undefined);
  });

  it('gemini: the 10,001st function call fails the attempt', () => {
    const frame = (i: number) => ({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { name: `f${i}`, args: {} } }] }, index: 0 }] });
    expectTooMany(feed(new GeminiStreamDecoder('b', []), times(MAX_UPSTREAM_ITEMS + 5, frame)), 'function calls');
  });
});
