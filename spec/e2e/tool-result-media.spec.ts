import { createPartFromFunctionResponse, GoogleGenAI, type Content } from '@google/genai';
import { expect } from 'chai';
import { testConfig } from '../helpers/config.js';
import { startAnthropicEmulator, startGeminiEmulator, startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

/**
 * An image a tool returns reaches the model whatever the two protocols: a Gemini client's
 * multimodal function response (`functionResponse.parts`, the official SDK's
 * `createPartFromFunctionResponse`) arrives at an Anthropic backend inside the `tool_result`, at
 * an openai-chat backend as a user message after the tool message (which takes text only), and
 * at a Gemini backend as an `inlineData` part after the `functionResponse`. The image used to be
 * dropped on the way in (Gemini) and on the way out (Chat, Gemini).
 */
describe('e2e: media in tool results, from a Gemini client to each backend', function () {
  this.timeout(20_000);
  const emulators: Record<string, Emulator> = {};
  let lip: RunningLip;
  let ai: GoogleGenAI;
  before(async () => {
    emulators.an = await startAnthropicEmulator();
    emulators.oc = await startOpenAIChatEmulator();
    emulators.ge = await startGeminiEmulator();
    lip = await startLip(testConfig([
      `  - { id: an, kind: anthropic, base_url: "${emulators.an.url}", api_key: k-0123456789 }`,
      `  - { id: oc, kind: openai-chat, base_url: "${emulators.oc.url}", api_key: k-0123456789 }`,
      `  - { id: ge, kind: gemini, base_url: "${emulators.ge.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    ai = new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: lip.url, apiVersion: 'v1beta' } });
  });
  after(async () => {
    await lip?.close();
    for (const emu of Object.values(emulators)) await emu.close();
  });
  const contents: Content[] = [
    { role: 'user', parts: [{ text: 'What is on the screen?' }] },
    { role: 'model', parts: [{ functionCall: { id: 'fc-1', name: 'screenshot', args: {} } }] },
    { role: 'user', parts: [createPartFromFunctionResponse('fc-1', 'screenshot', { ok: true }, [{ inlineData: { mimeType: 'image/png', data: PNG } }])] },
  ];
  const sent = async (backend: string) => {
    emulators[backend]!.reset();
    const answer = await ai.models.generateContent({ model: `${backend}:m`, contents });
    expect(answer.candidates?.length).to.equal(1);
    return emulators[backend]!.requests[0]!.body;
  };

  it('anthropic: the image inside the tool_result', async () => {
    const body = await sent('an');
    expect(body.messages[2]).to.deep.equal({
      role: 'user',
      content: [{
        type: 'tool_result', tool_use_id: 'fc-1',
        content: [{ type: 'text', text: '{"ok":true}' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } }],
      }],
    });
  });

  it('openai-chat: the tool message, then the image in a user message', async () => {
    const body = await sent('oc');
    expect(body.messages.slice(2)).to.deep.equal([
      { role: 'tool', tool_call_id: 'fc-1', content: '{"ok":true}' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } }] },
    ]);
  });

  it('gemini: the functionResponse, then the image as inlineData in the same turn', async () => {
    const body = await sent('ge');
    expect(body.contents[2]).to.deep.equal({
      role: 'user',
      parts: [{ functionResponse: { name: 'screenshot', response: { ok: true } } }, { inlineData: { mimeType: 'image/png', data: PNG } }],
    });
  });
});
