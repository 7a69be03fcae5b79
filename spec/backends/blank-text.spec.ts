import { expect } from 'chai';
import type { CacheablePrompt, TextPart } from '../../lib/canonical/index.js';
import { withoutBlankText } from '../../lib/backends/blank-text.js';

const text = (t: string, cache?: { ttl?: string }): TextPart => ({ type: 'text', text: t, ...(cache !== undefined ? { cache } : {}) });
const prompt = (p: Partial<CacheablePrompt>): CacheablePrompt => ({ tools: [], system: [], messages: [], ...p });

describe('withoutBlankText', () => {
  it('is the same prompt when no text is blank', () => {
    const p = prompt({ system: [text('rules')], messages: [{ role: 'user', parts: [text('q')] }] });
    expect(withoutBlankText(p)).to.equal(p);
  });

  it('leaves out empty and whitespace-only text of system, messages and a tool result', () => {
    const p = withoutBlankText(prompt({
      system: [text(' '), text('rules')],
      messages: [
        { role: 'user', parts: [text('q'), text('\n\t')] },
        { role: 'assistant', parts: [text('')] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [text('  ')] }, { type: 'tool_result', callId: 'd', content: ' \n' }] },
      ],
    }));
    expect(p.system).to.deep.equal([text('rules')]);
    expect(p.messages.map((m) => m.parts)).to.deep.equal([[text('q')], [], [{ type: 'tool_result', callId: 'c', content: '' }, { type: 'tool_result', callId: 'd', content: '' }]]);
  });

  it('moves a left out block\'s mark to the block before it, across turns, system and tools', () => {
    const p = withoutBlankText(prompt({
      tools: [{ name: 'f', parameters: { type: 'object' } }],
      system: [text(' ', { ttl: '1h' })],
      messages: [
        { role: 'user', parts: [text('q'), { type: 'reasoning', dialect: 'x', text: 'r' } as never] },
        { role: 'user', parts: [text('  ', {})] },
      ],
    }));
    expect(p.tools[0]).to.deep.include({ cache: { ttl: '1h' } });
    expect(p.messages[0]!.parts[0]).to.deep.equal(text('q', {}));
    expect(p.messages[1]!.parts).to.deep.equal([]);
  });

  it('keeps the mark of the block before when it has one, and moves an inner mark within a tool result', () => {
    const p = withoutBlankText(prompt({
      messages: [
        { role: 'user', parts: [text('q', { ttl: '5m' }), text(' ', { ttl: '1h' })] },
        { role: 'tool', parts: [{ type: 'tool_result', callId: 'c', content: [text('out'), text('\n', {})] }] },
      ],
    }));
    expect(p.messages[0]!.parts).to.deep.equal([text('q', { ttl: '5m' })]);
    expect(p.messages[1]!.parts).to.deep.equal([{ type: 'tool_result', callId: 'c', content: [text('out', {})] }]);
  });
});
