import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CORPUS_DIR } from './corpus/record-corpus.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');
const LINES = readFileSync(CORPUS, 'utf8').trim().split('\n');
const idOf = (line: string) => (JSON.parse(line) as { id: string }).id;

/**
 * Regression (found probing `lip replay` of a live recording): the second pass read each file to
 * its end again, so lines `lip serve` appended after the first pass checked the file were
 * replayed unchecked (a summary total past the count, `[20100/20000]`), a bad line among them was
 * dropped silently, and a file replaced meanwhile was replayed as if checked. The second pass
 * stops where the first one did now, and a file replaced or changed meanwhile is exit 2.
 *
 * The file changes when the first pass reports its cut last line (on stderr), which it does
 * after it checked that file and before anything is replayed.
 */
describe('regression: lip replay of a file that changes between its two passes', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-replay-grow-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** `lip replay FILE -c CONFIG --json`, calling `meanwhile` once the first pass reported a skipped last line. */
  async function replay(file: string, meanwhile: () => void) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['replay', file, '--config', CONFIG, '--json', '--concurrency', '1'], {
      out: (t) => out.push(t),
      err: (t) => {
        err.push(t);
        if (t.includes('skipped a truncated last line')) meanwhile();
      },
    }, {});
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('replays only the lines the first pass checked: not the cut last line completed since, nor lines appended after it', async () => {
    const path = join(dir, 'traffic.jsonl');
    writeFileSync(path, `${LINES.slice(0, 4).join('\n')}\n${LINES[4]!.slice(0, 60)}`);
    // As lip serve goes on writing: the cut line completed, more records, a line that is no record.
    const r = await replay(path, () => appendFileSync(path, `${LINES[4]!.slice(60)}\n${LINES.slice(5, 8).join('\n')}\n{"this is": "not a record"}\n${LINES[8]}\n`));
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ReplayReport;
    expect(report.summary).to.deep.include({ total: 4, same: 4 });
    expect(report.exchanges.map((e) => e.id)).to.deep.equal(LINES.slice(0, 4).map(idOf));
  });

  it('a file replaced between the passes (a rotation moved it away) is exit 2, naming it', async () => {
    const path = join(dir, 'traffic.jsonl');
    writeFileSync(path, `${LINES.slice(0, 4).join('\n')}\n${LINES[4]!.slice(0, 60)}`);
    const next = join(dir, 'next.jsonl');
    writeFileSync(next, `${LINES.slice(5, 9).join('\n')}\n`);
    const r = await replay(path, () => renameSync(next, path));
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain(`lip replay: cannot read the recording again: ${path} was replaced since it was checked`);
  });

  it('a file cut shorter, or rewritten with a line that is no record, between the passes is exit 2', async () => {
    for (const [label, rewrite] of [['shorter', `${LINES.slice(0, 2).join('\n')}\n`], ['rewritten', `${LINES[0]}\n{"v":2}\n${LINES.slice(2, 4).join('\n')}\n`]] as const) {
      const path = join(dir, `${label}.jsonl`);
      writeFileSync(path, `${LINES.slice(0, 4).join('\n')}\n${LINES[4]!.slice(0, 60)}`);
      // In place (logrotate's copytruncate, an editor), so the same file.
      const r = await replay(path, () => writeFileSync(path, rewrite));
      expect(r.code, label).to.equal(2);
      expect(r.stderr, label).to.contain(`lip replay: cannot read the recording again: ${path} changed since it was checked`);
    }
  });
});
