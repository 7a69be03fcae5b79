import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import type { ResponseInputItem } from 'openai/resources/responses/responses';
import { REASONING_DIALECTS, type LipEvent } from '../../lib/canonical/index.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';

const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const toolTurn = (signature?: string): LipEvent[] => [
  { type: 'text_delta', text: 'Checking.' },
  { type: 'tool_call_started', id: 'call_w', name: 'get_weather', ...(signature ? { signature } : {}) },
  { type: 'tool_call_delta', id: 'call_w', args: '{"city":"Paris"}' },
  { type: 'tool_call_finished', id: 'call_w' },
  { type: 'response_finished', reason: 'tool_calls' },
];
const TOOL = { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

/**
 * Reasoning must survive the client's round trip: what a frontend sends out (Anthropic thinking
 * with its signature, also with empty text, and redacted thinking; Responses reasoning items with
 * encrypted content; Gemini thoughts and signed function calls) comes back, re-sent by the
 * official SDK as history, as the same canonical reasoning parts in the same dialect. This is
 * where gateways break (shared/reference/peers.md section 3).
 */
describe('conformance: reasoning survives the client round trip', function () {
  let lip: ScriptedLip;
  before(async () => {
    lip = await startScriptedLip({
      anthropic: [
        ...start, { type: 'reasoning_delta', text: 'Need the weather.' }, { type: 'reasoning_signature', signature: 'sig-A' },
        { type: 'reasoning_signature', signature: 'sig-empty' },
        { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'REDACTED-1' }, ...toolTurn(),
      ],
      responses: [
        ...start, { type: 'reasoning_delta', text: 'Need the weather.' },
        { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'ENCRYPTED-1', id: 'rs_up' }, ...toolTurn(),
      ],
      gemini: [...start, { type: 'reasoning_delta', text: 'Need the weather.' }, { type: 'reasoning_signature', signature: 'sig-G' }, ...toolTurn('sig-call')],
      cross: [
        ...start, { type: 'reasoning_delta', text: 'Visible.' },
        { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.openaiResponses, data: 'ENC-X', id: 'rs_up' },
        { type: 'reasoning_opaque', dialect: REASONING_DIALECTS.anthropicRedacted, data: 'RED-X' },
        { type: 'text_delta', text: 'ok' }, { type: 'response_finished', reason: 'stop' },
      ],
    });
  });
  after(() => lip.close());

  for (const stream of [true, false]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`Anthropic: thinking (with signature, also empty) and redacted thinking (${mode})`, async () => {
      const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false });
      const params = { model: 'script:anthropic', max_tokens: 2048, thinking: { type: 'enabled' as const, budget_tokens: 1024 }, tools: [{ name: TOOL.name, input_schema: TOOL.parameters as { type: 'object' } }] };
      const first: Anthropic.MessageParam = { role: 'user', content: 'Weather in Paris?' };
      const message = stream ? await client.messages.stream({ ...params, messages: [first] }).finalMessage() : await client.messages.create({ ...params, messages: [first] });
      expect(message.content.map((b) => b.type)).to.deep.equal(['thinking', 'thinking', 'redacted_thinking', 'text', 'tool_use']);
      await client.messages.create({
        ...params,
        messages: [first, { role: 'assistant', content: message.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_w', content: 'sunny' }] }],
      });
      expect(lip.backend.lastCall.messages[1]!.parts).to.deep.equal([
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: 'Need the weather.', signature: 'sig-A' },
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicThinking, text: '', signature: 'sig-empty' },
        { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'REDACTED-1' },
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ]);
    });

    it(`OpenAI Responses: a reasoning item with its summary and encrypted content (${mode})`, async () => {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
      const params = { model: 'script:responses', store: false, include: ['reasoning.encrypted_content' as const], tools: [{ type: 'function' as const, strict: false, ...TOOL }] };
      const input: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }];
      const response = stream ? await client.responses.stream({ ...params, input }).finalResponse() : await client.responses.create({ ...params, input });
      expect(response.output.map((o) => o.type)).to.deep.equal(['reasoning', 'message', 'function_call']);
      await client.responses.create({ ...params, input: [...input, ...(response.output as ResponseInputItem[]), { type: 'function_call_output', call_id: 'call_w', output: 'sunny' }] });
      expect(lip.backend.lastCall.messages[1]!.parts).to.deep.equal([
        { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, text: 'Need the weather.', summary: ['Need the weather.'], opaque: 'ENCRYPTED-1', id: 'rs_up' }, // the upstream item id, not lip's
        { type: 'text', text: 'Checking.' },
        { type: 'tool_call', id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}' },
      ]);
    });

    it(`Gemini: thoughts with their signature and a signed function call, through a chat (${mode})`, async () => {
      const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
      const chat = ai.chats.create({ model: 'script:gemini', config: { tools: [{ functionDeclarations: [{ name: TOOL.name, parametersJsonSchema: TOOL.parameters }] }], thinkingConfig: { includeThoughts: true } } });
      if (stream) for await (const chunk of await chat.sendMessageStream({ message: 'Weather in Paris?' })) void chunk;
      else await chat.sendMessage({ message: 'Weather in Paris?' });
      expect(chat.getHistory().map((c) => c.role)).to.deep.equal(['user', ...Array(chat.getHistory().length - 1).fill('model')]);
      await chat.sendMessage({ message: [{ functionResponse: { id: 'call_w', name: 'get_weather', response: { sky: 'sunny' } } }] });
      const parts = lip.backend.lastCall.messages[1]!.parts;
      expect(parts.filter((p) => p.type !== 'text')).to.deep.equal([
        { type: 'reasoning', dialect: REASONING_DIALECTS.geminiThought, text: 'Need the weather.', signature: 'sig-G' },
        { type: 'tool_call', id: 'call_w', name: 'get_weather', arguments: '{"city":"Paris"}', signature: 'sig-call', dialect: REASONING_DIALECTS.geminiThought },
      ]);
      expect(parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('')).to.equal('Checking.');
      expect(lip.backend.lastCall.messages[2]).to.deep.equal({ role: 'tool', parts: [{ type: 'tool_result', callId: 'call_w', name: 'get_weather', content: '{"sky":"sunny"}' }] });
    });
  }

  describe('opaque reasoning of another provider crosses the protocol boundary and comes back in its dialect', () => {
    const openai = { type: 'reasoning', dialect: REASONING_DIALECTS.openaiResponses, opaque: 'ENC-X' };
    const redacted = { type: 'reasoning', dialect: REASONING_DIALECTS.anthropicRedacted, opaque: 'RED-X' };

    for (const stream of [true, false]) {
      const mode = stream ? 'streaming' : 'non-streaming';

      it(`through an Anthropic client (${mode})`, async () => {
        const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0, openTelemetry: false });
        const first: Anthropic.MessageParam = { role: 'user', content: 'x' };
        const params = { model: 'script:cross', max_tokens: 64, messages: [first] };
        const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
        await client.messages.create({ ...params, messages: [first, { role: 'assistant', content: message.content }, { role: 'user', content: 'y' }] });
        expect(lip.backend.lastCall.messages[1]!.parts).to.deep.equal([
          // The thinking block lip wrote before the sealed item is the item's summary again.
          { ...openai, text: 'Visible.', id: 'rs_up' }, redacted, { type: 'text', text: 'ok' },
        ]);
      });

      it(`through an OpenAI Responses client (${mode})`, async () => {
        const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
        const input: ResponseInputItem[] = [{ role: 'user', content: 'x' }];
        const params = { model: 'script:cross', store: false };
        const response = stream ? await client.responses.stream({ ...params, input }).finalResponse() : await client.responses.create({ ...params, input });
        await client.responses.create({ ...params, input: [...input, ...(response.output as ResponseInputItem[]), { role: 'user', content: 'y' }] });
        const parts = lip.backend.lastCall.messages[1]!.parts;
        expect(parts).to.deep.equal([{ ...openai, text: 'Visible.', summary: ['Visible.'], id: 'rs_up' }, redacted, { type: 'text', text: 'ok' }]);
      });

      it(`through a Gemini client (${mode})`, async () => {
        const ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
        const chat = ai.chats.create({ model: 'script:cross' });
        if (stream) for await (const chunk of await chat.sendMessageStream({ message: 'x' })) void chunk;
        else await chat.sendMessage({ message: 'x' });
        await chat.sendMessage({ message: 'y' });
        const parts = lip.backend.lastCall.messages[1]!.parts.filter((p) => p.type !== 'text' || p.text !== '');
        expect(parts).to.deep.equal([{ ...openai, text: 'Visible.', id: 'rs_up' }, redacted, { type: 'text', text: 'ok' }]);
      });
    }
  });
});
