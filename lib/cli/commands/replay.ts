import { fstatSync, type Stats } from 'node:fs';
import { access, constants, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../../config/index.js';
import { createRuntime, withoutIngress, type Runtime } from '../../core/runtime.js';
import { createExtensionHost, MemoryStateStore, type ExtensionHost } from '../../extensions/index.js';
import { isLipError } from '../../errors/index.js';
import { parseFilters, type ExchangeFilter } from '../../replay/exchange-filter.js';
import { recordsOf, scanRecording, type CheckedLines } from '../../replay/read-recording.js';
import type { ExchangeRecord } from '../../replay/record-format.js';
import { replayExchange, type ExchangeResult } from '../../replay/replay-exchange.js';
import { buildReport, describeResult, renderSummary, type ReplayReport } from '../../replay/replay-report.js';
import { loadConfig } from '../config-source.js';
import type { Output } from '../output.js';
import { spoolStdin, type SpooledInput } from '../spool-stdin.js';

/** The request id of an exchange lip named apart from another with the client's id (`<id>.dup<n>`, see LipServer). */
const DUPLICATE_ID = /^(.+)\.dup\d+$/;

/** The file name that stands for standard input (as in `cat -`). */
export const STDIN = '-';

export interface ReplayArgs {
  /** Recording files; `-` is standard input (at most once). */
  readonly files: readonly string[];
  readonly configPath?: string;
  readonly json: boolean;
  /** Only these exchange ids (record `id` or `request_id`, which names `<request_id>.dup<n>` too); all when empty. */
  readonly ids: readonly string[];
  /** `--filter` expressions (`field=glob`, `field!=glob`, `status>=N` …): only the exchanges all match, and `ids` too. */
  readonly filters?: readonly string[];
  readonly concurrency: number;
  /** Also write the JSON report to this file. */
  readonly report?: string;
  /** Send to the configured backends (wall clock) instead of replaying the recorded attempts. */
  readonly live: boolean;
  /** Draw a progress bar here (stderr, when it is a terminal). */
  readonly progress?: NodeJS.WriteStream;
  /**
   * Stdout is a terminal too (the one the bar is drawn on): list only the exchanges that are not
   * `same`, each where the bar was. Otherwise (a file, a pipe) every exchange has its plain
   * `[n/total]` line, and no terminal code ever reaches stdout.
   */
  readonly terminal?: boolean;
  /** What `-` reads (default: process.stdin). */
  readonly stdin?: NodeJS.ReadableStream;
}

/** A recording as the user named it (`-` for standard input) and the file read for it. */
interface Input {
  readonly name: string;
  readonly path: string;
}

/** Live mode: an exchange that has not ended by then is reported as an error. */
const LIVE_TIMEOUT_MS = 120_000;

/**
 * `lip replay FILE…`: substitute mode (offline, virtual time) or `--live` (the configured
 * backends) under the given config (the what-if), a line per exchange, a summary table, `--json` / `--report`. Exit 0 when every
 * exchange is `same`, 1 on any difference, 2 for usage errors and unreadable input (a bad
 * record line names its line number; a truncated last line is reported and skipped).
 */
export async function replayCommand(args: ReplayArgs, io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!Number.isInteger(args.concurrency) || args.concurrency < 1 || args.concurrency > 256) {
    io.err(`lip replay: --concurrency must be an integer from 1 to 256 (got ${String(args.concurrency)})`);
    return 2;
  }
  const filter = parseFilters(args.filters ?? []);
  if (typeof filter === 'string') {
    io.err(`lip replay: ${filter}`);
    return 2;
  }
  if (args.files.length === 0) {
    io.err(`lip replay: name a recording file (${STDIN} for standard input)`);
    return 2;
  }
  if (args.files.filter((f) => f === STDIN).length > 1) {
    io.err(`lip replay: ${STDIN} (standard input) is named more than once; it can be read only once`);
    return 2;
  }
  if (args.report !== undefined) {
    // Found out now, not after a replay of hours whose report then has nowhere to go.
    const problem = await unwritable(args.report);
    if (problem !== undefined) {
      io.err(`lip replay: cannot write the report ${args.report}: ${problem}`);
      return 2;
    }
    // Standard input is the process's own unless a stream stands in for it (tests).
    const input = await inputAt(args.report, args.files, args.stdin === undefined ? stdinFile() : undefined);
    if (input !== undefined) {
      io.err(`lip replay: the report ${args.report} is the recording ${input}: writing it would overwrite the input; name another file for --report`);
      return 2;
    }
  }
  let config: Config;
  try {
    config = loadConfig(args.configPath);
  } catch (err) {
    io.err(`lip replay: ${isLipError(err) ? err.message : String(err)}`);
    return 2;
  }
  let stdin: SpooledInput | undefined;
  if (args.files.includes(STDIN)) {
    try {
      stdin = await spoolStdin(args.stdin ?? process.stdin);
    } catch (err) {
      io.err(`lip replay: cannot read ${STDIN} (standard input): ${(err as Error).message}`);
      return 2;
    }
  }
  const inputs: Input[] = args.files.map((name) => ({ name, path: name === STDIN ? stdin!.path : name }));
  try {
    return await replayInputs(args, config, inputs, filter, io, env);
  } finally {
    await stdin?.remove();
  }
}

