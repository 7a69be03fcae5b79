import { expect } from 'chai';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeArgs } from '../../lib/cli/commands/serve.js';
import { main } from '../../lib/cli/main.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';

const CORPUS = join(CORPUS_DIR, 'corpus.jsonl');
const CONFIG = join(CORPUS_DIR, 'lip.yaml');
const LINES = readFileSync(CORPUS, 'utf8').trim().split('\n');

/** `lip ...argv` in process, with `lip serve` replaced by a stand-in that records its arguments (nothing is served). */
async function lip(argv: string[], alwaysYargs = false) {
  const out: string[] = [];
  const err: string[] = [];
  let served: ServeArgs | undefined;
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, {}, {
    alwaysYargs,
    serve: async (args) => {
      served = args;
      return 0;
    },
  });
  return { code, served, stdout: out.join('\n'), stderr: err.join('\n') };
}

// Found by probing the command line: `lip -- serve` ran nothing and exited 0, and
// `lip serve -- --port 1` served on the config's port, the words after `--` silently dropped.
describe('regression: arguments after --', function () {
  this.timeout(30_000);

  it('a command word after -- is no command: "name a command", exit 2', async () => {
    for (const argv of [['--', 'serve'], ['--config', CONFIG, '--', 'routes']]) {
      const r = await lip(argv);
      expect([r.code, r.served, r.stdout], argv.join(' ')).to.deep.equal([2, undefined, '']);
      expect(r.stderr, argv.join(' ')).to.contain('lip: name a command (see lip --help)');
    }
  });

  it('the commands that take no arguments refuse any after -- (exit 2, nothing run)', async () => {
    for (const alwaysYargs of [false, true]) {
      const r = await lip(['serve', '--', '--port', '1'], alwaysYargs);
      expect([r.code, r.served]).to.deep.equal([2, undefined]);
      expect(r.stderr).to.contain('lip: lip serve takes no arguments, got "--port" "1" after --');
    }
    for (const command of ['check-config', 'routes', 'inventory']) {
      const r = await lip([command, '--config', CONFIG, '--', 'extra']);
      expect([r.code, r.stdout], command).to.deep.equal([2, '']);
      expect(r.stderr, command).to.contain(`lip: lip ${command} takes no arguments, got "extra" after --`);
    }
    // `--` with nothing after it takes nothing away.
    expect((await lip(['routes', '--config', CONFIG, '--'])).code).to.equal(0);
  });

  it('lip replay takes the words after -- as files, whatever they look like', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lip-dashes-'));
    try {
      const odd = join(dir, '-odd.jsonl');
      copyFileSync(CORPUS, odd);
      const r = await lip(['replay', '--config', CONFIG, '--json', CORPUS, '--', odd, '007']);
      expect(r.code).to.equal(2); // 007 is no file: read as a file, not as the number 7
      expect(r.stderr).to.contain('lip replay: cannot read 007');
      const both = await lip(['replay', '--config', CONFIG, '--json', CORPUS, '--', odd]);
      expect(both.code, both.stderr).to.equal(0);
      expect((JSON.parse(both.stdout) as ReplayReport).summary.total).to.equal(2 * LINES.length);
      const none = await lip(['replay', '--config', CONFIG, '--']);
      expect([none.code, none.stdout]).to.deep.equal([2, '']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
