import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serveLip, type LipProcess } from '../helpers/spawn-lip.js';
import { collectChatStream, httpRequest, parseSse } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-drain-'));

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


const refused = (url: string) => httpRequest(`${url}/healthz`, { method: 'GET' }).then(() => false, (err: NodeJS.ErrnoException) => err.code === 'ECONNREFUSED');

/**
 * Drain that probes can see: on SIGTERM `/readyz` turns 503 while the listener keeps accepting
 * and serving for `server.drain_delay`; then new connections are refused while in-flight
 * streams get `shutdown_timeout`. SIGINT skips the delay.
 */
describe('lip serve: drain on SIGTERM (spawned)', function () {
  this.timeout(90_000);

  it('readyz 503 and still serving during drain_delay; then connections refused while a stream finishes; exit 0', async () => {
    const path = join(dir, 'drain.yaml');
    writeFileSync(path, `server: { host: 127.0.0.1, port: 0, drain_delay: 3s, shutdown_timeout: 30s }
logging: { format: json }
routing: { default_route: "s:m" }
backends:
  - { id: s, kind: localstub, models: [m], text: "hello" }
  - { id: slow, kind: localstub, models: [m], text: "a b c d e f g h i j", chunks: 10, chunk_delay: 800ms }
`);
    const lip = await serveLip(['--config', path]);
    expect((await httpRequest(`${lip.url}/readyz`, { method: 'GET' })).status).to.equal(200);
    const stream = collectChatStream(lip.url, 'slow:m');
    await stream.started;
    lip.proc.kill('SIGTERM');
    await until('readyz 503', async () => (await httpRequest(`${lip.url}/readyz`, { method: 'GET' })).status === 503);
    const ready = JSON.parse((await httpRequest(`${lip.url}/readyz`, { method: 'GET' })).body);
    expect([ready.status, ready.checks.server]).to.deep.equal(['draining', 'draining']);
    // A new connection is still accepted and served; its response closes the connection.
    const served = await httpRequest(`${lip.url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    expect([served.status, served.headers.connection, JSON.parse(served.body).choices[0].message.content]).to.deep.equal([200, 'close', 'hello']);
    // So are embeddings and token counts (found by probing the operator side: they got 503 during the delay).
    const embedded = await httpRequest(`${lip.url}/v1/embeddings`, { body: JSON.stringify({ model: 'm', input: 'x' }) });
    expect(embedded.status, embedded.body).to.equal(200);
    const counted = await httpRequest(`${lip.url}/v1/messages/count_tokens`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
    expect(counted.status, counted.body).to.equal(200);
    expect(lines(lip).some((l) => l.message === 'closing the listener')).to.equal(false);
    // After the delay: the listener is closed (new connections refused) while the stream goes on.
    await until('the listener closed', () => lines(lip).some((l) => l.message === 'closing the listener'));
    await until('connections refused', () => refused(lip.url));
    expect(lip.proc.exitCode).to.equal(null);
    const data = parseSse(await stream.done).messages.map((m) => m.data);
    expect(data.at(-1)).to.equal('[DONE]');
    expect(data.slice(0, -1).map((d) => JSON.parse(d).choices[0]?.delta.content ?? '').join('')).to.equal('a b c d e f g h i j');
    expect(await lip.exited).to.equal(0);
    const order = lines(lip).map((l) => l.message).filter((m) => ['draining', 'closing the listener', 'stopped'].includes(m));
    expect(order).to.deep.equal(['draining', 'closing the listener', 'stopped']);
    expect(lines(lip).find((l) => l.message === 'draining')).to.deep.include({ signal: 'SIGTERM', drain_delay_ms: 3_000, timeout_ms: 30_000 });
    expect(lines(lip).find((l) => l.message === 'stopped')).to.deep.include({ cancelled: 0 });
  });

  it('SIGINT (a person at a terminal) skips the drain delay', async () => {
    const path = join(dir, 'sigint.yaml');
    writeFileSync(path, 'server: { host: 127.0.0.1, port: 0, drain_delay: 10m }\nlogging: { format: json }\nbackends:\n  - { id: s, kind: localstub }\n');
    const lip = await serveLip(['--config', path]);
    lip.proc.kill('SIGINT');
    expect(await lip.exited).to.equal(0);
    expect(lines(lip).find((l) => l.message === 'draining')).to.deep.include({ signal: 'SIGINT', drain_delay_ms: 0 });
    expect(lines(lip).some((l) => l.message === 'closing the listener')).to.equal(false);
  });
});
