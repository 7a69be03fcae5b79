import { expect } from 'chai';
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { startOpenAIChatEmulator, startOpenAIResponsesEmulator, type Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const Answer = z.object({ answer: z.string() });
const sse = (data: unknown, event?: string) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
const chunk = (delta: unknown, finish: string | null = null) => sse({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
/** OpenAI Chat's refusal as the API streams it: `delta.refusal`, `content` null. */
const chatRefusal = { rawFrames: [chunk({ role: 'assistant', content: null, refusal: '' }), chunk({ refusal: "I'm sorry, " }), chunk({ refusal: 'I cannot help.' }), chunk({}, 'stop'), 'data: [DONE]\n\n'] };
/** The Responses API's: a message whose part is `refusal`, with `response.refusal.delta` events. */
function responsesRefusal() {
  let seq = 0;
  const event = (type: string, data: Record<string, unknown>) => sse({ type, sequence_number: seq++, ...data }, type);
  const shell = (status: string, output: unknown[]) => ({ id: 'resp_1', object: 'response', created_at: 1, status, model: 'm', output, usage: null, error: null, incomplete_details: null });
  const item = { id: 'msg_1', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'refusal', refusal: "I can't help." }] };
  const at = { item_id: 'msg_1', output_index: 0, content_index: 0 };
  return { rawFrames: [
    event('response.created', { response: shell('in_progress', []) }),
    event('response.output_item.added', { output_index: 0, item: { ...item, status: 'in_progress', content: [] } }),
    event('response.content_part.added', { ...at, part: { type: 'refusal', refusal: '' } }),
    event('response.refusal.delta', { ...at, delta: "I can't " }), event('response.refusal.delta', { ...at, delta: 'help.' }),
    event('response.refusal.done', { ...at, refusal: "I can't help." }),
    event('response.content_part.done', { ...at, part: item.content[0] }),
    event('response.output_item.done', { output_index: 0, item }),
    event('response.completed', { response: shell('completed', [item]) }),
  ] };
}

/**
 * Found by probing the SDKs' stream helpers: a model's refusal of a structured-output request
 * reached OpenAI clients as ordinary text, even Chat to Chat and Responses to Responses, so the
 * SDK's parse helpers took the refusal for JSON and threw ("Unexpected token 'I'") where, against
 * the API itself, they give `refusal` and `parsed: null`. The refusal is now kept (a text delta
 * marked as refusal) and written as each OpenAI protocol writes one; other protocols show it as text.
 */
describe('regression: a refusal reaches OpenAI clients as a refusal (the SDK parse helpers)', function () {
  this.timeout(30_000);
  let chat: Emulator;
  let responses: Emulator;
  let lip: RunningLip;
  before(async () => {
    chat = await startOpenAIChatEmulator();
    responses = await startOpenAIResponsesEmulator();
    lip = await startLip(testConfig([
      `  - { id: oc, kind: openai-chat, base_url: "${chat.url}", api_key: k-0123456789 }`,
      `  - { id: or, kind: openai-responses, base_url: "${responses.url}", api_key: k-0123456789 }`,
    ].join('\n')));
  });
  after(async () => {
    await lip.close();
    await chat.close();
    await responses.close();
  });
  beforeEach(() => { chat.reset(); responses.reset(); });
  const client = () => new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });

  for (const backend of ['oc', 'or'] as const) {
    const refuse = () => (backend === 'oc' ? chat.enqueue(chatRefusal) : responses.enqueue(responsesRefusal()));
    const said = backend === 'oc' ? "I'm sorry, I cannot help." : "I can't help.";

    it(`Chat client, ${backend} backend: finalChatCompletion() has the refusal and nothing parsed`, async () => {
      refuse();
      const completion = await client().chat.completions.stream({ model: `${backend}:m`, messages: [{ role: 'user', content: 'Hi' }], response_format: zodResponseFormat(Answer, 'a') }).finalChatCompletion();
      const message = completion.choices[0]!.message;
      expect([message.refusal, message.parsed]).to.deep.equal([said, null]);
      expect(message.content ?? '').to.equal('');
    });

    it(`Responses client, ${backend} backend: finalResponse() has a refusal part and nothing parsed`, async () => {
      refuse();
      const response = await client().responses.stream({ model: `${backend}:m`, input: 'Hi', store: false, text: { format: zodTextFormat(Answer, 'a') } }).finalResponse();
      const message = response.output.find((i) => i.type === 'message') as { content: { type: string; refusal?: string }[] };
      expect(message.content).to.deep.equal([{ type: 'refusal', refusal: said }]);
      expect(response.output_parsed).to.equal(null);
    });
  }
});
