import { expect } from 'chai';
import { emptyCall, type Call } from '../../../lib/canonical/index.js';
import { encodeBedrockRequest } from '../../../lib/backends/bedrock/encode-request.js';
import { familyOfId } from '../../../lib/backends/bedrock/model-family.js';
import { enrollInCache } from '../../../lib/backends/cache-marks.js';

const CLAUDE = 'anthropic.claude-sonnet-4-20250514-v1:0';
const NOVA = 'us.amazon.nova-pro-v1:0';
const point = { cachePoint: { type: 'default' } };
type Json = Record<string, any>;
const tools = (body: Json): unknown[] => body.toolConfig.tools;
const points = (body: unknown) => JSON.stringify(body).split('"cachePoint"').length - 1;

/**
 * Converse takes cache points for Amazon Nova models in `system` and `messages` only (Claude
 * models: in `toolConfig.tools` too), but a tool with a cache mark (an Anthropic client's tool
 * `cache_control`, as Claude Code writes it) became a `cachePoint` in `toolConfig.tools` for a
 * Nova model as well, and `cache_enrollment: automatic` put its breakpoint after the last tool of
 * a call with nothing else to mark. For Nova, tool marks are now left out (and do not count
 * against the 4), and enrollment does not fall back to the tools.
 */
describe('backends/bedrock: regression: no cachePoint among a Nova model\'s tools', () => {
  const markedTool = (over: Partial<Call> = {}): Call => emptyCall({
    tools: [{ name: 'f', parameters: { type: 'object' }, cache: {} }],
    system: [{ type: 'text', text: 'Rules.', cache: {} }],
    messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }],
    ...over,
  });

  it('a marked tool: a cachePoint after it for Claude, none for Nova (system and messages keep theirs)', () => {
    expect(tools(encodeBedrockRequest(markedTool(), familyOfId(CLAUDE)))).to.deep.include(point);
    const nova = encodeBedrockRequest(markedTool(), familyOfId(NOVA));
    expect(tools(nova)).to.not.deep.include(point);
    expect(nova.system).to.deep.equal([{ text: 'Rules.' }, point]);
  });

  it('a Nova tool\'s mark does not count against the 4: enrollment still adds the fourth', () => {
    const text = (t: string, marked = true) => ({ type: 'text' as const, text: t, ...(marked ? { cache: {} } : {}) });
    const call = markedTool({ system: [text('Rules.')], messages: [{ role: 'user', parts: [text('a'), text('b'), text('c', false)] }] });
    const nova = encodeBedrockRequest(call, familyOfId(NOVA), true) as Json;
    expect(points(nova)).to.equal(4);
    expect(nova.messages[0].content.slice(-2)).to.deep.equal([{ text: 'c' }, point]);
    // Claude takes the tool's: four already, none enrolled.
    const claude = encodeBedrockRequest(call, familyOfId(CLAUDE), true) as Json;
    expect(points(claude)).to.equal(4);
    expect(claude.messages[0].content.at(-1)).to.deep.equal({ text: 'c' });
  });

  it('enrollment marks the last system or message block for Nova, never the last tool', () => {
    const image = { type: 'image' as const, data: 'iVBORw0KGgo=', mediaType: 'image/png' };
    const call = emptyCall({ tools: [{ name: 'f', parameters: { type: 'object' } }], messages: [{ role: 'user', parts: [image] }] });
    const nova = encodeBedrockRequest(call, familyOfId(NOVA), true) as Json;
    expect(tools(nova)).to.not.deep.include(point);
    expect(nova.messages[0].content).to.deep.equal([{ image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } }, point]);
    // A prompt whose only cacheable blocks are tools: enrolled on the last tool where tools take one, not otherwise.
    const toolsOnly = emptyCall({ tools: [{ name: 'f', parameters: { type: 'object' } }, { name: 'g', parameters: { type: 'object' } }] });
    expect(enrollInCache(toolsOnly).tools.map((t) => t.cache)).to.deep.equal([undefined, {}]);
    expect(enrollInCache(toolsOnly, undefined, { tools: false })).to.equal(toolsOnly);
  });
});
