import { expect } from 'chai';
import { collectEvents, emptyCall, validateCall, type LipEvent } from '../../../lib/canonical/index.js';
import { isLipError } from '../../../lib/errors/index.js';
import { ChatStreamEncoder, decodeChatRequest, encodeChatResponse } from '../../../lib/frontends/openai-chat/index.js';
import type { EncodeContext } from '../../../lib/frontends/protocol.js';
import { parseSse } from '../../helpers/sse-client.js';

const user = [{ role: 'user', content: 'Who won?' }];
const decode = (extra: Record<string, unknown>) => decodeChatRequest({ model: 'gpt-5-search-api', messages: user, ...extra }).call;

function rejection(body: Record<string, unknown>): string {
  try {
    decodeChatRequest({ model: 'gpt-5-search-api', messages: user, ...body });
  } catch (err) {
    if (isLipError(err)) return `${err.status} ${err.param ?? '-'} ${err.message}`;
    throw err;
  }
  return 'accepted';
}

const context = (): EncodeContext => ({ call: emptyCall({ model: 'gpt-x' }), model: undefined, hints: {}, requestId: 'r', created: 1700000000 });

/** A searched answer of any dialect: a search (no form in Chat), text over two deltas, two citations of them. */
const searched: LipEvent[] = [
  { type: 'response_started' }, { type: 'message_started' },
  { type: 'web_search', id: 'srvtoolu_1', status: 'searching', dialect: 'anthropic.web_search' },
  { type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'final score', results: [{ url: 'https://a.example/x', title: 'A', encrypted: 'E' }], dialect: 'anthropic.web_search' },
  { type: 'text_delta', text: 'The home side won ' },
  { type: 'citation', url: 'https://a.example/x', title: 'A', citedText: 'won 3-1', start: 0, end: 18, encryptedIndex: 'Eo', dialect: 'anthropic.web_search' },
  { type: 'text_delta', text: '3–1.' },
  { type: 'citation', url: 'https://b.example/y', start: 18, end: 22 },
  { type: 'response_finished', reason: 'stop' },
];

const annotations = [
  { type: 'url_citation', url_citation: { start_index: 0, end_index: 18, url: 'https://a.example/x', title: 'A' } },
  { type: 'url_citation', url_citation: { start_index: 18, end_index: 22, url: 'https://b.example/y', title: '' } },
];

