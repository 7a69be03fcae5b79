import { expect } from 'chai';
import { emptyCall, type Call, type TextPart } from '../../lib/canonical/index.js';
import { latestCacheMarks } from '../../lib/backends/cache-marks.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/encode-request.js';
import { encodeAnthropicRequest } from '../../lib/backends/anthropic/encode-request.js';
import { anthropicOptions } from '../../lib/backends/anthropic/options.js';

const mark = { cache: {} };
const text = (t: string, marked = true): TextPart => ({ type: 'text', text: t, ...(marked ? mark : {}) });
/** A conversation whose every turn, the system prompt, a tool and a tool result's inner part carry a mark: 7 in all. */
function call(flag: boolean): Call {
  return {
    ...emptyCall(),
    model: 'm',
    tools: [{ name: 'f', parameters: { type: 'object' }, ...mark }],
    system: [{ type: 'text', text: 'rules', ...mark }],
    messages: [
      { role: 'user', parts: [text('one')] },
      { role: 'assistant', parts: [text('two'), { type: 'tool_call', id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: [text('result')] }] },
      { role: 'user', parts: [text('three'), text('four')] },
    ],
    ...(flag ? { providerOptions: { openai: { cacheBreakpoints: true } } } : {}),
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

  it('trims only marks a client wrote as OpenAI breakpoints; an Anthropic client\'s marks reach the provider as written', () => {
    const anthropic = encodeAnthropicRequest(call(false), 'claude', anthropicOptions({ id: 'a', kind: 'anthropic' } as never));
    const openai = encodeAnthropicRequest(call(true), 'claude', anthropicOptions({ id: 'a', kind: 'anthropic' } as never));
    const count = (body: unknown) => JSON.stringify(body).split('"cache_control"').length - 1;
    expect(count(anthropic)).to.equal(7);
    expect(count(openai)).to.equal(4);
    const points = (body: unknown) => JSON.stringify(body).split('"cachePoint"').length - 1;
    // Converse has no cachePoint inside a tool result: the inner mark is not written either way.
    expect(points(encodeBedrockRequest(call(false), 'anthropic.claude-sonnet-4-20250514-v1:0'))).to.equal(6);
    expect(points(encodeBedrockRequest(call(true), 'anthropic.claude-sonnet-4-20250514-v1:0'))).to.equal(3);
  });
});
