import { expect } from 'chai';
import fc from 'fast-check';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../lib/config/index.js';
import { createExtensionHost, MemoryStateStore, type ExtensionHost } from '../../lib/extensions/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { batchOfOne } from '../helpers/batches.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { backgroundRun, websocketTurn } from '../helpers/clients/responses-transports.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, RecordLines, replayFile } from '../replay/recording-helpers.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { resumePlan, routePlans, type Plan } from './generated-plans.js';
import { scriptedAnswer, type Generated } from './generated-scripts.js';

/**
 * Recorded traffic replays as it was served: generated exchanges (any client protocol through its
 * official SDK, streamed or not; any backend kind's emulator writing a generated answer; a single
 * leaf, a failover past an upstream error or a reset, a race of two or three kinds with or
 * without a handicap, a leaf whose TTFT budget expires on a stalled upstream, an in-band error
 * after output) go through a real lip server recording every exchange, with circuits that open
 * on one failure, an API key whose allow list leaves one kind out and a judge
 * (`pre-request-policy`) asked before every exchange; each line it writes is
 * then replayed in substitute mode on virtual time under the same config. Every exchange must
 * replay as `same`: the same candidate serves and the client sees the same events. A replay that
 * differs from what was served is a fault of the recording (a time, an event, an attempt lost or
 * put out of order) or of the replay (a decision the recorded timings do not dictate).
 */

const idOf = (k: KindCase) => `r-${k.kind}`;
/** The client's API key (each SDK sends it as `Authorization`, which lip reads first). */
const KEY = 'fuzz-client-key-0123456789';
const leaf = (i: number) => `${idOf(KINDS[i]!)}:model-x`;
const plan = (answer: Generated): fc.Arbitrary<Plan> => fc.oneof(...routePlans(answer, leaf, [429, 500, 502, 503]), resumePlan(answer, leaf));

