import { expect } from 'chai';
import { validateCall, type ToolDefinition } from '../../../lib/canonical/index.js';
import { LipError } from '../../../lib/errors/index.js';
import { decodeGenerateContent } from '../../../lib/frontends/gemini/index.js';
import { refusalOf } from '../../helpers/refusal.js';

const decode = (body: Record<string, unknown>) => decodeGenerateContent(body, 'gemini-x', false).call;
const contents = [{ role: 'user', parts: [{ text: 'who won?' }] }];
const fn = { name: 'lookup', description: 'd', parameters: { type: 'OBJECT', properties: {} } };
const search = (definition: Record<string, unknown>, webSearch?: Record<string, unknown>): ToolDefinition => ({
  kind: 'web_search', name: 'web_search', parameters: {}, ...(webSearch ? { webSearch } : {}), providerTool: { dialect: 'gemini.google_search', definition },
});

function decodeError(body: Record<string, unknown>): LipError {
  return refusalOf(() => decode(body));
}

describe('frontends/gemini decodeGenerateContent: Google Search', () => {
  it('decodes googleSearch into the hosted web search, the declaration kept for a gemini backend', () => {
    const call = decode({ contents, tools: [{ googleSearch: {} }] });
    expect(call.tools).to.deep.equal([search({})]);
    expect(call.toolChoice).to.deep.equal({ type: 'auto' });
    expect(validateCall(call)).to.deep.equal([]);
  });

  it('reads snake_case, carries excludeDomains as blocked domains and keeps timeRangeFilter in the declaration', () => {
    const call = decode({ contents, tools: [{ google_search: { exclude_domains: ['spam.example'], time_range_filter: { start_time: '2025-01-01T00:00:00Z', end_time: '2025-02-01T00:00:00Z' } } }] });
    expect(call.tools).to.deep.equal([search(
      { excludeDomains: ['spam.example'], timeRangeFilter: { startTime: '2025-01-01T00:00:00Z', endTime: '2025-02-01T00:00:00Z' } },
      { blockedDomains: ['spam.example'] },
    )]);
    expect(decode({ contents, tools: [{ googleSearch: { excludeDomains: [] } }] }).tools[0]).to.not.have.property('webSearch');
  });

  it('takes functions and the search in one tools entry or in separate ones alike', () => {
    const together = decode({ contents, tools: [{ functionDeclarations: [fn], googleSearch: {} }] });
    const apart = decode({ contents, tools: [{ googleSearch: {} }, { functionDeclarations: [fn] }] });
    expect(together.tools.map((t) => [t.name, t.kind])).to.deep.equal([['lookup', undefined], ['web_search', 'web_search']]);
    expect(apart.tools).to.deep.equal(together.tools);
    expect(validateCall(together)).to.deep.equal([]);
  });

  it('reads the legacy googleSearchRetrieval as the same search (current models decide themselves when to search)', () => {
    const call = decode({ contents, tools: [{ google_search_retrieval: { dynamic_retrieval_config: { mode: 'MODE_DYNAMIC', dynamic_threshold: 0.3 } } }] });
    expect(call.tools).to.deep.equal([search({})]);
  });

  it('keeps the search allowed beside a restricted AUTO choice of functions; ANY restricts functions', () => {
    const tools = [{ functionDeclarations: [fn, { ...fn, name: 'other' }] }, { googleSearch: {} }];
    expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'AUTO', allowedFunctionNames: ['lookup'] } } }).toolChoice)
      .to.deep.equal({ type: 'auto', allowed: ['lookup', 'web_search'] });
    expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['lookup'] } } }).toolChoice)
      .to.deep.equal({ type: 'tool', name: 'lookup' });
    expect(decode({ contents, tools, toolConfig: { functionCallingConfig: { mode: 'NONE' } } }).toolChoice).to.deep.equal({ type: 'none' });
  });

  it('refuses what it cannot carry, naming the field', () => {
    expect(decodeError({ contents, tools: [{ googleSearch: {} }, { googleSearchRetrieval: {} }] })).to.deep.include({
      status: 400, param: 'tools[1].googleSearchRetrieval', message: 'tools[1].googleSearchRetrieval: a second Google Search tool (tools[0].googleSearch declares one already)',
    });
    expect(decodeError({ contents, tools: [{ functionDeclarations: [{ ...fn, name: 'web_search' }], googleSearch: {} }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].googleSearch',
    });
    expect(decodeError({ contents, tools: [{ googleSearch: { excludeDomains: 'x.com' } }] }).param).to.equal('tools[0].googleSearch.excludeDomains');
    expect(decodeError({ contents, tools: [{ googleSearch: {}, googleFlights: {} }] })).to.deep.include({
      code: 'LIP_ERR_REQUEST_UNSUPPORTED', param: 'tools[0].googleFlights', message: 'tools[0].googleFlights: googleFlights tools are not supported',
    });
    // The search is no function: a function choice cannot name it.
    expect(decodeError({ contents, tools: [{ googleSearch: {} }], toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['web_search'] } } }).param)
      .to.equal('toolConfig.functionCallingConfig.allowedFunctionNames[0]');
  });
});
