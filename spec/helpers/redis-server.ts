import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A private `redis-server` for tests: its own free loopback port, no persistence, a temporary
 * directory. It can be stopped and started again on the same port (to test an outage and the
 * recovery), or frozen with SIGSTOP (to test a Redis that is slow rather than gone). Every
 * server still running when the test process exits is killed and its directory removed.
 *
 * In mocha, use `requireRedisServer(this)` in a `before` hook. When `redis-server` is not
 * installed, the suite is skipped with the reason on a developer machine, and fails under
 * `CI=true` (a missing Redis must never look like a green run). Set `REDIS_SERVER` to use a
 * binary outside PATH.
 */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly running: boolean;
  /** Stops the server (SIGTERM, or SIGKILL for a crash) and waits for it to exit: clients see the connection drop. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port, empty (nothing was persisted). */
  start(): Promise<void>;
  /** Freezes the process (SIGSTOP): connections stay open, nothing is answered. */
  pause(): void;
  /** Thaws a paused server (SIGCONT). */
  resume(): void;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';
const live = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once('exit', () => {
  for (const child of live) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Whether `redis-server` can be run here. */
export function redisServerAvailable(): boolean {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  return probe.error === undefined && probe.status === 0;
}

/** For a mocha `before` hook: a running server, or a skip (fail under CI=true) when there is none. */
export async function requireRedisServer(ctx: Mocha.Context): Promise<RedisServer> {
  if (!redisServerAvailable()) {
    const reason = `${BINARY} is not installed (install Redis or set REDIS_SERVER)`;
    if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}`);
    console.warn(`  skipped: ${reason}`);
    ctx.skip();
  }
  return startRedisServer();
}

export async function startRedisServer(): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lip-redis-'));
  dirs.add(dir);
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 1; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir);
    } catch (err) {
      if (attempt >= 3) throw err;
    }
  }
  let current: ChildProcess | undefined = child;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return current !== undefined;
    },
    async stop(signal = 'SIGTERM') {
      if (!current) return;
      const proc = current;
      current = undefined;
      proc.kill('SIGCONT');
      await terminate(proc, signal);
    },
    async start() {
      if (current) return;
      current = await launch(port, dir);
    },
    pause() {
      current?.kill('SIGSTOP');
    },
    resume() {
      current?.kill('SIGCONT');
    },
    async close() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
      dirs.delete(dir);
    },
  };
  return server;
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'];
  const proc = spawn(BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);
  proc.once('exit', () => live.delete(proc));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`redis-server on port ${port} did not start within 5 s:\n${output}`)), 5_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Ready to accept connections/.test(output)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server on port ${port} exited with ${code}:\n${output}`));
    const cleanup = () => {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.off('exit', onExit);
      proc.off('error', fail);
    };
    function done() {
      cleanup();
      resolve();
    }
    function fail(err: Error) {
      cleanup();
      proc.kill('SIGKILL');
      reject(err);
    }
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString('utf8'); });
    proc.once('exit', onExit);
    proc.once('error', fail);
  });
  proc.stdout!.resume();
  return proc;
}

function terminate(proc: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3_000);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill(signal);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
