import { expect } from 'chai';
import { firstValueFrom, toArray } from 'rxjs';
import { checkPromptable } from '../../lib/backends/acp/encode-request.js';
import { anthropicOptions, encodeAnthropicRequest } from '../../lib/backends/anthropic/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { ownHostedParts, refuseHostedTools } from '../../lib/backends/hosted-tools.js';
import { LocalstubBackend } from '../../lib/backends/localstub/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { CALLER_DIALECTS, HOSTED_DIALECTS, emptyCall, type Call, type Message, type ToolDefinition } from '../../lib/canonical/index.js';
import { refusalOf } from '../helpers/refusal.js';

const hosted = (name: string, dialect: string, definition: Record<string, unknown>): ToolDefinition => ({
  name, parameters: {}, kind: 'hosted', providerTool: { dialect, definition },
});
const codeExecution = hosted('code_execution', HOSTED_DIALECTS.anthropic, { type: 'code_execution_20250825', name: 'code_execution' });
const interpreter = hosted('code_interpreter', HOSTED_DIALECTS.openaiResponses, { type: 'code_interpreter', container: { type: 'auto' } });
const geminiCode = hosted('codeExecution', HOSTED_DIALECTS.gemini, { codeExecution: {} });
const question: Message = { role: 'user', parts: [{ type: 'text', text: 'What is 2**100?' }] };
const call = (tools: ToolDefinition[], messages: Message[] = [question]): Call => emptyCall({ model: 'm', tools, messages });

/** Every backend's request encoder, with the dialect of hosted tools it runs (none: it runs none). */
const ENCODERS: { readonly name: string; readonly dialect?: string; readonly encode: (c: Call) => unknown }[] = [
  { name: 'anthropic', dialect: HOSTED_DIALECTS.anthropic, encode: (c) => encodeAnthropicRequest(c, 'claude', anthropicOptions({ id: 'an', kind: 'anthropic', models: [] })) },
  { name: 'openai-responses', dialect: HOSTED_DIALECTS.openaiResponses, encode: (c) => encodeResponsesRequest(c, 'gpt', responsesOptions({ id: 'or', kind: 'openai-responses', models: [] })) },
  { name: 'gemini', dialect: HOSTED_DIALECTS.gemini, encode: (c) => encodeGeminiRequest(c) },
  { name: 'openai-chat', encode: (c) => encodeChatRequest(c, 'gpt', chatOptions({ id: 'oc', kind: 'openai-chat', models: [] })) },
  { name: 'openai-codex', encode: (c) => encodeCodexRequest(c, 'gpt-5.4', codexOptions({ id: 'cx', kind: 'openai-codex', models: [] }), { conversationId: 'c', turn: 1, bump: false }) },
  { name: 'bedrock', encode: (c) => encodeBedrockRequest(c, 'anthropic.claude-sonnet-4-6') },
  { name: 'acp', encode: (c) => checkPromptable(c, 'agent') },
];

/**
 * A hosted tool runs only at the provider that defines it: every backend refuses a call that
 * declares another provider's before anything is sent, retryably (a route moves on to a backend
 * of that provider), naming the tool; no backend offers it as a function nobody would run.
 */
describe('backends: hosted tools of another provider', () => {
  for (const { name, dialect, encode } of ENCODERS) {
    const foreign = [codeExecution, interpreter, geminiCode].filter((t) => t.providerTool!.dialect !== dialect);
    it(`${name} refuses ${foreign.map((t) => t.name).join(', ')} before sending, retryable`, () => {
      for (const tool of foreign) {
        const error = refusalOf(() => encode(call([tool])));
        expect(error.code).to.equal('LIP_ERR_REQUEST_UNSUPPORTED');
        expect(error.retryable).to.equal(true);
        expect(error.message).to.contain(`"${tool.name}"`);
      }
    });
  }

  it('a localstub backend refuses one too, as its stream\'s error', async () => {
    const stub = new LocalstubBackend({ id: 'stub', kind: 'localstub', models: [] });
    const error = await firstValueFrom(stub.stream(call([codeExecution]), { model: 'm', candidateKey: 'stub:m' }).pipe(toArray())).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'LIP_ERR_REQUEST_UNSUPPORTED');
    expect(error).to.have.property('retryable', true);
  });

  it('every backend but anthropic refuses a call with Anthropic\'s mcp_servers (the MCP connector), tools or not, retryably, naming the field', () => {
    const servers = { anthropic: { mcpServers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'docs', authorization_token: 'tok-0123456789' }] } };
    for (const { name, dialect, encode } of ENCODERS) {
      const legacy = { ...call([]), providerOptions: servers };
      if (dialect === HOSTED_DIALECTS.anthropic) {
        expect(() => encode(legacy), name).to.not.throw();
        continue;
      }
      const error = refusalOf(() => encode(legacy));
      expect(error, name).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(error.message, name).to.contain('cannot run the hosted mcp_servers');
      expect(error.message, name).to.not.contain('tok-0123456789');
      expect(error.detail, name).to.deep.include({ tools: [], fields: ['mcp_servers'] });
    }
    const both = refusalOf(() => refuseHostedTools({ ...call([codeExecution]), providerOptions: servers }, 'gemini', HOSTED_DIALECTS.gemini));
    expect(both.message).to.contain('cannot run the hosted tool "code_execution" or the hosted mcp_servers');
    expect(() => refuseHostedTools({ ...call([]), providerOptions: { anthropic: { mcpServers: [] } } }, 'bedrock')).to.not.throw();
  });

  it('names every foreign tool at once, and lets the backend\'s own through', () => {
    expect(() => refuseHostedTools(call([codeExecution]), 'anthropic', HOSTED_DIALECTS.anthropic)).to.not.throw();
    const error = refusalOf(() => refuseHostedTools(call([codeExecution, interpreter, geminiCode]), 'bedrock'));
    expect(error.message).to.contain('"code_execution", "code_interpreter", "codeExecution"');
    expect(error.detail).to.deep.equal({ backend: 'bedrock', tools: ['code_execution', 'code_interpreter', 'codeExecution'] });
  });
});

