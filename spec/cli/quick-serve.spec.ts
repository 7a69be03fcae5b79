import { expect } from 'chai';
import type { ServeArgs } from '../../lib/cli/commands/serve.js';
import { main } from '../../lib/cli/main.js';
import { quickServeFlags } from '../../lib/cli/quick-serve.js';

/** What `lip` would serve with for `argv` (nothing is served), through the quick reader or yargs. */
async function parsed(argv: string[], alwaysYargs: boolean, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; args: ServeArgs | undefined; err: string }> {
  let args: ServeArgs | undefined;
  let err = '';
  const code = await main(argv, { out: () => undefined, err: (text) => { err += text; } }, env, {
    alwaysYargs,
    serve: async (a) => {
      args = a;
      return 0;
    },
  });
  return { code, args, err };
}

describe('cli/quick-serve (lip serve without yargs)', () => {
  const taken: string[][] = [
    ['serve'],
    ['serve', '--config', 'lip.yaml'],
    ['serve', '-c', 'lip.yaml'],
    ['--config', 'lip.yaml', 'serve'],
    ['-c', 'lip.yaml', 'serve', '--port', '8080'],
    ['serve', '--config=lip.yaml', '--port=0', '--host=0.0.0.0'],
    ['serve', '--host', '::1', '--port', '65535', '--multi-user', '--workers', 'auto'],
    ['serve', '--workers=2', '--multi-user', '--config', './dir/with space.yaml'],
    ['serve', '--port', '443', '--host', '127.0.0.1'],
  ];

  for (const argv of taken) {
    it(`reads ${JSON.stringify(argv)} itself, exactly as yargs does`, async () => {
      expect(quickServeFlags(argv), 'the quick reader takes it').to.not.equal(undefined);
      const [quick, full] = [await parsed(argv, false), await parsed(argv, true)];
      expect(full.code).to.equal(0);
      expect(quick).to.deep.equal(full);
      expect(quick.args).to.not.equal(undefined);
    });
  }

  it('falls back to LIP_CONFIG without --config, like yargs', async () => {
    const env = { LIP_CONFIG: '/etc/lip/lip.yaml' };
    const [quick, full] = [await parsed(['serve', '--port', '1'], false, env), await parsed(['serve', '--port', '1'], true, env)];
    expect(quick).to.deep.equal(full);
    expect(quick.args).to.deep.equal({ configPath: '/etc/lip/lip.yaml', port: 1, multiUser: false });
  });

  const left: string[][] = [
    ['serve', '--help'],
    ['serve', '--port', 'abc'],
    ['serve', '--port=99999'],
    ['serve', '--workers', '0'],
    ['serve', '--config', 'a.yaml', '--config', 'b.yaml'],
    ['serve', '--multiUser'],
    ['serve', '--multi-user=false'],
    ['serve', '--host', '--port', '80'],
    ['serve', '--config='],
    ['serve', '--unknown', 'x'],
    ['serve', 'extra'],
    ['--port', '80', 'serve'],
    ['serve', '--', '--port', '80'],
    ['check-config'],
  ];

  for (const argv of left) {
    it(`leaves ${JSON.stringify(argv)} to yargs (same outcome either way)`, async () => {
      expect(quickServeFlags(argv)).to.equal(undefined);
      const [quick, full] = [await parsed(argv, false), await parsed(argv, true)];
      expect(quick.code).to.equal(full.code);
      expect(quick.args).to.deep.equal(full.args);
    });
  }

  it('yargs words the usage errors the quick reader leaves to it', async () => {
    const port = await parsed(['serve', '--port', 'abc'], false);
    expect([port.code, port.args]).to.deep.equal([2, undefined]);
    expect(port.err).to.contain('--port must be a whole number from 0 to 65535 (0: any free port), got "abc"');
    const repeated = await parsed(['serve', '--config', 'a.yaml', '--config', 'b.yaml'], false);
    expect(repeated.args?.configPath).to.equal('b.yaml'); // the later one wins
  });

  // Found by probing the command line: yargs hands a repeated --host as an array, which was
  // dropped (`typeof args.host === 'string'`), so the config's server.host was served instead.
  it('takes the last of a repeated --host, like --config and --port', async () => {
    for (const alwaysYargs of [false, true]) {
      const r = await parsed(['serve', '--host', '127.0.0.2', '--port', '1', '--host=127.0.0.3', '--port', '2'], alwaysYargs);
      expect([r.code, r.args], String(alwaysYargs)).to.deep.equal([0, { configPath: undefined, host: '127.0.0.3', port: 2, multiUser: false }]);
    }
  });

  it('refuses an option left without its value (`--config $UNSET` in a script) instead of serving the default config', async () => {
    for (const argv of [['serve', '--config'], ['serve', '--config='], ['serve', '--config', ''], ['--config', 'serve'], ['serve', '-c'],
      ['serve', '--config', 'a.yaml', '--config', ''], ['serve', '--host'], ['serve', '--host', ''], ['serve', '--config', '--port', '80'],
      // Found by probing: a blank value went through the quick reader (which refused only ''), to exit 1.
      ['serve', '--config', ' '], ['serve', '--config=\t'], ['serve', '--host', ' '], ['serve', '--host= ', '--port', '80']]) {
      const env = { LIP_CONFIG: '/etc/lip/lip.yaml' };
      for (const alwaysYargs of [false, true]) {
        const r = await parsed(argv, alwaysYargs, env);
        expect([r.code, r.args], JSON.stringify(argv)).to.deep.equal([2, undefined]);
        expect(r.err, JSON.stringify(argv)).to.match(/(-c|--config|--host) needs a value|name a command/);
      }
    }
  });
});
