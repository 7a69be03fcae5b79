import { expect } from 'chai';
import { AnthropicResponseDecoder, AnthropicStreamDecoder } from '../../lib/backends/anthropic/index.js';
import { GeminiResponseDecoder, GeminiStreamDecoder } from '../../lib/backends/gemini/index.js';
import { ChatResponseDecoder, ChatStreamDecoder } from '../../lib/backends/openai-chat/index.js';
import { ResponsesStreamDecoder } from '../../lib/backends/openai-responses/index.js';
import { isOutputEvent, type LipEvent } from '../../lib/canonical/index.js';
import { LipError } from '../../lib/errors/index.js';
import { MAX_UPSTREAM_DEPTH } from '../../lib/wire/json-depth.js';

/**
 * Found by hostile upstreams: tool-call arguments nested ~6,000 levels (a model can be prompted
 * to produce them) overflowed the stack where they were serialised or walked, and on the Gemini
 * endpoints that ended the process. Every decoder now measures argument nesting (objects with an
 * iterative walk, streamed text with an incremental meter) and fails the attempt with a
 * retryable LIP_ERR_UPSTREAM_LIMIT_EXCEEDED past MAX_UPSTREAM_DEPTH (256).
 */
const deepText = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Runs `feed` and returns the events it produced and the error it threw. */
function run(feed: (out: LipEvent[]) => void): { events: LipEvent[]; error: LipError | undefined } {
  const events: LipEvent[] = [];
  try {
    feed(events);
    return { events, error: undefined };
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(LipError);
    return { events, error: err as LipError };
  }
}

/** `what` too deep; a frame of 4 KiB or more is refused whole before it is parsed (256 + 16 envelope levels). */
function expectTooDeep(result: { error: LipError | undefined }, what: string): void {
  expect(result.error, 'an error').to.not.equal(undefined);
  const e = result.error!;
  expect([e.code, e.status, e.retryable]).to.deep.equal(['LIP_ERR_UPSTREAM_LIMIT_EXCEEDED', 502, true]);
  expect(e.message).to.equal(what === 'a frame' ? 'backend "b": a frame nests deeper than 272 levels' : `backend "b": ${what} nests deeper than 256 levels`);
}

const geminiFrame = (args: string) =>
  `{"candidates":[{"content":{"role":"model","parts":[{"text":"x"},{"functionCall":{"name":"f","args":${args}}}]},"index":0,"finishReason":"STOP"}]}`;

