import { expect } from 'chai';
import { encodeGeminiRequest } from '../../../lib/backends/gemini/index.js';
import { emptyCall, WEB_SEARCH_TOOL_NAME, type Call, type ToolChoice, type ToolDefinition } from '../../../lib/canonical/index.js';

const call = (overrides: Partial<Call>): Call => emptyCall({ model: 'x', messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }], ...overrides });
const fn: ToolDefinition = { name: 'lookup', parameters: { type: 'object', properties: {} } };
const fnWire = { name: 'lookup', parametersJsonSchema: { type: 'object', properties: {} } };
const search = (extra: Partial<ToolDefinition> = {}): ToolDefinition => ({ kind: 'web_search', name: WEB_SEARCH_TOOL_NAME, parameters: {}, ...extra });

describe('backends/gemini/encode-request: hosted web search', () => {
  it('sends a search as a googleSearch tool entry of its own, without a function calling config when there is no function', () => {
    const body = encodeGeminiRequest(call({ tools: [search()] }));
    expect(body.tools).to.deep.equal([{ googleSearch: {} }]);
    expect(body).to.not.have.property('toolConfig');
  });

  it('keeps the functions in their own entry beside it', () => {
    const body = encodeGeminiRequest(call({ tools: [fn, search()] }));
    expect(body.tools).to.deep.equal([{ functionDeclarations: [fnWire] }, { googleSearch: {} }]);
    expect(body.toolConfig).to.deep.equal({ functionCallingConfig: { mode: 'AUTO' } });
  });

  it('sends a Gemini client\'s own declaration as written; other dialects\' options have no Gemini API form and are left out', () => {
    const own = search({ providerTool: { dialect: 'gemini.google_search', definition: { timeRangeFilter: { startTime: '2025-01-01T00:00:00Z', endTime: '2025-02-01T00:00:00Z' } } } });
    expect(encodeGeminiRequest(call({ tools: [own] })).tools).to.deep.equal([{ googleSearch: { timeRangeFilter: { startTime: '2025-01-01T00:00:00Z', endTime: '2025-02-01T00:00:00Z' } } }]);
    const foreign = search({
      webSearch: { maxUses: 3, allowedDomains: ['a.example'], blockedDomains: ['b.example'], userLocation: { country: 'DE' }, contextSize: 'high', liveAccess: false },
      providerTool: { dialect: 'anthropic.web_search', definition: { type: 'web_search_20250305', name: 'web_search', max_uses: 3 } },
    });
    expect(encodeGeminiRequest(call({ tools: [foreign] })).tools).to.deep.equal([{ googleSearch: {} }]);
  });

  it('leaves the search out under tool choice none (Gemini\'s NONE would not stop a search)', () => {
    expect(encodeGeminiRequest(call({ tools: [fn, search()], toolChoice: { type: 'none' } })).tools).to.deep.equal([{ functionDeclarations: [fnWire] }]);
    expect(encodeGeminiRequest(call({ tools: [search()], toolChoice: { type: 'none' } }))).to.not.have.property('tools');
  });

  it('leaves the search out of the function choice: Gemini cannot force a search', () => {
    const config = (toolChoice: ToolChoice) => encodeGeminiRequest(call({ tools: [fn, search()], toolChoice })).toolConfig;
    expect(config({ type: 'tool', name: WEB_SEARCH_TOOL_NAME })).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
    expect(config({ type: 'tool', name: 'lookup' })).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } });
    expect(config({ type: 'any', allowed: ['lookup', WEB_SEARCH_TOOL_NAME] })).to.deep.equal({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } });
    expect(config({ type: 'any', allowed: [WEB_SEARCH_TOOL_NAME] })).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
    expect(config({ type: 'none' })).to.deep.equal({ functionCallingConfig: { mode: 'NONE' } });
    // A restricted AUTO declares only what it allows: the search when it is among them.
    expect(encodeGeminiRequest(call({ tools: [fn, search()], toolChoice: { type: 'auto', allowed: ['lookup', WEB_SEARCH_TOOL_NAME] } })).tools)
      .to.deep.equal([{ functionDeclarations: [fnWire] }, { googleSearch: {} }]);
    expect(encodeGeminiRequest(call({ tools: [fn, search()], toolChoice: { type: 'auto', allowed: ['lookup'] } })).tools).to.deep.equal([{ functionDeclarations: [fnWire] }]);
    expect(encodeGeminiRequest(call({ tools: [fn, search()], toolChoice: { type: 'auto', allowed: [WEB_SEARCH_TOOL_NAME] } }))).to.deep.include({ tools: [{ googleSearch: {} }] })
      .and.not.have.property('toolConfig');
  });

  it('leaves hosted searches of the history out, its own dialect\'s too (Gemini has no form for them); the text after them stays', () => {
    const body = encodeGeminiRequest(call({
      tools: [search()],
      messages: [
        { role: 'user', parts: [{ type: 'text', text: 'q' }] },
        { role: 'assistant', parts: [
          { type: 'web_search', id: 'gs_r1_0', status: 'completed', query: 'q', results: [{ url: 'https://a.example' }], dialect: 'gemini.google_search' },
          { type: 'web_search', id: 'srvtoolu_1', status: 'completed', query: 'q', dialect: 'anthropic.web_search' },
          { type: 'text', text: 'found' },
        ] },
        { role: 'assistant', parts: [{ type: 'web_search', id: 'ws_1', status: 'failed', error: 'x', dialect: 'openai.responses.web_search' }] },
        { role: 'user', parts: [{ type: 'text', text: 'more' }] },
      ],
    }));
    expect(body.contents).to.deep.equal([
      { role: 'user', parts: [{ text: 'q' }] }, { role: 'model', parts: [{ text: 'found' }] }, { role: 'user', parts: [{ text: 'more' }] },
    ]);
  });
});
