import Anthropic from '@anthropic-ai/sdk';
import type { BetaContentBlockParam, BetaMessage, BetaMessageParam, MessageCreateParamsNonStreaming } from '@anthropic-ai/sdk/resources/beta/messages/messages';
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Script } from '../helpers/emulators/index.js';
import { askAnthropicBeta, plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';
import { eventually, readRecords } from '../replay/recording-helpers.js';

/** The MCP server's bearer token: the client's secret, which lip passes on but never writes down. */
const TOKEN = 'mcp-secret-7f3a9c21e4b8';
const SERVER = { type: 'url' as const, url: 'https://mcp.example.com/sse', name: 'docs', authorization_token: TOKEN, tool_configuration: { enabled: true, allowed_tools: ['search'] } };
const TOOLSET = { type: 'mcp_toolset' as const, mcp_server_name: 'docs', default_config: { defer_loading: false }, configs: { search: { enabled: true } } };
const BETA = 'mcp-client-2025-11-20';
const QUESTION: BetaMessageParam = { role: 'user', content: 'What are the API rate limits?' };

/** The MCP connector as Anthropic answers: the server's tools listed, one called, its result, then the answer. */
const WORK = [
  { type: 'mcp_tool_listing', mcp_server_name: 'docs', tools: [{ name: 'search', description: 'Search the docs', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }] },
  { type: 'mcp_tool_use', id: 'mcptoolu_014Q35RayjACSWkSj4X2yov1', name: 'search', server_name: 'docs', input: { query: 'rate limits', limit: 3 } },
  { type: 'mcp_tool_result', tool_use_id: 'mcptoolu_014Q35RayjACSWkSj4X2yov1', is_error: false, content: [{ type: 'text', text: 'Limits are per API key: 50 requests a minute.' }] },
];
const ANSWER: Script = { hosted: WORK, text: ['50 requests ', 'a minute per key.'], usage: { input: 90, output: 20 } };
const TEXT = { type: 'text', text: '50 requests a minute per key.' };

const dir = mkdtempSync(join(tmpdir(), 'lip-mcp-'));
const recording = join(dir, 'traffic.jsonl');

/**
 * Anthropic's MCP connector for an Anthropic client through the official SDK's beta surface
 * (`client.beta.messages`, `betas: ["mcp-client-…"]`), streamed and not. It was a 400. Now
 * `mcp_servers`, the `mcp_toolset` and the beta header reach an Anthropic upstream as written, the
 * mcp_tool_* blocks come back as the upstream wrote them and go back up on the next turn; a route
 * whose first candidate is another provider moves on to the Anthropic one before sending anything,
 * a route without one is a 400; the server's authorization token is in no log line and no recording.
 */
describe('e2e: Anthropic\'s MCP connector (mcp_servers, mcp_toolset)', function () {
  this.timeout(20_000);
  const up = useUpstreams(
    { an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' } },
    `logging: { level: debug, access_log: true }\nrecording: { enabled: true, path: "${recording}" }`,
  );
  const anthropic = () => up.emulators.an!;
  const chat = () => up.emulators.oc!;
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: MessageCreateParamsNonStreaming): Promise<BetaMessage> => askAnthropicBeta(up.anthropic(), p, stream);

    it(`mcp_servers, the toolset and the beta reach the upstream as written; the blocks come back as written (${mode})`, async () => {
      anthropic().enqueue(ANSWER);
      const message = await ask({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], mcp_servers: [SERVER], tools: [TOOLSET], messages: [QUESTION] });
      const sent = anthropic().requests[0]!;
      expect(sent.body.mcp_servers).to.deep.equal([SERVER]);
      expect(sent.body.tools).to.deep.equal([TOOLSET]);
      expect(sent.headers['anthropic-beta']).to.equal(BETA);
      expect(sent.stream).to.equal(stream);
      expect(plain(message.content)).to.deep.equal([...WORK, TEXT]);
      expect(message.stop_reason).to.equal('end_turn');
    });

    it(`the next turn sends the blocks back in place as written (${mode})`, async () => {
      anthropic().enqueue(ANSWER, { text: 'Nothing else.' });
      const params = { model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], mcp_servers: [SERVER], tools: [TOOLSET] };
      const first = await ask({ ...params, messages: [QUESTION] });
      const next = await ask({ ...params, messages: [QUESTION, { role: 'assistant', content: first.content as unknown as BetaContentBlockParam[] }, { role: 'user', content: 'Anything else?' }] });
      expect(plain(next.content)).to.deep.equal([{ type: 'text', text: 'Nothing else.' }]);
      expect(anthropic().requests[1]!.body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: QUESTION.content }] },
        { role: 'assistant', content: [...WORK, TEXT] },
        { role: 'user', content: [{ type: 'text', text: 'Anything else?' }] },
      ]);
    });
  }

  it('the servers alone (the 2025-04-04 beta, no toolset) pass as written', async () => {
    anthropic().enqueue(ANSWER);
    const message = await up.anthropic().beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: ['mcp-client-2025-04-04'], mcp_servers: [SERVER], messages: [QUESTION] });
    expect(plain(message.content)).to.deep.equal([...WORK, TEXT]);
    const sent = anthropic().requests[0]!;
    expect(sent.body).to.deep.include({ mcp_servers: [SERVER] });
    expect(sent.body).to.not.have.property('tools');
    expect(sent.headers['anthropic-beta']).to.equal('mcp-client-2025-04-04');
  });

  it('a route whose first candidate is another provider moves on, before sending anything, to the anthropic one', async () => {
    anthropic().enqueue(ANSWER);
    const res = await up.anthropic().beta.messages.create({ model: 'oc:gpt-4o|an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], mcp_servers: [SERVER], tools: [TOOLSET], messages: [QUESTION] }).withResponse();
    expect(plain(res.data.content)).to.deep.equal([...WORK, TEXT]);
    expect(res.response.headers.get('x-lip-backend')).to.equal('an:claude-sonnet-4-6');
    expect(chat().requests).to.have.length(0);
    expect(anthropic().requests[0]!.body).to.deep.include({ mcp_servers: [SERVER], tools: [TOOLSET] });
  });

  for (const [what, tools] of [['with the toolset', [TOOLSET]], ['the servers alone', undefined]] as const) {
    it(`a route with no anthropic candidate refuses with a 400 LIP_ERR_REQUEST_UNSUPPORTED in Anthropic's error envelope (${what}); nothing goes upstream`, async () => {
      const err = await up.anthropic().beta.messages.create({ model: 'oc:gpt-4o', max_tokens: 64, betas: [BETA], mcp_servers: [SERVER], ...(tools ? { tools: [...tools] } : {}), messages: [QUESTION] })
        .then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      const e = err as InstanceType<typeof Anthropic.BadRequestError>;
      const body = e.error as { type: string; error: { type: string; message: string } };
      expect(body.type).to.equal('error');
      expect(body.error.type).to.equal('invalid_request_error');
      // Anthropic's envelope has no code field: lip's access log names it.
      const logged = up.lip().logs.filter((l) => l.status === 400).at(-1);
      expect(JSON.stringify(logged)).to.include('LIP_ERR_REQUEST_UNSUPPORTED');
      expect(body.error.message).to.include('no candidate can serve this request').and.include('mcp_servers');
      expect(body.error.message).to.not.include(TOKEN);
      expect(chat().requests).to.have.length(0);
    });
  }

  it('the authorization token appears in no log line and no recording (which hold the servers)', async () => {
    anthropic().enqueue(ANSWER);
    await up.anthropic().beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 1024, betas: [BETA], mcp_servers: [SERVER], tools: [TOOLSET], messages: [QUESTION] });
    expect(anthropic().requests[0]!.body.mcp_servers[0].authorization_token).to.equal(TOKEN);
    const records = await eventually(() => readRecords(recording), (r) => r.some((x) => JSON.stringify(x).includes('mcp_toolset')));
    const text = readFileSync(recording, 'utf8');
    expect(text).to.include('https://mcp.example.com/sse');
    expect(text).to.include('"authorization_token');
    expect(text).to.not.include(TOKEN);
    expect(records.length).to.be.greaterThan(0);
    expect(up.lip().logs.length).to.be.greaterThan(0);
    expect(JSON.stringify(up.lip().logs)).to.not.include(TOKEN);
  });
});

