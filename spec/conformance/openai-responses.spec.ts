import { expect } from 'chai';
import type { Response } from 'openai/resources/responses/responses';
import { openaiResponsesClient } from '../helpers/clients/index.js';
import { frontendConformance } from './frontend-suite.js';

const response = (raw: unknown) => raw as Response;

frontendConformance({
  driver: openaiResponsesClient,
  raw: {
    'text': (r) => {
      const res = response(r.raw);
      expect(res).to.deep.include({ object: 'response', status: 'completed', model: 'text', error: null, incomplete_details: null });
      expect(res.id).to.match(/^resp_[A-Za-z0-9]+$/);
      expect(res.output).to.have.length(1);
      expect(res.output[0]).to.deep.include({ type: 'message', role: 'assistant', status: 'completed' });
      expect(res.output_text).to.equal('Hello, world');
    },
    'reasoning then text': (r) => {
      const res = response(r.raw);
      expect(res.output.map((o) => o.type)).to.deep.equal(['reasoning', 'message']);
      expect(res.output[0]).to.deep.include({ summary: [{ type: 'summary_text', text: 'The user greets; answer politely.' }] });
    },
    'two parallel tool calls with interleaved argument deltas': (r) => {
      const res = response(r.raw);
      expect(res.output.map((o) => o.type)).to.deep.equal(['function_call', 'function_call']);
      expect(res.output.map((o) => (o as { status: string }).status)).to.deep.equal(['completed', 'completed']);
      expect(new Set(res.output.map((o) => (o as { id: string }).id)).size).to.equal(2);
    },
    'text then tool': (r) => expect(response(r.raw).output.map((o) => o.type)).to.deep.equal(['message', 'function_call']),
    'length stop': (r) => {
      const res = response(r.raw);
      expect(res.status).to.equal('incomplete');
      expect(res.incomplete_details).to.deep.equal({ reason: 'max_output_tokens' });
      expect(res.output[0]).to.deep.include({ type: 'message', status: 'incomplete' });
    },
    'usage with cache tokens': (r) => {
      expect(response(r.raw).usage).to.deep.equal({
        input_tokens: 100, input_tokens_details: { cached_tokens: 60, cache_write_tokens: 10 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 5 }, total_tokens: 120,
      });
    },
  },
});
