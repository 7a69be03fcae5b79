import type { ServerResponse } from 'node:http';
import { LipError } from '../errors/index.js';
import type { RequestTarget } from '../wire/index.js';
import { sendJson } from './send.js';

/** The longest CPU or heap-sampling profile, in seconds. */
export const MAX_PROFILE_SECONDS = 120;
const DEFAULT_PROFILE_SECONDS = 30;

export const PROFILING_ENDPOINTS = ['', '/profile', '/heap', '/heap-sampling'] as const;
export type ProfilingEndpoint = (typeof PROFILING_ENDPOINTS)[number];

function seconds(url: RequestTarget): number | LipError {
  const raw = url.searchParams.get('seconds');
  if (raw === null) return DEFAULT_PROFILE_SECONDS;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_PROFILE_SECONDS) {
    return new LipError('LIP_ERR_REQUEST_INVALID', `seconds: must be a whole number from 1 to ${MAX_PROFILE_SECONDS} (got ${JSON.stringify(raw)})`, { param: 'seconds' });
  }
  return n;
}

/**
 * Node's answer to pprof, under `diagnostics.pprof_path` (off unless set; behind the operator
 * gate like every operator surface):
 *
 * * `GET {pprof_path}/profile?seconds=N`: a CPU profile (`.cpuprofile`, node:inspector's
 *   Profiler) over N seconds (default 30, at most 120);
 * * `GET {pprof_path}/heap`: a heap snapshot (`.heapsnapshot`), streamed as V8 writes it;
 * * `GET {pprof_path}/heap-sampling?seconds=N`: a sampling heap profile (`.heapprofile`);
 * * `GET {pprof_path}`: an index.
 *
 * One at a time (the inspector session is process-wide): a second request gets 409. A client
 * that goes away stops the profile at once. node:inspector is loaded on first use only.
 * Open the files in Chrome DevTools (docs/security.md#profiling).
 * @see spec/server/profiling.spec.ts
 */
export class Profiling {
  private busy = false;

  async handle(endpoint: ProfilingEndpoint, url: RequestTarget, res: ServerResponse, base: string): Promise<LipError | undefined> {
    if (endpoint === '') {
      sendJson(res, 200, { endpoints: [`${base}/profile?seconds=N`, `${base}/heap`, `${base}/heap-sampling?seconds=N`], max_seconds: MAX_PROFILE_SECONDS }, { 'cache-control': 'no-store' });
      return undefined;
    }
    const duration = endpoint === '/heap' ? 0 : seconds(url);
    if (duration instanceof LipError) return duration;
    if (this.busy) return new LipError('LIP_ERR_ADMIN_BUSY', 'a profile is already being taken; one runs at a time');
    this.busy = true;
    try {
      if (endpoint === '/heap') await heapSnapshot(res);
      else await sampled(endpoint, duration * 1000, res);
    } finally {
      this.busy = false;
    }
    return undefined;
  }
}

async function heapSnapshot(res: ServerResponse): Promise<void> {
  const { getHeapSnapshot } = await import('node:v8');
  const snapshot = getHeapSnapshot();
  res.writeHead(200, { 'content-type': 'application/json', 'content-disposition': `attachment; filename="lip-${stamp()}.heapsnapshot"`, 'cache-control': 'no-store' });
  await new Promise<void>((resolve) => {
    snapshot.pipe(res);
    res.once('close', () => {
      snapshot.destroy();
      resolve();
    });
  });
}

/** A CPU profile or a sampling heap profile over `ms`, cut short when the client leaves. */
async function sampled(endpoint: '/profile' | '/heap-sampling', ms: number, res: ServerResponse): Promise<void> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  const cpu = endpoint === '/profile';
  try {
    if (cpu) {
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
    } else {
      await session.post('HeapProfiler.enable');
      await session.post('HeapProfiler.startSampling', {});
    }
    const completed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), ms);
      res.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
    const { profile } = cpu ? await session.post('Profiler.stop') : await session.post('HeapProfiler.stopSampling');
    if (!completed) return;
    const text = JSON.stringify(profile);
    res.writeHead(200, {
      'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store',
      'content-disposition': `attachment; filename="lip-${stamp()}.${cpu ? 'cpuprofile' : 'heapprofile'}"`,
    });
    res.end(text);
  } finally {
    session.disconnect();
  }
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}
