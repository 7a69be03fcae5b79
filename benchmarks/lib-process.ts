import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: process exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(url, { method: 'GET', agent: false }, (res) => { res.resume(); resolve(true); });
      req.on('error', () => resolve(false));
      req.end();
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not come up`);
}

export interface Spawned {
  readonly url: string;
  readonly pid: number;
  rssMiB(): number;
  /** CPU time (user + system) the process used so far, in milliseconds (from /proc, 10 ms ticks). */
  cpuMs(): number;
  stop(): Promise<void>;
}

function handle(child: ChildProcess, url: string): Spawned {
  return {
    url,
    pid: child.pid!,
    rssMiB() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) / 1024 : NaN;
    },
    cpuMs() {
      // Fields 14 and 15 of /proc/PID/stat (after the parenthesised command name): utime, stime in ticks.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

/** `lip serve` from the compiled CLI (bin/lip.js), logs to /dev/null, as an operator runs it. */
export async function spawnLip(configYaml: string): Promise<Spawned> {
  const port = await freePort();
  const config = join(tmpdir(), `lip-bench-${process.pid}-${port}.yaml`);
  writeFileSync(config, configYaml);
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, [join(ROOT, 'bin/lip.js'), 'serve', '--config', config, '--port', String(port)], { stdio: ['ignore', devnull, 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/healthz`, child);
  return handle(child, url);
}

/** A TypeScript server script under benchmarks/ in its own process (tsx), given a port. */
export async function spawnScript(script: string, healthPath = '/'): Promise<Spawned> {
  const port = await freePort();
  const devnull = openSync('/dev/null', 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'benchmarks', script), String(port)], { stdio: ['ignore', devnull, 'inherit'], cwd: ROOT });
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${healthPath}`, child);
  return handle(child, url);
}

/** A benchmark script that picks its own port and prints `listening PORT` (tsx, its own process). */
export async function spawnListening(script: string, healthPath = '/', args: readonly string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'benchmarks', script), ...args], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  child.stdout!.resume();
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}${healthPath}`, child);
  return handle(child, url);
}
