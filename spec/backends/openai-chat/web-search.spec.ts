import { expect } from 'chai';
import { ChatResponseDecoder, ChatStreamDecoder, chatOptions, encodeChatRequest } from '../../../lib/backends/openai-chat/index.js';
import { emptyCall, validateSequence, type Call, type LipEvent, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { openaiChatProtocol, type Script } from '../../helpers/emulators/index.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

const options = (extra: Record<string, unknown> = {}) => chatOptions({ id: 'b', kind: 'openai-chat', models: [], ...extra });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'news?' }] }], ...overrides });
const fn: ToolDefinition = { name: 'get', parameters: { type: 'object' } };
/** A Chat client's own web_search_options. */
const chatSearch = (definition: Record<string, unknown>): ToolDefinition => ({
  name: 'web_search', kind: 'web_search', parameters: {}, webSearch: { contextSize: 'low' }, providerTool: { dialect: 'openai.chat.web_search', definition },
});
/** Another protocol's search (an Anthropic client's server tool), options only. */
const anthropicSearch: ToolDefinition = {
  name: 'web_search', kind: 'web_search', parameters: {},
  webSearch: { maxUses: 3, allowedDomains: ['a.example'], blockedDomains: ['b.example'], contextSize: 'high', liveAccess: false, userLocation: { city: 'Oslo', country: 'NO' } },
  providerTool: { dialect: 'anthropic.web_search', definition: { type: 'web_search_20250305', name: 'web_search', max_uses: 3 } },
};

function decode(frames: unknown[]): LipEvent[] {
  const decoder = new ChatStreamDecoder('b', []);
  const out: LipEvent[] = [];
  for (const f of frames) decoder.message({ event: 'message', data: typeof f === 'string' ? f : JSON.stringify(f) }, out);
  decoder.end(out);
  expect(validateSequence(out)).to.deep.equal([]);
  return out;
}
const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c1', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });
const cite = (start: number | undefined, end: number | undefined, url: string, title?: string, extra: Record<string, unknown> = {}) => ({
  type: 'url_citation', url_citation: { ...(start !== undefined ? { start_index: start } : {}), ...(end !== undefined ? { end_index: end } : {}), url, ...(title !== undefined ? { title } : {}), ...extra },
});
const citations = (events: LipEvent[]) => events.filter((e) => e.type === 'citation');

