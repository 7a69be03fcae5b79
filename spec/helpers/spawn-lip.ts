import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const LIP_BIN = fileURLToPath(new URL('../../bin/lip.js', import.meta.url));

export interface LipProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/**
 * Spawns `node bin/lip.js ...args` (the compiled CLI, as users run it), or, with `command`,
 * that command with `args` (a shell that runs lip as an operator's command line would).
 */
export function spawnLip(args: readonly string[], env: NodeJS.ProcessEnv = {}, command?: string): LipProcess {
  const proc = spawn(command ?? process.execPath, command ? args : [LIP_BIN, ...args], { env: { ...process.env, LIP_CONFIG: '', ...env } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (c: Buffer) => { out += c.toString('utf8'); });
  proc.stderr.on('data', (c: Buffer) => { err += c.toString('utf8'); });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stdout: () => out, stderr: () => err, exited };
}

/** Runs the CLI to completion. */
export async function runLip(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnLip(args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Spawns `lip serve` and waits for its startup line; returns the URL it listens on. */
export async function serveLip(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<LipProcess & { url: string }> {
  const p = spawnLip(['serve', ...args], env);
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const m = /lip listening on (http:\/\/[^\s"]+)/.exec(p.stdout());
      if (m) {
        p.proc.stdout.off('data', onData);
        resolve(m[1]!);
      }
    };
    p.proc.stdout.on('data', onData);
    void p.exited.then((code) => reject(new Error(`lip serve exited with ${code} before listening:\n${p.stderr()}${p.stdout()}`)));
  });
  return { ...p, url };
}

/** Ends a spawned lip that is still running (SIGKILL: the test is over) and waits for it. */
export async function killLip(lip: LipProcess | undefined): Promise<void> {
  if (lip === undefined || lip.proc.exitCode !== null || lip.proc.signalCode !== null) return;
  lip.proc.kill('SIGKILL');
  await lip.exited;
}
