import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inventory } from '../core/inventory.js';
import type { Runtime } from '../core/runtime.js';
import { LipError } from '../errors/index.js';
import type { ConfigControl } from './config-control.js';
import { sendJson } from './send.js';

/** Without a reload function (a server embedded without `lip serve`), the config endpoints are absent. */
const noControl = (path: string) => new LipError('LIP_ERR_HTTP_NOT_FOUND', `${path} is served by lip serve only`);

/** Diagnostics endpoints: path -> what they answer (a LipError answers with its status). */
export const ADMIN_ENDPOINTS = {
  '/admin/routes': (runtime: Runtime, _url: URL) => ({ routes: runtime.executor.routes.list() }),
  '/admin/circuits': (runtime: Runtime, _url: URL) => ({ circuits: runtime.breaker.snapshot() }),
  '/admin/inventory': (runtime: Runtime, _url: URL) => inventory(runtime.config, runtime.extensions?.occupancy()),
  '/admin/attempts': async (runtime: Runtime, url: URL) => {
    const aLegId = url.searchParams.get('a_leg_id');
    if (!aLegId) return new LipError('LIP_ERR_REQUEST_INVALID', 'a_leg_id: the query parameter is required (GET /admin/attempts?a_leg_id=...)', { param: 'a_leg_id' });
    const attempts = await runtime.continuity.attempts(aLegId);
    if (!attempts) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
    return { a_leg_id: aLegId, attempts };
  },
  '/admin/transcript': (runtime: Runtime, url: URL) => runtime.extensions?.diagnostics('ref-traffic-transcript', url.searchParams)
    ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/transcript needs the ref-traffic-transcript feature'),
  '/admin/config/status': (_runtime: Runtime, _url: URL, control?: ConfigControl) => control?.status() ?? noControl('/admin/config/status'),
  /** Re-reads the file named at start (the body is ignored), exactly as SIGHUP does. */
  '/admin/config/reload': async (_runtime: Runtime, _url: URL, control?: ConfigControl) => {
    if (!control) return noControl('/admin/config/reload');
    const outcome = await control.reload('api');
    return outcome.status === 'failed'
      ? new LipError('LIP_ERR_ADMIN_RELOAD_FAILED', `reload failed; the running configuration is kept: ${outcome.error ?? 'see the server log'}`)
      : outcome;
  },
} as const satisfies Record<string, (runtime: Runtime, url: URL, control?: ConfigControl) => unknown>;

export type AdminPath = keyof typeof ADMIN_ENDPOINTS;

/** The method of each admin endpoint that is not a GET. */
export const ADMIN_METHODS: Partial<Record<AdminPath, string>> = { '/admin/config/reload': 'POST' };

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /admin/*`: 404 unless `diagnostics.enabled`; with `diagnostics.shared_secret` set, the
 * request must carry it in `X-LIP-Diagnostics-Secret` (compared in constant time), else 403.
 * Without a secret the config only allows diagnostics on loopback.
 */
export async function handleAdmin(path: AdminPath, req: IncomingMessage, res: ServerResponse, url: URL, runtime: Runtime, control?: ConfigControl): Promise<LipError | undefined> {
  const { diagnostics } = runtime.config;
  if (!diagnostics.enabled) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `${path} needs diagnostics.enabled: true`);
  if (diagnostics.shared_secret !== undefined) {
    const presented = req.headers['x-lip-diagnostics-secret'];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(diagnostics.shared_secret))) {
      return new LipError('LIP_ERR_ADMIN_FORBIDDEN', 'diagnostics need the shared secret in X-LIP-Diagnostics-Secret');
    }
  }
  const answer: unknown = await ADMIN_ENDPOINTS[path](runtime, url, control);
  if (answer instanceof LipError) return answer;
  sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  return undefined;
}
