import { expect } from 'chai';
import { StringDecoder } from 'node:string_decoder';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { from, throwError, concat } from 'rxjs';
import { CollectLimitError, COLLECT_LIMITS, Collector, assistantMessage, collect, collectEvents, effectiveFinishReason, type LipEvent } from '../../lib/canonical/index.js';

describe('canonical/collect', () => {
  it('folds text, reasoning blocks with signatures, tool calls and usage in order', () => {
    const r = collectEvents([
      { type: 'response_started', id: 'up-1', model: 'real-model' },
      { type: 'message_started' },
      { type: 'reasoning_delta', text: 'think ' },
      { type: 'reasoning_delta', text: 'more' },
      { type: 'reasoning_signature', signature: 'sig-1' },
      { type: 'reasoning_signature', signature: 'sig-2' },
      { type: 'text_delta', text: 'Hel' },
      { type: 'text_delta', text: 'lo' },
      { type: 'tool_call_started', id: 'a', name: 'f' },
      { type: 'tool_call_started', id: 'b', name: 'g' },
      { type: 'tool_call_delta', id: 'b', args: '{"y"' },
      { type: 'tool_call_delta', id: 'a', args: '{"x":1}' },
      { type: 'tool_call_delta', id: 'b', args: ':2}' },
      { type: 'tool_call_finished', id: 'a' },
      { type: 'tool_call_finished', id: 'b' },
      { type: 'usage', usage: { inputTokens: 10 } },
      { type: 'usage', usage: { outputTokens: 5, inputTokens: 11 } },
      { type: 'response_finished', reason: 'tool_calls', raw: 'tool_use' },
    ]);
    expect(r.id).to.equal('up-1');
    expect(r.model).to.equal('real-model');
    expect(r.text).to.equal('Hello');
    expect(r.reasoningText).to.equal('think more');
    expect(r.blocks).to.deep.equal([
      { type: 'reasoning', text: 'think more', signature: 'sig-1' },
      { type: 'reasoning', text: '', signature: 'sig-2' },
      { type: 'text', text: 'Hello' },
      { type: 'tool_call', id: 'a', name: 'f', arguments: '{"x":1}' },
      { type: 'tool_call', id: 'b', name: 'g', arguments: '{"y":2}' },
    ]);
    expect(r.usage).to.deep.equal({ inputTokens: 11, outputTokens: 5 });
    expect(r.finishReason).to.equal('tool_calls');
    expect(r.rawFinishReason).to.equal('tool_use');
    expect(r.finished).to.equal(true);
  });

  it('keeps a standalone signature out of the open reasoning block (a block of its own, that block left unsigned)', () => {
    const r = collectEvents([
      { type: 'reasoning_delta', text: 'plan' },
      { type: 'reasoning_signature', signature: 'ts-text', dialect: 'gemini.thought', standalone: true },
      { type: 'text_delta', text: 'hello' },
      { type: 'reasoning_delta', text: 'again' },
      { type: 'reasoning_signature', signature: 'ts-thought', dialect: 'gemini.thought' },
    ]);
    expect(r.blocks).to.deep.equal([
      { type: 'reasoning', text: 'plan' },
      { type: 'reasoning', text: '', signature: 'ts-text', dialect: 'gemini.thought' },
      { type: 'text', text: 'hello' },
      { type: 'reasoning', text: 'again', signature: 'ts-thought', dialect: 'gemini.thought' },
    ]);
  });

  it('starts a new text block after a tool call', () => {
    const r = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'text_delta', text: 'a' },
      { type: 'tool_call_started', id: 't', name: 'f' }, { type: 'tool_call_finished', id: 't' },
      { type: 'text_delta', text: 'b' },
      { type: 'response_finished', reason: 'stop' },
    ]);
    expect(r.blocks.map((b) => b.type)).to.deep.equal(['text', 'tool_call', 'text']);
  });

  it('keeps a web search at its place, updated in place, and gives each text block its citations in its own offsets', () => {
    const r = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'text_delta', text: 'Let me look. ' },
      { type: 'web_search', id: 's1', status: 'searching', dialect: 'd' },
      { type: 'web_search', id: 's1', status: 'completed', query: 'q', results: [{ url: 'https://a.example', title: 'A' }], dialect: 'd' },
      { type: 'text_delta', text: 'It is ' },
      { type: 'text_delta', text: 'forty-two' },
      { type: 'citation', url: 'https://a.example', title: 'A', start: 19, end: 28 },
      { type: 'text_delta', text: '.' },
      { type: 'response_finished', reason: 'stop' },
    ]);
    expect(r.blocks).to.deep.equal([
      { type: 'text', text: 'Let me look. ' },
      { type: 'web_search', id: 's1', status: 'completed', query: 'q', results: [{ url: 'https://a.example', title: 'A' }], dialect: 'd' },
      { type: 'text', text: 'It is forty-two.', citations: [{ url: 'https://a.example', title: 'A', start: 6, end: 15 }] },
    ]);
    expect(r.citations).to.deep.equal([{ url: 'https://a.example', title: 'A', start: 19, end: 28 }]);
    expect(r.text.slice(19, 28)).to.equal('forty-two');
  });

  it('keeps a hosted tool block at its place, in its final form once done, and a message record apart', () => {
    const added = { type: 'code_interpreter_call', id: 'ci_1', status: 'in_progress', code: '' };
    const done = { type: 'code_interpreter_call', id: 'ci_1', status: 'completed', code: 'print(1)', outputs: [{ type: 'logs', logs: '1' }] };
    const r = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'text_delta', text: 'Running it. ' },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'added', block: added },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'progress', update: { type: 'response.code_interpreter_call_code.delta', delta: 'print(1)' } },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', phase: 'done', block: done },
      { type: 'text_delta', text: 'It printed 1.' },
      { type: 'hosted_tool', id: 'container', dialect: 'd', phase: 'done', block: { id: 'cntr_1' }, scope: 'message' },
      { type: 'response_finished', reason: 'stop' },
    ]);
    expect(r.blocks).to.deep.equal([
      { type: 'text', text: 'Running it. ' },
      { type: 'hosted_tool', id: 'ci_1', dialect: 'd', block: done, done: true },
      { type: 'text', text: 'It printed 1.' },
      { type: 'hosted_tool', id: 'container', dialect: 'd', block: { id: 'cntr_1' }, done: true, scope: 'message' },
    ]);
  });

  it('puts a citation in the earlier text block its span starts in', () => {
    const r = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'text_delta', text: 'abc' },
      { type: 'web_search', id: 's', status: 'completed' },
      { type: 'text_delta', text: 'def' },
      { type: 'citation', url: 'u', start: 1, end: 3 },
    ]);
    expect((r.blocks[0] as { citations?: unknown }).citations).to.deep.equal([{ url: 'u', start: 1, end: 3 }]);
    expect((r.blocks[2] as { citations?: unknown }).citations).to.equal(undefined);
  });

  it('keeps opaque reasoning as its own block', () => {
    const r = collectEvents([{ type: 'response_started' }, { type: 'message_started' }, { type: 'reasoning_opaque', dialect: 'anthropic.redacted_thinking', data: 'xyz' }]);
    expect(r.blocks).to.deep.equal([{ type: 'reasoning', text: '', dialect: 'anthropic.redacted_thinking', opaque: 'xyz' }]);
    expect(r.finished).to.equal(false);
  });

  it('tolerates arguments before the start and keeps first-seen order', () => {
    const r = collectEvents([
      { type: 'response_started' }, { type: 'message_started' },
      { type: 'tool_call_delta', id: 'late', args: '{}' },
      { type: 'tool_call_started', id: 'early', name: 'e' },
      { type: 'tool_call_started', id: 'late', name: 'l' },
    ]);
    expect(r.toolCalls.map((c) => [c.id, c.name, c.arguments])).to.deep.equal([['late', 'l', '{}'], ['early', 'e', '']]);
  });

  it('keeps a toolset member\'s call\'s toolset, also when its arguments came first', () => {
    const r = collectEvents([
      { type: 'response_started' }, { type: 'tool_call_delta', id: 'late', args: '{}' },
      { type: 'tool_call_started', id: 'late', name: 'screenshot', toolset: 'computer' }, { type: 'tool_call_started', id: 'c', name: 'key', toolset: 'computer' },
    ]);
    expect(r.toolCalls.map((c) => [c.name, c.toolset])).to.deep.equal([['screenshot', 'computer'], ['key', 'computer']]);
    expect(assistantMessage(r)!.parts.map((p) => (p.type === 'tool_call' ? p.toolset : undefined))).to.deep.equal(['computer', 'computer']);
  });

  it('records an error event as the result error', () => {
    const r = collectEvents([{ type: 'response_started' }, { type: 'error', code: 'LIP_ERR_UPSTREAM_RESET', message: 'gone', status: 502 }]);
    expect(r.error).to.deep.equal({ code: 'LIP_ERR_UPSTREAM_RESET', message: 'gone', status: 502 });
  });

  it('as an operator, emits one response at completion and passes errors through', async () => {
    const events: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: 'x' }, { type: 'response_finished', reason: 'stop' }];
    const results: string[] = [];
    await new Promise<void>((resolve) => from(events).pipe(collect()).subscribe({ next: (r) => results.push(r.text), complete: resolve }));
    expect(results).to.deep.equal(['x']);

    const failure = new Error('boom');
    const seen = await new Promise<unknown>((resolve) => concat(from(events.slice(0, 3)), throwError(() => failure)).pipe(collect()).subscribe({ next: () => resolve('value'), error: resolve }));
    expect(seen).to.equal(failure);
  });

  it('stops with a CollectLimitError past the text limit', () => {
    const big = 'x'.repeat(COLLECT_LIMITS.textChars);
    expect(() => collectEvents([{ type: 'response_started' }, { type: 'message_started' }, { type: 'text_delta', text: big }, { type: 'text_delta', text: 'y' }]))
      .to.throw(CollectLimitError).with.property('code', 'LIP_ERR_RESPONSE_TOO_LARGE');
  });

  it('holds text, reasoning and arguments streamed a character at a time in about their own size, not a string node per delta', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const settle = () => { for (let i = 0; i < 4; i++) gc(); return process.memoryUsage().heapUsed; };
    const deltas = 500_000;
    const utf8 = new StringDecoder('utf8');
    const char = Buffer.from('x');
    const before = settle();
    const collector = new Collector();
    collector.push({ type: 'response_started' });
    // Each delta its own string, as an upstream's decoder makes them; every kind held twice (the response's and its block's), but arguments.
    for (let i = 0; i < deltas; i++) collector.push({ type: 'reasoning_delta', text: utf8.write(char) });
    for (let i = 0; i < deltas; i++) collector.push({ type: 'text_delta', text: utf8.write(char) });
    collector.push({ type: 'tool_call_started', id: 'a', name: 'f' });
    for (let i = 0; i < deltas; i++) collector.push({ type: 'tool_call_delta', id: 'a', args: utf8.write(char) });
    const held = settle() - before;
    expect(held / deltas, `${held} bytes of heap for ${deltas} characters each of text, reasoning and arguments`).to.be.at.most(8);
    const r = collector.response;
    expect([r.text.length, r.reasoningText.length, r.toolCalls[0]!.arguments.length]).to.deep.equal([deltas, deltas, deltas]);
    expect(r.blocks.map((b) => b.type === 'tool_call' ? b.arguments.length : b.type === 'text' || b.type === 'reasoning' ? b.text.length : 0)).to.deep.equal([deltas, deltas, deltas]);
  });

  it('effectiveFinishReason turns a stop with tool calls into tool_calls', () => {
    expect(effectiveFinishReason('stop', true)).to.equal('tool_calls');
    expect(effectiveFinishReason(undefined, false)).to.equal('stop');
    expect(effectiveFinishReason('length', true)).to.equal('length');
  });

  it('effectiveFinishReason turns a tool_calls finish without tool calls into stop', () => {
    expect(effectiveFinishReason('tool_calls', false)).to.equal('stop');
    expect(effectiveFinishReason('tool_calls', true)).to.equal('tool_calls');
  });
});
