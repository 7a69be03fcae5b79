import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's `gc()`: without arguments, a full, synchronous collection. */
type Collect = () => void;

/**
 * Collects what start-up left behind, once, before the server takes traffic: the YAML tree of
 * the config, the schemas' compilation, the modules' loading. Start-up promotes most of it to
 * the old generation (bin/lip.js keeps the young one small meanwhile), where nothing collects it
 * until traffic grows the heap or V8's idle memory reducer runs 30-60 s later; until then an
 * idle lip holds some 10 MiB of dead heap and about 7 MiB more RSS than it needs
 * (docs/benchmarks.md, "Idle memory at start"). Two full collections: the first frees, the
 * second compacts the pages the first left sparse, whose memory V8 then returns at once. About
 * 20 ms, before the listener opens, so no request waits for it.
 *
 * V8's collector is reached through a context of its own, with `--expose-gc` set only for
 * that moment: the process's own global never gets a `gc`, and later contexts (a plugin's)
 * do not either. Best effort: whatever fails leaves the heap as it was.
 * Answers the heap's used bytes before and after, for the log.
 */
export function settleHeap(): { readonly before: number; readonly after: number } | undefined {
  let collect: Collect;
  try {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as Collect;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  if (typeof collect !== 'function') return undefined;
  const before = process.memoryUsage().heapUsed;
  collect();
  collect();
  return { before, after: process.memoryUsage().heapUsed };
}