/** The replay proper, of recordings that can be read twice. */
async function replayInputs(args: ReplayArgs, config: Config, inputs: readonly Input[], filter: ExchangeFilter, io: Output, env: NodeJS.ProcessEnv): Promise<number> {
  // Two passes, each a line at a time: every line is checked before anything is replayed (a bad
  // record is exit 2, whatever else the files hold), then the records are replayed a few at a
  // time, so a recording of any size costs memory for the exchanges in flight and the results.
  const wanted = new Set(args.ids);
  const found = new Set<string>();
  const named = (r: ExchangeRecord) => {
    if (wanted.size === 0) return true;
    // A request id the client sent twice at once names both exchanges (the later one's is `<id>.dup<n>`).
    const asked = DUPLICATE_ID.exec(r.request_id)?.[1];
    const hit = wanted.has(r.id) ? r.id : wanted.has(r.request_id) ? r.request_id : asked !== undefined && wanted.has(asked) ? asked : undefined;
    if (hit !== undefined) found.add(hit);
    return hit !== undefined;
  };
  const keep = (r: ExchangeRecord) => named(r) && filter(r);
  const skipped: { file: string; line: number; reason: string }[] = [];
  const checked: CheckedLines[] = [];
  let total = 0;
  for (const { name: file, path } of inputs) {
    let scan;
    try {
      scan = await scanRecording(path, keep);
    } catch (err) {
      io.err(`lip replay: cannot read ${file}: ${(err as Error).message}`);
      return 2;
    }
    for (const bad of scan.bad) {
      if (!bad.last) {
        io.err(`lip replay: ${file}:${bad.line}: not a recording line: ${bad.reason}`);
        return 2;
      }
      io.err(`lip replay: ${file}:${bad.line}: skipped a truncated last line (${bad.reason})`);
      skipped.push({ file, line: bad.line, reason: bad.reason });
    }
    total += scan.kept;
    checked.push(scan.checked);
  }
  const missing = [...wanted].filter((id) => !found.has(id));
  if (missing.length > 0) {
    // A mistyped id would otherwise replay nothing and report success.
    io.err(`lip replay: no exchange in ${args.files.join(', ')} has the id ${missing.map((id) => JSON.stringify(id)).join(', ')} (--id takes a record id or a request id)`);
    return 2;
  }
  if (total === 0 && (args.filters ?? []).length > 0) {
    // A mistyped pattern would otherwise replay nothing and report success, as a mistyped id would.
    const asked = [...(args.filters ?? []).map((f) => `--filter ${JSON.stringify(f)}`), ...args.ids.map((id) => `--id ${JSON.stringify(id)}`)];
    io.err(`lip replay: no exchange matched ${asked.join(' and ')} in ${args.files.join(', ')}`);
    return 2;
  }

  let extensions: ExtensionHost | undefined;
  let runtime: Runtime | undefined;
  try {
    extensions = createExtensionHost(config, { state: new MemoryStateStore(), replaying: true });
    // Live: the real backends of the config (a replay never records itself).
    if (args.live) runtime = createRuntime(withoutIngress({ ...config, recording: { ...config.recording, enabled: false }, features: [] }), { env });
  } catch (err) {
    io.err(`lip replay: ${isLipError(err) ? err.message : String(err)}`);
    return 2;
  }
  const results: ExchangeResult[] = [];
  const chosen = chosenRecords(inputs.map((i, n) => ({ path: i.path, checked: checked[n]! })), keep);
  let next = 0;
  let finished = 0;
  // One extension host per worker: a replay binds its host's auxiliary calls to its own executor,
  // so two exchanges replayed at once must not share one. The first was made (and checked) above.
  const workers = Math.min(args.concurrency, Math.max(1, total));
  const hosts: (ExtensionHost | undefined)[] = [extensions];
  try {
    for (let i = 1; i < workers; i++) hosts.push(createExtensionHost(config, { state: new MemoryStateStore(), replaying: true }));
  } catch (err) {
    await Promise.all(hosts.map((h) => h?.stop()));
    await runtime?.close();
    io.err(`lip replay: ${isLipError(err) ? err.message : String(err)}`);
    return 2;
  }
  const worker = async (host: ExtensionHost | undefined) => {
    for (;;) {
      const item = await chosen.next();
      if (item.done) return;
      const i = next++;
      results[i] = await replayExchange(item.value, config, {
        ...(host ? { extensions: host } : {}), ...(runtime ? { live: { backends: runtime.backends, timeoutMs: LIVE_TIMEOUT_MS } } : {}),
      });
      finished++;
      if (args.json) continue;
      // The bar's line is cleared on its own stream: a code on stdout would land in a file.
      if (!args.progress || !args.terminal) io.out(`[${finished}/${total}] ${describeResult(results[i]!)}`);
      else if (results[i]!.state !== 'same') {
        args.progress.write('\r\x1b[K');
        io.out(describeResult(results[i]!));
      }
      args.progress?.write(`\r\x1b[K${bar(finished, total)}`);
    }
  };
  try {
    await Promise.all(hosts.map(worker));
  } catch (err) {
    // The files changed or vanished between the two passes.
    io.err(`lip replay: cannot read the recording again: ${(err as Error).message}`);
    return 2;
  } finally {
    if (args.progress && !args.json) args.progress.write('\r\x1b[K');
    await Promise.all(hosts.map((h) => h?.stop()));
    await runtime?.close();
  }

  const report: ReplayReport = buildReport(results, skipped);
  io.out(args.json ? JSON.stringify(report, null, 2) : renderSummary(report));
  if (args.report !== undefined) {
    try {
      await writeFile(args.report, `${JSON.stringify(report, null, 2)}\n`);
    } catch (err) {
      io.err(`lip replay: cannot write the report ${args.report}: ${(err as Error).message}`);
      return 2;
    }
  }
  return report.summary.same === report.summary.total ? 0 : 1;
}

