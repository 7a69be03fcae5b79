import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The fake ACP agent script (see its header for the fault modes). */
export const FAKE_ACP_AGENT = join(dirname(fileURLToPath(import.meta.url)), 'fake-acp-agent.mjs');

/** A fresh log file for the fake agent, and a reader of what it received. */
export function fakeAgentLog(): { path: string; messages(): { pid: number; message: Record<string, any> }[] } {
  const path = join(mkdtempSync(join(tmpdir(), 'lip-acp-')), 'agent.log');
  return {
    path,
    messages: () => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []),
  };
}

/** Polls `check` until it is true (event-driven specs on a loaded machine: generous bound). */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
