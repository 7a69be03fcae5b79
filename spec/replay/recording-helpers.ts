import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../lib/cli/main.js';
import type { Config } from '../../lib/config/index.js';
import { parseRecord, type ExchangeRecord } from '../../lib/replay/record-format.js';
import type { ReplayReport } from '../../lib/replay/replay-report.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';

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

/** The records of a recording file as it grows, by request id (each poll reads only what was appended). */
export class RecordLines {
  private offset = 0;
  private readonly byRequest = new Map<string, ExchangeRecord[]>();

  constructor(private readonly path: string) {}

  private readonly every: ExchangeRecord[] = [];

  /** Every record written so far, in the file's order. */
  all(): readonly ExchangeRecord[] {
    this.read();
    return this.every;
  }

  of(requestId: string): readonly ExchangeRecord[] {
    this.read();
    return this.byRequest.get(requestId) ?? [];
  }

  private read(): void {
    const bytes = existsSync(this.path) ? readFileSync(this.path) : undefined;
    // Whole lines only: a line being written is read on a later poll.
    const end = bytes === undefined ? -1 : bytes.lastIndexOf(0x0a) + 1;
    if (bytes !== undefined && end > this.offset) {
      const lines = bytes.subarray(this.offset, end).toString('utf8').split('\n').slice(0, -1);
      this.offset = end;
      for (const line of lines) {
        const record = parseRecord(line);
        if (typeof record === 'string') throw new Error(`a line lip wrote is not a record: ${record}`);
        const list = this.byRequest.get(record.request_id) ?? [];
        list.push(record);
        this.byRequest.set(record.request_id, list);
        this.every.push(record);
      }
    }
  }
}

/** What useChatRecording gives a suite once its `before` hook ran. */
export interface ChatRecording {
  readonly oc: Emulator;
  readonly lip: RunningLip;
  /** The recording file lip writes. */
  readonly file: string;
  /** lip's config (a replay runs under it). */
  readonly config: Config;
}

/**
 * Registers the hooks of a recording suite: an OpenAI Chat emulator (backend `oc`) and lip
 * recording every exchange into a file of a new temporary folder (`prefix` names it); all of it
 * closed and removed after the suite (`extra`: more YAML lines of lip's config; `redactSubstrings`:
 * the recording's `redact_substrings`). The returned
 * function gives what `before` made.
 */
export function useChatRecording(prefix: string, extra = '', redactSubstrings: readonly string[] = []): () => ChatRecording {
  let suite: ChatRecording | undefined;
  let dir: string | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    const file = join(dir, 'traffic.jsonl');
    const oc = await startOpenAIChatEmulator();
    const config = testConfig(`  - { id: oc, kind: openai-chat, base_url: "${oc.url}", api_key: k-0123456789 }`, `recording: { enabled: true, path: "${file}"${redactSubstrings.length > 0 ? `, redact_substrings: ${JSON.stringify(redactSubstrings)}` : ''} }${extra ? `\n${extra}` : ''}`);
    suite = { oc, file, config, lip: await startLip(config) };
  });
  after(async () => {
    await suite?.lip.close();
    await suite?.oc.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => suite!;
}

/**
 * `lip replay FILE --config C --json --concurrency 4` in process, `C` being `yaml` written beside
 * the recording: the exit code, the report and what went to stderr.
 */
export async function replayFile(file: string, yaml: string): Promise<{ code: number; report: ReplayReport; stderr: string }> {
  const configFile = `${file}.lip.yaml`;
  writeFileSync(configFile, yaml);
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['replay', file, '--config', configFile, '--json', '--concurrency', '4'], { out: (t) => out.push(t), err: (t) => err.push(t) }, {});
  return { code, report: JSON.parse(out.join('\n')) as ReplayReport, stderr: err.join('\n') };
}
