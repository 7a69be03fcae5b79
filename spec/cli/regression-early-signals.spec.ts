import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveCommand } from '../../lib/cli/commands/serve.js';
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
  const ask = async (port: number) => JSON.parse((await httpRequest(`http://127.0.0.1:${port}/v1/chat/completions`, {
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
  })).body).choices[0].message.content as string;

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
