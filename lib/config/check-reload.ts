import type { Config } from './types.js';

/** Settings a running server cannot change in place: the listeners, the mode, admission caps. */
const STARTUP_ONLY: readonly [string, (c: Config) => unknown][] = [
  ['server.host', (c) => c.server.host],
  ['server.port', (c) => c.server.port],
  ['access.mode', (c) => c.access.mode],
  ['diagnostics.listen', (c) => c.diagnostics.listen],
  ['server.max_concurrent_decodes', (c) => c.server.max_concurrent_decodes],
  ['server.max_inflight_decode_bytes', (c) => c.server.max_inflight_decode_bytes],
];

/**
 * Why a reload to `next` must be refused while `running` serves, or an empty list. A reload
 * is all or nothing: one startup-only change rejects it whole, so that a listener never keeps
 * running under settings validated for another one (a public port must not take the access
 * rules of a loopback file). `next` has already passed every access rule on its own
 * settings, which catch a weakening (a public bind losing its keys or the secret).
 */
export function reloadProblems(running: Config, next: Config): string[] {
  const changed = STARTUP_ONLY.filter(([, read]) => JSON.stringify(read(running)) !== JSON.stringify(read(next))).map(([name]) => name);
  return changed.length === 0 ? [] : [`${changed.join(', ')} changed: this needs a restart (the running server keeps its configuration)`];
}