describe('frontends/openai-chat hosted web search', () => {
  it('decodes web_search_options as the web_search tool, after the functions, the object kept as its declaration', () => {
    const options = { search_context_size: 'high', user_location: { type: 'approximate', approximate: { city: 'Paris', country: 'FR', timezone: 'Europe/Paris' } } };
    const call = decode({ web_search_options: options, tools: [{ type: 'function', function: { name: 'get' } }] });
    expect(call.tools.map((t) => t.name)).to.deep.equal(['get', 'web_search']);
    expect(call.tools[1]).to.deep.equal({
      name: 'web_search', kind: 'web_search', parameters: {},
      webSearch: { contextSize: 'high', userLocation: { city: 'Paris', country: 'FR', timezone: 'Europe/Paris' } },
      providerTool: { dialect: 'openai.chat.web_search', definition: options },
    });
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('takes {} (the provider\'s defaults) and leaves null as no search', () => {
    expect(decode({ web_search_options: {} }).tools).to.deep.equal([
      { name: 'web_search', kind: 'web_search', parameters: {}, webSearch: {}, providerTool: { dialect: 'openai.chat.web_search', definition: {} } },
    ]);
    expect(decode({ web_search_options: null }).tools).to.deep.equal([]);
  });

  it('names the field of a malformed web_search_options', () => {
    expect(rejection({ web_search_options: 'on' })).to.match(/^400 web_search_options web_search_options: must be an object/);
    expect(rejection({ web_search_options: { search_context_size: 'huge' } })).to.match(/^400 web_search_options\.search_context_size /);
    expect(rejection({ web_search_options: { user_location: { type: 'exact', approximate: {} } } })).to.match(/^400 web_search_options\.user_location\.type /);
    expect(rejection({ web_search_options: { user_location: { type: 'approximate' } } })).to.equal('400 web_search_options.user_location.approximate web_search_options.user_location.approximate: is required');
    expect(rejection({ web_search_options: { user_location: { type: 'approximate', approximate: { city: 7 } } } })).to.match(/^400 web_search_options\.user_location\.approximate\.city .*must be a string/);
  });

  it('keeps tool_choice to the functions: the search is not one to require or name', () => {
    const fn = { type: 'function', function: { name: 'get' } };
    expect(rejection({ web_search_options: {}, tool_choice: 'required' })).to.equal('400 tool_choice tool_choice: "required" needs a function or custom tool in tools (web_search_options is not one)');
    expect(decode({ web_search_options: {}, tools: [fn], tool_choice: 'required' }).toolChoice).to.deep.equal({ type: 'any' });
    expect(decode({ web_search_options: {}, tool_choice: 'auto' }).toolChoice).to.deep.equal({ type: 'auto' });
    expect(decode({ web_search_options: {}, tool_choice: 'none' }).toolChoice).to.deep.equal({ type: 'none' });
    expect(rejection({ web_search_options: {}, tools: [fn], tool_choice: { type: 'function', function: { name: 'web_search' } } }))
      .to.equal('400 tool_choice.function.name tool_choice.function.name: names the tool "web_search", which is not in tools (web_search_options is not a tool to choose)');
    const allowed = { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [fn, { type: 'function', function: { name: 'web_search' } }] } };
    expect(rejection({ web_search_options: {}, tools: [fn], tool_choice: allowed })).to.equal('400 tool_choice.allowed_tools.tools[1] tool_choice.allowed_tools.tools[1]: names the tool "web_search", which is not in tools');
  });

  it('refuses a tool named web_search beside web_search_options, naming it', () => {
    expect(rejection({ web_search_options: {}, tools: [{ type: 'function', function: { name: 'get' } }, { type: 'function', function: { name: 'web_search' } }] }))
      .to.equal('400 tools[1].function.name tools[1].function.name: "web_search" is the name of the hosted web search web_search_options asks for; rename the tool');
    expect(rejection({ web_search_options: {}, tools: [{ type: 'custom', custom: { name: 'web_search' } }] })).to.match(/^400 tools\[0\]\.custom\.name /);
    // Without web_search_options a function may be called so.
    expect(decode({ tools: [{ type: 'function', function: { name: 'web_search' } }] }).tools[0]!.kind).to.equal(undefined);
  });

  it('reads the annotations of an echoed answer and drops them (citations do not travel in the history)', () => {
    const call = decode({ messages: [...user, { role: 'assistant', content: 'The home side won.', annotations }, { role: 'user', content: 'And?' }] });
    expect(call.messages[1]).to.deep.equal({ role: 'assistant', parts: [{ type: 'text', text: 'The home side won.' }] });
    expect(rejection({ messages: [...user, { role: 'assistant', content: 'x', annotations: 'a' }] })).to.match(/^400 messages\[1\]\.annotations /);
  });

  it('answers with the citations as the message\'s url_citation annotations (offsets in content); the search has no form', () => {
    const body = encodeChatResponse(collectEvents(searched), context());
    const message = (body.choices as { message: Record<string, unknown> }[])[0]!.message;
    expect(message).to.deep.equal({ role: 'assistant', content: 'The home side won 3–1.', refusal: null, annotations });
    expect((message.content as string).slice(0, 18)).to.equal('The home side won ');
    const plain = encodeChatResponse(collectEvents(searched.filter((e) => e.type !== 'citation')), context());
    expect((plain.choices as { message: Record<string, unknown> }[])[0]!.message).not.to.have.property('annotations');
  });

  it('streams every annotation in one delta chunk right before the finishing chunk, as the search models do', () => {
    const encoder = new ChatStreamEncoder(context());
    const text = searched.map((e) => encoder.event(e)).join('') + encoder.end();
    const chunks = parseSse(text).messages.map((m) => m.data).slice(0, -1).map((d) => JSON.parse(d));
    expect(chunks.map((c) => [c.choices[0].delta, c.choices[0].finish_reason])).to.deep.equal([
      [{ role: 'assistant', content: '' }, null],
      [{ content: 'The home side won ' }, null],
      [{ content: '3–1.' }, null],
      [{ annotations }, null],
      [{}, 'stop'],
    ]);
  });

  it('streams a searched answer without citations exactly as one without a search', () => {
    const run = (events: LipEvent[]) => {
      const encoder = new ChatStreamEncoder(context());
      return (events.map((e) => encoder.event(e)).join('') + encoder.end()).replace(/chatcmpl-\w+/g, 'chatcmpl-id');
    };
    const uncited = searched.filter((e) => e.type !== 'citation');
    expect(run(uncited)).to.equal(run(uncited.filter((e) => e.type !== 'web_search')));
  });
});
