import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { LIP_BIN } from '../helpers/spawn-lip.js';

/**
 * Runs `node bin/lip.js ...args` with its stdout on a pipe that is not read at first: once lip has
 * begun to write, the reader waits until lip exits or two seconds pass, then reads everything.
 * lip's output is far larger than the pipe's buffer, so it cannot be written whole before the
 * reader reads: a lip that exits first has cut it.
 */
async function slowlyRead(args: readonly string[]): Promise<{ code: number | null; stdout: string; exitedUnread: boolean }> {
  const proc = spawn(process.execPath, [LIP_BIN, ...args], { env: { ...process.env, LIP_CONFIG: '' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(proc, 'exit');
  await once(proc.stdout, 'readable');
  const exitedUnread = await Promise.race([exited.then(() => true), delay(2_000).then(() => false)]);
  const chunks: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => chunks.push(c));
  const [code] = (await once(proc, 'close')) as [number | null];
  return { code, stdout: Buffer.concat(chunks).toString('utf8'), exitedUnread };
}

// Found by probing the command line: `lip inventory --json | wc -c` said 65536 (3 MB to a file)
// and `lip replay --json` was cut too, both with exit 0: bin/lip.js called process.exit() as soon
// as the command resolved, while the rest of the output still waited for the pipe.
describe('regression: output to a slow pipe is written whole before lip exits', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-pipe-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lip inventory --json: every byte of a large inventory, valid JSON, exit 0', async () => {
    const models = Array.from({ length: 5_000 }, (_, i) => `model-number-${i}`);
    const config = join(dir, 'big.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0 }\nbackends:\n  - { id: stub, kind: localstub, models: [${models.join(', ')}] }\n`);
    const r = await slowlyRead(['inventory', '-c', config, '--json']);
    expect(r.exitedUnread, 'lip exited with its output unread').to.equal(false);
    expect(r.stdout.length).to.be.greaterThan(256 * 1024);
    const inventory = JSON.parse(r.stdout) as unknown;
    expect(JSON.stringify(inventory)).to.contain('stub:model-number-4999');
    expect(r.code).to.equal(0);
  });

  it('lip replay --json: the whole report of a long recording, valid JSON, exit 0', async () => {
    const corpus = readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').trim();
    const lines = corpus.split('\n').length;
    const recording = join(dir, 'long.jsonl');
    writeFileSync(recording, `${Array.from({ length: 60 }, () => corpus).join('\n')}\n`);
    const r = await slowlyRead(['replay', recording, '-c', join(CORPUS_DIR, 'lip.yaml'), '--json']);
    expect(r.exitedUnread, 'lip exited with its output unread').to.equal(false);
    expect(r.stdout.length).to.be.greaterThan(256 * 1024);
    const report = JSON.parse(r.stdout) as { summary: { total: number; same: number } };
    expect(report.summary).to.deep.include({ total: 60 * lines, same: 60 * lines });
    expect(r.code).to.equal(0);
  });
});