/**
 * A tool policy that blocks one MCP server's toolset (`mcp:<server>`, the name a Responses
 * client's MCP server has too) blocks the server: both leave the request, the other server and its
 * toolset go on as written. Before, the server went upstream without its toolset, which Anthropic
 * refuses.
 */
describe('e2e: Anthropic\'s MCP connector under ref-tool-policy', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' } }, 'features:\n  - { id: ref-tool-policy, config: { block_names: ["mcp:docs"] } }');
  const KB = { type: 'url' as const, url: 'https://kb.example.com/mcp', name: 'kb' };
  const KB_TOOLSET = { type: 'mcp_toolset' as const, mcp_server_name: 'kb' };

  it('the blocked toolset and its server leave the request; the other server and toolset go as written', async () => {
    up.emulators.an!.enqueue({ text: ['From the knowledge base.'] });
    const message = await up.anthropic().beta.messages.create({
      model: 'an:claude-sonnet-4-6', max_tokens: 256, betas: [BETA], mcp_servers: [SERVER, KB], tools: [TOOLSET, KB_TOOLSET], messages: [QUESTION],
    });
    expect(plain(message.content)).to.deep.equal([{ type: 'text', text: 'From the knowledge base.' }]);
    const sent = up.emulators.an!.requests[0]!.body;
    expect(sent.mcp_servers).to.deep.equal([KB]);
    expect(sent.tools).to.deep.equal([KB_TOOLSET]);
  });

  it('with every toolset blocked, no server goes upstream', async () => {
    up.emulators.an!.enqueue({ text: ['Without the docs.'] });
    await up.anthropic().beta.messages.create({ model: 'an:claude-sonnet-4-6', max_tokens: 256, betas: [BETA], mcp_servers: [SERVER], tools: [TOOLSET], messages: [QUESTION] });
    const sent = up.emulators.an!.requests[0]!.body;
    expect(sent).to.not.have.property('mcp_servers');
    expect(sent).to.not.have.property('tools');
  });
});
