import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import { useUpstreams } from '../helpers/upstreams.js';

const ASK = { model: 'an:claude-sonnet-4-6', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
const SEARCH = { type: 'web_search_20250305' as const, name: 'web_search' as const };
const WEATHER = { name: 'weather', input_schema: { type: 'object' as const, properties: {} } };

/**
 * An Anthropic client's tool_choice and tools refused with lip's canonical field names
 * (`toolChoice.name: names the tool "web_search", which is not declared`, `tools[1].kind: declares a
 * second web search tool`, `toolChoice: requires a tool call ...`), which are no fields of its
 * request, and a tool index that a toolset's members shift. The 400s now name the client's fields.
 */
describe('e2e regression: Anthropic validation names the client\'s fields', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' } });
  const said = async (params: Anthropic.MessageCreateParamsNonStreaming) => {
    const err = await up.anthropic().messages.create(params).then(() => undefined, (e: unknown) => e as InstanceType<typeof Anthropic.APIError>);
    expect(err).to.be.instanceOf(Anthropic.BadRequestError);
    expect(up.emulators.an!.requests).to.have.length(0);
    return (err!.error as { error: { message: string } }).error.message;
  };

  it('a tool_choice naming a tool not declared: tool_choice.name', async () => {
    expect(await said({ ...ASK, tools: [WEATHER], tool_choice: { type: 'tool', name: 'web_search' } }))
      .to.equal('tool_choice.name: names the tool "web_search", which is not declared in tools');
  });

  it('tool_choice "any" without tools: tool_choice.type', async () => {
    expect(await said({ ...ASK, tool_choice: { type: 'any' } })).to.equal('tool_choice.type: "any" requires a tool call, but no tools are declared');
  });

  it('a second web search tool: its tools[i].type, counted as the client wrote its tools (a toolset is one)', async () => {
    const toolset = { type: 'computer_toolset_20260801', configs: { zoom: { enabled: false } } } as unknown as Anthropic.ToolUnion;
    expect(await said({ ...ASK, tools: [SEARCH, toolset, { ...SEARCH, max_uses: 2 }] }))
      .to.equal('tools[2].type: declares a second web search tool (tools[0] is one); a request takes one');
  });
});
