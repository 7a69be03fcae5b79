import { expect } from 'chai';
import { validateCall, type ToolDefinition } from '../../../lib/canonical/index.js';
import type { LipError } from '../../../lib/errors/index.js';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const decode = (body: Record<string, unknown>) => decodeGenerateContent(body, 'gemini-x', false).call;
const decodeError = (body: Record<string, unknown>): LipError => refusalOf(() => decode(body));
const contents = [{ role: 'user', parts: [{ text: 'where can I eat near the station?' }] }];
const fn = { name: 'lookup', parameters: { type: 'OBJECT', properties: {} } };
const hosted = (name: string, definition: Record<string, unknown>): ToolDefinition => ({
  kind: 'hosted', name, parameters: {}, providerTool: { dialect: 'gemini.builtin_tool', definition },
});
const BROWSER_FUNCTIONS = ['open_web_browser', 'click_at', 'hover_at', 'type_text_at', 'scroll_document', 'scroll_at', 'wait_5_seconds', 'go_back', 'go_forward', 'search', 'navigate', 'key_combination', 'drag_and_drop'];

/** Each built-in as a client writes it, and its declaration as lip keeps it. */
const BUILTINS: Readonly<Record<string, unknown>> = {
  googleMaps: { enableWidget: true },
  fileSearch: { fileSearchStoreNames: ['fileSearchStores/manuals-1'], metadataFilter: 'lang = "en"', topK: 5 },
  retrieval: { vertexAiSearch: { datastore: 'projects/p/locations/global/collections/default_collection/dataStores/d' } },
  enterpriseWebSearch: { excludeDomains: ['x.example'], blockingConfidence: 'BLOCK_LOW_AND_ABOVE' },
  exaAiSearch: { apiKey: 'exa-key', customConfigs: { num_results: 3 } },
  parallelAiSearch: { customConfigs: { source_policy: { include_domains: ['a.example'] } }, enableZeroDataRetention: true },
  mcpServers: [{ name: 'weather', streamableHttpTransport: { url: 'https://mcp.example/mcp', headers: { Authorization: 'Bearer t0k3n', 'X_Trace': '1' }, timeout: '30s' } }],
};

