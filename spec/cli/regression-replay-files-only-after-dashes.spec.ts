import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');
const LINES = readFileSync(CORPUS, 'utf8').trim().split('\n');

/** `lip ...argv` in process. */
async function lip(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, {});
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

// Found by probing the command line: `lip replay -c lip.yaml -- FILE`, docs/cli.md's own way of
// naming a file that looks like an option, was refused with "Not enough non-option arguments":
// yargs counted only the words before `--` against `replay <files..>`.
describe('regression: lip replay takes its files after -- alone', function () {
  this.timeout(30_000);

  it('lip replay -c F -- FILE replays FILE (exit 0)', async () => {
    const r = await lip(['replay', '-c', CONFIG, '--json', '--', CORPUS]);
    expect(r.code, r.stderr).to.equal(0);
    expect((JSON.parse(r.stdout) as ReplayReport).summary).to.deep.include({ total: LINES.length, same: LINES.length });
  });

  it('no file at all, before or after --, is still a usage error naming what is missing (exit 2)', async () => {
    for (const argv of [['replay', '-c', CONFIG], ['replay', '-c', CONFIG, '--']]) {
      const r = await lip(argv);
      expect([r.code, r.stdout], argv.join(' ')).to.deep.equal([2, '']);
      expect(r.stderr, argv.join(' ')).to.contain('lip replay: name a recording file (- for standard input)');
    }
  });
});
