import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readConfigTextAsync } from '../../lib/config/index.js';
import { isLipError } from '../../lib/errors/index.js';
import { killLip, spawnLip, type LipProcess } from '../helpers/spawn-lip.js';

const CONFIG = 'server: { host: 127.0.0.1, port: 0, drain_delay: 0s }\nbackends:\n  - { id: s, kind: localstub, models: [m] }\n';

/** Whether `check` comes true before `ms` (polled; `what` names it in the failure). */
async function until(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The exit code of `lip`, or 'still running' when it has not exited `ms` after the call (then it is killed). */
async function exitWithin(lip: LipProcess, ms = 20_000): Promise<number | null | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'still running'>((resolve) => { timer = setTimeout(() => resolve('still running'), ms); });
  const code = await Promise.race([lip.exited, late]);
  clearTimeout(timer);
  return code;
}

/** Whether process `pid` holds `path` open (Linux: /proc/PID/fd). */
function holdsOpen(pid: number, path: string): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** A writer of the FIFO at `path` once a reader has it open (ENXIO until then), as a `<(cmd)` whose cmd hangs. */
async function writerOf(path: string): Promise<number> {
  let fd: number | undefined;
  await until(() => {
    try {
      fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      return false;
    }
  }, 'lip opens the FIFO');
  return fd!;
}

// Found by probing the command line: `lip serve` waiting to read its config (a FIFO no one
// writes to, `--config <(cmd)` with a cmd that hangs, /dev/stdin at a terminal) could not be
// stopped by SIGINT or SIGTERM: the early-signal handlers only noted the signal, and the config
// was read synchronously, so they never even ran. The start-up config is now read through the
// event loop, and a stop ends the wait.
(existsSync('/proc/self/fd') ? describe : describe.skip)('regression: lip serve stops while it waits to read its config', function () {
  this.timeout(90_000);
  let dir: string;
  let lip: LipProcess | undefined;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-wait-config-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => killLip(lip));

  const fifo = (name: string) => {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    return path;
  };

  it('a FIFO no one writes to: SIGINT stops it (exit 0, "stopped before serving")', async () => {
    const path = fifo('nobody.fifo');
    lip = spawnLip(['serve', '--config', path]);
    await until(() => holdsOpen(lip!.proc.pid!, path) || lip!.proc.exitCode !== null, 'lip opens the FIFO');
    lip.proc.kill('SIGINT');
    expect(await exitWithin(lip), lip.stderr()).to.equal(0);
    expect(lip.stdout()).to.contain('"message":"stopped before serving"').and.contain('"signal":"SIGINT"');
  });

  it('a writer that never finishes (`--config <(cmd)` with a cmd that hangs): SIGTERM stops it (exit 0)', async () => {
    const path = fifo('hanging.fifo');
    lip = spawnLip(['serve', '--config', path]);
    const writer = await writerOf(path);
    try {
      writeSync(writer, 'server: { host: 127.0.0.1');
      lip.proc.kill('SIGTERM');
      expect(await exitWithin(lip), lip.stderr()).to.equal(0);
      expect(lip.stdout()).to.contain('"message":"stopped before serving"').and.contain('"signal":"SIGTERM"');
    } finally {
      closeSync(writer);
    }
  });

  it('a FIFO that is written and closed is served as before, and stops on SIGTERM', async () => {
    const path = fifo('written.fifo');
    lip = spawnLip(['serve', '--config', path]);
    const writer = await writerOf(path);
    writeSync(writer, CONFIG);
    closeSync(writer);
    await until(() => /lip listening on http:/.test(lip!.stdout()) || lip!.proc.exitCode !== null, 'lip listens');
    expect(lip.stdout(), lip.stderr()).to.contain('lip listening on http://127.0.0.1:');
    lip.proc.kill('SIGTERM');
    expect(await exitWithin(lip)).to.equal(0);
  });

  it('a device read at start still stops past 2 MiB (exit 1)', async () => {
    lip = spawnLip(['serve', '--config', '/dev/zero']);
    expect(await exitWithin(lip)).to.equal(1);
    expect(lip.stderr()).to.contain('lip: cannot read config file /dev/zero: larger than 2097152 bytes');
  });

  it('readConfigTextAsync: the text of a FIFO, a refused device, and a wait an abort ends', async () => {
    const path = fifo('unit.fifo');
    const reading = readConfigTextAsync(path);
    const writer = await writerOf(path);
    writeSync(writer, `\ufeff${CONFIG}`);
    closeSync(writer);
    expect(await reading).to.equal(CONFIG);
    const refusal = await readConfigTextAsync('/dev/zero').catch((err: unknown) => (isLipError(err) ? `${err.code}: ${err.message}` : String(err)));
    expect(refusal).to.equal('LIP_ERR_CONFIG_UNREADABLE: cannot read config file /dev/zero: larger than 2097152 bytes');
    const stop = new AbortController();
    const waiting = readConfigTextAsync(path, stop.signal).catch((err: unknown) => err);
    stop.abort(new Error('stopped'));
    expect(((await waiting) as Error).message).to.equal('stopped');
  });
});

/** Holds the load of the CLI (dist/cli/main.js) until the file `go` exists; see regression-early-signals.spec.ts. */
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

// Found with the above: a second SIGINT or SIGTERM while lip was still starting was only noted
// too, where docs/cli.md says a second one exits at once with 1.
describe('regression: a second SIGINT/SIGTERM while lip serve starts exits 1 at once', function () {
  this.timeout(60_000);
  let dir: string;
  let lip: LipProcess | undefined;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lip-second-early-'));
    writeFileSync(join(dir, 'hold-hooks.mjs'), HOLD_HOOKS);
    writeFileSync(join(dir, 'hold-register.mjs'), HOLD_REGISTER);
    writeFileSync(join(dir, 'lip.yaml'), CONFIG);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => killLip(lip));

  it('SIGTERM then SIGINT while the CLI is still loading: exit 1, never released', async () => {
    const hold = join(dir, 'hold');
    mkdirSync(hold);
    const nodeOptions = [process.env.NODE_OPTIONS, `--import ${pathToFileURL(join(dir, 'hold-register.mjs')).href}`].filter(Boolean).join(' ');
    lip = spawnLip(['serve', '--config', join(dir, 'lip.yaml')], { NODE_OPTIONS: nodeOptions, LIP_SPEC_HOLD_DIR: hold });
    await until(() => existsSync(join(hold, 'held')) || lip!.proc.exitCode !== null, 'lip loads its CLI');
    lip.proc.kill('SIGTERM');
    lip.proc.kill('SIGINT');
    expect(await exitWithin(lip), lip.stderr()).to.equal(1);
    expect(lip.stderr()).to.match(/lip: second signal \(SIG(INT|TERM)\) while starting: exiting without waiting/);
  });
});
