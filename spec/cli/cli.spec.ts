import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { runLip, serveLip } from '../helpers/spawn-lip.js';
import { httpRequest, parseSse } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const stubConfig = (id: string, text: string, extra = '') => `server: { host: 127.0.0.1, port: 0, drain_delay: 0s }\nlogging: { format: json }\n${extra}\nbackends:\n  - { id: ${id}, kind: localstub, models: [m], text: "${text}" }\n`;
const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

describe('cli (spawned)', function () {
  this.timeout(30_000);

  it('prints --version and --help', async () => {
    const v = await runLip(['--version']);
    expect([v.code, v.stdout.trim()]).to.deep.equal([0, version]);
    const help = await runLip(['--help']);
    expect(help.code).to.equal(0);
    for (const command of ['serve', 'check-config', 'routes', 'inventory']) expect(help.stdout).to.contain(`lip ${command}`);
    const serveHelp = await runLip(['serve', '--help']);
    expect(serveHelp.stdout).to.contain('--port');
  });

  it('exits 2 on usage errors', async () => {
    const unknown = await runLip(['frobnicate']);
    expect(unknown.code).to.equal(2);
    expect(unknown.stderr).to.contain('unknown command "frobnicate" (commands: serve, check-config, routes, inventory, replay)');
    expect((await runLip([])).code).to.equal(2);
    expect((await runLip(['routes', '--no-such-flag'])).stderr).to.contain('Unknown argument');
  });

  it('suggests the command a typo meant (did you mean), exit 2', async () => {
    for (const [typed, meant] of [['serv', 'serve'], ['chek-config', 'check-config'], ['invetory', 'inventory'], ['rpelay', 'replay']]) {
      const r = await runLip(['--config', 'x.yaml', typed!]);
      expect([r.code, r.stderr.trim()]).to.deep.equal([2, `lip: unknown command "${typed}"; did you mean "${meant}"? (see lip --help)`]);
    }
  });

  it('refuses a --port that is not a whole number from 0 to 65535 (usage error, exit 2, before reading the config)', async () => {
    for (const port of ['abc', '99999', '-1', '80.5', '']) {
      const r = await runLip(['serve', '--port', port, '--config', join(dir, 'never-read.yaml')]);
      expect(r.code, port).to.equal(2);
      expect(r.stderr).to.contain(port === '' ? '--port needs a value' : `--port must be a whole number from 0 to 65535 (0: any free port), got "${port}"`);
      expect(r.stderr).to.not.contain('cannot read config file');
    }
  });

  describe('check-config', () => {
    it('accepts a valid file (and the embedded default)', async () => {
      const ok = await runLip(['check-config', '--config', file('ok.yaml', stubConfig('s', 'x'))]);
      expect([ok.code, ok.stdout.trim()]).to.deep.equal([0, 'configuration is valid']);
      expect((await runLip(['check-config'])).code).to.equal(0);
    });

    it('reports every error as file:line:col: path: message and exits 1', async () => {
      const path = file('bad.yaml', 'server:\n  prot: 80\n  shutdown_timeout: forever\nbackends:\n  - { id: s, kind: localstb }\n');
      const bad = await runLip(['check-config', '--config', path]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('configuration is invalid (3 problems):');
      expect(bad.stderr).to.contain(`${path}:2:3: server.prot: unknown key "prot" (did you mean "port"?)`);
      expect(bad.stderr).to.contain(`${path}:3:21: server.shutdown_timeout: must be a duration such as 250ms, 30s or 5m (got "forever")`);
      expect(bad.stderr).to.contain(`${path}:5:20: backends[0].kind: unknown backend kind "localstb" (did you mean "localstub"?)`);
    });

    it('warns (exit 0) about what is legal but likely wrong; --strict makes the warnings errors (exit 1)', async () => {
      const path = file('warn.yaml', [
        'server: { host: 127.0.0.1, port: 0 }', 'routing: { max_attempts: 2 }', 'backends:',
        '  - { id: off, kind: localstub, models: [m], enabled: false }',
        '  - { id: s, kind: localstub, models: [m, fast-model] }',
        '  - { id: o, kind: openai-chat, models: [g], api_key_env: LIP_SPEC_UNSET_KEY }',
        'model_aliases:', '  - { pattern: "fast", replacement: "s:m" }', '  - { pattern: "^three$", replacement: "s:m|o:g|s:fast-model" }', '',
      ].join('\n'));
      const lenient = await runLip(['check-config', '--config', path]);
      expect([lenient.code, lenient.stdout.trim()]).to.deep.equal([0, 'configuration is valid']);
      expect(lenient.stderr.trim().split('\n')).to.deep.equal([
        '4 warnings:',
        'warning: backends[2] "o": the environment variable LIP_SPEC_UNSET_KEY is not set; its requests fail until it is (or give api_key / api_keys)',
        'warning: model_aliases[1].replacement: arm 3 ("s:fast-model") can never be tried: the arms before it use 2 backend opens when they fail, and routing.max_attempts is 2',
        'warning: model_aliases[0].pattern "fast" has no ^…$ anchors: it also rewrites any selector that merely contains a match ("s:fast-model" → "s:s:m-model"); write "^fast$" to match whole selectors only',
        'warning: routing.default_route is not set: it goes to "s:m" because the first backend, "off", is disabled; set routing.default_route to say which',
      ]);
      const strict = await runLip(['check-config', '--strict', '--config', path]);
      expect(strict.code).to.equal(1);
      expect(strict.stderr).to.contain('4 warnings (errors under --strict):');
      expect(strict.stdout).to.equal('');
      // Set the variable and the warning goes.
      const withKey = await runLip(['check-config', '--config', path], { LIP_SPEC_UNSET_KEY: 'sk-test' });
      expect(withKey.stderr).to.contain('3 warnings:').and.not.contain('LIP_SPEC_UNSET_KEY');
      // A clean file passes --strict.
      expect((await runLip(['check-config', '--strict', '--config', file('clean.yaml', stubConfig('s', 'x'))])).code).to.equal(0);
    });

    it('exits 1 for a file that does not exist', async () => {
      const missing = await runLip(['check-config', '--config', join(dir, 'nope.yaml')]);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.contain('cannot read config file');
    });
  });

  describe('--config placement', () => {
    const a = file('a.yaml', stubConfig('alpha', 'x'));
    const b = file('b.yaml', stubConfig('beta', 'x'));
    const route = async (args: string[], env: NodeJS.ProcessEnv = {}) => JSON.parse((await runLip(args, env)).stdout).default_route as string;

    it('works before or after the subcommand; the later one wins; LIP_CONFIG is the fallback', async function () {
      this.timeout(120_000); // five processes one after another: slow on a loaded machine
      expect(await route(['--config', a, 'routes', '--json'])).to.equal('alpha:m');
      expect(await route(['routes', '--json', '--config', b])).to.equal('beta:m');
      expect(await route(['--config', a, 'routes', '--json', '--config', b])).to.equal('beta:m');
      expect(await route(['routes', '--json'], { LIP_CONFIG: b })).to.equal('beta:m');
      expect(await route(['routes', '--json', '--config', a], { LIP_CONFIG: b })).to.equal('alpha:m');
    });
  });

  it('routes and inventory describe the config', async () => {
    const path = file('routes.yaml', `${stubConfig('s', 'x')}  - { id: off, kind: localstub, enabled: false }\nmodel_aliases:\n  - { pattern: "^fast$", replacement: "s:m" }\n`);
    const routes = JSON.parse((await runLip(['routes', '--json', '--config', path])).stdout);
    expect(routes).to.deep.equal({
      default_route: 's:m', max_attempts: 3,
      backends: [{ id: 's', kind: 'localstub', enabled: true }, { id: 'off', kind: 'localstub', enabled: false }],
      model_aliases: [{ pattern: '^fast$', replacement: 's:m' }],
    });
    const text = await runLip(['routes', '--config', path]);
    expect(text.stdout).to.contain('default route: s:m').and.to.contain('^fast$ -> s:m');
    const inventory = JSON.parse((await runLip(['inventory', '--json', '--config', path])).stdout);
    expect(inventory.backends[0]).to.deep.equal({ id: 's', kind: 'localstub', enabled: true, models: [{ id: 'm', selector: 's:m' }] });
    expect(inventory.backends[1].models).to.deep.equal([{ id: 'stub-default', selector: 'off:stub-default' }]);
  });

  describe('serve', () => {
    it('serves the embedded default: the openai SDK gets a streamed and a non-streamed reply', async () => {
      const lip = await serveLip(['--port', '0']);
      try {
        const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'any', maxRetries: 0 });
        const completion = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
        expect(completion.choices[0]!.message.content).to.match(/^Hello from lip\./);
        const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hello' }] });
        let text = '';
        let chunks = 0;
        for await (const chunk of stream) {
          text += chunk.choices[0]?.delta.content ?? '';
          chunks++;
        }
        expect(text).to.equal(completion.choices[0]!.message.content);
        expect(chunks).to.be.greaterThan(8);
      } finally {
        lip.proc.kill('SIGTERM');
        expect(await lip.exited).to.equal(0);
      }
    });

    it('logs the check-config warnings at start', async () => {
      const path = file('serve-warn.yaml', 'server: { host: 127.0.0.1, port: 0 }\nlogging: { format: json }\nbackends:\n  - { id: s, kind: localstub, models: [m] }\n  - { id: o, kind: openai-chat, models: [g], api_key_env: LIP_SPEC_UNSET_KEY }\n');
      const lip = await serveLip(['--config', path]);
      try {
        const line = lip.stdout().split('\n').find((l) => l.includes('LIP_SPEC_UNSET_KEY'));
        expect(JSON.parse(line!)).to.include({ level: 'warn', message: 'config: backends[1] "o": the environment variable LIP_SPEC_UNSET_KEY is not set; its requests fail until it is (or give api_key / api_keys)' });
      } finally {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
    });

    it('finishes an in-flight stream on SIGTERM, then exits 0', async () => {
      const path = file('slow.yaml', 'server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 10s }\nbackends:\n  - { id: s, kind: localstub, text: "a b c d e f", chunks: 6, chunk_delay: 100ms }\n');
      const lip = await serveLip(['--config', path]);
      const inflight = httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
      await new Promise((r) => setTimeout(r, 150));
      lip.proc.kill('SIGTERM');
      const res = await inflight;
      const data = parseSse(res.body).messages.map((m) => m.data);
      expect(data.at(-1)).to.equal('[DONE]');
      expect(data.slice(1, -2).map((d) => JSON.parse(d).choices[0].delta.content).join('')).to.equal('a b c d e f');
      expect(await lip.exited).to.equal(0);
      expect(lip.stdout()).to.contain('"message":"draining"').and.to.contain('"message":"stopped"');
    });

    it('ends a stream still open at shutdown_timeout with the in-band error before the socket closes, then exits 0', async () => {
      const path = file('stall.yaml', 'server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 300ms }\nbackends:\n  - { id: s, kind: localstub, fail: stall }\n');
      const lip = await serveLip(['--config', path]);
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => { text += c; });
          res.on('end', () => resolve(text));
          res.on('error', reject);
          // The stream is open (headers sent): now the server is told to stop.
          lip.proc.kill('SIGTERM');
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }));
      });
      const last = parseSse(body).messages.at(-1)!;
      expect(JSON.parse(last.data).error.code).to.equal('LIP_ERR_SERVER_SHUTTING_DOWN');
      expect(await lip.exited).to.equal(0);
      expect(lip.stdout()).to.contain('"cancelled":1');
    });

    it('exits 1 with a clear message when the port is in use', async () => {
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
      const port = (blocker.address() as AddressInfo).port;
      try {
        const res = await runLip(['serve', '--port', String(port)]);
        expect(res.code).to.equal(1);
        expect(res.stderr).to.contain(`cannot listen on 127.0.0.1:${port}: the port is already in use (stop the other process or choose another with --port / server.port)`);
        // The operator listener's port is diagnostics.listen's to change (found by probing the
        // operator side: the message named --port / server.port, which do not move it).
        const operator = await runLip(['serve', '--config', file('operator-port.yaml', stubConfig('s', 'x', `diagnostics: { enabled: true, listen: "127.0.0.1:${port}" }`))]);
        expect(operator.code).to.equal(1);
        expect(operator.stderr).to.contain(`cannot listen on 127.0.0.1:${port}: the port is already in use (stop the other process or choose another with diagnostics.listen)`);
      } finally {
        blocker.close();
      }
    });

    // Found by probing: with diagnostics.listen on port 0, nothing said which port the operator listener got.
    it('the startup line names the operator listener\'s address (diagnostics.listen, port 0 included)', async () => {
      const lip = await serveLip(['--config', file('operator-any-port.yaml', stubConfig('s', 'x', 'diagnostics: { enabled: true, listen: "127.0.0.1:0" }'))]);
      try {
        const line = JSON.parse(lip.stdout().split('\n').find((l) => l.includes('lip listening on'))!) as { operator_url?: string };
        expect(line.operator_url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(line.operator_url).to.not.equal('http://127.0.0.1:0');
        expect((await fetch(`${line.operator_url!}/healthz`)).status).to.equal(200);
      } finally {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
    });

    it('exits 1 with the message alone (no error class, no stack) when a store cannot be opened at start', async () => {
      const corrupt = file('corrupt.db', 'this is not an SQLite database, '.repeat(200));
      const res = await runLip(['serve', '--config', file('corrupt.yaml', stubConfig('s', 'x', `continuity: { store: sqlite, sqlite_path: ${corrupt} }`))]);
      expect(res.code).to.equal(1);
      expect(res.stderr.trim()).to.equal(`lip: cannot open the continuity database ${corrupt}: file is not a database`);
    });

    it('exits 1 on a bad config and on a public host without auth', async () => {
      const bad = await runLip(['serve', '--config', file('bad-serve.yaml', 'server: { port: high }\n')]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain('server.port: must be an integer');
      const open = await runLip(['serve', '--host', '0.0.0.0', '--port', '0']);
      expect(open.code).to.equal(1);
      expect(open.stderr).to.contain('<embedded default> with --host 0.0.0.0 --port 0: server.host: single_user mode binds loopback only');
    });

    it('holds flags to the rules the same value in the file triggers (--host with keys in single_user)', async () => {
      const keyed = file('keyed.yaml', stubConfig('s', 'x', 'auth: { api_keys: [ { id: k, key: 0123456789abcdef } ] }'));
      const res = await runLip(['serve', '--config', keyed, '--host', '0.0.0.0', '--port', '0']);
      expect(res.code).to.equal(1);
      expect(res.stderr).to.contain('server.host: single_user mode binds loopback only (127.0.0.0/8, ::1, localhost), not "0.0.0.0"');
    });

    it('gates multi_user behind --multi-user, both ways (exit 2)', async () => {
      const multi = file('multi.yaml', stubConfig('s', 'x', 'access: { mode: multi_user }\nauth: { api_keys: [ { id: k, key: 0123456789abcdef } ] }'));
      const without = await runLip(['serve', '--config', multi]);
      expect(without.code).to.equal(2);
      expect(without.stderr).to.contain('sets access.mode: multi_user; serving it needs lip serve --multi-user');
      const single = await runLip(['serve', '--multi-user', '--port', '0']);
      expect(single.code).to.equal(2);
      expect(single.stderr).to.contain('--multi-user needs a config with access.mode: multi_user (<embedded default> is single_user)');
      const lip = await serveLip(['--config', multi, '--multi-user']);
      try {
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers: { authorization: 'Bearer 0123456789abcdef' } });
        expect(res.status).to.equal(200);
      } finally {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
    });

    it('refuses a SIGHUP reload that changes the listener or weakens access, and keeps serving as before', async () => {
      const keyed = (extra: string) => stubConfig('s', 'x', `auth: { api_keys: [ { id: k, key: 0123456789abcdef } ] }\n${extra}`);
      const path = file('reload-access.yaml', keyed(''));
      const lip = await serveLip(['--config', path]);
      const until = async (predicate: () => boolean) => {
        for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
      };
      const ask = (headers: Record<string, string> = {}) => httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), headers });
      try {
        writeFileSync(path, keyed('').replace('port: 0', 'port: 1'));
        lip.proc.kill('SIGHUP');
        await until(() => lip.stdout().includes('reload refused'));
        expect(lip.stdout()).to.contain('server.port changed: this needs a restart');
        writeFileSync(path, stubConfig('s', 'x').replace('127.0.0.1', '0.0.0.0'));
        lip.proc.kill('SIGHUP');
        await until(() => lip.stdout().includes('single_user mode binds loopback only'));
        expect(lip.stdout()).to.contain('reload failed; keeping the running configuration');
        expect((await ask()).status).to.equal(401);
        expect((await ask({ authorization: 'Bearer 0123456789abcdef' })).status).to.equal(200);
      } finally {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
    });

    it('reloads on SIGHUP, and keeps the running config when the new file is bad', async () => {
      const path = file('reload.yaml', stubConfig('s', 'before'));
      const lip = await serveLip(['--config', path]);
      const ask = async () => {
        const res = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
        return JSON.parse(res.body).choices[0].message.content as string;
      };
      const until = async (predicate: () => boolean) => {
        for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
      };
      try {
        expect(await ask()).to.equal('before');
        writeFileSync(path, stubConfig('s', 'after'));
        lip.proc.kill('SIGHUP');
        await until(() => lip.stdout().includes('configuration reloaded'));
        expect(await ask()).to.equal('after');
        writeFileSync(path, 'server: { prot: 1 }\n');
        lip.proc.kill('SIGHUP');
        await until(() => lip.stdout().includes('reload failed'));
        expect(lip.stdout()).to.contain('unknown key');
        expect(await ask()).to.equal('after');
      } finally {
        lip.proc.kill('SIGTERM');
        await lip.exited;
      }
    });
  });
});
