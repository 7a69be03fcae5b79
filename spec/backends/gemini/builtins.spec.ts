import { expect } from 'chai';
import { GEMINI_DEFAULTS, GeminiResponseDecoder, GeminiStreamDecoder, encodeGeminiRequest, geminiProtocol } from '../../../lib/backends/gemini/index.js';
import { assistantMessage, collectEvents, emptyCall, WEB_SEARCH_TOOL_NAME, type Call, type LipEvent, type Message, type ToolDefinition } from '../../../lib/canonical/index.js';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/index.js';
import { geminiProtocol as emulated, type Script } from '../../helpers/emulators/index.js';
import { contentEvents, decodeGeminiFrames, geminiFrame } from './decode-frames.js';
import { comparable, decodeBothWays, recorded, thrownBy } from '../decode-both-ways.js';

const GEMINI = 'gemini.builtin_tool';
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [user('hi')], ...overrides });
const hosted = (name: string, definition: unknown): ToolDefinition => ({ kind: 'hosted', name, parameters: {}, providerTool: { dialect: GEMINI, definition: { [name]: definition } } });
const fn: ToolDefinition = { name: 'lookup', parameters: { type: 'object', properties: {} } };
const fnWire = { name: 'lookup', parametersJsonSchema: { type: 'object', properties: {} } };
const search: ToolDefinition = { kind: 'web_search', name: WEB_SEARCH_TOOL_NAME, parameters: {} };
const SERVERS = [{ name: 'weather', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { Authorization: 'Bearer t0k3n' } } }];
const BROWSER = { environment: 'ENVIRONMENT_BROWSER', excludedPredefinedFunctions: ['drag_and_drop'] };
/** A Gemini client's computer use, as the Gemini frontend decodes it (one provider tool per predefined function). */
const computerUse = (declared: Record<string, unknown> = BROWSER): ToolDefinition[] =>
  [...decodeGenerateContent({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools: [{ computerUse: declared }] }, 'm', false).call.tools];

