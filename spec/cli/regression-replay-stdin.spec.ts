import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { replayCommand } from '../../lib/cli/commands/replay.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { spawnLip } from '../helpers/spawn-lip.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');
const LINES = readFileSync(CORPUS, 'utf8').trim().split('\n');
const idOf = (line: string) => (JSON.parse(line) as { id: string }).id;

// Found by probing the command line: yargs drops a bare `-`, so `lip replay - < corpus.jsonl`
// replayed nothing and exited 0 ("all same"), and `lip replay a.jsonl -` replayed a.jsonl alone.
describe('regression: lip replay - reads the recording from standard input', function () {
  this.timeout(60_000);
  let dir: string;
  let temp: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-stdin-')); });
  beforeEach(() => { temp = mkdtempSync(join(dir, 'tmp-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** `lip replay ...args` with `input` on its standard input, and its own TMPDIR (to see that the copy of stdin is removed). */
  async function replay(args: readonly string[], input: string | Buffer) {
    const lip = spawnLip(['replay', ...args], { TMPDIR: temp });
    lip.proc.stdin.end(input);
    const code = await lip.exited;
    expect(readdirSync(temp), 'the copy of standard input is removed').to.deep.equal([]);
    return { code, stdout: lip.stdout(), stderr: lip.stderr() };
  }

  it('replays every exchange of a recording piped in, plain or gzip-compressed', async () => {
    for (const input of [readFileSync(CORPUS), gzipSync(readFileSync(CORPUS))]) {
      const r = await replay(['-c', CONFIG, '-', '--json'], input);
      expect(r.code, r.stderr).to.equal(0);
      expect((JSON.parse(r.stdout) as ReplayReport).summary).to.deep.include({ total: LINES.length, same: LINES.length });
    }
  });

  it('takes - among files, in its place (before or after them, options between)', async () => {
    const first = join(dir, 'first.jsonl');
    writeFileSync(first, `${LINES.slice(0, 3).join('\n')}\n`);
    const piped = `${LINES.slice(3, 5).join('\n')}\n`;
    const after = await replay([first, '--json', '-', '-c', CONFIG], piped);
    expect(after.code, after.stderr).to.equal(0);
    expect((JSON.parse(after.stdout) as ReplayReport).exchanges.map((e) => e.id)).to.deep.equal(LINES.slice(0, 5).map(idOf));
    const before = await replay(['-c', CONFIG, '--concurrency', '1', '-', first, '--json'], piped);
    expect(before.code, before.stderr).to.equal(0);
    expect((JSON.parse(before.stdout) as ReplayReport).exchanges.map((e) => e.id)).to.deep.equal([...LINES.slice(3, 5), ...LINES.slice(0, 3)].map(idOf));
  });

  it('names standard input - in messages: a bad line is exit 2 with its number', async () => {
    const r = await replay(['-', '-c', CONFIG], `${LINES[0]}\n{"v":2}\n${LINES[1]}\n`);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('lip replay: -:2: not a recording line: unsupported record version 2');
  });

  it('refuses - named twice, and an empty list of files (exit 2, nothing replayed)', async () => {
    const twice = await replay(['-', '-c', CONFIG, '-'], readFileSync(CORPUS));
    expect(twice.code).to.equal(2);
    expect(twice.stderr).to.contain('lip replay: - (standard input) is named more than once; it can be read only once');
    expect(twice.stdout).to.equal('');
    const err: string[] = [];
    const none = await replayCommand({ files: [], configPath: CONFIG, json: false, ids: [], concurrency: 1, live: false }, { out: () => undefined, err: (t) => err.push(t) });
    expect(none).to.equal(2);
    expect(err.join('\n')).to.contain('lip replay: name a recording file (- for standard input)');
  });
});
