import { expect } from 'chai';
import { emptyCall, type Call, type Message } from '../../../../lib/canonical/index.js';
import { applyCodexCompat, codexClientCompat, detectHarness } from '../../../../lib/extensions/features/codex-client-compat/index.js';
import type { HookContext } from '../../../../lib/extensions/index.js';

const tool = (name: string) => ({ name, parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false } });
const user = (text: string): Message => ({ role: 'user', parts: [{ type: 'text', text }] });
const call = (overrides: Partial<Call> = {}): Call => emptyCall({ model: 'm', stream: true, messages: [user('fix the bug')], ...overrides });
const texts = (c: Call) => c.messages.filter((m) => m.role === 'system').map((m) => (m.parts[0] as { text: string }).text);

describe('extensions/features/codex-client-compat', () => {
  describe('detection', () => {
    it('names the harness from the User-Agent or metadata first, in order', () => {
      expect(detectHarness(call(), ['opencode/0.9.1 ai-sdk'])?.name).to.equal('opencode');
      expect(detectHarness(call(), ['@mariozechner/pi-coding-agent 1.2'])?.name).to.equal('pi');
      expect(detectHarness(call(), ['factory-cli/0.20'])?.name).to.equal('droid');
      expect(detectHarness(call(), ['NousResearch/hermes-agent 0.3'])?.name).to.equal('hermes');
      // An agent match wins over another harness's prompt.
      expect(detectHarness(call({ system: [{ type: 'text', text: 'You are Droid, an AI software engineer.' }] }), ['opencode'])?.name).to.equal('opencode');
    });

    it('then from the prompt', () => {
      expect(detectHarness(call({ system: [{ type: 'text', text: 'You are opencode, an interactive CLI tool.' }] }), [])?.name).to.equal('opencode');
      expect(detectHarness(call({ system: [{ type: 'text', text: 'You are operating inside pi, a coding agent harness.' }] }), [])?.name).to.equal('pi');
      expect(detectHarness(call({ system: [{ type: 'text', text: 'You are Droid, an AI software engineering agent built by Factory.' }] }), [])?.name).to.equal('droid');
      expect(detectHarness(call({ system: [{ type: 'text', text: 'You are Hermes Agent, an intelligent AI assistant created by Nous Research. Be kind.' }] }), [])?.name).to.equal('hermes');
      expect(detectHarness(call({ system: [{ type: 'text', text: 'Available tools: read. Guidelines: none.' }] }), [])?.name, 'two Pi markers').to.equal('pi');
      expect(detectHarness(call({ system: [{ type: 'text', text: 'Guidelines: be nice.' }] }), []), 'one Pi marker').to.equal(undefined);
    });

    it('falls back to OpenCode for a tool transcript without tools, and to nothing otherwise', () => {
      const transcript = call({ messages: [user('hi'), { role: 'assistant', parts: [{ type: 'tool_call', id: 'c1', name: 'read', arguments: '{}' }] }, { role: 'tool', parts: [{ type: 'tool_result', callId: 'c1', content: 'x' }] }] });
      expect(detectHarness(transcript, [])?.name).to.equal('opencode');
      expect(detectHarness({ ...transcript, tools: [tool('read')] }, []), 'with tools, no fallback').to.equal(undefined);
      expect(detectHarness(call(), ['curl/8.0'])).to.equal(undefined);
    });
  });

  describe('application', () => {
    it('leaves an unrecognised call exactly as it was', () => {
      const c = call({ options: { temperature: 0.5 } });
      expect(applyCodexCompat(c, ['curl/8'])).to.equal(c);
    });

    it('OpenCode: drops the refused parameters and its tool boilerplate, adds the bridge once to the instructions and first as a system message', () => {
      const c = call({
        system: [{ type: 'text', text: 'Project rules: tabs.' }],
        messages: [{ role: 'system', parts: [{ type: 'text', text: 'OpenCode tool usage policy: ...' }] }, user('fix it')],
        tools: [tool('read')], options: { temperature: 0.2, topP: 0.9, maxOutputTokens: 100, seed: 3 },
      });
      const out = applyCodexCompat(c, ['opencode/1.0']);
      expect(out.options).to.deep.equal({ seed: 3 });
      expect(out.system.map((p) => p.text)[0]).to.equal('Project rules: tabs.');
      const bridge = out.system[1]!.text;
      expect(bridge.split('\n')[0]).to.equal('OpenCode compatibility mode:');
      expect(bridge).to.contain('CRITICAL INSTRUCTION').and.contain('`cat`').and.contain('`grep`');
      expect(texts(out)).to.deep.equal([bridge]);
      expect(out.messages.map((m) => m.role)).to.deep.equal(['system', 'user']);
      const again = applyCodexCompat(out, ['opencode/1.0']);
      expect(again.system).to.have.length(2);
      expect(texts(again)).to.have.length(1);
    });

    it('OpenCode: bridges even without tools, starts from the Codex persona when there are no instructions, and turns orphaned tool results into text', () => {
      const c = call({ messages: [user('go on'), { role: 'tool', parts: [{ type: 'tool_result', callId: 'gone', content: 'file contents' }] }] });
      const out = applyCodexCompat(c, ['opencode']);
      expect(out.system).to.have.length(2);
      expect(out.system[0]!.text).to.match(/^You are Codex/);
      expect(out.system[1]!.text).to.contain('No tool is offered');
      expect(out.messages.map((m) => m.role)).to.deep.equal(['system', 'user', 'system']);
      expect((out.messages[2]!.parts[0] as { text: string }).text).to.contain('(gone)').and.contain('file contents');
    });

    it('Pi and Droid without tools: only the parameters and boilerplate go, no bridge', () => {
      const out = applyCodexCompat(call({ options: { temperature: 1 }, messages: [{ role: 'system', parts: [{ type: 'text', text: 'You are operating inside pi.' }] }, user('hi')] }), ['pi-coding-agent']);
      expect(out.options).to.deep.equal({});
      expect(out.system).to.deep.equal([]);
      expect(out.messages.map((m) => m.role)).to.deep.equal(['user']);
    });

    it('Droid: the bridge names the Droid tools the request offers', () => {
      const out = applyCodexCompat(call({ tools: [tool('Read'), tool('Execute'), tool('custom')] }), ['factory-cli/1']);
      expect(out.system[1]!.text).to.contain('`Execute`, `Read`').and.not.contain('`custom`');
    });

    it('Hermes: tools go non-strict and may run in parallel unless the call said otherwise', () => {
      const out = applyCodexCompat(call({ tools: [tool('terminal')] }), ['hermes-agent/0.1']);
      expect(out.tools.map((t) => t.strict)).to.deep.equal([false]);
      expect(out.options.parallelToolCalls).to.equal(true);
      expect(applyCodexCompat(call({ tools: [tool('terminal')], options: { parallelToolCalls: false } }), ['hermes-agent']).options.parallelToolCalls).to.equal(false);
    });
  });

  describe('the hook', () => {
    const hook = codexClientCompat.create({ order: 50 }, undefined as never).requestParts![0]!;
    const ctx = { userAgent: 'opencode/1.0' } as HookContext;
    it('runs for attempts on an openai-codex backend only (by kind, whatever the id)', () => {
      const c = call({ tools: [tool('read')], options: { temperature: 0.1 } });
      expect(hook.shape(c, { backendId: 'codex', backendKind: 'openai-responses', candidateKey: 'codex:m', model: 'm' }, ctx)).to.equal(c);
      const shaped = hook.shape(c, { backendId: 'mine', backendKind: 'openai-codex', candidateKey: 'mine:m', model: 'm' }, ctx);
      expect(shaped.options).to.deep.equal({});
      expect(texts(shaped)[0]).to.match(/^OpenCode compatibility mode:/);
    });
    it('reads the agent from the metadata too', () => {
      const shaped = hook.shape(call({ tools: [tool('t')], metadata: { agent: 'hermes-agent' } }), { backendId: 'c', backendKind: 'openai-codex', candidateKey: 'c:m', model: 'm' }, {} as HookContext);
      expect(texts(shaped)[0]).to.match(/^Hermes Agent compatibility mode:/);
    });
  });
});
