import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { serveCommand } from '../../lib/cli/commands/serve.js';
import { killLip, spawnLip, type LipProcess } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/** A port free right now (lip serve is given it: it prints its URL only to its log). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const config = (port: number, text: string, drain = '10s') => `server: { host: 127.0.0.1, port: ${port}, drain_delay: ${drain} }
logging: { level: error }
routing: { default_route: "s:m" }
backends:
  - { id: s, kind: localstub, models: [m], text: "${text}" }
`;

/** The answer of the lip on `port`. */
const ask = async (port: number) => JSON.parse((await httpRequest(`http://127.0.0.1:${port}/v1/chat/completions`, {
  body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
})).body).choices[0].message.content as string;

/**
 * Found by probing the operator side: SIGHUP or SIGTERM before lip was listening (loading the
 * config, opening the stores, binding the port) ended the process with no word (exit 129 / 143).
 * A `systemctl reload` right after a start killed the service, and systemd took it for a clean
 * exit. Such signals are now kept and acted on once lip serves. Run in process: the signal is
 * emitted while serveCommand is still starting (before its first await), which a spawned process
 * cannot be made to wait for.
 */
describe('regression: lip serve keeps a SIGHUP or SIGTERM that arrives before it serves', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-early-signals-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const io = { out: () => undefined, err: () => undefined };

  it('a SIGHUP while starting reloads the file once serving', async () => {
    const port = await freePort();
    const path = join(dir, 'hup.yaml');
    writeFileSync(path, config(port, 'first', '0ms'));
    const serving = serveCommand({ configPath: path }, io);
    // serveCommand has read the file and is starting: the file changes and a reload is asked for.
    writeFileSync(path, config(port, 'second', '0ms'));
    process.emit('SIGHUP', 'SIGHUP');
    let answer = '';
    for (let i = 0; i < 200 && answer !== 'second'; i++) {
      answer = await ask(port).catch(() => '');
      if (answer !== 'second') await new Promise((r) => setTimeout(r, 25));
    }
    expect(answer).to.equal('second');
    // (SIGTERM: mocha itself listens for SIGINT.)
    process.emit('SIGTERM', 'SIGTERM');
    expect(await serving).to.equal(0);
  });

  it('a SIGTERM while starting stops it once it can, without the drain delay', async () => {
    const port = await freePort();
    const path = join(dir, 'term.yaml');
    writeFileSync(path, config(port, 'never'));
    const started = Date.now();
    const serving = serveCommand({ configPath: path }, io);
    process.emit('SIGTERM', 'SIGTERM');
    expect(await serving).to.equal(0);
    // Not the configured 10 s drain delay: no one was ever sent here.
    expect(Date.now() - started).to.be.below(8_000);
    expect(process.listenerCount('SIGHUP')).to.equal(0);
  });
});

/**
 * Module hooks preloaded into a spawned lip (NODE_OPTIONS --import): the load of the CLI
 * (dist/cli/main.js, which bin/lip.js imports once it has started) waits until the file `go`
 * exists, and says it got there with a file `held`. The process is then exactly where a slow
 * machine spends a second or more: running lip's code, the CLI and the server not loaded yet.
 */
const HOLD_HOOKS = `import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
export async function load(url, context, nextLoad) {
  if (url.endsWith('/dist/cli/main.js')) {
    const dir = process.env.LIP_SPEC_HOLD_DIR;
    writeFileSync(join(dir, 'held'), '');
    while (!existsSync(join(dir, 'go'))) await new Promise((r) => setTimeout(r, 20));
  }
  return nextLoad(url, context);
}
`;
const HOLD_REGISTER = `import { register } from 'node:module';
register('./hold-hooks.mjs', import.meta.url);
`;

/**
 * Regression (found by probing): the handlers above were installed by `lip serve` itself, once
 * bin/lip.js had imported the CLI and the serve module tree (1.2 to 1.6 s on a slow machine), so
 * a SIGHUP in that window (a `systemctl reload` right after a start) still killed the process,
 * and a SIGTERM ended it with no word. bin/lip.js now starts keeping them first, for `lip serve`
 * only, and hands them to it. Spawned: the load of the CLI is held (HOLD_HOOKS) while the signal
 * is sent, so no timing decides the outcome.
 */
describe('regression: lip serve keeps a signal that arrives while it loads its modules (spawned)', function () {
  this.timeout(60_000);
  let dir: string;
  let lip: LipProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-early-signals-spawned-'));
    writeFileSync(join(dir, 'hold-hooks.mjs'), HOLD_HOOKS);
    writeFileSync(join(dir, 'hold-register.mjs'), HOLD_REGISTER);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => killLip(lip));

  /** Spawns `lip ...args` with the load of the CLI held; resolves once it is held there. */
  async function heldLip(name: string, args: readonly string[]): Promise<{ lip: LipProcess; release(): void }> {
    const hold = join(dir, name);
    mkdirSync(hold);
    const nodeOptions = [process.env.NODE_OPTIONS, `--import ${pathToFileURL(join(dir, 'hold-register.mjs')).href}`].filter(Boolean).join(' ');
    const p = spawnLip(args, { NODE_OPTIONS: nodeOptions, LIP_SPEC_HOLD_DIR: hold });
    lip = p;
    const end = Date.now() + 30_000;
    while (!existsSync(join(hold, 'held'))) {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) throw new Error(`lip ended before loading its CLI:\n${p.stderr()}`);
      if (Date.now() > end) throw new Error('lip never reached the load of its CLI');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(p.stdout()).to.equal('');
    return { lip: p, release: () => writeFileSync(join(hold, 'go'), '') };
  }

  it('a SIGHUP before the CLI is loaded reloads the file once serving', async () => {
    const port = await freePort();
    const path = join(dir, 'hup.yaml');
    writeFileSync(path, config(port, 'first', '0ms'));
    const { lip: p, release } = await heldLip('hup', ['serve', '--config', path]);
    writeFileSync(path, config(port, 'second', '0ms'));
    p.proc.kill('SIGHUP');
    release();
    let answer = '';
    for (let i = 0; i < 600 && answer !== 'second'; i++) {
      if (p.proc.exitCode !== null || p.proc.signalCode !== null) break;
      answer = await ask(port).catch(() => '');
      if (answer !== 'second') await new Promise((r) => setTimeout(r, 25));
    }
    expect({ answer, signal: p.proc.signalCode }).to.deep.equal({ answer: 'second', signal: null });
    p.proc.kill('SIGTERM');
    expect(await p.exited).to.equal(0);
  });

  it('a SIGTERM before the CLI is loaded stops it cleanly once it can (exit 0)', async () => {
    const port = await freePort();
    const path = join(dir, 'term.yaml');
    writeFileSync(path, config(port, 'never'));
    const { lip: p, release } = await heldLip('term', ['serve', '--config', path]);
    p.proc.kill('SIGTERM');
    release();
    expect(await p.exited).to.equal(0);
    expect(p.proc.signalCode).to.equal(null);
  });

  it('another command keeps the default effect (lip replay: ended by the SIGHUP)', async () => {
    const { lip: p, release } = await heldLip('replay', ['replay', join(dir, 'none.jsonl')]);
    p.proc.kill('SIGHUP');
    release();
    await p.exited;
    expect(p.proc.signalCode).to.equal('SIGHUP');
  });
});
