import { expect } from 'chai';
import { from } from 'rxjs/internal/observable/from';
import { lastValueFrom } from 'rxjs/internal/lastValueFrom';
import { toArray } from 'rxjs/internal/operators/toArray';
import { customCallsFromFunctions, customToolsAsFunctions, rawInput } from '../../lib/backends/custom-tools.js';
import { CUSTOM_TOOL_PARAMETERS, collectEvents, emptyCall, validateSequence, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { LocalstubBackend } from '../../lib/backends/localstub/index.js';
import { LipError } from '../../lib/errors/index.js';

const grammar = { type: 'grammar', syntax: 'lark', definition: 'start: "*** Begin Patch" /(.|\\n)*/' };
const call: Call = emptyCall({
  tools: [
    { name: 'apply_patch', description: 'Edit files.', parameters: CUSTOM_TOOL_PARAMETERS, kind: 'custom', format: grammar },
    { name: 'read', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
  ],
  messages: [
    { role: 'user', parts: [{ type: 'text', text: 'fix it' }] },
    { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'apply_patch', arguments: '*** Begin Patch\n"quoted"', custom: true }] },
    { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'Done' }] },
  ],
});

async function through(events: LipEvent[], c: Call = call): Promise<LipEvent[]> {
  return lastValueFrom(from(events).pipe(customCallsFromFunctions(c), toArray()));
}

describe('backends/custom-tools', () => {
  describe('customToolsAsFunctions', () => {
    it('offers a custom tool as a function tool with one required string, its grammar in the description', () => {
      const sent = customToolsAsFunctions(call);
      const tool = sent.tools[0]!;
      expect(tool.kind).to.equal(undefined);
      expect(tool.format).to.equal(undefined);
      expect(tool.parameters).to.deep.include({ type: 'object', required: ['input'] });
      expect((tool.parameters.properties as Record<string, { type: string }>).input!.type).to.equal('string');
      expect(tool.description).to.match(/^Edit files\.\n\n/);
      expect(tool.description).to.contain('lark grammar').and.to.contain(grammar.definition);
      expect(sent.tools[1]).to.equal(call.tools[1]);
    });

    it('writes a custom call of the history as a call with {"input": ...} arguments', () => {
      const part = customToolsAsFunctions(call).messages[1]!.parts[0]!;
      expect(part).to.deep.equal({ type: 'tool_call', id: 'c1', name: 'apply_patch', arguments: JSON.stringify({ input: '*** Begin Patch\n"quoted"' }) });
    });

    it('returns the same call when it has no custom tool or call', () => {
      const plain = emptyCall({ tools: [call.tools[1]!] });
      expect(customToolsAsFunctions(plain)).to.equal(plain);
    });
  });

  describe('customCallsFromFunctions', () => {
    it('turns the stand-in call into a custom call whose one delta is the input', async () => {
      const out = await through([
        { type: 'response_started' }, { type: 'message_started' },
        { type: 'tool_call_started', id: 't1', name: 'apply_patch' },
        { type: 'tool_call_delta', id: 't1', args: '{"input":"*** Be' },
        { type: 'tool_call_delta', id: 't1', args: 'gin\\n\\"x\\"' },
        { type: 'tool_call_delta', id: 't1', args: '"}' },
        { type: 'tool_call_finished', id: 't1' },
        { type: 'tool_call_started', id: 't2', name: 'read' },
        { type: 'tool_call_delta', id: 't2', args: '{"path":"a"}' },
        { type: 'tool_call_finished', id: 't2' },
        { type: 'response_finished', reason: 'tool_calls' },
      ]);
      expect(out.slice(2)).to.deep.equal([
        { type: 'tool_call_started', id: 't1', name: 'apply_patch', custom: true },
        { type: 'tool_call_delta', id: 't1', args: '*** Begin\n"x"' },
        { type: 'tool_call_finished', id: 't1' },
        { type: 'tool_call_started', id: 't2', name: 'read' },
        { type: 'tool_call_delta', id: 't2', args: '{"path":"a"}' },
        { type: 'tool_call_finished', id: 't2' },
        { type: 'response_finished', reason: 'tool_calls' },
      ]);
    });

    it('passes arguments that are not {"input": string} on as written', async () => {
      expect(rawInput('{"input": 3}')).to.equal('{"input": 3}');
      expect(rawInput('not json')).to.equal('not json');
      expect(rawInput('{"input":"ok","extra":1}')).to.equal('ok');
      const out = await through([
        { type: 'tool_call_started', id: 't1', name: 'apply_patch' },
        { type: 'tool_call_finished', id: 't1' },
      ]);
      expect(out).to.deep.equal([{ type: 'tool_call_started', id: 't1', name: 'apply_patch', custom: true }, { type: 'tool_call_finished', id: 't1' }]);
    });

    it('is the identity without custom tools', async () => {
      const events: LipEvent[] = [{ type: 'tool_call_started', id: 't1', name: 'apply_patch' }, { type: 'tool_call_delta', id: 't1', args: '{}' }];
      expect(await through(events, emptyCall())).to.deep.equal(events);
    });

    it('fails with LIP_ERR_RESPONSE_TOO_LARGE past the argument bound instead of holding without end', async () => {
      const big = 'x'.repeat(64 * 1024 * 1024 + 1);
      const err = await through([
        { type: 'tool_call_started', id: 't1', name: 'apply_patch' },
        { type: 'tool_call_delta', id: 't1', args: big },
        { type: 'tool_call_delta', id: 't1', args: big },
      ]).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(LipError);
      expect((err as LipError).code).to.equal('LIP_ERR_RESPONSE_TOO_LARGE');
    });
  });
  it('localstub: a scripted call named after a custom tool comes back as a custom call with its input', async () => {
    const backend = new LocalstubBackend({ id: 'stub', kind: 'localstub', models: [], text: '', tool_calls: [{ name: 'apply_patch', args: '{"input":"*** Begin"}' }, { name: 'read', args: '{}' }] }, {});
    const events = await lastValueFrom(backend.stream(call, { model: 'm', candidateKey: 'stub:m' }).pipe(toArray()));
    expect(validateSequence(events)).to.deep.equal([]);
    expect(collectEvents(events).toolCalls.map((c) => [c.name, c.arguments, c.custom])).to.deep.equal([['apply_patch', '*** Begin', true], ['read', '{}', undefined]]);
  });
});
