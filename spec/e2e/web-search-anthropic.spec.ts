import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { LipEvent } from '../../lib/canonical/index.js';
import { testConfig, bedrockRow } from '../helpers/config.js';
import { startAnthropicEmulator, startBedrockEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';
import { askAnthropic, plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';

const SEARCH = { type: 'web_search_20250305', name: 'web_search', max_uses: 3, user_location: { type: 'approximate', city: 'Ann Arbor', country: 'US' } } as const;
const RESULT = { url: 'https://en.wikipedia.org/wiki/Claude_Shannon', title: 'Claude Shannon - Wikipedia', pageAge: 'April 30, 2025', encrypted: 'EqgfCioIARgBIiQ3YTAw' };
const CITED = 'Claude Elwood Shannon (April 30, 1916 – February 24, 2001)';
const QUESTION: Anthropic.MessageParam = { role: 'user', content: 'When was Claude Shannon born?' };

/** What the Anthropic upstream answers: one search, then a text whose second delta cites it. */
const ANSWER: Script = {
  searches: [{ id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE', query: 'claude shannon birth date', results: [RESULT] }],
  text: ['Claude Shannon was born ', 'on April 30, 1916', '.'],
  citations: [{ delta: 1, url: RESULT.url, title: RESULT.title, citedText: CITED, encryptedIndex: 'Eo8BCioIAhgBIiQ' }],
};
/** The content an Anthropic client gets for ANSWER, ids and encrypted fields as the upstream wrote them. */
const CONTENT = [
  { type: 'server_tool_use', id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE', name: 'web_search', input: { query: 'claude shannon birth date' } },
  {
    type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01WYG3ziw53XMcoyKL4XcZmE',
    content: [{ type: 'web_search_result', url: RESULT.url, title: RESULT.title, encrypted_content: RESULT.encrypted, page_age: RESULT.pageAge }],
  },
  {
    type: 'text', text: 'Claude Shannon was born on April 30, 1916.',
    citations: [{ type: 'web_search_result_location', cited_text: CITED, url: RESULT.url, title: RESULT.title, encrypted_index: 'Eo8BCioIAhgBIiQ' }],
  },
];

/**
 * Hosted web search for Anthropic clients (Claude Code's WebSearch: the `web_search_20250305`
 * server tool) through the official SDK, streamed (`messages.stream().finalMessage()`) and not.
 * It was a 400 (server tools were refused). Now the tool reaches an Anthropic upstream as the
 * client declared it; the search (server_tool_use + web_search_tool_result) and the cited text
 * come back with Anthropic's ids and encrypted fields intact, and the next turn sends them back
 * as they were. A search another provider ran (here as a backend decodes it) reaches the client
 * in the same blocks, with an id that brings that provider's own back on the next turn; a route
 * to a backend without search refuses the tool.
 */
describe('e2e: hosted web search for Anthropic clients', function () {
  this.timeout(20_000);

  describe('served by an anthropic upstream', () => {
    const up = useUpstreams({ an: { kind: 'anthropic' } });
    const emulator = () => up.emulators.an!;

    for (const stream of [false, true]) {
      const mode = stream ? 'streaming' : 'non-streaming';
      const ask = (p: Anthropic.MessageCreateParamsNonStreaming) => askAnthropic(up.anthropic(), p, stream);

      it(`the web_search tool reaches the upstream as declared; the search and the cited text come back as Anthropic wrote them (${mode})`, async () => {
        emulator().enqueue(ANSWER);
        const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [SEARCH], messages: [QUESTION] });
        expect(emulator().requests[0]!.body.tools).to.deep.equal([SEARCH]);
        expect(plain(message.content)).to.deep.equal(CONTENT);
        expect(message.stop_reason).to.equal('end_turn');
        expect(message.usage.server_tool_use).to.deep.equal({ web_search_requests: 1 });
      });

      it(`the next turn sends the search back as server_tool_use + web_search_tool_result, encrypted content intact (${mode})`, async () => {
        emulator().enqueue(ANSWER, { text: 'In Petoskey, Michigan.' });
        const first = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [SEARCH], messages: [QUESTION] });
        const history = first.content as unknown as Anthropic.ContentBlockParam[];
        const next = await ask({
          model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [SEARCH],
          messages: [QUESTION, { role: 'assistant', content: history }, { role: 'user', content: 'Where?' }],
        });
        expect(plain(next.content)).to.deep.equal([{ type: 'text', text: 'In Petoskey, Michigan.' }]);
        expect(emulator().requests[1]!.body.messages).to.deep.equal([
          { role: 'user', content: [{ type: 'text', text: QUESTION.content }] },
          { role: 'assistant', content: [CONTENT[0], CONTENT[1], { type: 'text', text: 'Claude Shannon was born on April 30, 1916.' }] },
          { role: 'user', content: [{ type: 'text', text: 'Where?' }] },
        ]);
      });

      it(`a failed search comes back as a web_search_tool_result_error; a paused turn (pause_turn) is continued upstream as one answer (${mode})`, async () => {
        emulator().enqueue({ searches: [{ id: 'srvtoolu_2', query: 'again', error: 'max_uses_exceeded' }], text: 'Enough searching. ', rawFinish: 'pause_turn', usage: { input: 100, output: 10 } });
        emulator().enqueue({ text: 'Shannon was born in 1916.', usage: { input: 150, output: 8 } });
        const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, tools: [SEARCH], messages: [QUESTION] });
        const content = plain(message.content);
        expect(content.slice(0, 2)).to.deep.equal([
          { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_search', input: { query: 'again' } },
          { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_2', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } },
        ]);
        expect(content.slice(2).map((b) => b.text).join('')).to.equal('Enough searching. Shannon was born in 1916.');
        expect(message.stop_reason).to.equal('end_turn');
        expect(message.usage).to.deep.include({ input_tokens: 250, output_tokens: 18 });
        // The continuation sent the paused answer back as it was, as Anthropic asks (the trailing
        // whitespace of its last text trimmed: the API refuses a final assistant turn ending with it).
        const [first, second] = emulator().requests;
        expect(second!.body.tools).to.deep.equal(first!.body.tools);
        expect(second!.body.messages).to.deep.equal([
          { role: 'user', content: [{ type: 'text', text: 'When was Claude Shannon born?' }] },
          { role: 'assistant', content: [
            { type: 'server_tool_use', id: 'srvtoolu_2', name: 'web_search', input: { query: 'again' } },
            { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_2', content: { type: 'web_search_tool_result_error', error_code: 'max_uses_exceeded' } },
            { type: 'text', text: 'Enough searching.' },
          ] },
        ]);
      });
    }

    it('a web_search tool with another name or both domain lists is a 400 naming the field; nothing goes upstream', async () => {
      for (const [tool, param] of [[{ ...SEARCH, name: 'search' }, 'tools[0].name'], [{ ...SEARCH, allowed_domains: ['a.example'], blocked_domains: ['b.example'] }, 'tools[0].blocked_domains']] as const) {
        const err = await up.anthropic().messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 64, tools: [tool as unknown as Anthropic.ToolUnion], messages: [QUESTION] }).then(() => undefined, (e: unknown) => e);
        expect(err).to.be.instanceOf(Anthropic.BadRequestError);
        expect((err as Error).message).to.include(param);
      }
      expect(emulator().requests).to.have.length(0);
    });
  });

  describe('served by another provider (its searches as its backend decodes them)', () => {
    const start: LipEvent[] = [{ type: 'response_started', id: 'resp_g1' }, { type: 'message_started' }];
    let lip: ScriptedLip;
    before(async () => {
      lip = await startScriptedLip({
        // Gemini reports its searches and sources at the end of the answer.
        gemini: [
          ...start, { type: 'text_delta', text: 'It is sunny in Paris today.' },
          { type: 'web_search', id: 'resp_g1_0', status: 'completed', query: 'weather paris', results: [{ url: 'https://vertexaisearch.cloud.google.com/x', title: 'meteo.fr' }], dialect: 'gemini.google_search' },
          { type: 'citation', url: 'https://vertexaisearch.cloud.google.com/x', title: 'meteo.fr', start: 0, end: 27, dialect: 'gemini.google_search' },
          { type: 'response_finished', reason: 'stop' },
        ],
        // OpenAI Responses reports the search first and the citation right after the text it cites.
        responses: [
          ...start,
          { type: 'web_search', id: 'ws_1', status: 'searching', dialect: 'openai.responses.web_search' },
          { type: 'web_search', id: 'ws_1', status: 'completed', query: 'weather paris', results: [{ url: 'https://meteo.example/paris' }], dialect: 'openai.responses.web_search' },
          { type: 'text_delta', text: 'It is sunny in Paris today.' },
          { type: 'citation', url: 'https://meteo.example/paris', title: 'Paris weather', start: 6, end: 11, dialect: 'openai.responses.web_search' },
          { type: 'response_finished', reason: 'stop' },
        ],
        plain: [...start, { type: 'text_delta', text: 'Noted.' }, { type: 'response_finished', reason: 'stop' }],
      });
    });
    after(() => lip.close());
    const client = () => new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });

    for (const stream of [false, true]) {
      const mode = stream ? 'streaming' : 'non-streaming';
      const ask = (p: Anthropic.MessageCreateParamsNonStreaming) => (stream ? client().messages.stream(p).finalMessage() : client().messages.create(p));

      it(`an OpenAI search: server_tool_use + web_search_tool_result with an id of Anthropic's form, no encrypted fields, the cited span as cited_text; sent back, it is OpenAI's own search again (${mode})`, async () => {
        const message = await ask({ model: 'script:responses', max_tokens: 256, tools: [SEARCH], messages: [QUESTION] });
        const content = plain(message.content);
        const id = content[0]!.id as string;
        expect(id).to.match(/^srvtoolu_[A-Za-z0-9_]+$/);
        expect(content).to.deep.equal([
          { type: 'server_tool_use', id, name: 'web_search', input: { query: 'weather paris' } },
          { type: 'web_search_tool_result', tool_use_id: id, content: [{ type: 'web_search_result', url: 'https://meteo.example/paris', title: 'https://meteo.example/paris', encrypted_content: '', page_age: null }] },
          {
            type: 'text', text: 'It is sunny in Paris today.',
            citations: [{ type: 'web_search_result_location', cited_text: 'sunny', url: 'https://meteo.example/paris', title: 'Paris weather', encrypted_index: '' }],
          },
        ]);
        await ask({ model: 'script:plain', max_tokens: 256, tools: [SEARCH], messages: [QUESTION, { role: 'assistant', content: message.content as unknown as Anthropic.ContentBlockParam[] }, { role: 'user', content: 'Thanks' }] });
        expect(lip.backend.lastCall.messages[1]!.parts[0]).to.deep.equal({
          type: 'web_search', id: 'ws_1', dialect: 'openai.responses.web_search', status: 'completed', query: 'weather paris', results: [{ url: 'https://meteo.example/paris' }],
        });
      });
    }

    it('a Gemini search reported at the end: the non-streamed answer cites the text; the stream, whose text block has ended, carries the citation in an empty text block after the search', async () => {
      const params = { model: 'script:gemini', max_tokens: 256, tools: [SEARCH], messages: [QUESTION] };
      const citation = { type: 'web_search_result_location', cited_text: 'It is sunny in Paris today.', url: 'https://vertexaisearch.cloud.google.com/x', title: 'meteo.fr', encrypted_index: '' };
      const whole = plain((await client().messages.create(params)).content);
      const streamed = plain((await client().messages.stream(params).finalMessage()).content);
      expect(whole.map((b) => b.type)).to.deep.equal(['text', 'server_tool_use', 'web_search_tool_result']);
      expect(whole[0]).to.deep.equal({ type: 'text', text: 'It is sunny in Paris today.', citations: [citation] });
      expect(streamed.slice(0, 3)).to.deep.equal([{ type: 'text', text: 'It is sunny in Paris today.' }, whole[1], whole[2]]);
      expect(streamed[3]).to.deep.equal({ type: 'text', text: '', citations: [citation] });
    });
  });

  describe('routed to a backend without hosted search', () => {
    let bedrock: Emulator;
    let claude: Emulator;
    let lip: RunningLip;
    before(async () => {
      [bedrock, claude] = await Promise.all([startBedrockEmulator(), startAnthropicEmulator()]);
      lip = await startLip(testConfig([
        bedrockRow('br', bedrock),
        `  - { id: an, kind: anthropic, base_url: "${claude.url}", api_key: k-0123456789 }`,
      ].join('\n')));
    });
    after(async () => {
      await lip?.close();
      await Promise.all([bedrock?.close(), claude?.close()]);
    });
    const client = () => new Anthropic({ baseURL: lip.url, apiKey: 'k', maxRetries: 0 });
    const BEDROCK = 'br:anthropic.claude-sonnet-4-20250514-v1:0';

    it('a bedrock-only route refuses the web search tool with a 400; nothing goes upstream', async () => {
      const err = await client().messages.create({ model: BEDROCK, max_tokens: 64, tools: [SEARCH], messages: [QUESTION] }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      expect((err as Error).message).to.include('no candidate can serve this request').and.include('bedrock runs no hosted web search');
      expect(bedrock.requests).to.have.length(0);
    });

    it('a route with an anthropic candidate after it moves on to that candidate', async () => {
      claude.enqueue(ANSWER);
      const res = await client().messages.create({ model: `${BEDROCK}|an:claude-sonnet-4-6`, max_tokens: 64, tools: [SEARCH], messages: [QUESTION] }).withResponse();
      expect(plain(res.data.content)).to.deep.equal(CONTENT);
      expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
      expect(bedrock.requests).to.have.length(0);
    });
  });
});