const TOOL_CALL = { toolCall: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', args: { queries: ['northernmost city in the US'] } }, thoughtSignature: 'c2lnLXRj' };
const TOOL_RESPONSE = { toolResponse: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', response: { search_suggestions: '<div class="chips"/>' } } };
/** Google Maps grounding as Gemini writes it: places, supports in bytes of the text, the widget token. */
const MAPS = {
  groundingChunks: [
    { maps: { uri: 'https://maps.google.com/?cid=1', title: 'Café Lumière', placeId: 'places/ChIJ1', text: 'A quiet café by the station.' } },
    { maps: { uri: 'https://maps.google.com/?cid=2', title: 'Noodle Bar', placeId: 'places/ChIJ2', placeAnswerSources: { reviewSnippets: [{ review: 'Great ramen', authorAttribution: { displayName: 'A.' } }] } } },
  ],
  groundingSupports: [{ segment: { endIndex: 13, text: 'Café Lumière' }, groundingChunkIndices: [0], confidenceScores: [0.9] }],
  googleMapsWidgetContextToken: 'widgetcontent/AcBXPQ-token',
};

const frame = geminiFrame;
const decode = (frames: Record<string, unknown>[], written = false, search = false) => decodeGeminiFrames(frames, search, written);
const content = contentEvents;

describe('backends/gemini: Maps, File Search, retrieval, the partner searches, MCP, computer use and server-side tool invocations', () => {
  describe('encode', () => {
    it('sends each built-in as a tool entry of its own, as declared (mcpServers as its list), after the functions and the search', () => {
      const tools = [hosted('googleMaps', { enableWidget: true }), fn, hosted('fileSearch', { fileSearchStoreNames: ['fileSearchStores/s'] }), search, hosted('mcpServers', SERVERS), hosted('exaAiSearch', { apiKey: 'k' })];
      expect(encodeGeminiRequest(call({ tools })).tools).to.deep.equal([
        { functionDeclarations: [fnWire] }, { googleSearch: {} },
        { googleMaps: { enableWidget: true } }, { fileSearch: { fileSearchStoreNames: ['fileSearchStores/s'] } }, { mcpServers: SERVERS }, { exaAiSearch: { apiKey: 'k' } },
      ]);
    });

    it('declares computer use once, as written, in place of its predefined functions, beside the client\'s own functions', () => {
      const body = encodeGeminiRequest(call({ tools: [fn, ...computerUse()] }));
      expect(body.tools).to.deep.equal([{ functionDeclarations: [fnWire] }, { computerUse: BROWSER }]);
      expect(body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
      // Alone: the predefined functions are functions, so the calling config speaks of them.
      expect(encodeGeminiRequest(call({ tools: computerUse() }))).to.deep.include({ tools: [{ computerUse: BROWSER }], toolConfig: { functionCallingConfig: { mode: 'AUTO' } } });
      // A choice of a predefined function is a function choice; none forbids them as it forbids functions (they stay declared).
      expect(encodeGeminiRequest(call({ tools: computerUse(), toolChoice: { type: 'tool', name: 'navigate' } })).toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['navigate'] } });
      expect(encodeGeminiRequest(call({ tools: computerUse(), toolChoice: { type: 'none' } }))).to.deep.include({ tools: [{ computerUse: BROWSER }], toolConfig: { functionCallingConfig: { mode: 'NONE' } } });
      // Another environment is one hosted tool, sent as written.
      expect(encodeGeminiRequest(call({ tools: computerUse({ environment: 'ENVIRONMENT_MOBILE' }) })).tools).to.deep.equal([{ computerUse: { environment: 'ENVIRONMENT_MOBILE' } }]);
    });

    it('keeps computer use declared under a restricted AUTO a Gemini client wrote (its functions stay allowed, as the built-ins)', () => {
      const tools = decodeGenerateContent({
        contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools: [{ computerUse: BROWSER, functionDeclarations: [{ name: 'lookup' }, { name: 'other' }] }],
        toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['lookup'] } },
      }, 'm', false).call;
      expect(encodeGeminiRequest(tools).tools).to.deep.equal([{ functionDeclarations: [{ name: 'lookup', parametersJsonSchema: { type: 'object', properties: {} } }] }, { computerUse: BROWSER }]);
    });

    it('sends the client\'s retrievalConfig and includeServerSideToolInvocations in toolConfig, functions or not; a row without knobs sends neither', () => {
      const providerOptions = { gemini: { includeServerSideToolInvocations: true, retrievalConfig: { latLng: { latitude: 48.85, longitude: 2.35 } } } };
      expect(encodeGeminiRequest(call({ tools: [hosted('googleMaps', {}), fn], providerOptions })).toolConfig).to.deep.equal({
        functionCallingConfig: { mode: 'AUTO' }, retrievalConfig: { latLng: { latitude: 48.85, longitude: 2.35 } }, includeServerSideToolInvocations: true,
      });
      expect(encodeGeminiRequest(call({ tools: [hosted('googleMaps', {})], providerOptions })).toolConfig).to.deep.equal({
        retrievalConfig: { latLng: { latitude: 48.85, longitude: 2.35 } }, includeServerSideToolInvocations: true,
      });
      expect(encodeGeminiRequest(call({ tools: [hosted('googleMaps', {})], providerOptions }), false)).to.not.have.property('toolConfig');
    });

    it('sends toolCall and toolResponse parts of the history back in place in the model turn, as written', () => {
      const history: Message[] = [user('Weather in the northernmost US city?'), {
        role: 'assistant',
        parts: [{ type: 'hosted_tool', dialect: GEMINI, block: TOOL_CALL }, { type: 'hosted_tool', dialect: GEMINI, block: TOOL_RESPONSE }, { type: 'tool_call', id: 'fc_1', name: 'lookup', arguments: '{"city":"Utqiagvik"}' }],
      }, { role: 'tool', parts: [{ type: 'tool_result', callId: 'fc_1', content: '{"t":-20}' }] }];
      expect(encodeGeminiRequest(call({ messages: history, tools: [search, fn] })).contents).to.deep.equal([
        { role: 'user', parts: [{ text: 'Weather in the northernmost US city?' }] },
        { role: 'model', parts: [TOOL_CALL, TOOL_RESPONSE, { functionCall: { name: 'lookup', args: { city: 'Utqiagvik' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'lookup', response: { t: -20 } } }] },
      ]);
    });
  });

  describe('decode', () => {
    it('turns toolCall and toolResponse parts into done hosted_tool events, as written, in place before the function call', () => {
      const events = decode([frame([TOOL_CALL]), frame([TOOL_RESPONSE]), frame([{ functionCall: { id: 'fc_1', name: 'lookup', args: { city: 'Utqiagvik' } }, thoughtSignature: 'c2ln' }], {}, 'STOP')]);
      expect(content(events).map((e) => e.type)).to.deep.equal(['hosted_tool', 'hosted_tool', 'tool_call_started', 'tool_call_delta', 'tool_call_finished']);
      expect(events.filter((e) => e.type === 'hosted_tool')).to.deep.equal([
        { type: 'hosted_tool', id: 'gh_r1_0', dialect: GEMINI, phase: 'done', block: TOOL_CALL },
        { type: 'hosted_tool', id: 'gh_r1_1', dialect: GEMINI, phase: 'done', block: TOOL_RESPONSE },
      ]);
      expect(events.at(-1)).to.deep.include({ type: 'response_finished', reason: 'tool_calls' });
    });

    it('decodes the emulator\'s streamed and whole answers alike, and the collected answer sends the parts back in place', () => {
      const script: Script = { hosted: [TOOL_CALL, TOOL_RESPONSE], text: 'Checking the weather.', toolCalls: [{ name: 'lookup', args: '{"city":"Utqiagvik"}' }] };
      const { streamed, whole, violations } = decodeBothWays(emulated, script, recorded({}), () => new GeminiStreamDecoder('b', []), () => new GeminiResponseDecoder('b', []));
      expect(violations).to.deep.equal([]);
      expect(comparable(streamed, true)).to.deep.equal(comparable(whole, true));
      const turn = assistantMessage(collectEvents(whole))!;
      expect((encodeGeminiRequest(call({ messages: [user('q'), turn] })).contents as unknown[])[1]).to.deep.include({ parts: [TOOL_CALL, TOOL_RESPONSE, { text: 'Checking the weather.' }, { functionCall: { name: 'lookup', args: { city: 'Utqiagvik' } } }] });
    });

    it('reports the grounding of a call with a grounding built-in as written, a record of the message before the parts of its frame, once per distinct value', () => {
      const more = { ...MAPS, groundingChunks: [MAPS.groundingChunks[1]] };
      const events = decode([frame([{ text: 'Café Lumière ' }], { groundingMetadata: MAPS }), frame([{ text: 'is open.' }], { groundingMetadata: MAPS }), frame([{ text: '' }], { groundingMetadata: more }, 'STOP')], true);
      expect(content(events)).to.deep.equal([
        { type: 'hosted_tool', id: 'gh_r1_grounding', dialect: GEMINI, phase: 'done', scope: 'message', block: { groundingMetadata: MAPS } },
        { type: 'text_delta', text: 'Café Lumière ' }, { type: 'text_delta', text: 'is open.' },
        { type: 'hosted_tool', id: 'gh_r1_grounding_1', dialect: GEMINI, phase: 'done', scope: 'message', block: { groundingMetadata: more } },
      ]);
      // Without a grounding built-in the grounding is read as before (searches and web citations) and never reported as written.
      expect(decode([frame([{ text: 'x' }], { groundingMetadata: MAPS }, 'STOP')]).some((e) => e.type === 'hosted_tool')).to.equal(false);
    });

    it('still reports the searches and web citations of a grounding it reports as written', () => {
      const grounding = {
        webSearchQueries: ['cafes near the station'], groundingChunks: [{ web: { uri: 'https://a.example/', title: 'a.example' } }, ...MAPS.groundingChunks],
        groundingSupports: [{ segment: { endIndex: 6, text: 'Cafés' }, groundingChunkIndices: [0, 1] }],
      };
      const events = decode([frame([{ text: 'Cafés abound.' }], { groundingMetadata: grounding }, 'STOP')], true, true);
      expect(events.filter((e) => e.type !== 'response_started' && e.type !== 'message_started' && e.type !== 'response_finished')).to.deep.equal([
        { type: 'hosted_tool', id: 'gh_r1_grounding', dialect: GEMINI, phase: 'done', scope: 'message', block: { groundingMetadata: grounding } },
        { type: 'text_delta', text: 'Cafés abound.' },
        { type: 'citation', url: 'https://a.example/', title: 'a.example', citedText: 'Cafés', start: 0, end: 5, dialect: 'gemini.google_search' },
        { type: 'web_search', id: 'gs_r1_0', status: 'completed', query: 'cafes near the station', results: [{ url: 'https://a.example/', title: 'a.example' }], dialect: 'gemini.google_search' },
      ]);
    });

    it('decodes the emulator\'s Maps grounding streamed and whole alike', () => {
      const script: Script = { text: ['Café Lumière ', 'is open.'], grounding: MAPS };
      const { streamed, whole, violations } = decodeBothWays(emulated, script, recorded({}), () => new GeminiStreamDecoder('b', [], false, true), () => new GeminiResponseDecoder('b', [], false, true));
      expect(violations).to.deep.equal([]);
      // The record rides on the frame that carried it (streamed: the last), so only its place differs.
      const record = (events: LipEvent[]) => comparable(events).blocks.filter((b) => b.type === 'hosted_tool');
      const rest = (events: LipEvent[]) => ({ ...comparable(events), blocks: comparable(events).blocks.filter((b) => b.type !== 'hosted_tool') });
      expect(rest(streamed)).to.deep.equal(rest(whole));
      expect(record(streamed)).to.deep.equal(record(whole)).and.have.length(1);
      expect(record(whole)[0]).to.deep.include({ scope: 'message', block: { groundingMetadata: MAPS } });
    });

    it('reports the grounding as written when the call declares a grounding built-in (Maps, File Search, retrieval, ...), streamed and whole', () => {
      const protocol = geminiProtocol({ id: 'g', kind: 'gemini', models: [] }, GEMINI_DEFAULTS);
      const target = { model: 'm', candidateKey: 'g:m' };
      const answer = frame([{ text: 'Café Lumière' }], { groundingMetadata: MAPS }, 'STOP');
      for (const name of ['googleMaps', 'fileSearch', 'retrieval', 'enterpriseWebSearch', 'exaAiSearch', 'parallelAiSearch']) {
        const streamed: LipEvent[] = [];
        protocol.decoder(call({ tools: [hosted(name, {})] }), target, []).message({ event: 'message', data: JSON.stringify(answer) }, streamed);
        const whole: LipEvent[] = [];
        protocol.response!(call({ tools: [hosted(name, {})] }), { ...target, whole: true }, []).decode(answer, whole);
        for (const events of [streamed, whole]) expect(events.find((e) => e.type === 'hosted_tool'), name).to.deep.include({ block: { groundingMetadata: MAPS } });
      }
      const plain: LipEvent[] = [];
      protocol.decoder(call({ tools: [hosted('codeExecution', {}), hosted('mcpServers', SERVERS)] }), target, []).message({ event: 'message', data: JSON.stringify(answer) }, plain);
      expect(plain.some((e) => e.type === 'hosted_tool')).to.equal(false);
    });

    it('fails the attempt on a grounding or a part nested too deep to serialise safely', () => {
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 300; i++) deep = { d: deep };
      expect(thrownBy(() => new GeminiStreamDecoder('b', [], false, true).frame(frame([{ text: 'x' }], { groundingMetadata: { groundingChunks: [deep] } }, 'STOP'), []))).to.include({ code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED' });
      expect(thrownBy(() => new GeminiStreamDecoder('b', []).frame(frame([{ toolResponse: { response: deep } }]), []))).to.include({ code: 'LIP_ERR_UPSTREAM_LIMIT_EXCEEDED' });
    });
  });
});
