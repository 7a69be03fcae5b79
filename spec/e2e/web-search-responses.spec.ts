import { expect } from 'chai';
import type OpenAI from 'openai';
import type { Response, ResponseCreateParamsNonStreaming, ResponseInputItem } from 'openai/resources/responses/responses';
import type { Script } from '../helpers/emulators/index.js';
import { askResponses, useUpstreams } from '../helpers/upstreams.js';

const SOURCES = 'web_search_call.action.sources' as const;
const DECLARED = {
  type: 'web_search' as const, filters: { allowed_domains: ['weather.example', 'news.example'] }, search_context_size: 'low' as const,
  user_location: { type: 'approximate' as const, city: 'Paris', country: 'FR' },
};
const SCRIPT: Script = {
  searches: [{ id: 'ws_up1', query: 'paris weather today', results: [{ url: 'https://weather.example/paris', title: 'Paris weather' }, { url: 'https://news.example/rain', title: 'Rain' }] }],
  text: ['In Paris ', 'it rains today', '.'],
  citations: [{ delta: 1, url: 'https://weather.example/paris', title: 'Paris weather' }],
};
/** The annotation the cited delta (number 1) becomes: its offsets in the output_text. */
const ANNOTATION = { type: 'url_citation', start_index: 9, end_index: 23, url: 'https://weather.example/paris', title: 'Paris weather' };

/** The output items without what differs between two answers of the same script (message ids) and what the SDK's stream helper adds (`parsed`). */
function comparable(r: Response): unknown {
  const items = r.output.map((item) => (item.type === 'web_search_call' ? item : { ...item, id: '<id>' }));
  return JSON.parse(JSON.stringify(items, (key, value) => (key === 'parsed' ? undefined : value)));
}

/**
 * Hosted web search for OpenAI Responses clients through lip, with the official SDK: Codex CLI's
 * `--search` (`{"type":"web_search"}`, `external_web_access`), and any Responses client's
 * `web_search` tool with its options. The search runs at the openai-responses upstream; its
 * `web_search_call` item, and the `url_citation` annotations of the text, come back streamed
 * and not, survive a retrieval, and go back upstream on the next turn (sent back by the client,
 * or continued with `previous_response_id`).
 */
