import { spawn, type ChildProcess } from 'node:child_process';
import { LipError } from '../../errors/index.js';
import { JsonRpcPeer, type PeerHandlers } from './json-rpc-peer.js';
import { NdjsonLines } from './ndjson-lines.js';
import type { AgentTransport } from './transport.js';

export interface StdioSpawn {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly backend: string;
}

/**
 * How long the end of an agent's stdout waits for the process's exit. An agent that exits closes
 * its stdout with it, and that end is often read before the exit is reaped: the error should say
 * how the agent ended (its code, its signal), not that it closed its output.
 */
const EXIT_AFTER_END_MS = 200;

/** Agents whose process group may still run: lip leaving without closing its backends (a second Ctrl-C) still ends them. */
const running = new Set<StdioTransport>();
let exitHookInstalled = false;

function killRunningOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => { for (const transport of running) transport.kill(); });
}

/**
 * An agent process spoken to over stdin/stdout, one JSON-RPC message per line. stderr is
 * drained (an agent that logs a lot must not block on a full pipe) and dropped. The process
 * ending, a spawn failure, an oversize or malformed line all fail the peer: every open request
 * rejects with a LipError, so an attempt that had no output yet moves on. A line that broke the
 * protocol also ends the agent, so the next call starts a fresh one.
 *
 * The agent runs in a process group of its own (agents run tools, and are often started through
 * a wrapper script): ending it kills the whole group, so nothing it started outlives it, and its
 * pipes are closed so that a descendant that left the group cannot hold lip's event loop open.
 */
export class StdioTransport implements AgentTransport {
  readonly peer: JsonRpcPeer;
  readonly pid: number | undefined;
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly backend: string;
  private dead = false;

  constructor(spec: StdioSpawn, handlers: PeerHandlers) {
    this.child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd, env: spec.env, stdio: ['pipe', 'pipe', 'pipe'],
      detached: process.platform !== 'win32', // its own process group (on Windows this would open a console instead)
    });
    this.pid = this.child.pid;
    this.backend = spec.backend;
    if (this.pid !== undefined) {
      running.add(this);
      killRunningOnExit();
    }
    this.peer = new JsonRpcPeer((message) => this.write(message), handlers, { backend: spec.backend, onBroken: () => this.kill() });
    const lines = new NdjsonLines();
    this.child.stdout!.on('data', (chunk: Buffer) => {
      let received: string[];
      try {
        received = lines.push(chunk);
      } catch (error) {
        this.peer.fail(error);
        this.kill();
        return;
      }
      for (const line of received) this.peer.receive(line);
    });
    // An agent that closes its output but keeps running can never answer again: as if it had
    // exited. One that is exiting is reported by its exit, which follows within EXIT_AFTER_END_MS.
    this.child.stdout!.on('end', () => {
      if (this.dead) return;
      const closed = setTimeout(() => {
        if (this.dead) return;
        this.peer.fail(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${spec.backend}: the agent closed its output (stdout)`, { detail: { backend: spec.backend } }));
        this.kill();
      }, EXIT_AFTER_END_MS);
      closed.unref();
      this.child.once('exit', () => clearTimeout(closed));
    });
    this.child.stderr!.resume();
    this.child.stdin!.on('error', () => undefined); // EPIPE after the agent died: the exit path reports it
    this.exited = new Promise((resolve) => {
      this.child.on('error', (error: NodeJS.ErrnoException) => {
        this.dead = true;
        this.peer.fail(new LipError('LIP_ERR_UPSTREAM_CONNECT', `acp ${spec.backend}: cannot start agent "${spec.command}": ${error.code ?? error.message}`, { cause: error, detail: { backend: spec.backend } }));
        resolve(null);
      });
      this.child.on('exit', (code, signal) => {
        this.dead = true;
        // What the agent started (a wrapper's agent, a tool) ends with it.
        this.killGroup();
        running.delete(this);
        this.peer.fail(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${spec.backend}: agent exited (${signal ? `signal ${signal}` : `code ${code}`})`, { detail: { backend: spec.backend } }));
        resolve(code);
      });
    });
  }

  get alive(): boolean {
    return !this.dead;
  }

  /** Stops reading the agent's stdout: once the pipe is full, the agent's writes wait. */
  pause(): void {
    this.child.stdout!.pause();
  }

  resume(): void {
    this.child.stdout!.resume();
  }

  /**
   * Ends the agent and everything in its process group, and closes its pipes; it counts as gone
   * at once (its pool must not hand it out while it exits).
   */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    if (!this.killGroup()) this.child.kill('SIGKILL');
    this.child.stdin!.destroy();
    this.child.stdout!.destroy();
    this.child.stderr!.destroy();
  }

  /** SIGKILLs the agent's process group; false when there is none to signal (Windows, a failed spawn, already gone). */
  private killGroup(): boolean {
    if (this.pid === undefined || process.platform === 'win32') return false;
    try {
      process.kill(-this.pid, 'SIGKILL');
      return true;
    } catch {
      return false;
    }
  }

  private write(message: Record<string, unknown>): Promise<void> {
    if (this.dead || !this.child.stdin!.writable) {
      return Promise.reject(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${this.backend}: the agent process is gone (it exited or was ended)`, { detail: { backend: this.backend } }));
    }
    return new Promise((resolve, reject) => {
      this.child.stdin!.write(`${JSON.stringify(message)}\n`, (error) => (error
        ? reject(new LipError('LIP_ERR_UPSTREAM_RESET', `acp ${this.backend}: writing to the agent failed: ${error.message}`, { cause: error, detail: { backend: this.backend } }))
        : resolve()));
    });
  }
}
