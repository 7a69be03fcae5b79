import { expect } from 'chai';
import { declareAddedTools } from '../../lib/backends/added-tools.js';
import { checkPromptable } from '../../lib/backends/acp/encode-request.js';
import { HOSTED_DIALECTS, emptyCall, validateCall, type Call, type HostedToolPart, type Message, type ToolCallStartedEvent, type ToolDefinition } from '../../lib/canonical/index.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator, type RecordedRequest } from '../helpers/emulators/index.js';
import { refusalOf } from '../helpers/refusal.js';
import { KINDS } from './kinds.js';

type Json = Record<string, any>;

const read: ToolDefinition = { name: 'read_file', parameters: { type: 'object', properties: { path: { type: 'string' } } } };
const write: ToolDefinition = { name: 'write_file', description: 'Writes a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } };
const event: ToolDefinition = { name: 'create_event', parameters: { type: 'object', properties: { title: { type: 'string' } } }, namespace: 'mcp__cal', namespaceDescription: 'Calendar' };
/** An `additional_tools` item as a Responses client wrote it, with the tools it adds. */
const ITEM = { type: 'additional_tools', role: 'developer', tools: [{ type: 'function', name: 'write_file' }, { type: 'namespace', name: 'mcp__cal', tools: [{ type: 'function', name: 'create_event' }] }] };
const adding = (tools: ToolDefinition[]): HostedToolPart => ({ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: ITEM, tools });
const ask: Message = { role: 'user', parts: [{ type: 'text', text: 'write b.ts and book a meeting' }] };

const call: Call = emptyCall({
  model: 'model-x', stream: true, tools: [read],
  messages: [ask, { role: 'user', parts: [adding([write, event, read])] }],
});

/** The names of the tools an upstream request declares, in each protocol's form. */
function declaredNames(kind: string, body: Json): string[] {
  switch (kind) {
    case 'openai-chat': return (body.tools as Json[]).map((t) => t.function.name);
    case 'gemini': return (body.tools as Json[]).flatMap((t) => (t.functionDeclarations as Json[] | undefined ?? []).map((f) => f.name));
    case 'bedrock': return (body.toolConfig.tools as Json[]).map((t) => t.toolSpec.name);
    case 'openai-responses':
    case 'openai-codex': return (body.tools as Json[]).flatMap((t) => (t.type === 'namespace' ? (t.tools as Json[]).map((m) => `${t.name}/${m.name}`) : [t.name]));
    default: return (body.tools as Json[]).map((t) => t.name);
  }
}

describe('backends/added-tools', () => {
  it('declareAddedTools: the added tools after the call\'s own, once per name; the parts that carried them left out', () => {
    const declared = declareAddedTools(call);
    expect(declared.tools).to.deep.equal([read, write, event]);
    expect(declared.messages).to.deep.equal([ask]);
    expect(validateCall(declared)).to.deep.equal([]);
    // Other hosted parts of the message stay.
    const kept = declareAddedTools({ ...call, messages: [ask, { role: 'user', parts: [adding([write]), { type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: { type: 'mcp_approval_response' } }] }] });
    expect(kept.messages[1]!.parts).to.deep.equal([{ type: 'hosted_tool', dialect: HOSTED_DIALECTS.openaiResponses, block: { type: 'mcp_approval_response' } }]);
    const plain = emptyCall({ model: 'm', messages: [ask] });
    expect(declareAddedTools(plain)).to.equal(plain);
  });

  it('an acp backend, which takes no tools, refuses tools added in the history too, retryably', () => {
    const error = refusalOf(() => checkPromptable(emptyCall({ model: 'm', messages: [ask, { role: 'user', parts: [adding([write])] }] }), 'agent'));
    expect(error).to.deep.include({ code: 'LIP_ERR_REQUEST_UNSUPPORTED', retryable: true });
  });

  for (const k of KINDS) {
    describe(`${k.kind} against its emulator`, () => {
      let emu: Emulator;
      let runtime: Runtime;
      before(async () => {
        emu = await k.start();
        runtime = runtimeFor(k.row('b', emu));
      });
      after(async () => {
        await runtime.close();
        await emu.close();
      });
      beforeEach(() => emu.reset());

      const native = k.kind === 'openai-responses';
      const flat = k.kind !== 'openai-responses' && k.kind !== 'openai-codex';
      it(native ? 'sends the item in place as written, and only the call\'s own tools in tools' : 'declares the added tools with the call\'s own and sends no item; a call of one comes back as that tool', async () => {
        emu.enqueue({ toolCalls: [{ id: 'call_1', name: flat ? 'mcp__cal__create_event' : 'create_event', args: '{"title":"sync"}', ...(flat ? {} : { namespace: 'mcp__cal' }) }] });
        const { events, error } = await drain(backendOf(runtime, 'b').stream(call, { model: 'model-x', candidateKey: 'b:model-x' }));
        expect(error).to.equal(undefined);
        const request = emu.requests.find((r) => r.route === 'generate') as RecordedRequest;
        const names = declaredNames(k.kind, request.body);
        if (native) {
          expect(names).to.deep.equal(['read_file']);
          expect(request.body.input[1]).to.deep.equal(ITEM);
        } else {
          expect(names).to.deep.equal(['read_file', 'write_file', flat ? 'mcp__cal__create_event' : 'mcp__cal/create_event']);
          expect(request.raw).to.not.contain('additional_tools');
        }
        const started = events.filter((e): e is ToolCallStartedEvent => e.type === 'tool_call_started');
        expect(started.map((e) => [e.name, e.namespace])).to.deep.equal([['create_event', 'mcp__cal']]);
      });
    });
  }
});
