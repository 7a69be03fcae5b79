import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';
import { LIP_BIN } from '../helpers/spawn-lip.js';

const CONFIG = join(CORPUS_DIR, 'lip.yaml');

/** Polls until `check` holds (`what` names it in the failure). */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 30_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Found by probing the command line: the copy of standard input `lip replay -` makes in $TMPDIR
// was removed in a `finally`, which never ran when the process ended otherwise: a reader that
// left (`lip replay - < big.jsonl | head -1`, exit 141) or a Ctrl-C (exit 130) left the
// recording's traffic behind in $TMPDIR.
describe('regression: lip replay - leaves no copy of standard input behind', function () {
  this.timeout(90_000);
  let temp: string;
  beforeEach(() => { temp = mkdtempSync(join(tmpdir(), 'lip-stdin-left-')); });
  afterEach(() => rmSync(temp, { recursive: true, force: true }));

  /** `lip replay - -c CONFIG ...args` with its own TMPDIR, stdin and stdout piped. */
  function replay(args: readonly string[] = []) {
    const proc = spawn(process.execPath, [LIP_BIN, 'replay', '-', '-c', CONFIG, ...args], { env: { ...process.env, LIP_CONFIG: '', TMPDIR: temp }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    proc.stdin.on('error', () => undefined); // lip may end before it read everything
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    return { proc, exited, stderr: () => stderr };
  }

  it('the reader of stdout leaves (| head -1): exit 141, the copy removed', async () => {
    const corpus = readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').trim();
    const lip = replay();
    lip.proc.stdin.end(`${Array.from({ length: 60 }, () => corpus).join('\n')}\n`);
    await once(lip.proc.stdout, 'readable');
    lip.proc.stdout.destroy();
    expect(await lip.exited, lip.stderr()).to.deep.equal([141, null]);
    expect(readdirSync(temp)).to.deep.equal([]);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} while standard input is read: ended by the ${signal} (exit ${signal === 'SIGINT' ? 130 : 143} in a shell), the copy removed`, async () => {
      const lip = replay();
      lip.proc.stdout.resume();
      // A recording still arriving (a terminal, a slow pipe): lip waits for the rest.
      lip.proc.stdin.write(`${readFileSync(join(CORPUS_DIR, 'corpus.jsonl'), 'utf8').split('\n')[0]}\n`);
      await until(() => readdirSync(temp).some((name) => name.startsWith('lip-replay-stdin-')), 'lip copies standard input');
      lip.proc.kill(signal);
      expect(await lip.exited, lip.stderr()).to.deep.equal([null, signal]);
      expect(readdirSync(temp)).to.deep.equal([]);
    });
  }
});
