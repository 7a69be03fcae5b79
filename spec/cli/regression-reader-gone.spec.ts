import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { LIP_BIN } from '../helpers/spawn-lip.js';

/**
 * Runs `node bin/lip.js ...args` and closes its stdout's reader once lip has begun to write,
 * unread, as `head` does when it has its lines. lip's output is far larger than the pipe holds,
 * so lip still has output to write when the reader is gone.
 */
async function readerLeaves(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const proc = spawn(process.execPath, [LIP_BIN, ...args], { env: { ...process.env, LIP_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
  await once(proc.stdout, 'readable');
  proc.stdout.destroy();
  const [code, signal] = (await once(proc, 'exit')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stderr };
}

// Found by probing the command line: `lip replay … | head -1` crashed with an unhandled EPIPE
// 'error' of process.stdout (a stack trace) and exit 1, the code of "differences".
describe('regression: a command whose reader leaves ends quietly with 141', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-epipe-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('lip replay (a line per exchange) and lip replay --json: no stack trace, exit 141', async () => {
    const corpus = readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').trim();
    const recording = join(dir, 'long.jsonl');
    writeFileSync(recording, `${Array.from({ length: 60 }, () => corpus).join('\n')}\n`);
    for (const json of [[], ['--json']]) {
      const r = await readerLeaves(['replay', recording, '-c', join(CORPUS_DIR, 'lip.yaml'), ...json]);
      expect([r.code, r.signal, r.stderr], json.join(' ')).to.deep.equal([141, null, '']);
    }
  });

  it('lip inventory --json: no stack trace, exit 141', async () => {
    const models = Array.from({ length: 5_000 }, (_, i) => `model-number-${i}`);
    const config = join(dir, 'big.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: 0 }\nbackends:\n  - { id: stub, kind: localstub, models: [${models.join(', ')}] }\n`);
    const r = await readerLeaves(['inventory', '-c', config, '--json']);
    expect([r.code, r.signal, r.stderr]).to.deep.equal([141, null, '']);
  });
});
