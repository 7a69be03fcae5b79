import { expect } from 'chai';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordingWriter } from '../../lib/replay/recording-writer.js';
import { mountTmpfs, sh } from '../helpers/file-faults.js';

/**
 * Regression (found probing recording on a full disk): an outage is logged once, but each batch
 * of it opened the file again, removed the line the last short write had cut, and logged that as
 * an error: 26 lines for 600 requests. The cut lines an outage leaves are its own (counted among
 * the lines it lost) and are removed quietly now; a cut line found while writes work (a crash
 * left it) is still logged.
 */
describe('regression: a full disk is logged once, not once per batch', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'lip-full-disk-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('batch after batch of a full disk (a 64 KiB tmpfs where mount is allowed, else short writes and failures in turn): one error, then one warning', async () => {
    const small = join(dir, 'small');
    mkdirSync(small);
    const real = mountTmpfs(small, '64k');
    try {
      const path = join(small, 'rec.jsonl');
      const said: string[] = [];
      const line = (n: number) => JSON.stringify({ n, pad: 'y'.repeat(1_000) });
      // Without a tmpfs, a rotation that fails (what it would remove is a directory that is not empty) fails every batch.
      const writer = new RecordingWriter({ path, maxFileBytes: real ? 1 << 20 : 1_500, maxFiles: 2, queueSize: 1_000, logger: { error: (m) => said.push(m), warn: (m) => said.push(m) } });
      let n = 0;
      const batch = async (size: number) => {
        for (let i = 0; i < size; i++) writer.push(line(n++));
        await writer.flush();
      };
      if (real) writeFileSync(join(small, 'filler'), Buffer.alloc(40 * 1_024));
      else {
        mkdirSync(`${path}.1`);
        writeFileSync(join(`${path}.1`, 'keep'), 'x');
      }
      await batch(1);
      for (let round = 0; round < 10; round++) {
        await batch(real ? 10 : 1);
        // What the full disk leaves: the line its short write cut.
        if (!real) appendFileSync(path, line(-1).slice(0, 300));
      }
      expect(readFileSync(path).at(-1), 'the outage left a cut line').not.to.equal(0x0a);
      if (real) rmSync(join(small, 'filler'));
      else rmSync(`${path}.1`, { recursive: true });
      await batch(3);
      await writer.close();
      expect(said).to.deep.equal([
        'recording write failed; exchanges are lost until it works again (logged once until then)',
        'recording writes work again',
      ]);
      const lines = readFileSync(path, 'utf8').split('\n');
      expect(lines.pop(), 'the file ends with a newline').to.equal('');
      // Whole lines only, the last one written last.
      expect(lines.map((l) => (JSON.parse(l) as { n: number }).n).at(-1)).to.equal(n - 1);
    } finally {
      if (real) sh('umount', [small]);
    }
  });
});