describe('frontends/gemini decodeGenerateContent: Maps, File Search, retrieval, the partner searches, MCP and computer use', () => {
  for (const [key, declared] of Object.entries(BUILTINS)) {
    it(`decodes ${key} into a hosted tool of its name, the declaration as written (which only a gemini backend sends)`, () => {
      const call = decode({ contents, tools: [{ [key]: declared }] });
      expect(call.tools).to.deep.equal([hosted(key, { [key]: declared })]);
      expect(validateCall(call)).to.deep.equal([]);
    });
  }

  it('reads the snake_case spellings as the REST API does, leaving the free-form parts (the search provider\'s parameters, the headers) as written', () => {
    const call = decode({
      contents,
      tools: [
        { google_maps: { enable_widget: true } },
        { file_search: { file_search_store_names: ['fileSearchStores/s'], top_k: 3 } },
        { parallel_ai_search: { custom_configs: { source_policy: { include_domains: ['a.example'] } } } },
        { mcp_servers: [{ name: 'm', streamable_http_transport: { url: 'https://mcp.example/', headers: { X_Trace: '1' } } }] },
      ],
    });
    expect(call.tools).to.deep.equal([
      hosted('googleMaps', { googleMaps: { enableWidget: true } }),
      hosted('fileSearch', { fileSearch: { fileSearchStoreNames: ['fileSearchStores/s'], topK: 3 } }),
      hosted('parallelAiSearch', { parallelAiSearch: { customConfigs: { source_policy: { include_domains: ['a.example'] } } } }),
      hosted('mcpServers', { mcpServers: [{ name: 'm', streamableHttpTransport: { url: 'https://mcp.example/', headers: { X_Trace: '1' } } }] }),
    ]);
  });

  it('keeps every built-in of one entry, beside the functions and the search', () => {
    const call = decode({ contents, tools: [{ functionDeclarations: [fn], googleSearch: {}, googleMaps: {}, fileSearch: BUILTINS.fileSearch }] });
    expect(call.tools.map((t) => [t.name, t.kind])).to.deep.equal([['lookup', undefined], ['web_search', 'web_search'], ['googleMaps', 'hosted'], ['fileSearch', 'hosted']]);
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('refuses a malformed declaration with a 400 naming the field', () => {
    const param = (body: Record<string, unknown>) => decodeError(body).param;
    expect(param({ contents, tools: [{ googleMaps: { enableWidget: 'yes' } }] })).to.equal('tools[0].googleMaps.enableWidget');
    expect(param({ contents, tools: [{ fileSearch: {} }] })).to.equal('tools[0].fileSearch.fileSearchStoreNames');
    expect(param({ contents, tools: [{ fileSearch: { fileSearchStoreNames: [] } }] })).to.equal('tools[0].fileSearch.fileSearchStoreNames');
    expect(param({ contents, tools: [{ fileSearch: { fileSearchStoreNames: ['s'], topK: 'five' } }] })).to.equal('tools[0].fileSearch.topK');
    expect(param({ contents, tools: [{ retrieval: { vertexAiSearch: 'd' } }] })).to.equal('tools[0].retrieval.vertexAiSearch');
    expect(param({ contents, tools: [{ enterpriseWebSearch: { excludeDomains: 'x.example' } }] })).to.equal('tools[0].enterpriseWebSearch.excludeDomains');
    expect(param({ contents, tools: [{ exaAiSearch: { apiKey: 7 } }] })).to.equal('tools[0].exaAiSearch.apiKey');
    expect(param({ contents, tools: [{ parallelAiSearch: { customConfigs: [] } }] })).to.equal('tools[0].parallelAiSearch.customConfigs');
    expect(param({ contents, tools: [{ mcpServers: {} }] })).to.equal('tools[0].mcpServers');
    expect(param({ contents, tools: [{ mcpServers: [] }] })).to.equal('tools[0].mcpServers');
    expect(param({ contents, tools: [{ mcpServers: [{ streamableHttpTransport: { url: '' } }] }] })).to.equal('tools[0].mcpServers[0].streamableHttpTransport.url');
    expect(param({ contents, tools: [{ mcpServers: [{ streamableHttpTransport: { url: 'u', headers: { a: 1 } } }] }] })).to.equal('tools[0].mcpServers[0].streamableHttpTransport.headers.a');
    expect(param({ contents, tools: [{ computerUse: { excludedPredefinedFunctions: 'drag_and_drop' } }] })).to.equal('tools[0].computerUse.excludedPredefinedFunctions');
    expect(decodeError({ contents, tools: [{ googleMaps: {} }, { googleMaps: {} }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_INVALID', param: 'tools[1].googleMaps', message: 'tools[1].googleMaps: a second googleMaps tool (tools[0].googleMaps declares one already)',
    });
  });

  it('carries toolConfig\'s retrievalConfig and includeServerSideToolInvocations as Gemini knobs, as written; a wrong type is a 400', () => {
    const call = decode({ contents, tools: [{ googleMaps: {} }], toolConfig: { retrieval_config: { lat_lng: { latitude: 48.85, longitude: 2.35 }, language_code: 'fr' }, include_server_side_tool_invocations: true } });
    expect(call.providerOptions).to.deep.equal({ gemini: { includeServerSideToolInvocations: true, retrievalConfig: { latLng: { latitude: 48.85, longitude: 2.35 }, languageCode: 'fr' } } });
    expect(call.toolChoice).to.deep.equal({ type: 'auto' });
    expect(decode({ contents, toolConfig: { includeServerSideToolInvocations: false, retrievalConfig: {} } }).providerOptions).to.deep.equal({ gemini: { includeServerSideToolInvocations: false } });
    expect(decodeError({ contents, toolConfig: { includeServerSideToolInvocations: 'yes' } }).param).to.equal('toolConfig.includeServerSideToolInvocations');
    expect(decodeError({ contents, toolConfig: { retrievalConfig: { latLng: { latitude: 'north' } } } }).param).to.equal('toolConfig.retrievalConfig.latLng.latitude');
  });

  describe('computerUse', () => {
    const browser = { environment: 'ENVIRONMENT_BROWSER' };

    it('offers a browser\'s predefined functions as provider tools with lip\'s schemas, each with the one declaration as written', () => {
      const call = decode({ contents, tools: [{ computerUse: browser }] });
      expect(call.tools.map((t) => t.name)).to.deep.equal(BROWSER_FUNCTIONS);
      for (const tool of call.tools) {
        expect(tool).to.deep.include({ kind: 'provider', providerTool: { dialect: 'gemini.tool', definition: { computerUse: browser } } });
        expect(tool.description).to.be.a('string').and.not.equal('');
        expect(tool.parameters).to.include({ type: 'object' });
      }
      const typeText = call.tools.find((t) => t.name === 'type_text_at')!;
      expect(typeText.parameters).to.deep.include({ required: ['x', 'y', 'text'] });
      expect(Object.keys(typeText.parameters.properties as object)).to.deep.equal(['x', 'y', 'text', 'press_enter', 'clear_before_typing']);
      expect((typeText.parameters.properties as Record<string, unknown>).x).to.deep.include({ type: 'integer', minimum: 0, maximum: 999 });
      expect(call.tools.find((t) => t.name === 'drag_and_drop')!.parameters).to.deep.include({ required: ['x', 'y', 'destination_x', 'destination_y'] });
      expect(call.tools.find((t) => t.name === 'navigate')!.parameters).to.deep.include({ required: ['url'] });
      expect(validateCall(call)).to.deep.equal([]);
    });

    it('leaves out the excluded functions, and lets a function of the client take an excluded one\'s name', () => {
      const declared = { ...browser, excludedPredefinedFunctions: ['drag_and_drop', 'navigate', 'not_a_function'] };
      const call = decode({ contents, tools: [{ computerUse: declared, functionDeclarations: [{ name: 'navigate', parameters: { type: 'OBJECT', properties: { page: { type: 'STRING' } } } }] }] });
      expect(call.tools.map((t) => [t.name, t.kind])).to.deep.equal([['navigate', undefined], ...BROWSER_FUNCTIONS.filter((n) => n !== 'drag_and_drop' && n !== 'navigate').map((n) => [n, 'provider'])]);
      expect(call.tools[1]!.providerTool!.definition).to.deep.equal({ computerUse: declared });
    });

    it('refuses a function of a predefined function\'s name that is not excluded, and a second computerUse', () => {
      expect(decodeError({ contents, tools: [{ computerUse: browser, functionDeclarations: [{ ...fn, name: 'click_at' }] }] })).to.deep.include({
        code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].computerUse',
        message: 'tools[0].computerUse: computer use predefines the function "click_at", and a function of that name is declared too; exclude it (excludedPredefinedFunctions) or rename the function',
      });
      expect(decodeError({ contents, tools: [{ computerUse: browser }, { computerUse: browser }] }).param).to.equal('tools[1].computerUse');
    });

    it('is a hosted tool only a gemini backend takes in an environment whose functions lip does not know, or with every function it knows excluded', () => {
      for (const declared of [{ environment: 'ENVIRONMENT_MOBILE' }, { environment: 'ENVIRONMENT_DESKTOP', disabledSafetyPolicies: ['FINANCIAL_TRANSACTIONS'] }, {}, { ...browser, excludedPredefinedFunctions: BROWSER_FUNCTIONS }]) {
        const call = decode({ contents, tools: [{ computerUse: declared }] });
        expect(call.tools).to.deep.equal([hosted('computerUse', { computerUse: declared })]);
        expect(validateCall(call)).to.deep.equal([]);
      }
    });

    it('lets a function choice name a predefined function; under a restricted AUTO the predefined functions stay allowed, as the built-ins', () => {
      const tools = [{ computerUse: browser, functionDeclarations: [fn] }];
      expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['navigate'] } } }).toolChoice).to.deep.equal({ type: 'tool', name: 'navigate' });
      expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['lookup'] } } }).toolChoice).to.deep.equal({ type: 'auto', allowed: ['lookup', ...BROWSER_FUNCTIONS] });
    });
  });

  describe('server-side tool invocations (toolCall, toolResponse)', () => {
    const CALL = { toolCall: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', args: { queries: ['northernmost city in the US'] } }, thoughtSignature: 'c2lnLXRj' };
    const RESPONSE = { toolResponse: { id: 'tc_1', toolType: 'GOOGLE_SEARCH_WEB', response: { search_suggestions: '<div/>' } } };

    it('turns the model\'s toolCall and toolResponse parts into hosted tool parts in place, as written', () => {
      const call = decode({
        contents: [...contents, { role: 'model', parts: [CALL, RESPONSE, { functionCall: { id: 'fc_1', name: 'lookup', args: { city: 'Utqiagvik' } } }] }, { role: 'user', parts: [{ functionResponse: { id: 'fc_1', name: 'lookup', response: { t: -20 } } }] }],
        tools: [{ googleSearch: {}, functionDeclarations: [fn] }],
      });
      expect(call.messages[1]!.parts).to.deep.equal([
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: CALL },
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: RESPONSE },
        { type: 'tool_call', id: 'fc_1', name: 'lookup', arguments: '{"city":"Utqiagvik"}' },
      ]);
      expect(validateCall(call)).to.deep.equal([]);
    });

    it('reads snake_case parts, keeping the args and response as written', () => {
      const call = decode({ contents: [...contents, { role: 'model', parts: [{ tool_call: { id: 'a', tool_type: 'URL_CONTEXT', args: { some_url: 'u' } } }, { tool_response: { id: 'a', tool_type: 'URL_CONTEXT', response: { page_text: 'x' } } }] }] });
      expect(call.messages[1]!.parts).to.deep.equal([
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: { toolCall: { id: 'a', toolType: 'URL_CONTEXT', args: { some_url: 'u' } } } },
        { type: 'hosted_tool', dialect: 'gemini.builtin_tool', block: { toolResponse: { id: 'a', toolType: 'URL_CONTEXT', response: { page_text: 'x' } } } },
      ]);
    });

    it('refuses one in a user turn, one beside text and a field of the wrong type, naming it', () => {
      expect(decodeError({ contents: [{ role: 'user', parts: [RESPONSE] }] })).to.deep.include({
        code: 'LIP_ERR_REQUEST_INVALID', param: 'contents[0].parts[0].toolResponse', message: 'contents[0].parts[0].toolResponse: toolResponse parts belong in model turns',
      });
      expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ ...CALL, text: 'x' }] }] }).param).to.equal('contents[1].parts[0].text');
      expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ toolCall: { args: 'q' } }] }] }).param).to.equal('contents[1].parts[0].toolCall.args');
      expect(decodeError({ contents: [...contents, { role: 'model', parts: [{ toolResponse: { id: 1 } }] }] }).param).to.equal('contents[1].parts[0].toolResponse.id');
    });
  });
});
