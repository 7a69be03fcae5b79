import { expect } from 'chai';
import fc from 'fast-check';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import type { Emulator, FinishScript, Script } from '../helpers/emulators/index.js';
import { startLipOverKinds, type LipOverKinds, type RunningLip } from '../helpers/lip.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/**
 * Generated answers across the whole translation matrix: an answer (text of any characters cut
 * anywhere, reasoning, parallel tool calls whose argument JSON is cut anywhere, usage, a finish
 * reason) is written by each backend kind's wire-exact emulator in the provider's own format,
 * decoded by lip's backend of that kind, encoded by each frontend and read back by that
 * frontend's official SDK, streaming and not (the upstream then answers JSON). What the SDK
 * assembles must be the answer: text, reasoning, tool names and arguments in order with distinct
 * ids, the finish reason, input and output tokens.
 */

const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom('\n', '\r\n', 'data: x', '[DONE]', '\u2028', '"}', '\\', ' ', '🙂', 'é', '</think>') },
);

/** A JSON text as one to three fragments cut anywhere. */
const fragments = (json: string): fc.Arbitrary<string[]> =>
  fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, json.length - 1) }), { maxLength: 2 }).map((cuts) => {
    const at = [0, ...cuts.filter((c) => c < json.length).sort((a, b) => a - b), json.length];
    return at.slice(1).map((end, i) => json.slice(at[i], end)).filter((p) => p.length > 0);
  });

interface Generated { readonly script: Script; readonly text: string; readonly reasoning: string; readonly calls: { name: string; args: unknown }[]; readonly finish: 'stop' | 'length' | 'tool_calls'; readonly usage: { input: number; output: number } }

const answer: fc.Arbitrary<Generated> = fc.record({
  text: fc.array(text, { maxLength: 5 }),
  reasoning: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 3 }), { nil: undefined }),
  calls: fc.array(fc.record({
    name: fc.constantFrom(...TOOLS.map((t) => t.name)),
    args: fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  }), { maxLength: 3 }),
  length: fc.boolean(),
  usage: fc.record({ input: fc.integer({ min: 1, max: 50_000 }), output: fc.integer({ min: 1, max: 50_000 }) }),
}).filter((a) => a.calls.length > 0 || a.text.join('').length > 0).chain((a) => {
  const jsons = a.calls.map((c) => JSON.stringify(c.args));
  return fc.tuple(...jsons.map(fragments), fc.stringMatching(/^[a-z0-9]{6}$/)).map((parts): Generated => {
    const suffix = parts.pop() as string;
    const finish: FinishScript & Generated['finish'] = a.calls.length > 0 ? 'tool_calls' : a.length ? 'length' : 'stop';
    return {
      script: {
        text: a.text,
        ...(a.reasoning ? { reasoning: { text: a.reasoning, signature: `sig-${suffix}` } } : {}),
        ...(a.calls.length > 0 ? { toolCalls: a.calls.map((c, i) => ({ id: `call_${i}${suffix}`, name: c.name, args: parts[i] as string[] })) } : {}),
        usage: a.usage,
        finish,
      },
      text: a.text.join(''),
      reasoning: a.reasoning?.join('') ?? '',
      calls: a.calls.map((c, i) => ({ name: c.name, args: JSON.parse(jsons[i]!) as unknown })),
      finish,
      usage: a.usage,
    };
  });
});

const idOf = (k: KindCase) => `g-${k.kind}`;

describe('fuzz: generated answers across the frontend x backend matrix (emulator wire -> lip -> official SDK)', function () {
  this.timeout(fuzzTimeout(3_000));
  let lip: RunningLip;
  let emulators: readonly Emulator[] = [];
  let running: LipOverKinds | undefined;
  before(async () => {
    running = await startLipOverKinds(KINDS, idOf);
    ({ lip, emulators } = running);
  });
  after(() => running?.close());

  for (const frontend of Object.keys(FRONTENDS)) {
    const driver = CLIENT_DRIVERS[frontend]!;
    KINDS.forEach((k, i) => {
      it(`${frontend} <- ${k.kind}`, async () => {
        const emu = emulators[i]!;
        await fc.assert(fc.asyncProperty(answer, fc.boolean(), async (g, stream) => {
          emu.reset();
          emu.enqueue(g.script);
          const r = await driver.run(lip.url, {
            model: `${idOf(k)}:model-x`, stream, messages: [{ role: 'user', text: 'Hi' }],
            ...(g.calls.length > 0 ? { tools: TOOLS } : {}), ...(g.reasoning ? { reasoning: true } : {}),
          });
          expect(r.error, 'no error').to.equal(undefined);
          expect(r.text, 'text').to.equal(g.text);
          expect(r.reasoning, 'reasoning').to.equal(g.reasoning);
          expect(r.toolCalls.map((c) => ({ name: c.name, args: c.args })), 'tool calls').to.deep.equal(g.calls);
          expect(new Set(r.toolCalls.map((c) => c.id)).size, 'distinct tool call ids').to.equal(g.calls.length);
          expect(r.finishReason, 'finish reason').to.equal(g.finish);
          if (driver.usageFields.includes('inputTokens')) expect(r.usage?.inputTokens, 'input tokens').to.equal(g.usage.input);
          if (driver.usageFields.includes('outputTokens')) expect(r.usage?.outputTokens, 'output tokens').to.equal(g.usage.output);
        }), fuzzParameters(0.1));
      });
    });
  }
});
