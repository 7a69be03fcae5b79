import { expect } from 'chai';
import { emptyCall, type Call, type TextPart } from '../../lib/canonical/index.js';
import { hasBreakpointMarks, latestCacheMarks } from '../../lib/backends/cache-marks.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/encode-request.js';
import { encodeAnthropicRequest } from '../../lib/backends/anthropic/encode-request.js';
import { anthropicOptions } from '../../lib/backends/anthropic/options.js';

const text = (t: string, marked = true, breakpoint = false): TextPart => ({ type: 'text', text: t, ...(marked ? { cache: breakpoint ? { breakpoint: true } : {} } : {}) });
const mark = { cache: {} };
/**
 * A conversation whose every turn, the system prompt, a tool and a tool result's inner part carry
 * a mark: 7 in all; with `breakpoint`, its first message's was an OpenAI breakpoint.
 */
function call(breakpoint: boolean): Call {
  return {
    ...emptyCall(),
    model: 'm',
    tools: [{ name: 'f', parameters: { type: 'object' }, ...mark }],
    system: [{ type: 'text', text: 'rules', ...mark }],
    messages: [
      { role: 'user', parts: [text('one', true, breakpoint)] },
      { role: 'assistant', parts: [text('two'), { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [text('result')] }] },
      { role: 'user', parts: [text('three'), text('four')] },
    ],
  };
}
const marked = (c: Call): string[] => {
  const out: string[] = [];
  if (c.tools[0]!.cache) out.push('tool');
  if (c.system[0]!.cache) out.push('system');
  for (const m of c.messages) {
    for (const p of m.parts) {
      if (p.type === 'tool_result' && typeof p.content !== 'string') for (const q of p.content) if (q.cache) out.push((q as { text: string }).text);
      if (p.type === 'text' && p.cache) out.push(p.text);
    }
  }
  return out;
};

describe('backends/cache-marks: at most four breakpoints for providers that take four', () => {
  it('keeps the latest marks in prompt order (tools, system, messages, a tool result\'s inner parts)', () => {
    expect(marked(call(false))).to.deep.equal(['tool', 'system', 'one', 'two', 'result', 'three', 'four']);
    expect(marked(latestCacheMarks(call(false), 4))).to.deep.equal(['two', 'result', 'three', 'four']);
    expect(marked(latestCacheMarks(call(false), 1))).to.deep.equal(['four']);
    const few = call(false);
    expect(latestCacheMarks(few, 7)).to.equal(few);
  });

  it('anthropic and bedrock keep the latest four whatever wrote the marks (OpenAI breakpoints, cache_control, stored turns)', () => {
    const count = (body: unknown) => JSON.stringify(body).split('"cache_control"').length - 1;
    const points = (body: unknown) => JSON.stringify(body).split('"cachePoint"').length - 1;
    for (const breakpoint of [false, true]) {
      expect(count(encodeAnthropicRequest(call(breakpoint), 'claude', anthropicOptions({ id: 'a', kind: 'anthropic' } as never)))).to.equal(4);
      // Converse has no cachePoint inside a tool result: the inner mark, one of the latest four, is not written.
      expect(points(encodeBedrockRequest(call(breakpoint), 'anthropic'))).to.equal(3);
    }
  });

  it('hasBreakpointMarks: whether any mark, wherever it sits, came as an OpenAI breakpoint', () => {
    expect(hasBreakpointMarks(call(false))).to.equal(false);
    expect(hasBreakpointMarks(call(true))).to.equal(true);
    const inner = { ...call(false), messages: [{ role: 'tool' as const, parts: [{ type: 'tool_result' as const, callId: 'c1', content: [text('r', true, true)] }] }] };
    expect(hasBreakpointMarks(inner)).to.equal(true);
  });
});
