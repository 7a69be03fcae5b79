import fc from 'fast-check';
import { TOOLS } from '../conformance/scenarios.js';
import type { FinishScript, Script } from '../helpers/emulators/index.js';

/**
 * Generated answers as an emulator script (any backend kind's emulator writes it in its
 * provider's own format), with what a client must assemble from it: text of any characters cut
 * anywhere, reasoning, parallel tool calls whose argument JSON is cut anywhere, usage, a finish
 * reason. Shared by the translation matrix and the recording round trip.
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

export interface Generated { readonly script: Script; readonly text: string; readonly reasoning: string; readonly calls: { name: string; args: unknown }[]; readonly finish: 'stop' | 'length' | 'tool_calls'; readonly usage: { input: number; output: number } }

export const scriptedAnswer: fc.Arbitrary<Generated> = fc.record({
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
