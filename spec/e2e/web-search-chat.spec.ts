import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

const DELTAS = ['The final was won ', 'by Spain', ', 1–0.'];
/** The emulator cites delta 0 and delta 1; the client sees their offsets in the content. */
const SCRIPT: Script = {
  text: DELTAS,
  searches: [{ query: 'world cup final winner', results: [{ url: 'https://news.example/final', title: 'Final' }] }],
  citations: [{ delta: 0, url: 'https://news.example/final', title: 'Final report' }, { delta: 1, url: 'https://stats.example/spain', title: 'Spain' }],
};
const ANNOTATIONS = [
  { type: 'url_citation', url_citation: { start_index: 0, end_index: 18, url: 'https://news.example/final', title: 'Final report' } },
  { type: 'url_citation', url_citation: { start_index: 18, end_index: 26, url: 'https://stats.example/spain', title: 'Spain' } },
];
const OPTIONS = { search_context_size: 'low' as const, user_location: { type: 'approximate' as const, approximate: { city: 'Madrid', country: 'ES' } } };
const ASK = [{ role: 'user' as const, content: 'Who won the final?' }];

/**
 * A Chat client's hosted web search (`web_search_options`, the search models') through lip: an
 * openai-chat row sends the client's options on and the upstream's `url_citation` annotations
 * come back on the message, or streamed in the chunk before the finish, as OpenAI sends them.
 * A preset row whose server has no search (vllm) refuses it before sending anything, so a route
 * fails over to a row that has it; OpenRouter's preset sends it on. Before, lip answered 400.
 */
