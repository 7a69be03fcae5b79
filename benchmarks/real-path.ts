/**
 * The real path, per HTTP backend kind: a client speaking the kind's own protocol to lip, lip
 * proxying to that kind's emulator (an HTTP backend: undici, decoding, routing, continuity,
 * encoding) vs. the same client request sent straight to the emulator, in the same run.
 * Non-streaming and streaming, sequential (c=1) and under load (c=16), the lip process's CPU
 * time per request (from /proc: robust on a shared machine), and 200 slow streams at once.
 */
import { request } from 'node:http';
import { spawnListening, type Spawned } from './lib-process.js';
import { load, percentiles, sequential, type LoadResult, type Percentiles, type Target } from './measure.js';

const QUESTION = 'Say something about foxes.';

/** How a client of one protocol asks, and where a lip backend of that kind finds its emulator. */
export interface KindClient {
  readonly kind: string;
  /** Backend id in the lip config. */
  readonly id: string;
  /** The emulator's health path and API base (what `base_url` is for lip's row). */
  readonly health: string;
  readonly basePath: string;
  /** The client request for `model` against an origin (lip or the emulator). */
  request(origin: string, model: string, stream: boolean): { url: string; body: string };
}

export const KIND_CLIENTS: readonly KindClient[] = [
  {
    kind: 'openai-chat', id: 'oc', health: '/v1/models', basePath: '/v1',
    request: (origin, model, stream) => ({ url: `${origin}/v1/chat/completions`, body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: QUESTION }] }) }),
  },
  {
    kind: 'openai-responses', id: 'or', health: '/v1/models', basePath: '/v1',
    request: (origin, model, stream) => ({ url: `${origin}/v1/responses`, body: JSON.stringify({ model, stream, input: QUESTION }) }),
  },
  {
    kind: 'anthropic', id: 'an', health: '/v1/models', basePath: '',
    request: (origin, model, stream) => ({ url: `${origin}/v1/messages`, body: JSON.stringify({ model, max_tokens: 1024, stream, messages: [{ role: 'user', content: QUESTION }] }) }),
  },
  {
    kind: 'gemini', id: 'ge', health: '/v1beta/models', basePath: '',
    request: (origin, model, stream) => ({
      url: `${origin}/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: QUESTION }] }] }),
    }),
  },
];

export interface Emulators {
  readonly byKind: ReadonlyMap<string, Spawned>;
  /** A bare relay (benchmarks/bare-relay.ts) in front of each kind's emulator: the floor of a proxy hop. */
  readonly relays: ReadonlyMap<string, Spawned>;
  /** The lip `backends:` rows pointing at them. */
  readonly rows: string;
  stop(): Promise<void>;
}

/** One emulator process per kind (and with `relays`, a bare relay in front of each). */
export async function startEmulators(options: { readonly relays?: boolean } = {}): Promise<Emulators> {
  const byKind = new Map<string, Spawned>();
  const relays = new Map<string, Spawned>();
  for (const k of KIND_CLIENTS) {
    const emulator = await spawnListening('emulator-upstream.ts', k.health, [k.kind]);
    byKind.set(k.kind, emulator);
    if (options.relays) relays.set(k.kind, await spawnListening('bare-relay.ts', k.health, [emulator.url]));
  }
  const rows = KIND_CLIENTS.map((k) => `  - { id: ${k.id}, kind: ${k.kind}, base_url: "${byKind.get(k.kind)!.url}${k.basePath}", api_key: bench-key-0123456789, models: [bench] }`).join('\n');
  return { byKind, relays, rows, stop: async () => { await Promise.all([...byKind.values(), ...relays.values()].map((s) => s.stop())); } };
}

/** The direct and the via-lip target of one kind (lip routes by X-LIP-Route; the model in the path/body stays `bench`). */
function targets(k: KindClient, emulator: Spawned, lip: Spawned, stream: boolean, model = 'bench', relay?: Spawned): { direct: Target; relay?: Target; lip: Target; body: string } {
  const direct = k.request(emulator.url, model, stream);
  const via = k.request(lip.url, model, stream);
  return {
    direct: direct.url, ...(relay ? { relay: k.request(relay.url, model, stream).url } : {}),
    lip: { url: via.url, headers: { 'x-lip-route': `${k.id}:${model}` } }, body: direct.body,
  };
}

/** lip in front of the four kinds' emulators (access log on, as in production); `LIP_BENCH_EXTRA_YAML` is appended. */
export function realPathYaml(rows: string): string {
  return `server: { host: 127.0.0.1, port: 0 }
logging: { level: info, format: json, access_log: true }
routing: { default_route: "oc:bench" }
backends:
${rows}
${process.env.LIP_BENCH_EXTRA_YAML ?? ''}
`;
}

export interface KindResult {
  readonly kind: string;
  readonly stream: boolean;
  readonly direct: { firstByte: Percentiles; total: Percentiles };
  /** The same request through the bare relay: what any proxy hop adds on this machine. */
  readonly relay: { firstByte: Percentiles; total: Percentiles };
  readonly lip: { firstByte: Percentiles; total: Percentiles };
  /** lip's CPU time per request in the sequential run, microseconds. */
  readonly lipCpuUs: number;
  /** The bare relay's, in the same run. */
  readonly relayCpuUs: number;
  readonly loadDirect: LoadResult;
  readonly loadLip: LoadResult;
}

/** Sequential (interleaved with the direct target) and c=16 load, for every kind, both modes. */
export async function measureKinds(emulators: Emulators, lip: Spawned, samples: number, seconds: number): Promise<KindResult[]> {
  const results: KindResult[] = [];
  for (const stream of [false, true]) {
    for (const k of KIND_CLIENTS) {
      const t = targets(k, emulators.byKind.get(k.kind)!, lip, stream, 'bench', emulators.relays.get(k.kind));
      const n = stream ? Math.round(samples / 2) : samples;
      if (!t.relay) throw new Error('measureKinds needs startEmulators({ relays: true })');
      await sequential({ lip: t.lip, relay: t.relay }, t.body, 300, 0); // warm (JIT, pools), not counted
      const relay = emulators.relays.get(k.kind)!;
      const cpuBefore = lip.cpuMs();
      const relayBefore = relay.cpuMs();
      const seq = await sequential({ direct: t.direct, relay: t.relay, lip: t.lip }, t.body, n, 0);
      const lipCpuUs = ((lip.cpuMs() - cpuBefore) * 1000) / n;
      const relayCpuUs = ((relay.cpuMs() - relayBefore) * 1000) / n;
      const viaLip = t.lip as { url: string; headers: Record<string, string> };
      const loadDirect = await load(t.direct as string, t.body, 16, seconds);
      const loadLip = await load(viaLip.url, t.body, 16, seconds, viaLip.headers);
      results.push({ kind: k.kind, stream, direct: seq.direct!, relay: seq.relay!, lip: seq.lip!, lipCpuUs, relayCpuUs, loadDirect, loadLip });
    }
  }
  return results;
}

export interface SlowStreams {
  readonly streams: number;
  /** The most streams active at one moment (first event received, not yet ended); 200 = all at once. */
  readonly peakActive: number;
  /** Streams that got their first event within 2 s of being sent (all started at once). */
  readonly activeWithin2s: number;
  readonly completed: number;
  readonly failed: number;
  readonly firstByteMs: Percentiles;
  /** lip's RSS at the peak of the run (sampled every 100 ms). */
  readonly peakRssMiB: number;
}

/**
 * `count` concurrent streaming requests through lip to an emulator that drips each reply
 * (50 chunks, one per 100 ms: about 5 s per stream). Counts how many were active (had their
 * first event) within 2 s, how many completed, and lip's peak RSS.
 */
export async function slowStreams(emulators: Emulators, lip: Spawned, count = 200): Promise<SlowStreams> {
  const k = KIND_CLIENTS[0]!;
  const t = targets(k, emulators.byKind.get(k.kind)!, lip, true, 'slow');
  const via = t.lip as { url: string; headers: Record<string, string> };
  let peak = lip.rssMiB();
  const sampler = setInterval(() => { peak = Math.max(peak, lip.rssMiB()); }, 100);
  const start = process.hrtime.bigint();
  const firsts: number[] = [];
  let completed = 0;
  let failed = 0;
  let active = 0;
  let peakActive = 0;
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve) => {
    const req = request(via.url, { method: 'POST', agent: false, headers: { ...via.headers, 'content-type': 'application/json' } }, (res) => {
      let first = true;
      res.on('data', (chunk: Buffer) => {
        // The first SSE event (not a keepalive comment) marks the stream active.
        if (first && chunk.toString('utf8').includes('data:')) {
          first = false;
          firsts.push(Number(process.hrtime.bigint() - start) / 1e6);
          peakActive = Math.max(peakActive, ++active);
        }
      });
      res.on('end', () => {
        if (!first) active--;
        if (res.statusCode === 200 && !first) completed++;
        else failed++;
        resolve();
      });
      res.on('error', () => { failed++; resolve(); });
    });
    req.on('error', () => { failed++; resolve(); });
    req.end(t.body);
  })));
  clearInterval(sampler);
  return {
    streams: count, peakActive, activeWithin2s: firsts.filter((ms) => ms <= 2_000).length, completed, failed,
    firstByteMs: percentiles(firsts.length ? firsts : [NaN]), peakRssMiB: peak,
  };
}
