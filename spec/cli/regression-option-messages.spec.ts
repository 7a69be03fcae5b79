import { expect } from 'chai';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { ServeArgs } from '../../lib/cli/commands/serve.js';
import { main } from '../../lib/cli/main.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';

/** `lip ...argv` in process, `lip serve` replaced by a stand-in that records its arguments. */
async function lip(argv: string[], alwaysYargs = false) {
  const err: string[] = [];
  let served: ServeArgs | undefined;
  const code = await main(argv, { out: () => undefined, err: (t) => err.push(t) }, {}, {
    alwaysYargs,
    serve: async (args) => {
      served = args;
      return 0;
    },
  });
  return { code, served, stderr: err.join('\n') };
}

// Found by probing the command line: the messages for an option left without its value said
// other than docs/cli.md (`lip: --port needs a value`): `--port` alone was "--port must be a
// whole number from 0 to 65535 …, got """ (so were --workers and --concurrency=), `-c` alone
// said "-c needs a value" where `-c ' '` said "--config needs a value"; and check-config, routes
// and inventory printed a config they could not read without the `lip:` that serve puts first.
describe('regression: the messages of the command line say what docs/cli.md says', function () {
  this.timeout(30_000);

  it('--port, --workers, --concurrency given no value, an empty or a blank one: "needs a value" (exit 2)', async () => {
    const replay = ['replay', join(CORPUS_DIR, 'corpus.jsonl')];
    for (const [argv, flag] of [
      [['serve', '--port'], '--port'], [['serve', '--port='], '--port'], [['serve', '--port', ' '], '--port'],
      [['serve', '--workers'], '--workers'], [['serve', '--workers='], '--workers'], [['serve', '--workers', ' '], '--workers'],
      [[...replay, '--concurrency'], '--concurrency'], [[...replay, '--concurrency='], '--concurrency'], [[...replay, '--concurrency', ' '], '--concurrency'],
    ] as const) {
      for (const alwaysYargs of [false, true]) {
        const r = await lip([...argv], alwaysYargs);
        expect([r.code, r.served], argv.join(' ')).to.deep.equal([2, undefined]);
        expect(r.stderr, argv.join(' ')).to.equal(`lip: ${flag} needs a value (see lip --help)`);
      }
    }
  });

  it('-c is --config in its messages, given no value or a blank one', async () => {
    for (const argv of [['serve', '-c'], ['-c'], ['serve', '-c', ' '], ['routes', '-c'], ['routes', '-c', '']]) {
      const r = await lip(argv, true);
      expect([r.code, r.stderr], argv.join(' ')).to.deep.equal([2, 'lip: --config needs a value (see lip --help)']);
    }
  });

  it('check-config, routes and inventory say lip: before a config they cannot read, as serve does', async () => {
    const missing = join(tmpdir(), 'lip-spec-no-such-config.yaml');
    for (const command of ['check-config', 'routes', 'inventory']) {
      const r = await lip([command, '-c', missing]);
      expect(r.code, command).to.equal(1);
      expect(r.stderr, command).to.match(new RegExp(`^lip: cannot read config file ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
    }
  });
});
