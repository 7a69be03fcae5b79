import type Anthropic from '@anthropic-ai/sdk';
import type { GenerateContentResponse } from '@google/genai';
import { expect } from 'chai';
import type OpenAI from 'openai';
import type { Response } from 'openai/resources/responses/responses';
import type { ResponseStreamParams } from 'openai/lib/responses/ResponseStream';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropic, useUpstreams } from '../helpers/upstreams.js';

const URL_A = 'https://weather.example/paris';
const TEXT = ['In Paris ', 'it rains', ' today.'];
/** One search, two pages, and the text's second delta citing the first page. */
const SCRIPT: Script = {
  searches: [{ id: 'ws_up1', query: 'paris weather', results: [{ url: URL_A, title: 'Paris weather' }, { url: 'https://news.example/rain', title: 'Rain news' }] }],
  text: TEXT,
  citations: [{ delta: 1, url: URL_A, title: 'Paris weather', citedText: 'Rain all day in Paris.' }],
};
/** The cited span: the second delta, in UTF-16 offsets of the whole text. */
const START = TEXT[0]!.length;
const END = START + TEXT[1]!.length;

/**
 * A client's hosted web search served by a provider of another protocol: the search runs where
 * the request is routed, and the client sees it, and the sources of the text, in its own
 * protocol's form: a Responses client a `web_search_call` item and `url_citation` annotations, a
 * Gemini client `groundingMetadata`, a Chat client `annotations`. Streamed and not.
 */