describe('e2e: hosted web search for Chat Completions clients', function () {
  this.timeout(20_000);
  let emu: Emulator;
  let lip: RunningLip;
  let openai: OpenAI;
  before(async () => {
    emu = await startOpenAIChatEmulator();
    lip = await startLip(testConfig([
      `  - { id: oc, kind: openai-chat, base_url: "${emu.url}", api_key: k-0123456789 }`,
      `  - { id: lab, kind: vllm, base_url: "${emu.url}" }`,
      `  - { id: router, kind: openrouter, base_url: "${emu.url}", api_key: k-0123456789 }`,
    ].join('\n')));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', maxRetries: 0 });
  });
  after(async () => {
    await lip?.close();
    await emu?.close();
  });
  beforeEach(() => emu.reset());

  /** One streamed completion: the text, the raw chunks' deltas and finish reasons. */
  const streamed = async (model: string, extra: Record<string, unknown> = {}) => {
    const chunks: { delta: Record<string, unknown>; finish: string | null }[] = [];
    let text = '';
    const stream = await openai.chat.completions.create({ model, messages: ASK, web_search_options: OPTIONS, stream: true, ...extra });
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      text += choice.delta.content ?? '';
      chunks.push({ delta: choice.delta as Record<string, unknown>, finish: choice.finish_reason });
    }
    return { text, chunks };
  };

  it('sends the client\'s web_search_options to an openai-chat upstream and answers with its annotations (non-streaming)', async () => {
    emu.enqueue(SCRIPT);
    const completion = await openai.chat.completions.create({ model: 'oc:gpt-5-search-api', messages: ASK, web_search_options: OPTIONS });
    const message = completion.choices[0]!.message;
    expect(message.content).to.equal(DELTAS.join(''));
    expect(message.annotations).to.deep.equal(ANNOTATIONS);
    expect(message.content!.slice(18, 26)).to.equal('by Spain');
    const sent = emu.requests[0]!.body;
    expect(sent).to.deep.include({ web_search_options: OPTIONS, stream: false }); // a whole answer: its message's annotations
    expect(sent).not.to.have.any.keys('tools', 'tool_choice');
  });

  it('... streamed: every annotation in the chunk right before the finishing chunk', async () => {
    emu.enqueue(SCRIPT);
    const { text, chunks } = await streamed('oc:gpt-5-search-api');
    expect(text).to.equal(DELTAS.join(''));
    const at = chunks.findIndex((c) => c.delta.annotations !== undefined);
    expect(at).to.equal(chunks.length - 2);
    expect(chunks[at]!.delta).to.deep.equal({ annotations: ANNOTATIONS });
    expect(chunks.at(-1)).to.deep.include({ finish: 'stop' });
    expect(emu.requests[0]!.body).to.deep.include({ web_search_options: OPTIONS, stream: true });
  });

  it('keeps functions as tools beside the search, and drops the annotations of an answer the client sends back', async () => {
    emu.enqueue({ text: 'Done.' });
    await openai.chat.completions.create({
      model: 'oc:gpt-5-search-api', web_search_options: {},
      tools: [{ type: 'function', function: { name: 'remember', parameters: { type: 'object', properties: {} } } }],
      messages: [...ASK, { role: 'assistant', content: DELTAS.join(''), annotations: ANNOTATIONS } as OpenAI.ChatCompletionAssistantMessageParam, { role: 'user', content: 'Note it.' }],
    });
    const sent = emu.requests[0]!.body;
    expect(sent.web_search_options).to.deep.equal({});
    expect(sent.tools.map((t: { function: { name: string } }) => t.function.name)).to.deep.equal(['remember']);
    expect(sent.messages[1]).to.deep.equal({ role: 'assistant', content: DELTAS.join('') });
  });

  it('answers 400 naming the field for options it cannot read, and for a required choice with no function', async () => {
    const failure = async (body: Record<string, unknown>) => {
      try {
        await openai.chat.completions.create({ model: 'oc:gpt-5-search-api', messages: ASK, ...body } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      } catch (err) {
        return err as InstanceType<typeof OpenAI.APIError>;
      }
      throw new Error('accepted');
    };
    const size = await failure({ web_search_options: { search_context_size: 'huge' } });
    expect(size.status).to.equal(400);
    expect(size.param).to.equal('web_search_options.search_context_size');
    const required = await failure({ web_search_options: {}, tool_choice: 'required' });
    expect(required.status).to.equal(400);
    expect(required.param).to.equal('tool_choice');
    expect(emu.requests).to.have.length(0);
  });

  it('a preset row without search (vllm) refuses it before sending anything; a route moves on to a row that has it', async () => {
    let refused: InstanceType<typeof OpenAI.APIError> | undefined;
    try {
      await openai.chat.completions.create({ model: 'lab:qwen3', messages: ASK, web_search_options: {} });
    } catch (err) {
      refused = err as InstanceType<typeof OpenAI.APIError>;
    }
    // The refusal is retryable (a route moves on); when every candidate refuses, the answer is the request's 400, with each reason.
    expect(refused?.status).to.equal(400);
    expect(refused?.code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
    expect(refused?.message).to.match(/lab:qwen3: vllm backend "lab" runs no hosted web search/);
    expect(emu.requests).to.have.length(0);

    emu.enqueue(SCRIPT);
    const { data, response } = await openai.chat.completions.create({ model: 'lab:qwen3|oc:gpt-5-search-api', messages: ASK, web_search_options: OPTIONS }).withResponse();
    expect(response.headers.get('x-lip-backend')).to.equal('oc:gpt-5-search-api');
    expect(data.choices[0]!.message.annotations).to.deep.equal(ANNOTATIONS);
    expect(emu.requests).to.have.length(1);

    // Without a search the preset serves as before.
    emu.enqueue({ text: 'hi' });
    expect((await openai.chat.completions.create({ model: 'lab:qwen3', messages: ASK })).choices[0]!.message.content).to.equal('hi');
    expect(emu.requests.at(-1)!.body).not.to.have.property('web_search_options');
  });

  it('OpenRouter\'s preset sends web_search_options on, and its annotations come back streamed', async () => {
    emu.enqueue(SCRIPT);
    const { chunks } = await streamed('router:openai/gpt-4o-search-preview');
    expect(chunks.at(-2)!.delta).to.deep.equal({ annotations: ANNOTATIONS });
    expect(emu.requests[0]!.body.web_search_options).to.deep.equal(OPTIONS);
  });
});
