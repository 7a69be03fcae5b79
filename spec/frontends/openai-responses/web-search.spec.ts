import { expect } from 'chai';
import { SEARCH_DIALECTS, collectEvents, type LipEvent, type Message } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest, encodeInputItems, encodeResponsesResponse, responsesStoredRoutes } from '../../../lib/frontends/openai-responses/index.js';
import type { EncodeContext, StoredResponseView } from '../../../lib/frontends/protocol.js';
import { derivedId } from '../../../lib/wire/ids.js';
import { checkResponsesWire, sdkFinalResponse as sdkFinal } from './wire-check.js';
import { refusalOf } from '../../helpers/refusal.js';
import { storedItemId } from '../../../lib/frontends/openai-responses/item-ids.js';

const decode = (body: Record<string, unknown>) => decodeResponsesRequest({ model: 'gpt-x', input: 'news?', ...body });

const refusal = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));

const RESPONSE_ID = 'resp_0123456789abcdef0123456789abcdef0123456789abcdef';
const start: LipEvent[] = [{ type: 'response_started' }, { type: 'message_started' }];
const finish: LipEvent = { type: 'response_finished', reason: 'stop' };
const RESULTS = [{ url: 'https://a.example/1', title: 'One' }, { url: 'https://b.example/2' }];

function contextOf(body: Record<string, unknown>): EncodeContext {
  const decoded = decode({ tools: [{ type: 'web_search' }], ...body });
  return { call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: RESPONSE_ID };
}

function streamed(events: readonly LipEvent[], body: Record<string, unknown> = {}) {
  const encoder = new ResponsesStreamEncoder(contextOf(body));
  const wire = events.map((e) => encoder.event(e)).join('') + encoder.end();
  return { wire, events: checkResponsesWire(wire) };
}


