import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLip, serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { collectChatStream } from '../helpers/sse-client.js';

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
const logged = (p: LipProcess, message: string) => lines(p).filter((l) => l.message === message);
async function until(what: string, predicate: () => boolean, p: LipProcess, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (p.proc.exitCode !== null) throw new Error(`lip exited with ${p.proc.exitCode} while waiting for ${what}:\n${p.stdout()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${p.stdout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


/**
 * Regression: SIGHUP while lip drained for a stop (SIGTERM) was applied. The runtime it replaced
 * then closed under the streams the drain still let run (a timer of `server.shutdown_timeout`),
 * and the shutdown cancelled them on a closed runtime: their recorded exchanges and attempt rows
 * were lost. Under `--workers` the primary reloaded every worker while it stopped them. A SIGHUP
 * once stopping is now ignored, with one log line (`reload ignored: shutting down`); the reload
 * endpoint answers 503 meanwhile (spec/server/regression-reload-while-draining.spec.ts).
 */
describe('regression: SIGHUP while lip serve stops (spawned)', function () {
  this.timeout(90_000);
  let dir: string;
  let lip: (LipProcess & { url: string }) | undefined;

  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-reload-draining-cli-')); });
  afterEach(async () => {
    await killLip(lip);
    lip = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const configText = (recording: string) => `server: { host: 127.0.0.1, port: 0, drain_delay: 3s, shutdown_timeout: 1s }
logging: { format: json }
routing: { default_route: "slow:m" }
recording: { enabled: true, path: "${join(dir, recording)}" }
backends:
  - { id: slow, kind: localstub, models: [m], text: "${'w '.repeat(100).trim()}", chunks: 100, chunk_delay: 200ms }
`;
  const asked = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean) : [])
    .map((line) => (JSON.parse(line) as { request: { body: { messages: { content: string }[] } } }).request.body.messages[0]!.content);

  it('one process: a SIGHUP during the drain is ignored, and the stream the shutdown cuts is recorded where it began', async () => {
    const path = join(dir, 'lip.yaml');
    writeFileSync(path, configText('before.jsonl'));
    lip = await serveLip(['--config', path]);
    const stream = collectChatStream(lip.url, 'slow:m', 'cut by the stop');
    await stream.started;
    lip.proc.kill('SIGTERM');
    await until('draining', () => logged(lip!, 'draining').length === 1, lip);
    writeFileSync(path, configText('after.jsonl'));
    lip.proc.kill('SIGHUP');
    await until('the SIGHUP ignored', () => logged(lip!, 'reload ignored: shutting down').length === 1, lip);
    expect(await lip.exited).to.equal(0);
    expect(await stream.done).to.contain('LIP_ERR_SERVER_SHUTTING_DOWN');
    expect(logged(lip, 'reload ignored: shutting down')[0]).to.deep.include({ level: 'warn', trigger: 'signal' });
    expect(logged(lip, 'configuration reloaded')).to.deep.equal([]);
    expect([asked('before.jsonl'), asked('after.jsonl')]).to.deep.equal([['cut by the stop'], []]);
  });

  it('--workers: the primary ignores a SIGHUP while it stops the workers, and reloads none of them', async () => {
    const path = join(dir, 'lip.yaml');
    writeFileSync(path, configText('before.jsonl'));
    lip = await serveLip(['--config', path, '--workers', '2']);
    lip.proc.kill('SIGTERM');
    await until('the workers stopping', () => logged(lip!, 'stopping the workers').length === 1, lip);
    writeFileSync(path, configText('after.jsonl'));
    lip.proc.kill('SIGHUP');
    await until('the SIGHUP ignored', () => logged(lip!, 'reload ignored: shutting down').length === 1, lip);
    expect(await lip.exited).to.equal(0);
    const ignored = logged(lip, 'reload ignored: shutting down');
    expect([ignored.length, ignored[0]!.worker]).to.deep.equal([1, undefined]); // the primary's
    expect(logged(lip, 'reload of all workers')).to.deep.equal([]);
    expect(logged(lip, 'configuration reloaded')).to.deep.equal([]);
  });
});
