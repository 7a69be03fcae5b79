import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import type { Script } from '../helpers/emulators/index.js';
import { plainBlocks as plain, useUpstreams } from '../helpers/upstreams.js';

/** What Claude Code sends with tool search on (`ENABLE_TOOL_SEARCH=true`): its betas, tool search's among them. */
const BETAS = 'claude-code-20250219,interleaved-thinking-2025-05-14,advanced-tool-use-2025-11-20';
const object = (properties: Record<string, unknown>, required: string[]) => ({ type: 'object' as const, properties, required });
/** Claude Code's tools with tool search on: its own (Bash, ToolSearch) loaded, the MCP server's deferred. */
const TOOLS: Anthropic.Tool[] = [
  { name: 'Bash', description: 'Executes a bash command.', input_schema: object({ command: { type: 'string' } }, ['command']) },
  { name: 'ToolSearch', description: 'Fetches full schema definitions for deferred tools so they can be called.', input_schema: object({ query: { type: 'string' }, max_results: { type: 'number' } }, ['query']) },
  { name: 'mcp__github__create_issue', description: 'Create a new issue in a GitHub repository.', input_schema: object({ repo: { type: 'string' }, title: { type: 'string' } }, ['repo', 'title']), defer_loading: true },
  { name: 'mcp__github__list_issues', description: 'List the issues of a GitHub repository.', input_schema: object({ repo: { type: 'string' } }, ['repo']), defer_loading: true },
];
const DEFERRED = ['mcp__github__create_issue', 'mcp__github__list_issues'];
const REFERENCES: Anthropic.ToolReferenceBlockParam[] = DEFERRED.map((tool_name) => ({ type: 'tool_reference', tool_name }));
/**
 * A turn after ToolSearch ran: its tool_use (with the `caller` Anthropic wrote, as Claude Code
 * sends the block back) and the tool_result holding the tool_reference blocks of what it found.
 */
const MESSAGES: Anthropic.MessageParam[] = [
  { role: 'user', content: 'File an issue about the flaky login test in acme/web.' },
  {
    role: 'assistant', content: [
      { type: 'text', text: 'Let me load the GitHub tools.' },
      { type: 'tool_use', id: 'toolu_01Search', name: 'ToolSearch', input: { query: 'select:mcp__github__create_issue,mcp__github__list_issues' }, caller: { type: 'direct' } },
    ],
  },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Search', content: REFERENCES }] },
];
const CREATE: Script = { toolCalls: [{ id: 'toolu_01Create', name: 'mcp__github__create_issue', args: ['{"repo":"acme/web",', '"title":"Flaky login test"}'] }] };
const LOADED = DEFERRED.map((name) => `Tool loaded: ${name}`);

/** Programmatic tool calling: code execution may call `query_database`, and does. */
const CODE: Anthropic.CodeExecutionTool20250825 = { type: 'code_execution_20250825', name: 'code_execution' };
const QUERY: Anthropic.Tool = {
  name: 'query_database', description: 'Runs a read-only SQL query.', input_schema: object({ sql: { type: 'string' } }, ['sql']),
  allowed_callers: ['code_execution_20250825'], input_examples: [{ sql: 'select count(*) from users' }],
};
const CALLER = { type: 'code_execution_20250825', tool_id: 'srvtoolu_01Code' };
const RUN = { type: 'server_tool_use', id: 'srvtoolu_01Code', name: 'code_execution', input: { code: 'rows = await query_database(sql="select count(*) from users")\nprint(rows)' } };
const CONTAINER = { id: 'container_011CQ7r2', expires_at: '2025-12-01T01:00:00.000Z', skills: null };
const PROGRAMMATIC: Script = { hosted: [RUN], toolCalls: [{ id: 'toolu_01Prog', name: 'query_database', args: '{"sql":"select count(*) from users"}', caller: CALLER }], hostedMeta: CONTAINER };
const ASKED: Anthropic.MessageParam = { role: 'user', content: 'How many users are there?' };

/**
 * Claude Code with tool search on, through lip with the official SDK. Its MCP tools are
 * `defer_loading: true` and its ToolSearch tool answers with `tool_reference` blocks in a
 * tool_result: that was a 400, and the deferral was dropped. Now an Anthropic upstream gets the
 * request as Claude Code wrote it (the deferral, the references, the beta); another provider
 * (openai-chat, gemini) gets the tools in full and each reference as text, and answers. A call
 * code execution made (programmatic tool calling) comes back with its `caller`, streamed and not,
 * and goes back upstream with it on the next turn.
 */
