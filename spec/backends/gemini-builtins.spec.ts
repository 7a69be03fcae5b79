import { expect } from 'chai';
import { checkPromptable } from '../../lib/backends/acp/encode-request.js';
import { anthropicOptions, encodeAnthropicRequest } from '../../lib/backends/anthropic/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { HOSTED_DIALECTS, emptyCall, type Call, type Message, type ToolDefinition } from '../../lib/canonical/index.js';
import { decodeGenerateContent } from '../../lib/frontends/gemini/index.js';
import { refusalOf } from '../helpers/refusal.js';

type Json = Record<string, any>;

const question: Message = { role: 'user', parts: [{ type: 'text', text: 'Find a café near the station and book a table.' }] };
/** The tools a Gemini client's `tools` decode to. */
const geminiTools = (tools: Json[]): ToolDefinition[] => [...decodeGenerateContent({ contents: [{ role: 'user', parts: [{ text: 'x' }] }], tools }, 'm', false).call.tools];
const call = (tools: ToolDefinition[], overrides: Partial<Call> = {}): Call => emptyCall({ model: 'm', tools, messages: [question], ...overrides });

/** Every backend but gemini, each with the functions its request offers (name and JSON Schema). */
const OTHERS: { readonly name: string; readonly encode: (c: Call) => unknown; readonly functions?: (body: Json) => { name: string; schema: unknown }[] }[] = [
  { name: 'anthropic', encode: (c) => encodeAnthropicRequest(c, 'claude', anthropicOptions({ id: 'an', kind: 'anthropic', models: [] })), functions: (b) => b.tools.map((t: Json) => ({ name: t.name, schema: t.input_schema })) },
  { name: 'openai-responses', encode: (c) => encodeResponsesRequest(c, 'gpt', responsesOptions({ id: 'or', kind: 'openai-responses', models: [] })), functions: (b) => b.tools.map((t: Json) => ({ name: t.name, schema: t.parameters })) },
  { name: 'openai-chat', encode: (c) => encodeChatRequest(c, 'gpt', chatOptions({ id: 'oc', kind: 'openai-chat', models: [] })), functions: (b) => b.tools.map((t: Json) => ({ name: t.function.name, schema: t.function.parameters })) },
  { name: 'openai-codex', encode: (c) => encodeCodexRequest(c, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }), functions: (b) => b.tools.map((t: Json) => ({ name: t.name, schema: t.parameters })) },
  { name: 'bedrock', encode: (c) => encodeBedrockRequest(c, 'anthropic'), functions: (b) => b.toolConfig.tools.map((t: Json) => ({ name: t.toolSpec.name, schema: t.toolSpec.inputSchema.json })) },
  { name: 'acp', encode: (c) => checkPromptable(c, 'agent') },
];

const BUILTINS: Readonly<Record<string, unknown>> = {
  googleMaps: { enableWidget: true },
  fileSearch: { fileSearchStoreNames: ['fileSearchStores/s'] },
  retrieval: { vertexRagStore: { ragResources: [{ ragCorpus: 'projects/p/locations/l/ragCorpora/c' }] } },
  enterpriseWebSearch: {},
  exaAiSearch: { apiKey: 'exa-secret-key' },
  parallelAiSearch: {},
  mcpServers: [{ name: 'booking', streamableHttpTransport: { url: 'https://mcp.example/mcp' } }],
};

/**
 * Gemini's built-ins run only at Google: every other backend refuses a call that declares one
 * before anything is sent, retryably (a route moves on to a gemini backend), naming it. Computer
 * use in a browser is the client's to run: the other backends offer its predefined functions
 * with lip's schemas.
 */
describe('backends: Gemini\'s built-ins elsewhere', () => {
  for (const { name, encode } of OTHERS) {
    it(`${name} refuses ${Object.keys(BUILTINS).join(', ')} and computer use outside a browser before sending, retryably, naming each`, () => {
      for (const [key, declared] of [...Object.entries(BUILTINS), ['computerUse', { environment: 'ENVIRONMENT_MOBILE' }] as const]) {
        const error = refusalOf(() => encode(call(geminiTools([{ [key]: declared }]))));
        expect(error, key).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
        expect(error.message, key).to.contain(`"${key}"`).and.not.contain('exa-secret-key');
      }
    });
  }

  for (const { name, encode, functions } of OTHERS.filter((o) => o.functions !== undefined)) {
    it(`${name} offers a browser's predefined functions (less the excluded ones) as functions with lip's schemas`, () => {
      const tools = geminiTools([{ computerUse: { environment: 'ENVIRONMENT_BROWSER', excludedPredefinedFunctions: ['drag_and_drop', 'search'] } }]);
      const offered = functions!(encode(call(tools)) as Json);
      expect(offered.map((f) => f.name)).to.deep.equal(tools.map((t) => t.name)).and.include('type_text_at').and.not.include('drag_and_drop');
      expect(offered.find((f) => f.name === 'click_at')!.schema).to.deep.include({ required: ['x', 'y'] });
      expect(JSON.stringify(encode(call(tools)))).to.not.contain('computerUse').and.not.contain('ENVIRONMENT_BROWSER');
    });
  }

  it('no other backend sends a Gemini knob (includeServerSideToolInvocations, retrievalConfig) or a toolCall / toolResponse part of the history', () => {
    const history: Message[] = [question, {
      role: 'assistant',
      parts: [
        { type: 'hosted_tool', dialect: HOSTED_DIALECTS.gemini, block: { toolCall: { id: 'tc_secret_1', toolType: 'GOOGLE_MAPS', args: { query: 'café' } } } },
        { type: 'hosted_tool', dialect: HOSTED_DIALECTS.gemini, block: { toolResponse: { id: 'tc_secret_1', toolType: 'GOOGLE_MAPS', response: {} } } },
        { type: 'text', text: 'Café Lumière is near the station.' },
      ],
    }, { role: 'user', parts: [{ type: 'text', text: 'Book it.' }] }];
    const providerOptions = { gemini: { includeServerSideToolInvocations: true, retrievalConfig: { latLng: { latitude: 1, longitude: 2 } } } };
    for (const { name, encode } of OTHERS.filter((o) => o.name !== 'acp')) {
      const wire = JSON.stringify(encode(call([], { messages: history, providerOptions })));
      expect(wire, name).to.contain('Café Lumière is near the station.').and.not.contain('tc_secret_1');
      expect(wire, name).to.not.contain('includeServerSideToolInvocations').and.not.contain('latLng').and.not.contain('retrieval');
    }
  });
});
