import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const TOOL = { name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] } };

/**
 * DeepSeek's thinking mode refuses an assistant message with tool calls that has no
 * `reasoning_content` (400 "Missing reasoning_content field in the assistant message"), even one
 * whose calls another model made and so has no reasoning to give back: the deepseek preset
 * (`reasoning_required: true`) sends the field empty then. Messages without tool calls get none.
 */
describe('e2e: a tool-call turn without reasoning reaches deepseek with an empty reasoning_content', () => {
  let emu: Emulator;
  let lip: RunningLip;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig([
      `  - { id: ds, kind: deepseek, base_url: "${emu.url}", api_key: k-0123456789 }`,
      `  - { id: vl, kind: vllm, base_url: "${emu.url}" }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await emu.close();
  });

  const assistants = async (model: string) => {
    emu.reset();
    emu.enqueue({ text: 'Rain.' });
    const client = new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    await client.messages.create({
      model, max_tokens: 100, tools: [TOOL],
      messages: [
        { role: 'user', content: 'Hello' }, { role: 'assistant', content: 'Hi.' },
        { role: 'user', content: 'Weather in Rome?' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_01XYZ', name: 'get_weather', input: { city: 'Rome' } }] }, // made elsewhere, no thinking
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01XYZ', content: 'rain' }] },
      ],
    });
    return (emu.requests[0]!.body.messages as Record<string, unknown>[]).filter((m) => m.role === 'assistant');
  };

  it('deepseek: the tool-call turn carries reasoning_content "", the text turn none', async () => {
    const [text, calls] = await assistants('ds:deepseek-v4-flash');
    expect(text).not.to.have.property('reasoning_content');
    expect(calls).to.deep.include({ reasoning_content: '' });
  });

  it('a server that does not require it (vllm) gets no empty field', async () => {
    const [, calls] = await assistants('vl:m');
    expect(calls).not.to.have.property('reasoning_content');
  });
});
