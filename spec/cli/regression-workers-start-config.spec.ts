import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLip, LIP_BIN, type LipProcess, serveLip, spawnLip } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-workers-start-config-'));
const SECRET = 'workers-start-secret-0123456789';
/** `decodes`: server.max_concurrent_decodes, which a reload refuses to change; `level`: logging.level, which it keeps. */
const configText = (text: string, decodes = 32, level = 'info') => `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 5s, max_concurrent_decodes: ${decodes} }
logging: { format: json, level: ${level} }
diagnostics: { enabled: true, shared_secret: "${SECRET}" }
routing: { default_route: "s:m" }
backends:
  - { id: s, kind: localstub, models: [m], text: "${text}" }
`;

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
async function until(what: string, predicate: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const chat = async (url: string) => {
  const res = await httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  expect(res.status, res.body).to.equal(200);
  return JSON.parse(res.body).choices[0].message.content as string;
};
/** The worker ids in the access log lines of chat requests. */
const servedBy = (p: LipProcess) => lines(p).filter((l) => l.message === 'request' && l.route === '/v1/chat/completions').map((l) => l.worker as number);
const pidOf = (p: LipProcess, worker: number) => lines(p).find((l) => l.message === 'worker started' && l.worker === worker)!.pid as number;

/** The answers to chat requests sent (one connection each, handed out round robin) until `worker` served two of them. */
async function answersUntilServedBy(p: LipProcess & { url: string }, worker: number): Promise<string[]> {
  const answers: string[] = [];
  const before = servedBy(p).length;
  for (let i = 0; i < 40 && servedBy(p).slice(before).filter((w) => w === worker).length < 2; i++) {
    answers.push(await chat(p.url));
    await until('the access log line', () => servedBy(p).length === before + answers.length);
  }
  expect(servedBy(p).slice(before).filter((w) => w === worker)).to.have.length(2);
  return answers;
}

/**
 * Found by probing `lip serve --workers`: each worker read the config path itself as it started,
 * a restarted one too. A worker restarted after a crash ran the file as it was then: a change a
 * reload had refused (a new server.port: the restarted worker listened on it, both ports
 * answered), or one never reloaded; and a config given as a pipe (`--config <(envsubst < f)`),
 * already read to its end by the primary, left every worker an empty file (exit 1). The primary
 * now hands each starting worker the text the workers run.
 */
describe('regression: lip serve --workers starts each worker from the text the primary checked (spawned)', function () {
  this.timeout(120_000);
  const path = join(dir, 'lip.yaml');
  let lip: LipProcess & { url: string };

  before(async () => {
    writeFileSync(path, configText('one'));
    lip = await serveLip(['--config', path, '--workers', '2']);
  });
  after(async () => {
    await killLip(lip);
  });

  it('a worker restarted after a refused reload runs what the others run, not the refused file', async () => {
    writeFileSync(path, configText('refused', 64));
    lip.proc.kill('SIGHUP');
    await until('both workers refusing the reload', () => lines(lip).filter((l) => l.message === 'reload refused; keeping the running configuration').length === 2);
    process.kill(pidOf(lip, 1), 'SIGKILL');
    await until('the restarted worker listening', () => lines(lip).some((l) => l.message === 'worker listening' && l.worker === 3));
    expect(new Set(await answersUntilServedBy(lip, 3))).to.deep.equal(new Set(['one']));
  });

  it('a worker restarted after a reload runs the reloaded text, not a later change never reloaded, with the start\'s logging', async () => {
    writeFileSync(path, configText('two', 32, 'debug'));
    lip.proc.kill('SIGHUP');
    await until('both workers reloaded', () => lines(lip).filter((l) => l.message === 'configuration reloaded').length === 2);
    writeFileSync(path, configText('never reloaded'));
    process.kill(pidOf(lip, 2), 'SIGKILL');
    await until('the restarted worker listening', () => lines(lip).some((l) => l.message === 'worker listening' && l.worker === 4));
    expect(new Set(await answersUntilServedBy(lip, 4))).to.deep.equal(new Set(['two']));
    // logging.level keeps its start value in the workers that reloaded, and so in the restarted one
    // (each request would log `route plan` at debug level; it is logged before the access log line).
    expect(lines(lip).filter((l) => l.level === 'debug')).to.deep.equal([]);
  });

  it('a worker does not read the file on a SIGHUP of its own: the primary reloads them all with one text', async () => {
    writeFileSync(path, configText('three'));
    const mark = lines(lip).length;
    // Sent before the reload the primary runs below, so a worker that reloaded on its own would
    // have applied the file first and then found the primary's text unchanged.
    process.kill(pidOf(lip, 3), 'SIGHUP');
    const res = await httpRequest(`${lip.url}/admin/config/reload`, { method: 'POST', headers: { 'x-lip-diagnostics-secret': SECRET }, body: '' });
    expect(res.status, res.body).to.equal(200);
    const body = JSON.parse(res.body) as { workers: { worker: number; status: string }[] };
    expect(body.workers.map((w) => [w.worker, w.status]).sort()).to.deep.equal([[3, 'reloaded'], [4, 'reloaded']]);
    expect(lines(lip).slice(mark).filter((l) => l.worker === 3 && (l.message === 'configuration reloaded' || l.message === 'configuration unchanged')).map((l) => l.trigger)).to.deep.equal(['api']);
    expect(await chat(lip.url)).to.equal('three');
  });

  it('serves a config read from a pipe (`--config <(cat f)`), which only the primary can read', async () => {
    const file = join(dir, 'piped.yaml');
    writeFileSync(file, configText('piped'));
    // bash's process substitution, as an operator writes it: /dev/fd/63 is a pipe lip reads to its end.
    const piped = spawnLip(['-c', 'exec "$0" "$1" serve --config <(cat "$2") --workers 2', process.execPath, LIP_BIN, file], {}, 'bash');
    try {
      await until('the startup line', () => {
        if (piped.proc.exitCode !== null) throw new Error(`lip serve exited with ${piped.proc.exitCode}:\n${piped.stderr()}${piped.stdout()}`);
        return /lip listening on http:/.test(piped.stdout());
      });
      const url = /lip listening on (http:\/\/[^\s"]+)/.exec(piped.stdout())![1]!;
      expect(await answersUntilServedBy({ ...piped, url }, 2)).to.satisfy((answers: string[]) => answers.every((a) => a === 'piped'));
    } finally {
      piped.proc.kill('SIGKILL');
      await piped.exited;
    }
  });
});