describe('e2e: hosted web search for Responses clients', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' } });
  const emulator = () => up.emulators.or!;
  const openai = (): OpenAI => up.openai();

  const ask = (params: ResponseCreateParamsNonStreaming, stream: boolean) => askResponses(openai(), params, stream);

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`a web_search tool reaches the upstream as declared; the web_search_call item and the annotated text come back (${mode})`, async () => {
      emulator().enqueue(SCRIPT);
      const { response, events } = await ask({ model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [DECLARED], include: [SOURCES] }, stream);
      const sent = emulator().requests[0]!.body;
      expect(sent.tools).to.deep.equal([DECLARED]);
      expect(sent.include).to.deep.equal([SOURCES]);
      expect(response.output.map((item) => item.type)).to.deep.equal(['web_search_call', 'message']);
      expect(response.output[0]).to.deep.equal({
        id: 'ws_up1', type: 'web_search_call', status: 'completed',
        action: { type: 'search', query: 'paris weather today', sources: [{ type: 'url', url: 'https://weather.example/paris' }, { type: 'url', url: 'https://news.example/rain' }] },
      });
      const message = response.output[1] as OpenAI.Responses.ResponseOutputMessage;
      expect(message.content).to.have.length(1);
      expect(message.content[0]).to.deep.include({ type: 'output_text', text: 'In Paris it rains today.', annotations: [ANNOTATION] });
      expect(response.output_text).to.equal('In Paris it rains today.');
      if (stream) {
        const names = events.map((e) => e.type);
        expect(names.slice(2, 7)).to.deep.equal([
          'response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching', 'response.web_search_call.completed', 'response.output_item.done',
        ]);
        const added = events.filter((e): e is OpenAI.Responses.ResponseOutputTextAnnotationAddedEvent => e.type === 'response.output_text.annotation.added');
        expect(added.map((e) => [e.output_index, e.annotation_index, e.annotation])).to.deep.equal([[1, 0, ANNOTATION]]);
        expect(names.indexOf('response.output_text.annotation.added')).to.be.greaterThan(names.indexOf('response.output_text.delta'));
      }
    });

    it(`a Codex-style search (external_web_access: false, no include) goes as declared; the item comes back without sources (${mode})`, async () => {
      emulator().enqueue(SCRIPT);
      const codexTool = { type: 'web_search', external_web_access: false } as unknown as OpenAI.Responses.WebSearchTool;
      const { response } = await ask({ model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [codexTool], store: false }, stream);
      const sent = emulator().requests[0]!.body;
      expect(sent.tools).to.deep.equal([{ type: 'web_search', external_web_access: false }]);
      expect(sent.include).to.deep.equal([SOURCES]); // lip asks, to have them for clients that do
      expect(response.output[0]).to.deep.equal({ id: 'ws_up1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'paris weather today' } });
      expect((response.output[1] as OpenAI.Responses.ResponseOutputMessage).content[0]).to.deep.include({ annotations: [ANNOTATION] });
    });
  }

  it('a streaming client ends with the same output as a non-streaming one', async () => {
    emulator().enqueue(SCRIPT);
    emulator().enqueue(SCRIPT);
    const params: ResponseCreateParamsNonStreaming = { model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [DECLARED], include: [SOURCES] };
    const whole = await ask(params, false);
    const streamed = await ask(params, true);
    expect(comparable(streamed.response)).to.deep.equal(comparable(whole.response));
  });

  it('the output sent back as input reaches the upstream with its web_search_call item (Codex CLI drops the ids)', async () => {
    emulator().enqueue(SCRIPT);
    const first = await openai().responses.create({ model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [DECLARED], include: [SOURCES], store: false });
    emulator().enqueue({ text: 'Take an umbrella.' });
    const history = first.output.map(({ id: _id, ...item }) => item) as unknown as ResponseInputItem[];
    const second = await openai().responses.create({
      model: 'or:gpt-5.4', tools: [DECLARED], store: false,
      input: [{ role: 'user', content: 'Weather in Paris?' }, ...history, { role: 'user', content: 'So?' }],
    });
    expect(second.output_text).to.equal('Take an umbrella.');
    expect(emulator().requests[1]!.body.input).to.deep.equal([
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
      { type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'paris weather today', sources: [{ type: 'url', url: 'https://weather.example/paris' }, { type: 'url', url: 'https://news.example/rain' }] } },
      { type: 'message', role: 'assistant', content: 'In Paris it rains today.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'So?' }] },
    ]);
  });

  it('a stored response keeps its search: retrieved again, and sent upstream when continued with previous_response_id', async () => {
    emulator().enqueue(SCRIPT);
    const first = await openai().responses.stream({ model: 'or:gpt-5.4', input: 'Weather in Paris?', tools: [DECLARED] }).finalResponse();
    const retrieved = await openai().responses.retrieve(first.id);
    expect(comparable(retrieved)).to.deep.equal(comparable(first));
    expect(retrieved.output[1]!.id).to.equal(first.output[1]!.id);
    const withSources = await openai().responses.retrieve(first.id, { include: [SOURCES] });
    expect((withSources.output[0] as OpenAI.Responses.ResponseFunctionWebSearch).action).to.deep.include({ sources: [{ type: 'url', url: 'https://weather.example/paris' }, { type: 'url', url: 'https://news.example/rain' }] });
    emulator().enqueue({ text: 'Take an umbrella.' });
    await openai().responses.create({ model: 'or:gpt-5.4', previous_response_id: first.id, input: 'So?', tools: [DECLARED] });
    const input = emulator().requests[1]!.body.input as { type: string }[];
    expect(input.map((item) => item.type)).to.deep.equal(['message', 'web_search_call', 'message', 'message']);
    expect(input[1]).to.deep.equal({
      type: 'web_search_call', status: 'completed',
      action: { type: 'search', query: 'paris weather today', sources: [{ type: 'url', url: 'https://weather.example/paris' }, { type: 'url', url: 'https://news.example/rain' }] },
    });
  });

  it('tool_choice {type: "web_search"} reaches the upstream as that choice', async () => {
    emulator().enqueue(SCRIPT);
    await openai().responses.create({ model: 'or:gpt-5.4', input: 'Weather?', tools: [DECLARED], tool_choice: { type: 'web_search' } as unknown as OpenAI.Responses.ToolChoiceTypes });
    expect(emulator().requests[0]!.body.tool_choice).to.deep.equal({ type: 'web_search' });
  });

  it('a malformed search option is a 400 naming the field, before any upstream request', async () => {
    const err = await openai().responses.create({ model: 'or:gpt-5.4', input: 'x', tools: [{ type: 'web_search', search_context_size: 'huge' as 'low' }] }).catch((e: unknown) => e);
    expect(err).to.have.property('status', 400);
    expect((err as { error: Record<string, unknown> }).error).to.deep.include({ param: 'tools[0].search_context_size' });
    expect(emulator().requests).to.have.length(0);
  });
});
