import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { configFrom } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type Script } from '../helpers/emulators/index.js';
import { startLip } from '../helpers/lip.js';
import { eventually, readRecords } from './recording-helpers.js';

/**
 * `lip replay --live`: each recorded request goes to the configured (here: emulated) upstream
 * again and the client-visible answer is compared with the recording.
 */
describe('lip replay --live', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let dir: string;
  let recording: string;
  let configPath: string;
  let answer: Script;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-live-'));
    recording = join(dir, 'traffic.jsonl');
    upstream = await startOpenAIChatEmulator();
    answer = { text: ['Hello ', 'again'] };
    upstream.handler = () => answer;
    const yaml = `server: { host: 127.0.0.1, port: 0 }\nlogging: { access_log: false }\nrouting: { default_route: "up:m" }\nbackends:\n  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "k" }\n`;
    configPath = join(dir, 'lip.yaml');
    writeFileSync(configPath, yaml);
    const lip = await startLip(configFrom(`${yaml}recording: { enabled: true, path: "${recording}" }\n`));
    try {
      for (const stream of [true, false]) await CLIENT_DRIVERS.anthropic!.run(lip.url, { model: 'up:m', stream, messages: [{ role: 'user', text: 'hi' }] });
      await eventually(() => readRecords(recording), (r) => r.length === 2);
    } finally {
      await lip.close();
    }
  });
  after(async () => {
    await upstream.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const replay = async () => {
    const out: string[] = [];
    const code = await main(['replay', recording, '--live', '--json', '--config', configPath], { out: (t) => out.push(t), err: () => undefined }, {});
    return { code, report: JSON.parse(out.join('\n')) as ReplayReport };
  };

  it('is same when the upstream answers as it did, and sends every request again', async () => {
    const before = upstream.requests.length;
    const { code, report } = await replay();
    expect(code).to.equal(0);
    expect(report.summary).to.deep.include({ same: 2, total: 2 });
    expect(upstream.requests.length - before).to.equal(2);
  });

  it('is output-changed when the upstream now answers differently', async () => {
    answer = { text: ['Hello ', 'world'] };
    const { code, report } = await replay();
    expect(code).to.equal(1);
    expect(report.exchanges.map((e) => e.state)).to.deep.equal(['output-changed', 'output-changed']);
    expect(report.exchanges[0]!.difference?.fields).to.deep.include({ path: 'text', recorded: 'again', replayed: 'world' });
  });
});
