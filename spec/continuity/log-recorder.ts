import type { ContinuityLogger } from '../../lib/continuity/index.js';

/** A continuity logger that keeps what the store logs, as `[level, message, meta]` lines. */
export function logRecorder(): ContinuityLogger & { lines: [string, string, Record<string, unknown> | undefined][] } {
  const lines: [string, string, Record<string, unknown> | undefined][] = [];
  return {
    lines,
    error: (m, meta) => lines.push(['error', m, meta]),
    warn: (m, meta) => lines.push(['warn', m, meta]),
    info: (m, meta) => lines.push(['info', m, meta]),
  };
}
