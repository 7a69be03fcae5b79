import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../lib/config/index.js';
import { createRuntime, withoutIngress, type Runtime } from '../../lib/core/runtime.js';
import { createExtensionHost, MemoryStateStore, type ExtensionHost } from '../../lib/extensions/index.js';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { replayExchange } from '../../lib/replay/replay-exchange.js';
import { KINDS, type KindCase } from '../backends/kinds.js';
import { TOOLS } from '../conformance/scenarios.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { configFrom, testConfigYaml } from '../helpers/config.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { eventually, RecordLines } from '../replay/recording-helpers.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { routePlans, type Plan } from './generated-plans.js';
import { scriptedAnswer } from './generated-scripts.js';

/**
 * `lip replay --live` compares what the upstreams answer today with what the recording holds: an
 * upstream that answers as it did must replay `same`. Generated exchanges (any client protocol
 * through its official SDK, streamed or not; any backend kind's emulator writing a generated
 * answer; a single leaf, a failover past an error status or a reset, a leaf whose TTFT budget
 * expires on a stalled upstream, an in-band error after output) are recorded by a real lip
 * server, then each is sent again live, through the backends a replay builds from the same
 * config, to the same emulators told the same thing. A difference is a fault of the live
 * replay (a request rebuilt differently, an id or a time not normalised, an answer compared in
 * another form) or of the record. Races are left out: which leg wins is the upstreams' timing,
 * which a live replay does not reproduce.
 */

const idOf = (k: KindCase) => `l-${k.kind}`;
const leaf = (i: number) => `${idOf(KINDS[i]!)}:model-x`;
/** The plans whose outcome does not hang on timing. */
const plan = (answer: Parameters<typeof routePlans>[0]): fc.Arbitrary<Plan> =>
  fc.oneof(...routePlans(answer, leaf, [400, 429, 500, 503]).filter((_, i) => i !== 2));

describe('fuzz: a live replay against upstreams that answer as they did is same', function () {
  this.timeout(fuzzTimeout(3_000));
  let lip: RunningLip;
  let emulators: Emulator[] = [];
  let config: Config;
  let live: Runtime;
  /** The extension host `lip replay` makes (stream stages such as tool-call repair run again). */
  let extensions: ExtensionHost | undefined;
  let dir: string;
  let file: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-live-fuzz-'));
    file = join(dir, 'traffic.jsonl');
    for (const k of KINDS) emulators.push(await k.start());
    const yaml = testConfigYaml(KINDS.map((k, i) => k.row(idOf(k), emulators[i]!)).join('\n'), `routing: { default_route: "${leaf(0)}" }`);
    config = configFrom(yaml);
    lip = await startLip(configFrom(`${yaml}\nrecording: { enabled: true, path: "${file}" }`));
    // What `lip replay --live` builds: the config's real backends, nothing recording.
    live = createRuntime(withoutIngress({ ...config, recording: { ...config.recording, enabled: false }, features: [] }));
    extensions = createExtensionHost(config, { state: new MemoryStateStore() });
  });
  after(async () => {
    await lip?.close();
    await live?.close();
    await extensions?.stop();
    await Promise.all(emulators.map((e) => e.close()));
    emulators = [];
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('every recorded exchange replays live as same', async () => {
    let runs = 0;
    const lines = new RecordLines(file);
    const arbitrary = scriptedAnswer.chain((answer) => fc.record({
      answer: fc.constant(answer), plan: plan(answer), frontend: fc.constantFrom(...Object.keys(FRONTENDS)), stream: fc.boolean(),
    }));
    await fc.assert(fc.asyncProperty(arbitrary, async ({ answer, plan: p, frontend, stream }) => {
      const tell = () => {
        for (const e of emulators) e.reset();
        for (const [k, script] of p.scripts) emulators[k]!.enqueue(script);
      };
      tell();
      const requestId = `live-${++runs}`;
      await CLIENT_DRIVERS[frontend]!.run(lip.url, {
        model: p.selector, stream, messages: [{ role: 'user', text: 'Hi' }], headers: { 'x-request-id': requestId },
        ...(answer.calls.length > 0 ? { tools: TOOLS } : {}), ...(answer.reasoning ? { reasoning: true } : {}),
      }).catch(() => undefined); // a failed exchange is recorded and replayed too
      const records = await eventually(() => lines.of(requestId), (r) => r.length > 0);
      for (const record of records) {
        tell();
        const result = await replayExchange(record, config, { live: { backends: live.backends, timeoutMs: 10_000 }, ...(extensions ? { extensions } : {}) });
        expect(result.state, `${p.label} ${p.selector} ${frontend} stream=${stream}: ${JSON.stringify(result)}\n${JSON.stringify(record.attempts.map((a) => [a.candidate_key, a.outcome, a.reason, a.events.length]))}`).to.equal('same');
      }
    }), fuzzParameters(0.3));
  });
});
