import { expect } from 'chai';
import type { RecordedRequest } from '../helpers/emulators/emulator-server.js';
import { useUpstreams, type UpstreamKind } from '../helpers/upstreams.js';

type Json = Record<string, any>;

/** Every tool name a request carries, where each provider's wire puts them (declared tools, history calls, results, the choice). */
function namesSent(kind: UpstreamKind, body: Json): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key?: string) => {
    if (Array.isArray(value)) value.forEach((v) => walk(v));
    else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
    else if (key === 'name' && typeof value === 'string') out.push(value);
  };
  walk(kind === 'gemini' ? [body.tools, body.contents, body.toolConfig] : [body.tools, body.messages ?? body.input, body.tool_choice]);
  return out;
}

const PORTABLE = /^[a-zA-Z0-9_-]{1,64}$/;
const MCP_NAMES = ['calendar.read', 'github:create issue', `workspace_${'very_long_'.repeat(7)}tool`];

/**
 * Tool names as MCP servers write them (dots, colons, spaces, over 64 characters), which OpenAI,
 * Anthropic and Bedrock refuse with a 400 for the whole request: lip sends them under portable
 * names and gives the client its calls under its own names, on every HTTP backend kind.
 */
describe('e2e: tool names a provider refuses (MCP-style) are sent portable and come back as the client wrote them', function () {
  this.timeout(30_000);
  for (const kind of ['openai-chat', 'openai-responses', 'anthropic', 'gemini', 'custom-openresponses'] as const) {
    describe(`with a ${kind} backend`, () => {
      const up = useUpstreams({ up: { kind } });
      it('declares them portable, calls back under the client\'s name, and the next turn\'s history goes portable too', async () => {
        let portableCall: string | undefined;
        up.emulators.up!.handler = (request: RecordedRequest) => {
          const names = namesSent(kind, request.body as Json);
          portableCall ??= names.find((n) => n.startsWith('calendar'));
          return { toolCalls: [{ id: 'call_1', name: portableCall!, args: '{"day":"today"}' }] };
        };
        const client = up.openai();
        const tools = MCP_NAMES.map((name) => ({ type: 'function' as const, function: { name, description: `the tool ${name}`, parameters: { type: 'object', properties: {} } } }));
        const first = await client.chat.completions.create({ model: 'up:m', messages: [{ role: 'user', content: 'What is on today?' }], tools, tool_choice: { type: 'function', function: { name: 'calendar.read' } } });
        const called = first.choices[0]!.message.tool_calls![0]! as { id: string; function: { name: string } };
        expect(called.function.name).to.equal('calendar.read');
        const sentFirst = namesSent(kind, up.emulators.up!.requests[0]!.body as Json);
        expect(sentFirst.length).to.be.greaterThan(2);
        for (const name of sentFirst) expect(name, `${kind} sent ${name}`).to.match(PORTABLE);
        expect(portableCall).to.equal('calendar_read');

        await client.chat.completions.create({
          model: 'up:m', tools,
          messages: [
            { role: 'user', content: 'What is on today?' },
            { role: 'assistant', content: null, tool_calls: [{ id: called.id, type: 'function', function: { name: 'calendar.read', arguments: '{"day":"today"}' } }] },
            { role: 'tool', tool_call_id: called.id, content: 'A meeting at 10.' },
          ],
        });
        const sentSecond = namesSent(kind, up.emulators.up!.requests[1]!.body as Json);
        for (const name of sentSecond) expect(name, `${kind} sent ${name}`).to.match(PORTABLE);
        expect(sentSecond.filter((n) => n === 'calendar_read').length).to.be.greaterThan(1);
      });
    });
  }
});
