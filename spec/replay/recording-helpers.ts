import { existsSync, readFileSync } from 'node:fs';
import { parseRecord, type ExchangeRecord } from '../../lib/replay/record-format.js';

/** Polls until `check` holds (recording is written off the request path). */
export async function eventually<T>(read: () => T, check: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms: ${JSON.stringify(value)?.slice(0, 400)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function readRecords(path: string): ExchangeRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => {
    const r = parseRecord(l);
    if (typeof r === 'string') throw new Error(r);
    return r;
  });
}