describe('frontends/openai-responses hosted web search', () => {
  describe('the request', () => {
    it('decodes each web search tool type into the canonical search, options mapped and the declaration kept', () => {
      for (const type of ['web_search', 'web_search_2025_08_26', 'web_search_preview', 'web_search_preview_2025_03_11']) {
        expect(decode({ tools: [{ type }] }).call.tools, type).to.deep.equal([
          { name: 'web_search', parameters: {}, kind: 'web_search', providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition: { type } } },
        ]);
      }
      const declared = {
        type: 'web_search', filters: { allowed_domains: ['openai.com', 'python.org'] }, search_context_size: 'high', external_web_access: false,
        user_location: { type: 'approximate', city: 'Paris', region: null, country: 'FR', timezone: 'Europe/Paris' },
      };
      const [tool] = decode({ tools: [{ type: 'function', name: 'f' }, declared] }).call.tools.slice(1);
      expect(tool).to.deep.equal({
        name: 'web_search', parameters: {}, kind: 'web_search',
        webSearch: { allowedDomains: ['openai.com', 'python.org'], userLocation: { city: 'Paris', country: 'FR', timezone: 'Europe/Paris' }, contextSize: 'high', liveAccess: false },
        providerTool: { dialect: SEARCH_DIALECTS.openaiResponses, definition: declared },
      });
      expect(decode({ tools: [{ type: 'web_search', filters: { allowed_domains: [] }, user_location: { type: 'approximate' } }] }).call.tools[0]).not.to.have.property('webSearch');
    });

    it('refuses a malformed search option, a second search tool and a function that takes its name, naming the field', () => {
      expect(refusal({ tools: [{ type: 'web_search', search_context_size: 'huge' }] })).to.deep.include({ status: 400, param: 'tools[0].search_context_size' });
      expect(refusal({ tools: [{ type: 'web_search', external_web_access: 'no' }] })).to.deep.include({ param: 'tools[0].external_web_access' });
      expect(refusal({ tools: [{ type: 'web_search', filters: { allowed_domains: 'a.com' } }] })).to.deep.include({ param: 'tools[0].filters.allowed_domains' });
      expect(refusal({ tools: [{ type: 'web_search', user_location: { type: 'exact' } }] })).to.deep.include({ param: 'tools[0].user_location.type' });
      expect(refusal({ tools: [{ type: 'web_search', user_location: { type: 'approximate', city: 5 } }] })).to.deep.include({ param: 'tools[0].user_location.city' });
      expect(refusal({ tools: [{ type: 'web_search' }, { type: 'web_search_preview' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].type' });
      expect(refusal({ tools: [{ type: 'function', name: 'web_search' }, { type: 'web_search' }] })).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].name' });
      expect(decode({ tools: [{ type: 'function', name: 'web_search' }] }).call.tools[0]).to.deep.include({ name: 'web_search', parameters: { type: 'object', properties: {} } });
    });

    it('takes a tool_choice of the web search (its own type or the preview one, alone or among allowed tools)', () => {
      const tools = [{ type: 'web_search' }, { type: 'function', name: 'f' }];
      expect(decode({ tools, tool_choice: { type: 'web_search' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'web_search' });
      expect(decode({ tools, tool_choice: { type: 'web_search_preview' } }).call.toolChoice).to.deep.equal({ type: 'tool', name: 'web_search' });
      const allowed = { type: 'allowed_tools', mode: 'required', tools: [{ type: 'web_search' }, { type: 'function', name: 'f' }] };
      expect(decode({ tools, tool_choice: allowed }).call.toolChoice).to.deep.equal({ type: 'any', allowed: ['web_search', 'f'] });
      expect(refusal({ tools: [{ type: 'function', name: 'f' }], tool_choice: { type: 'web_search' } })).to.deep.include({ param: 'tool_choice.type', message: 'tool_choice.type: names the web search tool, which is not in tools' });
      expect(refusal({ tools: [{ type: 'function', name: 'f' }], tool_choice: { ...allowed, tools: [{ type: 'web_search_preview' }] } })).to.deep.include({ param: 'tool_choice.tools[0].type' });
      expect(refusal({ tools, tool_choice: { type: 'file_search' } })).to.deep.include({ param: 'tool_choice.type' });
    });

    it('reads include web_search_call.action.sources (or its older name) as the wish to see sources', () => {
      const hint = (include?: unknown) => (decode({ ...(include ? { include } : {}) }).hints as Record<string, unknown>).includeSearchSources;
      expect(hint(['web_search_call.action.sources'])).to.equal(true);
      expect(hint(['reasoning.encrypted_content', 'web_search_call.results'])).to.equal(true);
      expect(hint(['reasoning.encrypted_content'])).to.equal(false);
      expect(hint()).to.equal(false);
    });

    it('decodes web_search_call input items into web searches of the assistant turn (Codex CLI sends them without id)', () => {
      const input = [
        { role: 'user', content: 'news?' },
        { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'news today', sources: [{ type: 'url', url: 'https://a.example/1' }] } },
        { type: 'web_search_call', status: 'completed', action: { type: 'search', queries: ['q2', 'q3'] } },
        { type: 'web_search_call', id: 'ws_3', status: 'failed', action: { type: 'open_page', url: 'https://b.example/2' } },
        { type: 'web_search_call', id: 'ws_4', status: 'completed' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Here.', annotations: [{ type: 'url_citation', start_index: 0, end_index: 4, url: 'https://a.example/1', title: 'One' }] }] },
        { role: 'user', content: 'more' },
      ];
      const { call } = decode({ input });
      const dialect = SEARCH_DIALECTS.openaiResponses;
      expect(call.messages[1]).to.deep.equal({
        role: 'assistant',
        parts: [
          { type: 'web_search', id: 'ws_1', status: 'completed', query: 'news today', results: [{ url: 'https://a.example/1' }], dialect },
          { type: 'web_search', id: derivedId('ws_', 'input[2]/{"type":"search","queries":["q2","q3"]}'), status: 'completed', query: 'q2', dialect },
          { type: 'web_search', id: 'ws_3', status: 'failed', results: [{ url: 'https://b.example/2' }], dialect },
          { type: 'web_search', id: 'ws_4', status: 'completed', dialect },
          { type: 'text', text: 'Here.' },
        ],
      });
      expect(refusal({ input: [{ type: 'web_search_call', action: { type: 'search', sources: [{ type: 'url' }] } }] })).to.deep.include({ param: 'input[0].action.sources[0].url' });
      expect(refusal({ input: [{ type: 'web_search_call', action: 'search' }] })).to.deep.include({ param: 'input[0].action' });
    });
  });

  describe('the answer', () => {
    const own: LipEvent[] = [
      ...start,
      { type: 'web_search', id: 'ws_up1', status: 'searching', dialect: SEARCH_DIALECTS.openaiResponses },
      { type: 'web_search', id: 'ws_up1', status: 'completed', query: 'news today', results: RESULTS, dialect: SEARCH_DIALECTS.openaiResponses },
      { type: 'text_delta', text: 'Today: ' }, { type: 'text_delta', text: 'rain.' },
      { type: 'citation', url: 'https://a.example/1', title: 'One', start: 7, end: 12, dialect: SEARCH_DIALECTS.openaiResponses },
      finish,
    ];

    it('streams a search as a web_search_call item and a citation as an annotation of the output_text', () => {
      const { events } = streamed(own, { include: ['web_search_call.action.sources'] });
      expect(events.slice(2).map((e) => e.event)).to.deep.equal([
        'response.output_item.added', 'response.web_search_call.in_progress', 'response.web_search_call.searching',
        'response.web_search_call.completed', 'response.output_item.done',
        'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
        'response.output_text.annotation.added', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed',
      ]);
      expect(events[2]!.data).to.deep.include({ output_index: 0, item: { id: 'ws_up1', type: 'web_search_call', status: 'in_progress' } });
      expect(events[3]!.data).to.deep.include({ output_index: 0, item_id: 'ws_up1' });
      const search = { id: 'ws_up1', type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'news today', sources: RESULTS.map((r) => ({ type: 'url', url: r.url })) } };
      expect(events[6]!.data.item).to.deep.equal(search);
      const annotation = { type: 'url_citation', start_index: 7, end_index: 12, url: 'https://a.example/1', title: 'One' };
      expect(events[11]!.data).to.deep.include({ output_index: 1, content_index: 0, annotation_index: 0, annotation });
      expect(events[13]!.data.part.annotations).to.deep.equal([annotation]);
      const output = events.at(-1)!.data.response.output;
      expect(output[0]).to.deep.equal(search);
      expect(output[1].content[0]).to.deep.include({ text: 'Today: rain.', annotations: [annotation] });
    });

    it('leaves the sources out unless the client asked for them', () => {
      const { events } = streamed(own);
      expect(events.at(-1)!.data.response.output[0].action).to.deep.equal({ type: 'search', query: 'news today' });
      expect(encodeResponsesResponse(collectEvents(own), contextOf({})).output).to.have.nested.property('[0].action').that.deep.equals({ type: 'search', query: 'news today' });
    });

    it('opens and closes a search reported only once it ran, after the text it follows; a failed one has no completed event', () => {
      const { events } = streamed([
        ...start, { type: 'text_delta', text: 'Looking.' },
        { type: 'web_search', id: 'g1', status: 'completed', query: 'q', results: RESULTS, dialect: 'gemini.google_search' },
        { type: 'web_search', id: 'srvtoolu_1', status: 'failed', query: 'q2', error: 'max_uses_exceeded', dialect: 'anthropic.web_search' },
        { type: 'text_delta', text: 'Done.' }, finish,
      ]);
      const names = events.map((e) => e.event);
      expect(names.filter((n) => n === 'response.web_search_call.completed')).to.have.length(1);
      const output = events.at(-1)!.data.response.output;
      expect(output.map((o: { type: string }) => o.type)).to.deep.equal(['message', 'web_search_call', 'web_search_call', 'message']);
      expect(output[1]).to.deep.equal({ id: derivedId('ws_', 'g1'), type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'q' } });
      expect(output[2]).to.deep.equal({ id: derivedId('ws_', 'srvtoolu_1'), type: 'web_search_call', status: 'failed', action: { type: 'search', query: 'q2' } });
      expect(output[3].content[0].text).to.equal('Done.');
    });

    it('ends a search that never ran as failed, without an action', () => {
      const { events } = streamed([...start, { type: 'web_search', id: 'srvtoolu_2', status: 'searching', query: 'q', dialect: 'anthropic.web_search' }, { type: 'response_finished', reason: 'length' }]);
      expect(events.at(-1)!.data.response.output).to.deep.equal([{ id: derivedId('ws_', 'srvtoolu_2'), type: 'web_search_call', status: 'failed' }]);
      expect(encodeResponsesResponse(collectEvents([...start, { type: 'web_search', id: 'srvtoolu_2', status: 'searching', query: 'q', dialect: 'anthropic.web_search' }, { type: 'response_finished', reason: 'length' }]), contextOf({})).output)
        .to.deep.equal([{ id: derivedId('ws_', 'srvtoolu_2'), type: 'web_search_call', status: 'failed' }]);
    });

    it('a failed stream shows a search still searching as in_progress', () => {
      const encoder = new ResponsesStreamEncoder(contextOf({}));
      const wire = [...start, { type: 'web_search', id: 'ws_x', status: 'searching', dialect: SEARCH_DIALECTS.openaiResponses } as LipEvent].map((e) => encoder.event(e)).join('')
        + encoder.error(new LipError('LIP_ERR_UPSTREAM_RESET', 'cut'));
      const failed = checkResponsesWire(wire).find((e) => e.event === 'response.failed')!;
      expect(failed.data.response.output).to.deep.equal([{ id: 'ws_x', type: 'web_search_call', status: 'in_progress' }]);
    });

    it('counts citation offsets from the start of the output_text they cite, also in a message closed before the citation came', async () => {
      const events: LipEvent[] = [
        ...start, { type: 'text_delta', text: 'First part. ' },
        { type: 'web_search', id: 'g1', status: 'completed', query: 'q', results: RESULTS, dialect: 'gemini.google_search' },
        { type: 'text_delta', text: 'Second part.' },
        { type: 'citation', url: 'https://b.example/2', start: 12, end: 18, dialect: 'gemini.google_search' },
        { type: 'citation', url: 'https://a.example/1', title: 'One', start: 0, end: 5, dialect: 'gemini.google_search' },
        { type: 'citation', url: 'https://a.example/1', title: 'One', start: 6, end: 16, dialect: 'gemini.google_search' },
        finish,
      ];
      const { wire, events: wireEvents } = streamed(events);
      const added = wireEvents.filter((e) => e.event === 'response.output_text.annotation.added').map((e) => [e.data.output_index, e.data.annotation_index, e.data.annotation.start_index, e.data.annotation.end_index, e.data.annotation.title]);
      expect(added).to.deep.equal([[2, 0, 0, 6, ''], [0, 0, 0, 5, 'One'], [0, 1, 6, 12, 'One']]);
      const output = wireEvents.at(-1)!.data.response.output;
      expect(output[0].content[0].annotations.map((a: { start_index: number }) => a.start_index)).to.deep.equal([0, 6]);
      expect(output[2].content[0].annotations.map((a: { url: string }) => a.url)).to.deep.equal(['https://b.example/2']);
      // The non-streaming answer is the same, and so is what the SDK's stream helper ends with.
      const whole = encodeResponsesResponse(collectEvents(events), contextOf({}));
      expect(whole.output).to.deep.equal(output);
      expect((await sdkFinal(wire)).output).to.deep.equal(output);
    });

    it('gives a streaming SDK client the same Response as a non-streaming one', async () => {
      const body = { include: ['web_search_call.action.sources'] };
      const { wire } = streamed(own, body);
      const final = await sdkFinal(wire);
      const whole = encodeResponsesResponse(collectEvents(own), contextOf(body));
      expect(final.output).to.deep.equal(whole.output);
      expect(final.output_text).to.equal('Today: rain.');
    });

    it('keeps the bytes of an answer without web search (no annotations beyond the empty list)', () => {
      const { events } = streamed([...start, { type: 'text_delta', text: 'Hi' }, finish]);
      expect(events.at(-1)!.data.response.output[0].content[0]).to.deep.equal({ type: 'output_text', annotations: [], logprobs: [], text: 'Hi' });
    });
  });

  describe('stored responses', () => {
    const events: LipEvent[] = [
      ...start, { type: 'web_search', id: 'srvtoolu_9', status: 'completed', query: 'q', results: RESULTS, dialect: 'anthropic.web_search' },
      { type: 'text_delta', text: 'Cited.' }, { type: 'citation', url: 'https://a.example/1', title: 'One', start: 0, end: 5 }, finish,
    ];
    const input: Message[] = [
      { role: 'user', parts: [{ type: 'text', text: 'news?' }] },
      { role: 'assistant', parts: [{ type: 'web_search', id: 'ws_1', status: 'completed', query: 'old', results: [{ url: 'https://c.example' }], dialect: SEARCH_DIALECTS.openaiResponses }, { type: 'text', text: 'Old.' }] },
      { role: 'user', parts: [{ type: 'text', text: 'and now?' }] },
    ];
    const view: StoredResponseView = { id: RESPONSE_ID, previousResponseId: undefined, model: 'gpt-x', createdAt: 1_700_000_000_000, input, output: collectEvents(events), echo: {} };

    it('retrieves the search and the annotations again, sources when the retrieval includes them', () => {
      const plain = responsesStoredRoutes.retrieve(new URLSearchParams())(view) as Record<string, any>;
      expect(plain.output[0]).to.deep.equal({ id: derivedId('ws_', 'srvtoolu_9'), type: 'web_search_call', status: 'completed', action: { type: 'search', query: 'q' } });
      expect(plain.output[1].content[0].annotations).to.deep.equal([{ type: 'url_citation', start_index: 0, end_index: 5, url: 'https://a.example/1', title: 'One' }]);
      const withSources = responsesStoredRoutes.retrieve(new URLSearchParams('include[]=web_search_call.action.sources'))(view) as Record<string, any>;
      expect(withSources.output[0].action.sources).to.deep.equal(RESULTS.map((r) => ({ type: 'url', url: r.url })));
    });

    it('lists a web search of the input as a web_search_call input item', () => {
      const items = encodeInputItems(RESPONSE_ID, input);
      expect(items.map((i) => i.type)).to.deep.equal(['message', 'web_search_call', 'message', 'message']);
      expect(items[1]).to.deep.equal({
        id: storedItemId('ws_', RESPONSE_ID, 'input', 1), type: 'web_search_call', status: 'completed',
        action: { type: 'search', query: 'old', sources: [{ type: 'url', url: 'https://c.example' }] },
      });
      // What the list shows goes back in as the same search.
      const again = decode({ input: items.map(({ id: _id, ...item }) => (item.type === 'web_search_call' ? { ...item, id: 'ws_1' } : item)) }).call.messages[1]!.parts[0];
      expect(again).to.deep.equal(input[1]!.parts[0]);
    });
  });
});