/**
 * The records `keep` keeps, file after file, read a line at a time (shared by the replay's
 * workers): of each file, only the lines its first pass checked.
 */
async function* chosenRecords(files: readonly { readonly path: string; readonly checked: CheckedLines }[], keep: (r: ExchangeRecord) => boolean): AsyncGenerator<ExchangeRecord> {
  for (const { path, checked } of files) for await (const record of recordsOf(path, checked)) if (keep(record)) yield record;
}

/** `[#########...........]  45/100` */
function bar(done: number, total: number): string {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/**
 * The input file that `report` names too (the same path once resolved, or the same file by
 * device and inode: a link, another spelling), or undefined. An input that cannot be read is
 * left to the reading, which names it. `-` is the report when standard input is that file
 * (`lip replay - --report c.jsonl < c.jsonl`): `stdin` is its file, when it is a regular one.
 * @see spec/cli/regression-report-over-stdin-recording.spec.ts
 */
async function inputAt(report: string, files: readonly string[], stdin: Stats | undefined): Promise<string | undefined> {
  const target = await stat(report).catch(() => undefined);
  for (const file of files) {
    if (file === STDIN) {
      if (stdin !== undefined && target !== undefined && stdin.dev === target.dev && stdin.ino === target.ino) return file;
      continue;
    }
    if (resolve(file) === resolve(report)) return file;
    if (target === undefined) continue;
    const input = await stat(file).catch(() => undefined);
    if (input !== undefined && input.dev === target.dev && input.ino === target.ino) return file;
  }
  return undefined;
}

/** Standard input's file when it is a regular one (`< c.jsonl`), else undefined (a pipe, a terminal). */
function stdinFile(): Stats | undefined {
  try {
    const stats = fstatSync(0);
    return stats.isFile() ? stats : undefined;
  } catch {
    return undefined;
  }
}

/** Why `--report` could not be written (a missing or read-only directory, a directory), or undefined. */
async function unwritable(path: string): Promise<string | undefined> {
  try {
    const existing = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (existing?.isDirectory()) return 'it is a directory';
    await access(existing ? path : dirname(path), constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