describe('backends: hosted tool parts of the history', () => {
  const anthropicBlock = { type: 'server_tool_use', id: 'srvtoolu_1', name: 'bash_code_execution', input: { command: 'python -c "print(2**100)"' } };
  const responsesItem = { type: 'code_interpreter_call', id: 'ci_1', code: 'print(2**100)', status: 'completed', container_id: 'cntr_1', outputs: null };
  const history: Message[] = [
    question,
    { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.anthropic, block: anthropicBlock }, { type: 'text', text: '1267650600228229401496703205376' }] },
    { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: responsesItem }] },
    { role: 'user', parts: [{ type: 'text', text: 'And 2**10?' }] },
  ];

  it('keeps its own dialect\'s parts, leaves others out (and a turn left empty by that)', () => {
    const own = ownHostedParts(history, HOSTED_DIALECTS.anthropic);
    expect(own).to.have.length(3);
    expect(own[1]!.parts.map((p) => p.type)).to.deep.equal(['hosted_tool', 'text']);
    const none = ownHostedParts(history);
    expect(none.map((m) => m.parts.map((p) => p.type))).to.deep.equal([['text'], ['text'], ['text']]);
  });

  it('returns the same messages when there is nothing to leave out', () => {
    const plain = [question];
    expect(ownHostedParts(plain, HOSTED_DIALECTS.gemini)).to.equal(plain);
  });

  it('no backend sends another provider\'s block: each sends the text of that turn only', () => {
    for (const { name, dialect, encode } of ENCODERS) {
      if (name === 'acp') continue;
      const wire = JSON.stringify(encode(call([], history)));
      if (dialect !== HOSTED_DIALECTS.anthropic) expect(wire, name).to.not.contain('srvtoolu_1');
      if (dialect !== HOSTED_DIALECTS.openaiResponses) expect(wire, name).to.not.contain('ci_1');
      expect(wire, name).to.contain('1267650600228229401496703205376');
    }
  });
});

/**
 * An optional hosted tool (OpenAI's hosted tool search: it only saves context) is no reason to
 * refuse: a backend of another dialect leaves it out, with a tool choice that named it; a backend
 * of its dialect sends it as written.
 */
describe('backends: optional hosted tools', () => {
  const search: ToolDefinition = { ...hosted('tool_search', HOSTED_DIALECTS.openaiResponses, { type: 'tool_search' }), optional: true };
  const fn: ToolDefinition = { name: 'read', parameters: { type: 'object', properties: {} } };

  for (const { name, dialect, encode } of ENCODERS.filter((e) => e.name !== 'acp')) {
    if (dialect === HOSTED_DIALECTS.openaiResponses) {
      it(`${name} sends it as written`, () => {
        const body = encode(call([fn, search])) as Record<string, any>;
        expect(body.tools).to.deep.include({ type: 'tool_search' });
      });
      continue;
    }
    it(`${name} leaves it out instead of refusing, a choice of it back to auto`, () => {
      const body = encode({ ...call([fn, search]), toolChoice: { type: 'tool', name: 'tool_search' } });
      const wire = JSON.stringify(body);
      expect(wire).to.contain('"read"');
      expect(wire).not.to.contain('tool_search');
    });
  }

  it('refuseHostedTools lets it pass, and still refuses a required one beside it', () => {
    expect(() => refuseHostedTools(call([search]), 'b')).not.to.throw();
    expect(refusalOf(() => refuseHostedTools(call([search, interpreter]), 'b')).message).to.contain('"code_interpreter"').and.not.contain('tool_search');
  });
});

