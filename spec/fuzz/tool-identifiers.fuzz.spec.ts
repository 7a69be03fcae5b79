import { expect } from 'chai';
import fc from 'fast-check';
import { from } from 'rxjs/internal/observable/from';
import { lastValueFrom } from 'rxjs/internal/lastValueFrom';
import { toArray } from 'rxjs/internal/operators/toArray';
import { portableCallIds, type CallIdRule } from '../../lib/backends/call-ids.js';
import { originalToolNames, portableToolNames } from '../../lib/backends/tool-names.js';
import { emptyCall, validateCall, type Call, type LipEvent, type Message } from '../../lib/canonical/index.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { hostileText } from './json-mutations.js';

const RULES: readonly CallIdRule[] = [{ chars: 'portable', max: 128 }, { chars: 'portable', max: 64 }, { chars: 'any', max: 40 }, { chars: 'any', max: 64 }];
const PORTABLE_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;

/** Names and ids as clients and providers write them: MCP-style, hostile, empty, long, clashing. */
const identifier = fc.oneof(
  fc.constantFrom('calendar.read', 'calendar_read', 'functions.Bash:0', 'toolu_01', 'a b', '', 'x'.repeat(65), 'call_'.repeat(20)),
  fc.string({ maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 20 }), hostileText.map((t) => t.slice(0, 200)),
);

const calls: fc.Arbitrary<Call> = fc.record({
  names: fc.uniqueArray(identifier, { minLength: 1, maxLength: 8 }),
  turns: fc.array(fc.tuple(fc.nat(), identifier), { maxLength: 8 }),
  choice: fc.option(fc.nat()),
}).map(({ names, turns, choice }) => {
  const messages: Message[] = [{ role: 'user', parts: [{ type: 'text', text: 'go' }] }];
  for (const [which, id] of turns) {
    const name = names[which % names.length]!;
    messages.push({ role: 'assistant', parts: [{ type: 'tool_call', id, name, arguments: '{}' }] });
    messages.push({ role: 'tool', parts: [{ type: 'tool_result', callId: id, name, content: 'ok' }] });
  }
  return emptyCall({
    model: 'm', messages, tools: names.map((name) => ({ name, parameters: { type: 'object' } })),
    toolChoice: choice === null ? { type: 'auto' } : { type: 'tool', name: names[choice % names.length]! },
  });
});

describe('fuzz: tool names and call ids as providers take them', function () {
  this.timeout(fuzzTimeout(30));

  it('every name fits, each is one-to-one and comes back as the client wrote it; every id fits its rule and a call and its result stay paired', async () => {
    await fc.assert(fc.asyncProperty(calls, fc.constantFrom(...RULES), async (call, rule) => {
      const named = portableToolNames(call);
      const sent = portableCallIds(named, rule);
      // Names: all portable, distinct as the client's were, and the same names again on the next turn.
      const names = sent.tools.map((t) => t.name);
      for (const name of names) expect(name).to.match(PORTABLE_NAME);
      expect(new Set(names).size).to.equal(new Set(call.tools.map((t) => t.name)).size);
      expect(portableToolNames(call).tools.map((t) => t.name)).to.deep.equal(names);
      if (sent.toolChoice.type === 'tool') expect(names).to.include(sent.toolChoice.name);
      // A call of each portable name comes back under the client's name.
      const events: LipEvent[] = names.map((name, i) => ({ type: 'tool_call_started', id: `t${i}`, name }));
      const back = await lastValueFrom(from(events).pipe(originalToolNames(call), toArray()));
      expect(back.map((e) => (e as { name: string }).name)).to.deep.equal(call.tools.map((t) => t.name));
      // Ids: each fits the rule, and the i-th call and the i-th result carry the same one (distinct ids stay distinct).
      const callIds: string[] = [];
      const resultIds: string[] = [];
      for (const m of sent.messages) for (const p of m.parts) {
        if (p.type === 'tool_call') callIds.push(p.id);
        if (p.type === 'tool_result') resultIds.push(p.callId);
      }
      expect(resultIds).to.deep.equal(callIds);
      for (const id of callIds) {
        expect(id.length).to.be.within(1, rule.max);
        if (rule.chars === 'portable') expect(id).to.match(/^[a-zA-Z0-9_-]+$/);
      }
      const original = call.messages.flatMap((m) => m.parts.flatMap((p) => (p.type === 'tool_call' ? [p.id] : [])));
      expect(new Set(callIds).size).to.equal(new Set(original).size);
      // Nothing the canonical checks refuse is introduced (empty names and ids they refuse go out filled).
      const before = new Set(validateCall(call).map((i) => i.path));
      for (const issue of validateCall(sent)) expect(before.has(issue.path), `${issue.path}: ${issue.message}`).to.equal(true);
    }), fuzzParameters());
  });
});
