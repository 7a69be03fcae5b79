import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake ACP agent script (see its header for the fault modes). */
export const FAKE_ACP_AGENT = join(dirname(fileURLToPath(import.meta.url)), 'fake-acp-agent.mjs');

interface AgentLogLine { pid: number; message?: Record<string, any>; grandchild?: number }

/** A fresh log file for the fake agent, and readers of what it received and what it started (mode `grandchild`). */
export function fakeAgentLog(): {
  path: string;
  messages(): { pid: number; message: Record<string, any> }[];
  grandchildren(): { pid: number; grandchild: number }[];
} {
  const path = join(mkdtempSync(join(tmpdir(), 'lip-acp-')), 'agent.log');
  const lines = (): AgentLogLine[] => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
  return {
    path,
    messages: () => lines().filter((l): l is { pid: number; message: Record<string, any> } => l.message !== undefined),
    grandchildren: () => lines().filter((l): l is { pid: number; grandchild: number } => l.grandchild !== undefined),
  };
}

/** Whether process `pid` is gone: no such process, or a zombie its new parent has not reaped yet. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('Z');
  } catch {
    return false;
  }
}

/** Polls `check` until it is true (event-driven specs on a loaded machine: generous bound). */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
