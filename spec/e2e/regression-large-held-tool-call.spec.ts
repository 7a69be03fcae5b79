import { expect } from 'chai';
import OpenAI from 'openai';
import { chatUpstreamConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

/**
 * Found by probing tool calls: tool-call repair (on by default) holds each tool call whole and
 * releases it at once; a call of ~28 KB of arguments streamed 4 characters per chunk (as OpenAI
 * does) is some 7,000 deltas, over 1 MiB of SSE written in one tick, and the stream failed as
 * LIP_ERR_SERVER_CLIENT_TOO_SLOW though the client read at once: a coding agent's write_file of
 * a long file broke. The slow-client bound now judges what waited from an earlier tick.
 */
describe('regression: a large tool call held whole reaches a client that reads', function () {
  this.timeout(60_000);
  let upstream: Emulator;
  let lip: RunningLip;
  const content = 'line of a long source file, written by a coding agent\n'.repeat(600);
  const args = JSON.stringify({ path: 'src/big.ts', content });
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    const fragments: string[] = [];
    for (let i = 0; i < args.length; i += 4) fragments.push(args.slice(i, i + 4));
    upstream.defaultScript = { toolCalls: [{ id: 'call_1', name: 'write_file', args: fragments }] };
    lip = await startLip(chatUpstreamConfig(upstream.url));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  it('streamed through the OpenAI SDK, the whole call arrives', async () => {
    expect(args.length).to.be.greaterThan(28_000);
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'x', maxRetries: 0 });
    const stream = client.chat.completions.stream({
      model: 'up:chat', stream: true, messages: [{ role: 'user', content: 'write the file' }],
      tools: [{ type: 'function', function: { name: 'write_file', parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] } } }],
    });
    const done = await stream.finalChatCompletion();
    const call = done.choices[0]!.message.tool_calls![0]!;
    expect(call.type === 'function' && call.function.name).to.equal('write_file');
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).to.deep.equal({ path: 'src/big.ts', content });
    expect(done.choices[0]!.finish_reason).to.equal('tool_calls');
  });
});