describe('fuzz: recorded traffic replays as it was served (SDK -> lip recording -> replay on virtual time)', function () {
  this.timeout(fuzzTimeout(3_000));
  let lip: RunningLip;
  let emulators: Emulator[] = [];
  let config: Config;
  let yaml: string;
  /** The replay's extension host, made as `lip replay` makes it: stream stages (tool-call repair, ...) run again. */
  let extensions: ExtensionHost | undefined;
  let dir: string;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-rec-fuzz-'));
    file = join(dir, 'traffic.jsonl');
    for (const k of KINDS) emulators.push(await k.start());
    // A judge (pre-request-policy) asks its own backend before every exchange: an auxiliary call the record must keep.
    const rows = `${KINDS.map((k, i) => k.row(idOf(k), emulators[i]!)).join('\n')}\n  - { id: r-judge, kind: localstub, models: [j], text: "VERDICT: ALLOW" }`;
    mkdirSync(join(dir, 'prompts'));
    writeFileSync(join(dir, 'prompts', 'judge.md'), 'Say VERDICT: DENY when the request is unsafe.');
    // Circuits that open on one failure and stay open a moment (so later exchanges find some open,
    // and the record's skips must replay), and the SDKs' key with an allow list that leaves Bedrock out.
    yaml = testConfigYaml(rows, [
      `routing: { default_route: "${leaf(0)}", circuit_breaker: { enabled: true, failure_threshold: 1, open_for: 200ms }, resume_after_output: { enabled: true } }`,
      `recording: { enabled: true, path: "${file}" }`,
      `auth: { api_keys: [{ id: sdk-key, key: ${KEY}, principal: fuzz, allow: ["r-openai-*", "r-anthropic", "r-gemini", "r-judge"] }] }`,
      'features:',
      '  - id: pre-request-policy',
      `    config: { prompt_dir: "${join(dir, 'prompts')}", handlers: [{ id: judge, prompt_filename: judge.md, model_routing_string: "r-judge:j", deny_pattern: "VERDICT: DENY" }] }`,
    ].join('\n'));
    config = configFrom(yaml);
    lip = await startLip(config);
    extensions = createExtensionHost(config, { state: new MemoryStateStore() });
  });
  after(async () => {
    await lip?.close();
    await extensions?.stop();
    await Promise.all(emulators.map((e) => e.close()));
    emulators = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every recorded exchange replays as same', async () => {
    let runs = 0;
    let skips = 0;
    const lines = new RecordLines(file);
    const arbitrary = scriptedAnswer.chain((answer) => fc.record({
      answer: fc.constant(answer), plan: plan(answer), frontend: fc.constantFrom(...Object.keys(FRONTENDS)), stream: fc.boolean(),
      transport: fc.constantFrom('http', 'http', 'other'),
    }));
    await fc.assert(fc.asyncProperty(arbitrary, async ({ answer, plan: p, frontend, stream, transport }) => {
      for (const e of emulators) e.reset();
      for (const [k, script] of p.scripts) emulators[k]!.enqueue(script);
      const driver = CLIENT_DRIVERS[frontend]!;
      // The exchange is found by its request id (an SDK that retries a failure sends it again: each exchange must replay).
      let requestId = `roundtrip-${++runs}`;
      // An Anthropic request also as the one request of a Message Batch (recorded as `{batch id}/only`),
      // a Responses one as a background response or a WebSocket turn (which has a request id of its own).
      const other = transport === 'other' ? (frontend === 'anthropic' ? 'batch' : frontend === 'openai-responses' ? (stream ? 'websocket' : 'background') : undefined) : undefined;
      const seen = lines.all().length;
      if (other === 'batch') requestId = `${await batchOfOne(lip.url, KEY, p.selector)}/only`;
      else if (other === 'background') await backgroundRun(lip.url, KEY, p.selector, requestId).catch(() => undefined); // refused: an HTTP answer
      else if (other === 'websocket') {
        await websocketTurn(lip.url, KEY, p.selector);
        requestId = (await eventually(() => lines.all().slice(seen), (r) => r.length > 0))[0]!.request_id;
      } else {
        await driver.run(lip.url, {
          model: p.selector, stream, messages: [{ role: 'user', text: 'Hi' }], headers: { authorization: `Bearer ${KEY}`, 'x-request-id': requestId },
          ...(answer.calls.length > 0 ? { tools: TOOLS } : {}), ...(answer.reasoning ? { reasoning: true } : {}),
        });
      }
      const records = await eventually(() => lines.of(requestId), (r) => r.length > 0);
      for (const record of records) {
        expect(record.key_id, 'the client\'s key').to.equal('sdk-key');
        expect(record.auxiliary?.map((a) => a.attempts.map((t) => t.candidate_key)), 'the judge\'s call').to.deep.equal([['r-judge:j']]);
        skips += record.skipped?.length ?? 0;
        const result = await replayExchange(record, config, extensions ? { extensions } : {});
        expect(result.state, `${p.label} ${p.selector} ${frontend} ${other ?? `stream=${stream}`}: ${JSON.stringify(result)}\n${JSON.stringify(record.attempts.map((a) => [a.candidate_key, a.started_ms, a.first_output_ms, a.finished_ms, a.outcome, a.reason, a.events.length]))} skipped ${JSON.stringify(record.skipped)}`).to.equal('same');
      }
    }), fuzzParameters(0.3));
    // `lip replay` over the whole file (its own config load, extension host and concurrent replays) says the same.
    const { code, report, stderr } = await replayFile(file, yaml);
    expect(report.exchanges.filter((e) => e.state !== 'same'), stderr).to.deep.equal([]);
    expect(report.summary.total).to.be.at.least(runs);
    expect(code).to.equal(0);
    // Some exchanges found a circuit open or a candidate their key may not use (else the property proves less than it says).
    if (runs >= 100) expect(skips, 'skipped candidates recorded').to.be.greaterThan(0);
  });
});
