import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLip, type LipProcess, spawnLip } from '../helpers/spawn-lip.js';
import { httpRequest } from '../helpers/sse-client.js';

const dir = mkdtempSync(join(tmpdir(), 'lip-workers-early-reload-'));
const configText = (text: string) => `server: { host: 127.0.0.1, port: 0, drain_delay: 0s, shutdown_timeout: 5s }
logging: { format: json, level: info }
routing: { default_route: "s:m" }
backends:
  - { id: s, kind: localstub, models: [m], text: "${text}" }
`;

/**
 * Preloaded into every process of the cluster (NODE_OPTIONS): a worker holds its listen until
 * the file `go` exists, and says it got there with a file `at-listen.PID` (it has its
 * configuration by then). The primary is left alone.
 */
const HOLD_LISTEN = `const cluster = require('node:cluster');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
if (cluster.isWorker) {
  const dir = process.env.LIP_SPEC_HOLD_DIR;
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function (...args) {
    fs.writeFileSync(path.join(dir, 'at-listen.' + process.pid), '');
    const timer = setInterval(() => {
      if (!fs.existsSync(path.join(dir, 'go'))) return;
      clearInterval(timer);
      listen.apply(this, args);
    }, 20);
    return this;
  };
}
`;

type Line = Record<string, unknown> & { message: string };
const lines = (p: LipProcess): Line[] => p.stdout().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
async function until(what: string, predicate: () => boolean, p: LipProcess, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (p.proc.exitCode !== null) throw new Error(`lip exited with ${p.proc.exitCode} while waiting for ${what}:\n${p.stderr()}${p.stdout()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${p.stdout()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
/** The worker ids in the access log lines of chat requests. */
const servedBy = (p: LipProcess) => lines(p).filter((l) => l.message === 'request' && l.route === '/v1/chat/completions').map((l) => l.worker as number);
const chat = async (url: string) => {
  const res = await httpRequest(`${url}/v1/chat/completions`, { body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) });
  expect(res.status, res.body).to.equal(200);
  return JSON.parse(res.body).choices[0].message.content as string;
};

/**
 * Found by probing `lip serve --workers`: docs/cli.md promises that a SIGHUP while lip is still
 * starting reloads the file once lip serves (a `systemctl reload` right after a start is not
 * lost). Under --workers a SIGHUP that reached the primary after the workers had their
 * configuration but before they listened asked only the workers that listened, that is none:
 * the change never applied, and the primary logged `reload of all workers` "failed" with no
 * reason. The primary now keeps the reload for each worker still starting and runs it once the
 * worker listens.
 */
describe('regression: lip serve --workers keeps a SIGHUP that arrives while the workers start (spawned)', function () {
  this.timeout(120_000);
  const path = join(dir, 'lip.yaml');
  const hold = join(dir, 'hold');
  let lip: LipProcess;

  before(() => {
    writeFileSync(join(dir, 'hold-listen.cjs'), HOLD_LISTEN);
    writeFileSync(path, configText('one'));
    mkdirSync(hold);
  });
  after(async () => {
    await killLip(lip);
  });

  it('a SIGHUP to the primary before the workers listen reloads each of them once it listens', async () => {
    const nodeOptions = [process.env.NODE_OPTIONS, `--require ${join(dir, 'hold-listen.cjs')}`].filter(Boolean).join(' ');
    lip = spawnLip(['serve', '--config', path, '--workers', '2'], { NODE_OPTIONS: nodeOptions, LIP_SPEC_HOLD_DIR: hold });
    await until('both workers at their listen', () => readdirSync(hold).filter((f) => f.startsWith('at-listen.')).length === 2, lip);
    writeFileSync(path, configText('two'));
    lip.proc.kill('SIGHUP');
    // The primary's own line about that reload (its lines carry no worker id).
    await until('the primary taking the SIGHUP', () => lines(lip).some((l) => l.worker === undefined && l.trigger === 'signal'), lip);
    expect(existsSync(join(hold, 'go'))).to.equal(false);
    writeFileSync(join(hold, 'go'), '');
    await until('the startup line', () => lines(lip).some((l) => l.message.startsWith('lip listening on')), lip);
    await until('both workers reloaded', () => new Set(lines(lip).filter((l) => l.message === 'configuration reloaded' && l.trigger === 'signal').map((l) => l.worker)).size === 2, lip);
    const url = lines(lip).find((l) => l.message.startsWith('lip listening on'))!.url as string;
    for (let i = 0; i < 4; i++) expect(await chat(url)).to.equal('two');
    const waiting = lines(lip).find((l) => l.message === 'reload waits for the workers still starting')!;
    expect(waiting).to.deep.include({ trigger: 'signal', workers: [1, 2] });
    await until('the primary\'s line for each late reload', () => lines(lip).filter((l) => l.message === 'reload of a worker that was starting').length === 2, lip);
    expect(lines(lip).filter((l) => l.message === 'reload of a worker that was starting').map((l) => [l.worker, l.status]).sort()).to.deep.equal([[1, 'reloaded'], [2, 'reloaded']]);
    // The text those late reloads applied is what a restarted worker starts with (not the start's, nor the file's now).
    writeFileSync(path, configText('never reloaded'));
    process.kill(lines(lip).find((l) => l.message === 'worker started' && l.worker === 1)!.pid as number, 'SIGKILL');
    await until('the restarted worker listening', () => lines(lip).some((l) => l.message === 'worker listening' && l.worker === 3), lip);
    const before = servedBy(lip).length;
    const answers: string[] = [];
    for (let i = 0; i < 40 && !servedBy(lip).slice(before).includes(3); i++) {
      answers.push(await chat(url));
      await until('the access log line', () => servedBy(lip).length === before + answers.length, lip);
    }
    expect(servedBy(lip).slice(before)).to.include(3);
    expect(new Set(answers)).to.deep.equal(new Set(['two']));
  });

  it('a reload the workers refuse is logged by the primary with the reason', async () => {
    writeFileSync(path, configText('two').replace('port: 0', 'port: 1'));
    lip.proc.kill('SIGHUP');
    await until('the primary\'s summary', () => lines(lip).some((l) => l.message === 'reload of all workers' && l.status === 'failed'), lip);
    const summary = lines(lip).find((l) => l.message === 'reload of all workers' && l.status === 'failed')!;
    expect(String(summary.error)).to.match(/^worker \d: server\.port changed/);
  });
});