describe('regression: deep upstream tool-call arguments', () => {
  it('gemini: 6,000-level functionCall args fail the attempt before any output of the frame', () => {
    const result = run((out) => new GeminiStreamDecoder('b', []).message({ event: 'message', data: geminiFrame(deepText(6_000)) }, out));
    expectTooDeep(result, 'a frame'); // 36 KB: scanned before JSON.parse
    expect(result.events).to.deep.equal([]);
    const parsed = run((out) => new GeminiStreamDecoder('b', []).message({ event: 'message', data: geminiFrame(deepText(300)) }, out));
    expectTooDeep(parsed, "a functionCall's args"); // 1.8 KB: parsed, then the args are walked
    expect(parsed.events.filter(isOutputEvent)).to.deep.equal([]);
  });

  it('gemini: args of exactly 256 levels pass, 257 do not (stream and whole answer)', () => {
    const ok = run((out) => new GeminiStreamDecoder('b', []).message({ event: 'message', data: geminiFrame(deepText(MAX_UPSTREAM_DEPTH)) }, out));
    expect(ok.error).to.equal(undefined);
    const args = ok.events.find((e) => e.type === 'tool_call_delta') as { args: string };
    expect(args.args).to.equal(deepText(MAX_UPSTREAM_DEPTH));
    expectTooDeep(run((out) => new GeminiStreamDecoder('b', []).message({ event: 'message', data: geminiFrame(deepText(MAX_UPSTREAM_DEPTH + 1)) }, out)), "a functionCall's args");
    expectTooDeep(run((out) => new GeminiResponseDecoder('b', []).decode(JSON.parse(geminiFrame(deepText(6_000))) as Record<string, unknown>, out)), "a functionCall's args");
  });

  it('openai-chat: argument fragments are metered across chunks', () => {
    const chunk = (args: string) => JSON.stringify({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: args } }] } }] });
    const decoder = new ChatStreamDecoder('b', []);
    const result = run((out) => {
      for (let i = 0; i < 60; i++) decoder.message({ event: 'message', data: chunk('{"a":'.repeat(100)) }, out);
    });
    expectTooDeep(result, "a tool call's arguments");
    expect(result.events.filter((e) => e.type === 'tool_call_delta')).to.have.length(2); // 200 levels passed, the third fragment did not
    const fine = new ChatStreamDecoder('b', []);
    expect(run((out) => {
      fine.message({ event: 'message', data: chunk(deepText(MAX_UPSTREAM_DEPTH)) }, out);
      fine.message({ event: 'message', data: chunk('["]]]]"]') }, out); // brackets in strings do not count
    }).error).to.equal(undefined);
    expectTooDeep(run((out) => new ChatResponseDecoder('b', []).decode({
      choices: [{ index: 0, message: { tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: deepText(6_000) } }] }, finish_reason: 'tool_calls' }],
    }, out)), "a tool call's arguments");
  });

  it('openai-responses: argument deltas and whole item arguments are metered', () => {
    const feed = (decoder: ResponsesStreamDecoder, out: LipEvent[], frames: Record<string, unknown>[]) => {
      for (const f of frames) decoder.message({ event: String(f.type), data: JSON.stringify(f) }, out);
    };
    const opening = [
      { type: 'response.created', response: { id: 'r', model: 'm' } },
      { type: 'response.output_item.added', output_index: 0, item: { type: 'function_call', id: 'fc1', call_id: 'c1', name: 'f', arguments: '' } },
    ];
    const deltas = Array.from({ length: 30 }, () => ({ type: 'response.function_call_arguments.delta', item_id: 'fc1', delta: '['.repeat(10) }));
    expectTooDeep(run((out) => feed(new ResponsesStreamDecoder('b', []), out, [...opening, ...deltas])), "a function_call's arguments");
    const whole = { type: 'response.output_item.done', output_index: 0, item: { type: 'function_call', id: 'fc1', call_id: 'c1', name: 'f', arguments: deepText(300) } };
    expectTooDeep(run((out) => feed(new ResponsesStreamDecoder('b', []), out, [...opening, whole])), "a function_call's arguments");
  });

  it('anthropic: input_json_delta fragments and a deep tool_use input are metered', () => {
    const start = { type: 'message_start', message: { id: 'm', model: 'x' } };
    const block = (input: unknown) => ({ type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'f', input } });
    const feed = (out: LipEvent[], frames: string[]) => {
      const decoder = new AnthropicStreamDecoder('b', []);
      for (const data of frames) decoder.message({ event: 'message', data }, out);
    };
    const deltas = Array.from({ length: 10 }, () => JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"k":'.repeat(40) } }));
    expectTooDeep(run((out) => feed(out, [JSON.stringify(start), JSON.stringify(block({})), ...deltas])), 'a tool_use input');
    const deepStart = (depth: number) => `{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"f","input":${deepText(depth)}}}`;
    expectTooDeep(run((out) => feed(out, [JSON.stringify(start), deepStart(6_000)])), 'a frame');
    const result = run((out) => feed(out, [JSON.stringify(start), deepStart(300)]));
    expectTooDeep(result, 'a tool_use input');
    expect(result.events.filter(isOutputEvent)).to.deep.equal([]);
    expectTooDeep(run((out) => new AnthropicResponseDecoder('b', []).decode(JSON.parse(
      `{"id":"m","type":"message","model":"x","content":[{"type":"tool_use","id":"t1","name":"f","input":${deepText(6_000)}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":1}}`,
    ) as Record<string, unknown>, out)), 'a tool_use input');
  });
});
