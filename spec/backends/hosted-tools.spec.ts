import { expect } from 'chai';
import { firstValueFrom, toArray } from 'rxjs';
import { checkPromptable, planPrompt } from '../../lib/backends/acp/encode-request.js';
import { anthropicOptions, encodeAnthropicRequest } from '../../lib/backends/anthropic/index.js';
import { encodeBedrockRequest } from '../../lib/backends/bedrock/index.js';
import { encodeGeminiRequest } from '../../lib/backends/gemini/index.js';
import { ownHostedParts, readCompaction, refuseHostedTools } from '../../lib/backends/hosted-tools.js';
import { LocalstubBackend } from '../../lib/backends/localstub/index.js';
import { codexOptions, encodeCodexRequest } from '../../lib/backends/openai-codex/index.js';
import { chatOptions, encodeChatRequest } from '../../lib/backends/openai-chat/index.js';
import { encodeResponsesRequest, responsesOptions } from '../../lib/backends/openai-responses/index.js';
import { CALLER_DIALECTS, COMPACTION_PREAMBLE, HOSTED_DIALECTS, emptyCall, type Call, type Message, type ToolDefinition } from '../../lib/canonical/index.js';
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
  { name: 'bedrock', encode: (c) => encodeBedrockRequest(c, 'anthropic') },
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

  it('every backend but anthropic refuses a call asking for Anthropic\'s server-side compaction (a compact edit, a compaction request), retryably, naming the field; clearing edits alone pass', () => {
    const edits = { anthropic: { contextManagement: { edits: [{ type: 'clear_tool_uses_20250919' }, { type: 'compact_20260112', pause_after_compaction: true }] } } };
    const request = { anthropic: { compaction: { type: 'summarize' } } };
    const clearing = { anthropic: { contextManagement: { edits: [{ type: 'clear_thinking_20251015' }, { type: 'clear_tool_uses_20250919' }] } } };
    for (const { name, dialect, encode } of ENCODERS) {
      if (dialect === HOSTED_DIALECTS.anthropic) {
        for (const providerOptions of [edits, request, clearing]) expect(() => encode({ ...call([]), providerOptions }), name).to.not.throw();
        continue;
      }
      const edit = refusalOf(() => encode({ ...call([]), providerOptions: edits }));
      expect(edit, name).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(edit.message, name).to.contain('cannot run the hosted context_management.edits[1] (compact_20260112)');
      expect(edit.detail, name).to.deep.include({ tools: [], fields: ['context_management.edits[1] (compact_20260112)'] });
      expect(refusalOf(() => encode({ ...call([]), providerOptions: request })).detail, name).to.deep.include({ fields: ['compaction'] });
      expect(() => encode({ ...call([]), providerOptions: clearing }), name).to.not.throw();
    }
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
 * A history Anthropic compacted (its `compaction` block, a hosted part that stands for the turns
 * before it) goes to an anthropic backend as written; every other backend reads it from its
 * summary, as a user message at the conversation's start in place of everything before the
 * block, and refuses one without a readable summary, retryably.
 */
describe('backends: a history another provider compacted', () => {
  const SUMMARY = 'The user is fixing add() in math.ts; negative numbers fail.';
  const BLOCK = { type: 'compaction', content: SUMMARY, encrypted_content: 'Eo4Bopaque' };
  const compaction = (summary?: string) => ({ type: 'hosted_tool' as const, dialect: HOSTED_DIALECTS.anthropic, block: BLOCK, compaction: summary === undefined ? {} : { summary } });
  const compacted = (summary?: string): Message[] => [
    { role: 'user', parts: [{ type: 'text', text: 'Turn before the compaction, which Anthropic ignores.' }] },
    { role: 'assistant', parts: [compaction(summary), { type: 'text', text: 'Fixed the sign handling.' }] },
    { role: 'user', parts: [{ type: 'text', text: 'Now subtract()?' }] },
  ];

  it('readCompaction puts the summary first, in place of everything before the block, the rest of its message kept; the same messages without one', () => {
    expect(readCompaction(compacted(SUMMARY))).to.deep.equal([
      { role: 'user', parts: [{ type: 'text', text: `${COMPACTION_PREAMBLE}\n\n${SUMMARY}` }] },
      { role: 'assistant', parts: [{ type: 'text', text: 'Fixed the sign handling.' }] },
      { role: 'user', parts: [{ type: 'text', text: 'Now subtract()?' }] },
    ]);
    const alone: Message[] = [{ role: 'user', parts: [compaction(SUMMARY)] }, { role: 'user', parts: [{ type: 'text', text: 'Go on.' }] }];
    expect(readCompaction(alone).map((m) => m.parts.map((p) => (p.type === 'text' ? p.text : p.type)))).to.deep.equal([[`${COMPACTION_PREAMBLE}\n\n${SUMMARY}`], ['Go on.']]);
    expect(readCompaction(compacted(SUMMARY), HOSTED_DIALECTS.anthropic)).to.deep.equal(compacted(SUMMARY));
    const plain = [question];
    expect(readCompaction(plain)).to.equal(plain);
  });

  it('the latest compaction wins: an earlier one is left out with the turns before the latest', () => {
    const twice: Message[] = [{ role: 'user', parts: [{ ...compaction('first summary'), block: { ...BLOCK, content: 'first summary' } }] }, ...compacted(SUMMARY)];
    const read = readCompaction(twice);
    expect(read).to.have.length(3);
    expect(JSON.stringify(read)).to.not.contain('first summary');
  });

  for (const { name, dialect, encode } of ENCODERS) {
    if (dialect === HOSTED_DIALECTS.anthropic) {
      it(`${name} sends the block as written and the turns before it`, () => {
        const wire = JSON.stringify(encode(call([], compacted())));
        expect(wire).to.contain('Eo4Bopaque').and.contain('Turn before the compaction');
      });
      continue;
    }
    it(`${name} sends the summary as text in place of the turns before the block, and refuses a block without a readable summary, retryably`, () => {
      const wire = JSON.stringify(encode(call([], compacted(SUMMARY))));
      expect(wire).to.contain(SUMMARY).and.contain('Summary of the conversation so far').and.contain('Fixed the sign handling.').and.contain('Now subtract()?');
      expect(wire).to.not.contain('Turn before the compaction').and.not.contain('Eo4Bopaque');
      const error = refusalOf(() => encode(call([], compacted())));
      expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(error.message).to.contain('compaction block').and.contain('no readable summary');
      expect(error.detail).to.deep.include({ fields: ['compaction'] });
    });
  }

  it('a failed compaction (no compaction record: Anthropic treats it as nothing) is left out like any foreign block, the turns before it kept', () => {
    const failed: Message[] = [question, { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.anthropic, block: { type: 'compaction', content: null } }, { type: 'text', text: 'Answer.' }] }];
    const wire = JSON.stringify(encodeChatRequest(call([], failed), 'gpt', chatOptions({ id: 'oc', kind: 'openai-chat', models: [] })));
    expect(wire).to.contain('What is 2**100?').and.contain('Answer.').and.not.contain('Summary of the conversation');
  });

  it('a localstub backend refuses a block without a readable summary too, as its stream\'s error', async () => {
    const stub = new LocalstubBackend({ id: 'stub', kind: 'localstub', models: [] });
    const error = await firstValueFrom(stub.stream(call([], compacted()), { model: 'm', candidateKey: 'stub:m' }).pipe(toArray())).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'LIP_ERR_REQUEST_UNSUPPORTED');
    expect(error).to.have.property('retryable', true);
  });

  it('an acp agent reads the summary in its prompt', () => {
    const plan = planPrompt(checkPromptable(call([], compacted(SUMMARY)), 'agent'), undefined);
    expect(plan.text).to.contain(SUMMARY).and.not.contain('Turn before the compaction');
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
 * OpenAI's own compaction: its compaction item (encrypted by OpenAI, standing for the turns it
 * replaced, with no summary another provider could read) and the requests for one (a
 * compaction_trigger ending the input, context_management) reach only an openai-responses
 * backend; every other backend refuses them before sending, retryably.
 */
describe('backends: OpenAI\'s compaction and programs elsewhere', () => {
  const item = { id: 'cmp_1', type: 'compaction', encrypted_content: 'gAAAAABo-openai-state' };
  const compacted: Message[] = [
    { role: 'user', parts: [{ type: 'text', text: 'Turn before the compaction.' }] },
    { role: 'assistant', parts: [{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: item, compaction: {} }] },
    question,
  ];
  const trigger = { openai: { compactionTrigger: true } };
  const managed = { openai: { contextManagement: [{ type: 'compaction', compact_threshold: 200_000 }] } };

  for (const { name, dialect, encode } of ENCODERS) {
    it(dialect === HOSTED_DIALECTS.openaiResponses ? `${name} sends the compaction item as written with the turns before it, the trigger last, context_management` : `${name} refuses OpenAI's compaction item, a trigger and context_management before sending, retryably`, () => {
      if (dialect === HOSTED_DIALECTS.openaiResponses) {
        const body = encode(call([], compacted)) as { input: unknown[] };
        expect(body.input).to.have.length(3);
        expect(body.input[1]).to.deep.equal(item);
        expect((encode({ ...call([]), providerOptions: trigger }) as { input: unknown[] }).input.at(-1)).to.deep.equal({ type: 'compaction_trigger' });
        expect(encode({ ...call([]), providerOptions: managed })).to.deep.include({ context_management: managed.openai.contextManagement });
        return;
      }
      const error = refusalOf(() => encode(call([], compacted)));
      expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
      expect(error.message).to.contain('compaction block').and.contain('no readable summary').and.not.contain('gAAAAABo-openai-state');
      for (const [options, field] of [[trigger, 'compaction_trigger'], [managed, 'context_management']] as const) {
        const knob = refusalOf(() => encode({ ...call([]), providerOptions: options }));
        expect(knob, field).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
        expect(knob.message, field).to.contain(`the hosted ${field}`);
        expect(knob.detail, field).to.deep.include({ fields: [field] });
      }
    });
  }

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

  it('a localstub backend refuses OpenAI\'s compaction item too, as its stream\'s error', async () => {
    const stub = new LocalstubBackend({ id: 'stub', kind: 'localstub', models: [] });
    const error = await firstValueFrom(stub.stream(call([], compacted), { model: 'm', candidateKey: 'stub:m' }).pipe(toArray())).catch((e: unknown) => e);
    expect(error).to.have.property('code', 'LIP_ERR_REQUEST_UNSUPPORTED');
    expect(error).to.have.property('retryable', true);
  });
});
