import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { LIP_BIN } from '../helpers/spawn-lip.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');

/** `lip replay ...args` with the file `stdin` as its standard input (`< stdin` in a shell). */
async function replayFrom(stdin: string, args: readonly string[]) {
  const fd = openSync(stdin, 'r');
  try {
    const proc = spawn(process.execPath, [LIP_BIN, 'replay', ...args], { env: { ...process.env, LIP_CONFIG: '' }, stdio: [fd, 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr!.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    proc.stdout!.resume();
    const [code] = (await once(proc, 'exit')) as [number | null];
    return { code, stderr };
  } finally {
    closeSync(fd);
  }
}

// Found by probing the command line: `lip replay - --report c.jsonl < c.jsonl` overwrote the
// recording with the report: the check that --report is none of the inputs skipped `-`.
describe('regression: --report naming the recording redirected to standard input is refused', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-report-stdin-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lip replay - --report c.jsonl < c.jsonl: exit 2, the recording untouched', async () => {
    const recording = join(dir, 'c.jsonl');
    copyFileSync(CORPUS, recording);
    const r = await replayFrom(recording, ['-', '-c', CONFIG, '--report', recording]);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.contain(`lip replay: the report ${recording} is the recording -: writing it would overwrite the input; name another file for --report`);
    expect(readFileSync(recording)).to.deep.equal(readFileSync(CORPUS));
  });

  it('another report file is written as before', async () => {
    const recording = join(dir, 'd.jsonl');
    copyFileSync(CORPUS, recording);
    const report = join(dir, 'report.json');
    const r = await replayFrom(recording, ['-', '-c', CONFIG, '--report', report]);
    expect(r.code, r.stderr).to.equal(0);
    expect(existsSync(report)).to.equal(true);
  });
});
