import { expect } from 'chai';
import type { Usage } from '../../lib/canonical/index.js';
import type { ClientDriver, ClientRequest, ClientResult } from '../helpers/clients/index.js';
import { startScriptedLip, type ScriptedLip } from '../helpers/scripted-backend.js';
import { SCENARIOS, TOOLS, scenarioScripts, slug, type Expected, type Scenario } from './scenarios.js';

export interface FrontendSuiteOptions {
  readonly driver: ClientDriver;
  /** Scenario name -> why this frontend cannot run it (printed in the test title). */
  readonly skip?: Readonly<Record<string, string>>;
  /** Scenario name -> protocol-specific checks of the SDK's final object. */
  readonly raw?: Readonly<Record<string, (result: ClientResult, stream: boolean) => void>>;
}

/**
 * The shared frontend conformance suite (hono style: one suite, run per frontend, every skip
 * with its reason). Each scenario's script is played by a ScriptedBackend behind a real lip
 * server; the frontend's official SDK reads it back, streaming and not, and the normalised
 * result must match the scenario field by field.
 */
export function frontendConformance(options: FrontendSuiteOptions): void {
  const { driver } = options;
  describe(`conformance: ${driver.id} through its official SDK`, function () {
    let lip: ScriptedLip;
    before(async () => { lip = await startScriptedLip(scenarioScripts()); });
    after(() => lip.close());

    for (const scenario of SCENARIOS) {
      for (const stream of [true, false]) {
        const title = `${scenario.name} (${stream ? 'streaming' : 'non-streaming'})`;
        const reason = options.skip?.[scenario.name];
        if (reason) {
          it.skip(`${title} [skipped: ${reason}]`);
          continue;
        }
        it(title, async () => {
          const result = await driver.run(lip.url, request(scenario, stream));
          assertMatches(driver, result, { ...scenario.expect, ...(stream ? {} : scenario.nonStreaming) });
          // A non-streaming client call offers its backend the whole answer at once (Target.whole).
          expect(lip.backend.calls.at(-1)?.target.whole === true, 'Target.whole').to.equal(!stream);
          options.raw?.[scenario.name]?.(result, stream);
        });
      }
    }

    it('decodes a multi-turn request with system, tools, a tool call and its result', async () => {
      const result = await driver.run(lip.url, {
        model: 'script:text', stream: false, system: 'Be brief.', tools: TOOLS,
        messages: [
          { role: 'user', text: 'Weather in Paris?' },
          { role: 'assistant', toolCalls: [{ id: 'call_1', name: 'get_weather', args: { city: 'Paris' } }] },
          { role: 'tool', callId: 'call_1', name: 'get_weather', content: 'sunny' },
        ],
      });
      expect(result.error).to.equal(undefined);
      const call = lip.backend.lastCall;
      expect(call.system.map((p) => p.text).join('')).to.equal('Be brief.');
      expect(call.tools.map((t) => t.name)).to.deep.equal(['get_weather', 'get_time']);
      expect(call.tools[0]!.parameters).to.deep.include({ type: 'object' });
      expect(call.messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'tool']);
      const toolCall = call.messages[1]!.parts.find((p) => p.type === 'tool_call');
      expect(toolCall).to.deep.include({ id: 'call_1', name: 'get_weather' });
      expect(JSON.parse((toolCall as { arguments: string }).arguments)).to.deep.equal({ city: 'Paris' });
      const toolResult = call.messages[2]!.parts[0]!;
      expect(toolResult).to.deep.include({ type: 'tool_result', callId: 'call_1' });
      expect(JSON.stringify((toolResult as { content: unknown }).content)).to.contain('sunny');
    });
  });
}

function request(scenario: Scenario, stream: boolean): ClientRequest {
  return { model: `script:${slug(scenario.name)}`, stream, messages: [{ role: 'user', text: 'Hi' }], ...scenario.request };
}

/** Field-by-field comparison in canonical terms; usage only in the counters the protocol has. */
export function assertMatches(driver: ClientDriver, actual: ClientResult, expected: Expected): void {
  if (expected.error) {
    expect(actual.error, 'an error').to.not.equal(undefined);
    expect(actual.error!.message).to.contain(expected.error.message);
    if (expected.error.status !== undefined) expect(actual.error!.status, 'error status').to.equal(expected.error.status);
    if (actual.error!.code !== undefined) expect(actual.error!.code, 'error code').to.equal(expected.error.code);
  } else {
    expect(actual.error, 'no error').to.equal(undefined);
  }
  if (driver.refusals === true) {
    expect(actual.text, 'text').to.equal(expected.refusal?.text ?? expected.text);
    expect(actual.refusal ?? '', 'refusal').to.equal(expected.refusal?.refusal ?? '');
  } else {
    expect(actual.text, 'text').to.equal(expected.text);
  }
  expect(actual.reasoning, 'reasoning').to.equal(expected.reasoning);
  expect(actual.toolCalls, 'tool calls').to.deep.equal(expected.toolCalls);
  if (!expected.error) expect(actual.finishReason, 'finish reason').to.equal(expected.finishReason);
  if (expected.usage) {
    const pick = (u: Usage | undefined) => Object.fromEntries(driver.usageFields.map((f) => [f, u?.[f] ?? 0]));
    const want = pick(expected.usage);
    if (driver.usageFields.includes('totalTokens') && expected.usage.totalTokens === undefined) delete want.totalTokens;
    const got = pick(actual.usage);
    if (!('totalTokens' in want)) delete got.totalTokens;
    expect(got, 'usage').to.deep.equal(want);
  }
}
