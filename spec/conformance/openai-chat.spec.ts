import { expect } from 'chai';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { openaiChatClient } from '../helpers/clients/index.js';
import { frontendConformance } from './frontend-suite.js';

const completion = (raw: unknown) => raw as ChatCompletion;

frontendConformance({
  driver: openaiChatClient,
  raw: {
    'text': (r) => {
      const c = completion(r.raw);
      expect(c.object).to.equal('chat.completion');
      expect(c.model).to.equal('text'); // the model that served (routing.echo_requested_model is off)
      expect(c.id).to.match(/^chatcmpl-[A-Za-z0-9]{24}$/);
      expect(c.choices[0]!.message.role).to.equal('assistant');
    },
    'two parallel tool calls with interleaved argument deltas': (r) => {
      const calls = completion(r.raw).choices[0]!.message.tool_calls!;
      expect(calls.map((c) => c.type)).to.deep.equal(['function', 'function']);
      expect(completion(r.raw).choices[0]!.message.content).to.equal(null);
    },
    'length stop': (r) => expect(completion(r.raw).choices[0]!.finish_reason).to.equal('length'),
    'usage with cache tokens': (r) => {
      expect(completion(r.raw).usage).to.deep.equal({
        prompt_tokens: 100, completion_tokens: 20, total_tokens: 120,
        prompt_tokens_details: { cached_tokens: 60, cache_write_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 5 },
      });
    },
  },
});
