import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORDING_COUNTS } from '../../lib/replay/recording-writer.js';
import { testConfig } from '../helpers/config.js';
import { startLip } from '../helpers/lip.js';
import { eventually } from './recording-helpers.js';

/**
 * A recording that cannot keep up never slows serving: the file is a FIFO nobody reads yet,
 * so the first write blocks; with `queue_size: 1` one more exchange waits and every later one
 * is dropped and counted in `lip_recording_dropped_total`, while every request is answered.
 */
describe('recording: a full write queue drops exchanges and counts them', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-fifo-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every request, drops beyond the queue, and exposes the count', async () => {
    const fifo = join(dir, 'rec.fifo');
    execFileSync('mkfifo', [fifo]);
    const lip = await startLip(testConfig('  - { id: stub, kind: localstub, models: [m] }',
      `routing: { default_route: "stub:m" }\nobservability: { metrics: { enabled: true } }\nrecording: { enabled: true, path: "${fifo}", queue_size: 1 }`));
    const droppedBefore = RECORDING_COUNTS.dropped;
    let reader: ReturnType<typeof createReadStream> | undefined;
    try {
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${lip.url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'stub:m', messages: [{ role: 'user', content: `n${i}` }] }),
        });
        expect(res.status).to.equal(200);
        await res.json();
        // Let this exchange reach the writer before the next one (finish is one tick later).
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await eventually(() => RECORDING_COUNTS.dropped - droppedBefore, (n) => n === 4);
      const metrics = await (await fetch(`${lip.url}/metrics`)).text();
      expect(metrics).to.match(new RegExp(`^lip_recording_dropped_total ${RECORDING_COUNTS.dropped}$`, 'm'));
      // A reader arrives: the two exchanges that were taken are written.
      const chunks: Buffer[] = [];
      reader = createReadStream(fifo);
      reader.on('data', (c) => { chunks.push(Buffer.from(c)); });
      const ended = new Promise<void>((resolve) => reader!.on('end', () => resolve()));
      await lip.close();
      await ended;
      const lines = Buffer.concat(chunks).toString('utf8').trim().split('\n');
      expect(lines).to.have.length(2);
      expect(lines.map((l) => (JSON.parse(l) as { served: string }).served)).to.deep.equal(['stub:m', 'stub:m']);
    } finally {
      reader?.destroy();
    }
  });
});