/**
 * OpenAI's compaction items (encrypted by OpenAI, each standing for the turns it replaced) and its
 * compaction trigger hold state no other provider reads, and leaving them out would silently lose
 * those turns: every backend but openai-responses refuses a call holding one, retryably, naming it.
 */
describe('backends: another provider\'s conversation state in the history', () => {
  const compaction = { id: 'cmp_1', type: 'compaction', encrypted_content: 'gAAAAABo-openai-state' };
  const compacted: Message[] = [{ role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: compaction }] }, question];
  const triggered: Message[] = [question, { role: 'user', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: { type: 'compaction_trigger' } }] }];

  for (const { name, dialect, encode } of ENCODERS) {
    it(name === 'openai-responses' ? 'openai-responses sends OpenAI\'s compaction and its trigger as written' : `${name} refuses OpenAI's compaction and its trigger before sending, retryably, naming the item`, () => {
      if (dialect === HOSTED_DIALECTS.openaiResponses) {
        expect((encode(call([], compacted)) as { input: unknown[] }).input[0]).to.deep.equal(compaction);
        expect((encode(call([], triggered)) as { input: unknown[] }).input.at(-1)).to.deep.equal({ type: 'compaction_trigger' });
        return;
      }
      const error = refusalOf(() => encode(call([], compacted)));
      expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(error.message).to.contain('cannot carry the compaction item at messages[0].parts[0] (dialect "openai.responses.hosted_tool")');
      expect(error.message).to.not.contain('gAAAAABo-openai-state');
      expect(error.detail).to.deep.include({ items: ['compaction'] });
      expect(refusalOf(() => encode(call([], triggered))).message).to.contain('the compaction_trigger item at messages[1].parts[0]');
    });
  }

  it('names every such item at once; another provider\'s other hosted parts are still only left out', () => {
    const both = refusalOf(() => refuseHostedTools(call([], [...compacted, ...triggered.slice(1)]), 'gemini', HOSTED_DIALECTS.gemini));
    expect(both.message).to.contain('the compaction item at messages[0].parts[0], the compaction_trigger item at messages[2].parts[0]');
    expect(both.message).to.contain('they hold');
    const program = { type: 'hosted_tool' as const, dialect: HOSTED_DIALECTS.openaiResponses, block: { id: 'prog_1', type: 'program', call_id: 'p', code: '', fingerprint: 'f' } };
    expect(() => refuseHostedTools(call([], [question, { role: 'assistant', parts: [program, { type: 'text', text: 'ok' }] }]), 'anthropic', HOSTED_DIALECTS.anthropic)).to.not.throw();
  });

  it('every backend but openai-responses leaves a program out and sends the calls it made as plain calls (no caller)', () => {
    const program = { id: 'prog_1', type: 'program', call_id: 'call_prog1', code: 'return 1;', fingerprint: 'fp_secret' };
    const byProgram = { dialect: CALLER_DIALECTS.openaiResponses, value: { type: 'program', caller_id: 'call_prog1' } };
    const history: Message[] = [
      question,
      { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: program }, { type: 'tool_call', id: 'call_w1', name: 'get_weather', arguments: '{"city":"Paris"}', caller: byProgram }] },
      { role: 'tool', parts: [{ type: 'tool_result', callId: 'call_w1', content: '{"temp":21}' }] },
    ];
    const weather: ToolDefinition = { name: 'get_weather', parameters: { type: 'object' }, providerOptions: { openai: { allowedCallers: ['programmatic'] } } };
    for (const { name, dialect, encode } of ENCODERS) {
      if (name === 'acp') continue;
      const wire = JSON.stringify(encode(call([weather], history)));
      expect(wire, name).to.contain('Paris');
      expect(wire, name).to.match(/temp.{1,4}21/);
      if (dialect === HOSTED_DIALECTS.openaiResponses) {
        expect(wire, name).to.contain('fp_secret');
        continue;
      }
      expect(wire, name).to.not.contain('fp_secret');
      expect(wire, name).to.not.contain('caller');
      expect(wire, name).to.not.contain('allowed_callers');
    }
  });

  it('a localstub backend refuses one too, as its stream\'s error', async () => {
    const stub = new LocalstubBackend({ id: 'stub', kind: 'localstub', models: [] });
    const error = await firstValueFrom(stub.stream(call([], compacted), { model: 'm', candidateKey: 'stub:m' }).pipe(toArray())).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'LIP_ERR_REQUEST_UNSUPPORTED');
    expect(error).to.have.property('retryable', true);
  });
});