describe('e2e: hosted web search across protocols', function () {
  this.timeout(20_000);
  const up = useUpstreams({ or: { kind: 'openai-responses' }, gem: { kind: 'gemini' }, oc: { kind: 'openai-chat' }, an: { kind: 'anthropic' } });
  const emulators = up.emulators;

  async function responses(model: string, stream: boolean): Promise<Response> {
    const params = { model, input: 'Weather in Paris?', tools: [{ type: 'web_search' as const }], include: ['web_search_call.action.sources' as const] };
    if (!stream) return up.openai().responses.create(params);
    return up.openai().responses.stream(params as ResponseStreamParams).finalResponse();
  }

  async function gemini(model: string, stream: boolean): Promise<GenerateContentResponse['candidates']> {
    const params = { model, contents: 'Weather in Paris?', config: { tools: [{ googleSearch: {} }] } };
    if (!stream) return (await up.google().models.generateContent(params)).candidates;
    const candidates = [];
    for await (const chunk of await up.google().models.generateContentStream(params)) candidates.push(...(chunk.candidates ?? []));
    return candidates;
  }

  async function claude(model: string, stream: boolean): Promise<Anthropic.ContentBlock[]> {
    const params = { model, max_tokens: 256, tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 3 }], messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };
    const message = await askAnthropic(up.anthropic(), params, stream);
    return message.content;
  }

  async function chat(model: string, stream: boolean): Promise<{ text: string; annotations: unknown }> {
    const params = { model, messages: [{ role: 'user' as const, content: 'Weather in Paris?' }], web_search_options: {} };
    if (!stream) {
      const completion = await up.openai().chat.completions.create(params);
      return { text: completion.choices[0]!.message.content ?? '', annotations: completion.choices[0]!.message.annotations };
    }
    let text = '';
    let annotations: unknown;
    for await (const chunk of await up.openai().chat.completions.create({ ...params, stream: true })) {
      text += chunk.choices[0]?.delta.content ?? '';
      const delta = chunk.choices[0]?.delta as { annotations?: unknown } | undefined;
      if (delta?.annotations !== undefined) annotations = delta.annotations;
    }
    return { text, annotations };
  }

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';

    it(`an Anthropic client's web_search served by openai-responses: server_tool_use + web_search_tool_result and a cited text block back (${mode})`, async () => {
      emulators.or!.enqueue(SCRIPT);
      const content = await claude('or:gpt-5.4', stream);
      // max_uses has no Responses form: left out.
      expect(emulators.or!.requests[0]!.body.tools).to.deep.equal([{ type: 'web_search' }]);
      const id = (content[0] as Anthropic.ServerToolUseBlock).id;
      expect(id).to.match(/^srvtoolu_/);
      expect(JSON.parse(JSON.stringify(content))).to.deep.equal([
        { type: 'server_tool_use', id, name: 'web_search', input: { query: 'paris weather' } },
        { type: 'web_search_tool_result', tool_use_id: id, content: [
          { type: 'web_search_result', url: URL_A, title: URL_A, encrypted_content: '', page_age: null },
          { type: 'web_search_result', url: 'https://news.example/rain', title: 'https://news.example/rain', encrypted_content: '', page_age: null },
        ] },
        { type: 'text', text: TEXT.join(''), citations: [{ type: 'web_search_result_location', cited_text: TEXT[1], url: URL_A, title: 'Paris weather', encrypted_index: '' }] },
      ]);
    });

    it(`an Anthropic client's web_search served by gemini: one cited text block, then the search (${mode})`, async () => {
      emulators.gem!.enqueue(SCRIPT);
      const content = JSON.parse(JSON.stringify(await claude('gem:gemini-2.5-flash', stream)));
      // Gemini reports its grounding after the text: the citations still land on that text block
      // (streamed, they once came after the search blocks, on an extra empty text block).
      const id = content[1]?.id;
      expect(id).to.match(/^srvtoolu_/);
      expect(content).to.deep.equal([
        { type: 'text', text: TEXT.join(''), citations: [{ type: 'web_search_result_location', cited_text: TEXT[1], url: URL_A, title: 'Paris weather', encrypted_index: '' }] },
        { type: 'server_tool_use', id, name: 'web_search', input: { query: 'paris weather' } },
        { type: 'web_search_tool_result', tool_use_id: id, content: [
          { type: 'web_search_result', url: URL_A, title: 'Paris weather', encrypted_content: '', page_age: null },
          { type: 'web_search_result', url: 'https://news.example/rain', title: 'Rain news', encrypted_content: '', page_age: null },
        ] },
      ]);
    });

    it(`a Responses client's web_search served by anthropic: web_search_20250305 upstream, a web_search_call item and annotations back (${mode})`, async () => {
      emulators.an!.enqueue(SCRIPT);
      const response = await responses('an:claude-sonnet-4-6', stream);
      expect(emulators.an!.requests[0]!.body.tools).to.deep.equal([{ type: 'web_search_20250305', name: 'web_search' }]);
      expect(response.output.map((item) => item.type)).to.deep.equal(['web_search_call', 'message']);
      const search = response.output[0] as OpenAI.Responses.ResponseFunctionWebSearch;
      expect(search.id).to.match(/^ws_/);
      expect(search.action).to.deep.equal({ type: 'search', query: 'paris weather', sources: [{ type: 'url', url: URL_A }, { type: 'url', url: 'https://news.example/rain' }] });
      const message = response.output[1] as OpenAI.Responses.ResponseOutputMessage;
      expect(message.content[0]).to.deep.include({ text: TEXT.join(''), annotations: [{ type: 'url_citation', start_index: START, end_index: END, url: URL_A, title: 'Paris weather' }] });
    });

    it(`a Responses client served by anthropic whose turn pauses (pause_turn) gets the whole turn, continued upstream (${mode})`, async () => {
      emulators.an!.enqueue({ ...SCRIPT, text: TEXT.slice(0, 2), citations: [], rawFinish: 'pause_turn' });
      emulators.an!.enqueue({ text: TEXT.slice(2) });
      const response = await responses('an:claude-sonnet-4-6', stream);
      expect(emulators.an!.requests).to.have.length(2);
      expect(response.status).to.equal('completed');
      expect(response.output.filter((item) => item.type === 'web_search_call')).to.have.length(1);
      expect(response.output_text).to.equal(TEXT.join(''));
    });

    it(`a Gemini client's googleSearch served by anthropic: groundingMetadata back from Claude's search and citations (${mode})`, async () => {
      emulators.an!.enqueue(SCRIPT);
      const candidates = await gemini('an:claude-sonnet-4-6', stream);
      expect(emulators.an!.requests[0]!.body.tools).to.deep.equal([{ type: 'web_search_20250305', name: 'web_search' }]);
      const grounded = candidates!.filter((c) => c.groundingMetadata !== undefined);
      expect(grounded).to.have.length(1);
      expect(grounded[0]!.groundingMetadata).to.deep.equal({
        webSearchQueries: ['paris weather'],
        groundingChunks: [{ web: { uri: URL_A, title: 'Paris weather' } }, { web: { uri: 'https://news.example/rain', title: 'Rain news' } }],
        groundingSupports: [{ segment: { startIndex: START, endIndex: END, text: TEXT[1] }, groundingChunkIndices: [0] }],
      });
    });

    it(`a Responses client's web_search served by gemini: googleSearch upstream, a web_search_call item and url_citation annotations back (${mode})`, async () => {
      emulators.gem!.enqueue(SCRIPT);
      const response = await responses('gem:gemini-2.5-flash', stream);
      expect(emulators.gem!.requests[0]!.body.tools).to.deep.equal([{ googleSearch: {} }]);
      const search = response.output.find((item) => item.type === 'web_search_call') as OpenAI.Responses.ResponseFunctionWebSearch;
      expect(search.id).to.match(/^ws_/);
      expect(search.status).to.equal('completed');
      expect(search.action).to.deep.equal({ type: 'search', query: 'paris weather', sources: [{ type: 'url', url: URL_A }, { type: 'url', url: 'https://news.example/rain' }] });
      expect(response.output_text).to.equal(TEXT.join(''));
      const annotations = response.output.flatMap((item) => (item.type === 'message' ? item.content.flatMap((c) => (c.type === 'output_text' ? c.annotations : [])) : []));
      expect(annotations).to.deep.equal([{ type: 'url_citation', start_index: START, end_index: END, url: URL_A, title: 'Paris weather' }]);
    });

    it(`a Gemini client's googleSearch served by openai-responses: web_search upstream, groundingMetadata back (${mode})`, async () => {
      emulators.or!.enqueue(SCRIPT);
      const candidates = await gemini('or:gpt-5.4', stream);
      expect(emulators.or!.requests[0]!.body.tools).to.deep.equal([{ type: 'web_search' }]);
      const grounded = candidates!.filter((c) => c.groundingMetadata !== undefined);
      expect(grounded).to.have.length(1);
      expect(grounded[0]!.groundingMetadata).to.deep.equal({
        webSearchQueries: ['paris weather'],
        // OpenAI lists sources without titles: the cited page has its citation's, the other none.
        groundingChunks: [{ web: { uri: URL_A, title: 'Paris weather' } }, { web: { uri: 'https://news.example/rain' } }],
        groundingSupports: [{ segment: { startIndex: START, endIndex: END, text: TEXT[1] }, groundingChunkIndices: [0] }],
      });
    });

    it(`a Chat client's web_search_options served by openai-responses: web_search upstream, annotations back (${mode})`, async () => {
      emulators.or!.enqueue(SCRIPT);
      const answer = await chat('or:gpt-5.4', stream);
      expect(emulators.or!.requests[0]!.body.tools).to.deep.equal([{ type: 'web_search' }]);
      expect(answer.text).to.equal(TEXT.join(''));
      expect(answer.annotations).to.deep.equal([{ type: 'url_citation', url_citation: { start_index: START, end_index: END, url: URL_A, title: 'Paris weather' } }]);
    });

    it(`a Responses client's web_search served by openai-chat: web_search_options upstream, annotations back, no search item (${mode})`, async () => {
      emulators.oc!.enqueue(SCRIPT);
      const response = await responses('oc:gpt-5-search-api', stream);
      expect(emulators.oc!.requests[0]!.body.web_search_options).to.deep.equal({});
      expect(emulators.oc!.requests[0]!.body).to.not.have.property('tools');
      expect(response.output.map((item) => item.type)).to.deep.equal(['message']);
      const message = response.output[0] as OpenAI.Responses.ResponseOutputMessage;
      expect(message.content[0]).to.deep.include({ text: TEXT.join(''), annotations: [{ type: 'url_citation', start_index: START, end_index: END, url: URL_A, title: 'Paris weather' }] });
    });
  }
});
