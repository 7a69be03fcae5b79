import { expect } from 'chai';
import type { Message } from '@anthropic-ai/sdk/resources/messages/messages';
import { anthropicClient } from '../helpers/clients/index.js';
import { frontendConformance } from './frontend-suite.js';

const message = (raw: unknown) => raw as Message;

frontendConformance({
  driver: anthropicClient,
  raw: {
    'text': (r) => {
      const m = message(r.raw);
      expect(m).to.deep.include({ type: 'message', role: 'assistant', model: 'text', stop_reason: 'end_turn', stop_sequence: null });
      expect(m.id).to.match(/^msg_[A-Za-z0-9]{24}$/);
      expect(m.content).to.deep.equal([{ type: 'text', text: 'Hello, world' }]);
      expect(m.usage).to.deep.include({ input_tokens: 12, output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    },
    'reasoning then text': (r) => {
      expect(message(r.raw).content).to.deep.equal([
        { type: 'thinking', thinking: 'The user greets; answer politely.', signature: 'sig-reasoning-1' },
        { type: 'text', text: 'Hi there.' },
      ]);
    },
    'two parallel tool calls with interleaved argument deltas': (r) => {
      const m = message(r.raw);
      expect(m.stop_reason).to.equal('tool_use');
      expect(m.content).to.deep.equal([
        { type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } },
        { type: 'tool_use', id: 'call_b', name: 'get_time', input: { zone: 'CET' } },
      ]);
    },
    'text then tool': (r) => {
      const m = message(r.raw);
      expect(m.stop_reason).to.equal('tool_use');
      expect(m.content.map((b) => b.type)).to.deep.equal(['text', 'tool_use']);
    },
    'length stop': (r) => expect(message(r.raw).stop_reason).to.equal('max_tokens'),
    'failure before output': (r) => expect(r.error!.type).to.equal('not_found_error'),
    'failure after output': (r) => expect(r.error!.type).to.equal('api_error'),
    'usage with cache tokens': (r) => {
      // Anthropic counts cache reads and writes in addition to input_tokens: 100 = 30 + 60 + 10.
      // Of the 10 written, 4 went to the 1-hour cache; the tier that served is the provider's.
      expect(message(r.raw).usage).to.deep.include({
        input_tokens: 30, cache_read_input_tokens: 60, cache_creation_input_tokens: 10, output_tokens: 20,
        cache_creation: { ephemeral_5m_input_tokens: 6, ephemeral_1h_input_tokens: 4 }, service_tier: 'priority',
      });
    },
  },
});
