import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingWriter } from '../../lib/replay/recording-writer.js';

/**
 * Regression (found probing rotation in operation): a rotation deleted only `path.(max_files-1)`,
 * so after `max_files` was lowered (a reload keeps the writer and takes the new count; a restart
 * finds the files) the files beyond the new count stayed for good (`traffic.jsonl.2` … `.5` after
 * 6 -> 2). A rotation deletes every `path.N` with N at or past the count now, found in one read
 * of the directory (no rename tried for a file that is not there).
 */
describe('regression: lowering recording.max_files removes the files beyond it', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-max-files-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const line = (n: number) => JSON.stringify({ n, pad: 'x'.repeat(40) }); // 60 bytes with the newline: one per file
  const numbers = (name: string) => readFileSync(join(dir, name), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n);

  it('a reload from 6 to 2 keeps rec.jsonl and rec.jsonl.1 at the next rotation', async () => {
    const path = join(dir, 'rec.jsonl');
    const options = { path, maxFileBytes: 100, maxFiles: 6, queueSize: 100 };
    const writer = new RecordingWriter(options).hold(options);
    let n = 0;
    const write = async (count: number) => {
      for (let i = 0; i < count; i++) {
        writer.push(line(n++));
        await writer.flush();
      }
    };
    await write(8);
    expect(readdirSync(dir).sort()).to.deep.equal(['rec.jsonl', 'rec.jsonl.1', 'rec.jsonl.2', 'rec.jsonl.3', 'rec.jsonl.4', 'rec.jsonl.5']);
    writer.hold({ ...options, maxFiles: 2 }); // what a reload to max_files: 2 does (the Recorder takes the writer over)
    await write(1);
    await writer.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['rec.jsonl', 'rec.jsonl.1']);
    expect([numbers('rec.jsonl'), numbers('rec.jsonl.1')]).to.deep.equal([[8], [7]]);
  });

  it('a restart with max_files 1 keeps only the current file; files of other names stay', async () => {
    const path = join(dir, 'rec.jsonl');
    writeFileSync(path, `${line(0)}\n`);
    for (const name of ['rec.jsonl.1', 'rec.jsonl.3', 'rec.jsonl.12', 'rec.jsonl.2.gz', 'rec.jsonl.old', 'other.jsonl.1']) writeFileSync(join(dir, name), `${line(-1)}\n`);
    const writer = new RecordingWriter({ path, maxFileBytes: 100, maxFiles: 1, queueSize: 100 });
    writer.push(line(1));
    await writer.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['other.jsonl.1', 'rec.jsonl', 'rec.jsonl.2.gz', 'rec.jsonl.old']);
    expect(numbers('rec.jsonl')).to.deep.equal([1]);
  });

  it('a gap in the rotated files (rec.jsonl.2 gone): each file moves up one, those that move past the count are removed', async () => {
    const path = join(dir, 'rec.jsonl');
    writeFileSync(path, `${line(4)}\n`);
    writeFileSync(`${path}.1`, `${line(3)}\n`);
    writeFileSync(`${path}.3`, `${line(1)}\n`);
    writeFileSync(`${path}.4`, `${line(0)}\n`);
    const writer = new RecordingWriter({ path, maxFileBytes: 100, maxFiles: 4, queueSize: 100 });
    writer.push(line(5));
    await writer.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['rec.jsonl', 'rec.jsonl.1', 'rec.jsonl.2']);
    expect(['rec.jsonl', 'rec.jsonl.1', 'rec.jsonl.2'].map(numbers)).to.deep.equal([[5], [4], [3]]);
  });
});
