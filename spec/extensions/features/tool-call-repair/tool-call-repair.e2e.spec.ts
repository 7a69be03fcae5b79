import { expect } from 'chai';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';
import { REPAIR_CASES, type RepairCase } from './repair-cases.js';

/** Reads `lip_tool_call_repair_total{reason}` from the metrics endpoint. */
async function repairCounts(lip: RunningLip): Promise<Record<string, number>> {
  const text = await (await fetch(`${lip.url}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^lip_tool_call_repair_total\{reason="([a-z_]+)"\} (\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

/**
 * The table of tool-call repair through all four client protocols' official SDKs, streamed and
 * not: the upstream (an OpenAI Chat emulator) sends the case's tool call, in chunks; the SDK
 * must receive the case's call; the metric counts the case's reasons. The config has no
 * `features:` key at all: repair is on by default.
 */
describe('e2e: tool-call-repair through the official SDKs', function () {
  this.timeout(60_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let current: RepairCase | undefined;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = (_req: RecordedRequest): Script => (current
      ? { toolCalls: [{ id: 'call_1', name: current.sent.name, args: current.sent.args }] }
      : { text: 'no tools here' });
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      'observability: { metrics: { enabled: true } }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      describe(`${frontend}, ${stream ? 'streamed' : 'not streamed'}`, () => {
        for (const c of REPAIR_CASES) {
          it(`${c.reason} (${c.dialect})`, async () => {
            current = c;
            const before = await repairCounts(lip);
            const r = await driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text: 'weather in Paris?' }], tools: c.tools });
            expect(r.error).to.equal(undefined);
            expect(r.toolCalls.map((t) => [t.name, t.args])).to.deep.equal([[c.received.name, c.received.args]]);
            const after = await repairCounts(lip);
            for (const reason of c.reasons) expect((after[reason] ?? 0) - (before[reason] ?? 0), reason).to.equal(1);
          });
        }
      });
    }
  }

  it('a request without tools never reaches the plugin (nothing counted) and streams as before', async () => {
    current = undefined;
    const before = await repairCounts(lip);
    const r = await CLIENT_DRIVERS['openai-chat']!.run(lip.url, { model: 'up:chat', stream: true, messages: [{ role: 'user', text: 'hi' }] });
    expect(r.text).to.equal('no tools here');
    expect(await repairCounts(lip)).to.deep.equal(before);
  });
});
