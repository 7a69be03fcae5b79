import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServeArgs } from '../../lib/cli/commands/serve.js';
import { main } from '../../lib/cli/main.js';
import { CORPUS_DIR } from '../replay/corpus/record-corpus.js';

/** `lip ...argv` in process, `lip serve` replaced by a stand-in that records its arguments. */
async function lip(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  let served: ServeArgs | undefined;
  const code = await main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, { LIP_SPEC_UNSET_KEY: undefined }, {
    serve: async (args) => {
      served = args;
      return 0;
    },
  });
  return { code, served, stdout: out.join('\n'), stderr: err.join('\n') };
}

// Found by probing the command line: yargs reads `--strict=yes` (or =1, =on, =TRUE) as false, so
// `lip check-config --strict=yes` passed a config with warnings, and `--json=yes`, `--live=1`,
// `--multi-user=1` silently meant "off". A value other than true or false is now a usage error.
describe('regression: a switch given a value other than true or false is refused', function () {
  this.timeout(30_000);
  let dir: string;
  let warn: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-switch-values-'));
    warn = join(dir, 'warn.yaml');
    writeFileSync(warn, 'server: { port: 0 }\nbackends:\n  - { id: o, kind: openai-chat, api_key_env: LIP_SPEC_UNSET_KEY, models: [g] }\n  - { id: s, kind: localstub, models: [m] }\nrouting: { default_route: "s:m" }\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('check-config --strict=yes|1|on|TRUE: exit 2 naming the flag, nothing checked', async () => {
    for (const value of ['yes', '1', 'on', 'TRUE', '']) {
      const r = await lip(['check-config', '-c', warn, `--strict=${value}`]);
      expect([r.code, r.stdout], value).to.deep.equal([2, '']);
      expect(r.stderr, value).to.contain(`lip: --strict is a switch: give --strict alone, or --strict=true / --strict=false (got "--strict=${value}")`);
    }
  });

  it('=true and =false still mean on and off', async () => {
    expect((await lip(['check-config', '-c', warn, '--strict=true'])).code).to.equal(1);
    expect((await lip(['check-config', '-c', warn, '--strict=false'])).code).to.equal(0);
    expect((await lip(['check-config', '-c', warn, '--strict'])).code).to.equal(1);
  });

  it('--json, --live, --multi-user (and --no-…) with other values: exit 2, nothing run', async () => {
    const replay = ['replay', join(CORPUS_DIR, 'corpus.jsonl'), '-c', join(CORPUS_DIR, 'lip.yaml')];
    for (const [argv, flag] of [
      [['routes', '-c', warn, '--json=yes'], '--json=yes'],
      [['inventory', '-c', warn, '--json=1'], '--json=1'],
      [['inventory', '-c', warn, '--live=1'], '--live=1'],
      [[...replay, '--json=on'], '--json=on'],
      [[...replay, '--live=yes'], '--live=yes'],
      [['serve', '--multi-user=1'], '--multi-user=1'],
      [['serve', '--no-multi-user=0'], '--no-multi-user=0'],
    ] as const) {
      const r = await lip([...argv]);
      expect([r.code, r.stdout, r.served], argv.join(' ')).to.deep.equal([2, '', undefined]);
      const name = flag.slice(0, flag.indexOf('='));
      expect(r.stderr, argv.join(' ')).to.contain(`lip: ${name} is a switch: give ${name} alone, or ${name}=true / ${name}=false (got "${flag}")`);
    }
    const served = await lip(['serve', '--multi-user=true']);
    expect([served.code, served.served?.multiUser]).to.deep.equal([0, true]);
  });
});
