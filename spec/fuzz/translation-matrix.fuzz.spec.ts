import { expect } from 'chai';
import fc from 'fast-check';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { startLipOverKinds, type LipOverKinds, type RunningLip } from '../helpers/lip.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { scriptedAnswer as answer } from './generated-scripts.js';

/**
 * Generated answers across the whole translation matrix: an answer (text of any characters cut
 * anywhere, reasoning, parallel tool calls whose argument JSON is cut anywhere, usage, a finish
 * reason) is written by each backend kind's wire-exact emulator in the provider's own format,
 * decoded by lip's backend of that kind, encoded by each frontend and read back by that
 * frontend's official SDK, streaming and not (the upstream then answers JSON). What the SDK
 * assembles must be the answer: text, reasoning, tool names and arguments in order with distinct
 * ids, the finish reason, input and output tokens.
 */

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