describe('e2e: Anthropic tool search and programmatic tool calling (Claude Code)', function () {
  this.timeout(20_000);
  const up = useUpstreams({ an: { kind: 'anthropic' }, oc: { kind: 'openai-chat' }, gm: { kind: 'gemini' } });
  const beta = { headers: { 'anthropic-beta': BETAS } };

  for (const stream of [false, true]) {
    const mode = stream ? 'streaming' : 'non-streaming';
    const ask = (p: Anthropic.MessageCreateParamsNonStreaming, options?: Anthropic.RequestOptions) =>
      (stream ? up.anthropic().messages.stream(p, options).finalMessage() : up.anthropic().messages.create(p, options));

    it(`an anthropic upstream gets the deferred tools, the tool_reference blocks and the beta as Claude Code sent them (${mode})`, async () => {
      up.emulators.an!.enqueue(CREATE);
      const message = await ask({ model: 'an:claude-opus-4-6', max_tokens: 1024, tools: TOOLS, messages: MESSAGES }, beta);
      const sent = up.emulators.an!.requests[0]!;
      expect(sent.headers['anthropic-beta']).to.equal(BETAS);
      expect(sent.body.tools).to.deep.equal(TOOLS);
      expect(sent.body.messages).to.deep.equal([
        { role: 'user', content: [{ type: 'text', text: MESSAGES[0]!.content }] },
        MESSAGES[1],
        MESSAGES[2],
      ]);
      expect(message.stop_reason).to.equal('tool_use');
      expect(plain(message.content)).to.deep.equal([{ type: 'tool_use', id: 'toolu_01Create', name: 'mcp__github__create_issue', input: { repo: 'acme/web', title: 'Flaky login test' } }]);
    });

    it(`a programmatic call comes back with its caller; the next turn sends it back upstream with the call (${mode})`, async () => {
      up.emulators.an!.enqueue(PROGRAMMATIC, { text: 'There are 42 users.' });
      const first = await ask({ model: 'an:claude-opus-4-6', max_tokens: 1024, tools: [CODE, QUERY], messages: [ASKED] });
      expect(up.emulators.an!.requests[0]!.body.tools).to.deep.equal([CODE, QUERY]);
      const call = { type: 'tool_use', id: 'toolu_01Prog', name: 'query_database', input: { sql: 'select count(*) from users' }, caller: CALLER };
      expect(plain(first.content)).to.deep.equal([RUN, call]);
      expect(first.stop_reason).to.equal('tool_use');
      const next = await ask({
        model: 'an:claude-opus-4-6', max_tokens: 1024, tools: [CODE, QUERY], container: first.container!.id,
        messages: [ASKED, { role: 'assistant', content: first.content as unknown as Anthropic.ContentBlockParam[] }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Prog', content: '[[42]]' }] }],
      });
      expect(plain(next.content)).to.deep.equal([{ type: 'text', text: 'There are 42 users.' }]);
      const sent = up.emulators.an!.requests[1]!.body;
      expect(sent.container).to.equal(CONTAINER.id);
      expect(sent.messages.slice(1)).to.deep.equal([
        { role: 'assistant', content: [RUN, call] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_01Prog', content: '[[42]]' }] },
      ]);
    });
  }

  it('openai-chat gets every tool in full and each reference as text in the tool message; no beta, no caller (streaming)', async () => {
    up.emulators.oc!.enqueue(CREATE);
    const message = await up.anthropic().messages.stream({ model: 'oc:gpt-5.4', max_tokens: 1024, tools: TOOLS, messages: MESSAGES }, beta).finalMessage();
    expect(plain(message.content)).to.deep.equal([{ type: 'tool_use', id: 'toolu_01Create', name: 'mcp__github__create_issue', input: { repo: 'acme/web', title: 'Flaky login test' } }]);
    const sent = up.emulators.oc!.requests[0]!;
    expect(sent.headers).to.not.have.property('anthropic-beta');
    expect(sent.body.tools).to.deep.equal(TOOLS.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.input_schema } })));
    const tool = (sent.body.messages as { role: string; content: unknown }[]).find((m) => m.role === 'tool')!;
    expect(tool.content).to.deep.equal(LOADED.map((text) => ({ type: 'text', text })));
    expect(sent.raw).to.not.include('defer_loading').and.not.include('tool_reference').and.not.include('caller');
  });

  it('gemini gets every tool in full and the references as text in the function response (non-streaming)', async () => {
    up.emulators.gm!.enqueue({ text: 'Creating the issue now.' });
    const message = await up.anthropic().messages.create({ model: 'gm:gemini-3-pro', max_tokens: 1024, tools: TOOLS, messages: MESSAGES }, beta);
    expect(plain(message.content)).to.deep.equal([{ type: 'text', text: 'Creating the issue now.' }]);
    const sent = up.emulators.gm!.requests[0]!;
    const declared = (sent.body.tools as { functionDeclarations?: { name: string }[] }[]).flatMap((t) => t.functionDeclarations ?? []);
    expect(declared.map((d) => d.name)).to.deep.equal(TOOLS.map((t) => t.name));
    const responses = (sent.body.contents as { parts: Record<string, any>[] }[]).flatMap((c) => c.parts).filter((p) => p.functionResponse);
    expect(responses.map((p) => p.functionResponse)).to.deep.equal([{ name: 'ToolSearch', response: { result: LOADED.join('\n') } }]);
    expect(sent.raw).to.not.include('defer_loading').and.not.include('tool_reference').and.not.include('caller');
  });

  it('a tool_reference outside a tool_result, and a deferral of the wrong type, are 400s naming the field; nothing goes upstream', async () => {
    const refused = async (params: Record<string, unknown>) => {
      const err = await up.anthropic().messages.create({ model: 'an:claude-opus-4-6', max_tokens: 64, ...params } as unknown as Anthropic.MessageCreateParamsNonStreaming).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(Anthropic.BadRequestError);
      return (err as Error).message;
    };
    expect(await refused({ messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }, REFERENCES[0]] }] }))
      .to.include('messages[0].content[1].type: tool_reference blocks belong in the content of a tool_result');
    expect(await refused({ tools: [{ ...TOOLS[2], defer_loading: 'true' }], messages: [MESSAGES[0]] })).to.include('tools[0].defer_loading: must be a boolean');
    expect(up.emulators.an!.requests).to.have.length(0);
  });
});
