import fc from 'fast-check';
import { assertMatches } from '../conformance/frontend-suite.js';
import { TOOLS } from '../conformance/scenarios.js';
import { CLIENT_DRIVERS, type ClientRequest } from '../helpers/clients/index.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { answer } from './generated-answers.js';

/**
 * Generated answers through every official SDK: any canonical answer (reasoning with or without
 * a signature, text of any characters cut anywhere, groups of parallel tool calls whose argument
 * deltas interleave and cut their JSON anywhere, usage at the start or the end, any finish
 * reason) is played by a scripted backend behind a real lip server, and each frontend's official
 * SDK reads it back, streaming and not. Its stream accumulator must not throw, and what it
 * assembles must be exactly the answer: the text, the reasoning, every tool call with its id,
 * name and arguments in order, the finish reason (a tool-call stop when there are tool calls) and
 * the usage the protocol can carry. The fixed scenarios of spec/conformance are the examples; this
 * is the same judge over answers nobody wrote by hand.
 */

describe('fuzz: generated answers through every official SDK (streaming and not)', function () {
  this.timeout(fuzzTimeout(400));
  let lip: ScriptedLip;
  let n = 0;
  before(async () => { lip = await startScriptedLip({}); });
  after(() => lip.close());

  for (const driver of Object.values(CLIENT_DRIVERS)) {
    it(`${driver.id}: the SDK assembles exactly the answer`, async () => {
      await fc.assert(fc.asyncProperty(answer, fc.boolean(), async (a, stream) => {
        const name = `gen${n++}`;
        lip.backend.scripts.set(name, a.events);
        try {
          const request: ClientRequest = {
            model: `script:${name}`, stream, messages: [{ role: 'user', text: 'Hi' }],
            ...(a.tools ? { tools: TOOLS } : {}), ...(a.reasoning ? { reasoning: true } : {}),
          };
          assertMatches(driver, await driver.run(lip.url, request), a.expected);
        } finally {
          lip.backend.scripts.delete(name);
        }
      }), fuzzParameters(0.3));
    });
  }
});
