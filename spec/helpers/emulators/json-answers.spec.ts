import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import { expect } from 'chai';
import OpenAI from 'openai';
import {
  startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator,
} from './index.js';

/**
 * The emulators' answers to non-streamed requests (what lip asks for on behalf of a
 * non-streaming client) must be the providers' real JSON shapes: the official SDKs, pointed
 * straight at them without streaming, must read them back whole.
 */
describe('helpers/emulators: the official SDKs accept the non-streamed answers', () => {
  const emulators: Emulator[] = [];
  after(() => Promise.all(emulators.map((e) => e.close())));
  const start = async (make: () => Promise<Emulator>) => {
    const e = await make();
    emulators.push(e);
    return e;
  };
  const script = { reasoning: { text: ['Think', 'ing'], signature: 'sig-1', encrypted: 'enc-1' }, text: ['Hel', 'lo'], toolCalls: [{ id: 'call_1', name: 'f', args: ['{"a"', ':1}'], signature: 'ts-2' }], usage: { input: 30, output: 12, cacheRead: 10, reasoning: 5 } };

  it('OpenAI chat: a chat.completion with reasoning_content, text, tool calls and usage', async () => {
    const emu = await start(startOpenAIChatEmulator);
    emu.enqueue(script);
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: false });
    const message = completion.choices[0]!.message as typeof completion.choices[0]['message'] & { reasoning_content?: string };
    expect([message.content, message.reasoning_content]).to.deep.equal(['Hello', 'Thinking']);
    expect(message.tool_calls!.map((c) => c.type === 'function' && [c.id, c.function.name, c.function.arguments])).to.deep.equal([['call_1', 'f', '{"a":1}']]);
    expect(completion.usage).to.include({ prompt_tokens: 30, completion_tokens: 12 });
    expect(emu.requests[0]!.stream).to.equal(false);
  });

  it('OpenAI Responses: a response object with reasoning (encrypted), a message and a function call; status failed for an in-body error', async () => {
    const emu = await start(startOpenAIResponsesEmulator);
    emu.enqueue(script, { text: 'partial', streamError: { message: 'upstream broke' } });
    const client = new OpenAI({ baseURL: emu.url, apiKey: 'sk-emu', maxRetries: 0 });
    const response = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: false });
    expect(response.status).to.equal('completed');
    expect(response.output_text).to.equal('Hello');
    expect(response.output.map((o) => o.type)).to.deep.equal(['reasoning', 'message', 'function_call']);
    expect(response.output[0]).to.deep.include({ encrypted_content: 'enc-1' });
    expect(response.output[2]).to.include({ call_id: 'call_1', name: 'f', arguments: '{"a":1}' });
    const failed = await client.responses.create({ model: 'gpt-5', input: 'hi', stream: false });
    expect(failed.status).to.equal('failed');
    expect(failed.error?.message).to.equal('upstream broke');
  });

  it('Anthropic: a message with signed thinking, text and tool use', async () => {
    const emu = await start(startAnthropicEmulator);
    emu.enqueue(script);
    const client = new Anthropic({ apiKey: 'ak-emu', baseURL: emu.origin, maxRetries: 0, openTelemetry: false });
    const message = await client.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).to.deep.equal([
      { type: 'thinking', thinking: 'Thinking', signature: 'sig-1' },
      { type: 'text', text: 'Hello' },
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
    ]);
    expect(message.stop_reason).to.equal('tool_use');
    expect(emu.requests[0]!.stream).to.equal(false);
  });

  it('Gemini: one GenerateContentResponse from :generateContent with every part and the finish', async () => {
    const emu = await start(startGeminiEmulator);
    emu.enqueue(script);
    const ai = new GoogleGenAI({ apiKey: 'gk-emu', httpOptions: { baseUrl: emu.origin, apiVersion: 'v1beta' } });
    const answer = await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(answer.candidates?.[0]?.content?.parts).to.deep.equal([
      { text: 'Think', thought: true }, { text: 'ing', thought: true, thoughtSignature: 'sig-1' },
      { text: 'Hel' }, { text: 'lo' },
      { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'ts-2' },
    ]);
    expect(answer.candidates?.[0]?.finishReason).to.equal('STOP');
    expect(emu.requests[0]).to.include({ path: '/v1beta/models/gemini-2.5-flash:generateContent', stream: false });
  });
});