describe('backends/openai-chat hosted web search', () => {
  describe('encode', () => {
    it('sends a Chat client\'s web_search_options as written, never as one of tools', () => {
      const definition = { search_context_size: 'low', user_location: { type: 'approximate', approximate: { city: 'Paris' } }, future_field: 1 };
      const body = encodeChatRequest(call({ tools: [chatSearch(definition)] }), 'gpt-5-search-api', options());
      expect(body.web_search_options).to.deep.equal(definition);
      expect(body).not.to.have.any.keys('tools', 'tool_choice');
      const withFn = encodeChatRequest(call({ tools: [fn, chatSearch({})], toolChoice: { type: 'any' } }), 'm', options());
      expect(withFn.tools).to.deep.equal([{ type: 'function', function: { name: 'get', parameters: { type: 'object' } } }]);
      expect(withFn).to.deep.include({ tool_choice: 'required', web_search_options: {} });
    });

    it('builds web_search_options from another protocol\'s options: context size and location; no max uses, domains or live access', () => {
      const body = encodeChatRequest(call({ tools: [anthropicSearch] }), 'm', options());
      expect(body.web_search_options).to.deep.equal({ search_context_size: 'high', user_location: { type: 'approximate', approximate: { city: 'Oslo', country: 'NO' } } });
      const bare = encodeChatRequest(call({ tools: [{ name: 'web_search', kind: 'web_search', parameters: {} }] }), 'm', options());
      expect(bare.web_search_options).to.deep.equal({});
    });

    it('keeps the search out of tool_choice: a choice of it, or of it alone, lets the model call no function', () => {
      const tools = [fn, { name: 'put', parameters: { type: 'object' } }, chatSearch({})];
      const choice = (toolChoice: Call['toolChoice'], extra: Record<string, unknown> = {}) => encodeChatRequest(call({ tools, toolChoice }), 'm', options(extra)).tool_choice;
      expect(choice({ type: 'tool', name: 'web_search' })).to.equal('none');
      expect(choice({ type: 'any', allowed: ['web_search'] })).to.equal('none');
      expect(choice({ type: 'any', allowed: ['get', 'web_search'] })).to.deep.equal({ type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get' } }] } });
      expect(choice({ type: 'auto', allowed: ['get', 'put'] })).to.deep.equal({ type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get' } }, { type: 'function', function: { name: 'put' } }] } });
      // allowed_tools: filter declares only the allowed functions (the search is still web_search_options).
      const filtered = encodeChatRequest(call({ tools, toolChoice: { type: 'any', allowed: ['put', 'web_search'] } }), 'm', options({ allowed_tools: 'filter' }));
      expect(filtered).to.deep.include({ tool_choice: 'required', web_search_options: {} });
      expect((filtered.tools as { function: { name: string } }[]).map((t) => t.function.name)).to.deep.equal(['put']);
      const onlySearch = encodeChatRequest(call({ tools, toolChoice: { type: 'auto', allowed: ['web_search'] } }), 'm', options({ allowed_tools: 'filter' }));
      expect(onlySearch).not.to.have.any.keys('tools', 'tool_choice');
    });

    it('leaves searches out of the history (Chat has no form for them), and a message of nothing else', () => {
      const body = encodeChatRequest(call({
        tools: [chatSearch({})],
        messages: [
          { role: 'user', parts: [{ type: 'text', text: 'news?' }] },
          { role: 'assistant', parts: [{ type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'news', dialect: 'anthropic.web_search' }] },
          { role: 'assistant', parts: [{ type: 'web_search', id: 'ws_1', status: 'completed', dialect: 'openai.responses.web_search' }, { type: 'text', text: 'Rain.' }] },
          { role: 'user', parts: [{ type: 'text', text: 'more?' }] },
        ],
      }), 'm', options());
      expect(body.messages).to.deep.equal([{ role: 'user', content: 'news?' }, { role: 'assistant', content: 'Rain.' }, { role: 'user', content: 'more?' }]);
    });

    it('refuses the search on a row with web_search: refuse, before anything is sent (retryable), naming the row', () => {
      const err = thrownBy(() => encodeChatRequest(call({ tools: [fn, chatSearch({})] }), 'm', chatOptions({ id: 'local', kind: 'vllm', models: [], web_search: 'refuse' })));
      expect(err).to.be.instanceOf(LipError);
      expect(err).to.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(err.message).to.match(/^vllm backend "local" runs no hosted web search/);
      expect(encodeChatRequest(call({ tools: [fn] }), 'm', chatOptions({ id: 'local', kind: 'vllm', models: [], web_search: 'refuse' }))).not.to.have.property('web_search_options');
    });
  });

  describe('decode', () => {
    it('reads a streamed annotations delta before the finish as citations of the content, after the text', () => {
      const events = decode([
        chunk({ role: 'assistant', content: '' }), chunk({ content: 'It rains ' }), chunk({ content: 'in Oslo.' }),
        chunk({ annotations: [cite(0, 9, 'https://a.example/r', 'Rain'), cite(9, 17, 'https://b.example/o', '')] }),
        chunk({}, 'stop'), '[DONE]',
      ]);
      expect(events.slice(2)).to.deep.equal([
        { type: 'text_delta', text: 'It rains ' }, { type: 'text_delta', text: 'in Oslo.' },
        { type: 'citation', url: 'https://a.example/r', title: 'Rain', start: 0, end: 9, dialect: 'openai.chat.web_search' },
        { type: 'citation', url: 'https://b.example/o', start: 9, end: 17, dialect: 'openai.chat.web_search' },
        { type: 'response_finished', reason: 'stop' },
      ]);
    });

    it('holds a citation of text still to come until the end, cut to the text; skips other annotations; reads OpenRouter\'s content as the cited text', () => {
      const events = decode([
        chunk({ content: 'Short', annotations: [cite(0, 40, 'https://early.example'), { type: 'file_citation', file_citation: {} }, cite(0, 3, ''), null] }),
        chunk({ annotations: [cite(undefined, undefined, 'https://whole.example', 'W', { content: 'page text' })] }),
        chunk({}, 'stop'), '[DONE]',
      ]);
      expect(citations(events)).to.deep.equal([
        { type: 'citation', url: 'https://whole.example', title: 'W', citedText: 'page text', start: 0, end: 5, dialect: 'openai.chat.web_search' },
        { type: 'citation', url: 'https://early.example', start: 0, end: 5, dialect: 'openai.chat.web_search' },
      ]);
      expect(events.at(-1)).to.deep.equal({ type: 'response_finished', reason: 'stop' });
    });

    it('reads the annotations of a whole answer\'s message', () => {
      const out: LipEvent[] = [];
      new ChatResponseDecoder('b', []).decode({
        id: 'c', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'It rains.', annotations: [cite(3, 8, 'https://a.example/r', 'Rain')] }, finish_reason: 'stop' }],
      }, out);
      expect(validateSequence(out)).to.deep.equal([]);
      expect(out.slice(2)).to.deep.equal([
        { type: 'text_delta', text: 'It rains.' },
        { type: 'citation', url: 'https://a.example/r', title: 'Rain', start: 3, end: 8, dialect: 'openai.chat.web_search' },
        { type: 'response_finished', reason: 'stop' },
      ]);
    });

    it('agrees with itself streamed and whole on the emulator\'s cited answers', () => {
      const scripts: Script[] = [
        { text: ['It rains ', 'in Oslo', ' today.'], citations: [{ delta: 0, url: 'https://a.example/r', title: 'Rain' }, { delta: 1, url: 'https://b.example/o' }] },
        { text: 'One.', searches: [{ query: 'q' }], citations: [{ delta: 0, url: 'https://a.example' }], usage: { input: 3, output: 2 } },
      ];
      for (const script of scripts) {
        const r = decodeBothWays(openaiChatProtocol, script, recorded({ model: 'm', stream: true, stream_options: { include_usage: true } }),
          () => new ChatStreamDecoder('b', []), () => new ChatResponseDecoder('b', []));
        expect(r.violations).to.deep.equal([]);
        expect(comparable(r.whole)).to.deep.equal(comparable(r.streamed));
        expect(comparable(r.streamed).citations?.map((c) => [c.url, c.start, c.end])).to.deep.equal(
          script.citations!.map((c) => {
            const texts = typeof script.text === 'string' ? [script.text] : script.text!;
            const start = texts.slice(0, c.delta).join('').length;
            return [c.url, start, start + texts[c.delta]!.length];
          }),
        );
      }
    });
  });
});
