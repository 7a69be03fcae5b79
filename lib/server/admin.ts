import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { inventory } from '../core/inventory.js';
import type { Runtime } from '../core/runtime.js';
import { LipError } from '../errors/index.js';
import type { UsageQuery } from '../continuity/index.js';
import { parseDuration } from '../config/units.js';
import { sendJson } from './send.js';

/** Diagnostics endpoints: path -> what they answer (a LipError answers with its status). */
export const ADMIN_ENDPOINTS = {
  '/admin/routes': (runtime: Runtime, _url: URL) => ({ routes: runtime.executor.routes.json() }),
  '/admin/circuits': (runtime: Runtime, _url: URL) => ({ circuits: runtime.breaker.snapshot() }),
  '/admin/inventory': (runtime: Runtime, _url: URL) => inventory(runtime.config, runtime.extensions?.occupancy()),
  '/admin/attempts': async (runtime: Runtime, url: URL) => {
    const aLegId = url.searchParams.get('a_leg_id');
    if (!aLegId) return new LipError('LIP_ERR_REQUEST_INVALID', 'a_leg_id: the query parameter is required (GET /admin/attempts?a_leg_id=...)', { param: 'a_leg_id' });
    const attempts = await runtime.continuity.attempts(aLegId);
    if (!attempts) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
    return { a_leg_id: aLegId, attempts };
  },
  '/admin/usage': async (runtime: Runtime, url: URL) => {
    const query = usageQuery(url.searchParams);
    if (query instanceof LipError) return query;
    const groups = await runtime.continuity.usage(query);
    return {
      group_by: query.groupBy, ...(query.principal !== undefined ? { principal: query.principal } : {}),
      since: query.since === undefined ? null : new Date(query.since).toISOString(), store: runtime.continuity.kind, groups,
    };
  },
  '/admin/transcript': (runtime: Runtime, url: URL) => runtime.extensions?.diagnostics('ref-traffic-transcript', url.searchParams)
    ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/transcript needs the ref-traffic-transcript feature'),
} as const satisfies Record<string, (runtime: Runtime, url: URL) => unknown>;

export type AdminPath = keyof typeof ADMIN_ENDPOINTS;

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * `GET /admin/*`: 404 unless `diagnostics.enabled`; with `diagnostics.shared_secret` set, the
 * request must carry it in `X-LIP-Diagnostics-Secret` (compared in constant time), else 403.
 * Without a secret the config only allows diagnostics on loopback.
 */
export async function handleAdmin(path: AdminPath, req: IncomingMessage, res: ServerResponse, url: URL, runtime: Runtime): Promise<LipError | undefined> {
  const { diagnostics } = runtime.config;
  if (!diagnostics.enabled) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `${path} needs diagnostics.enabled: true`);
  if (diagnostics.shared_secret !== undefined) {
    const presented = req.headers['x-lip-diagnostics-secret'];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(diagnostics.shared_secret))) {
      return new LipError('LIP_ERR_ADMIN_FORBIDDEN', 'diagnostics need the shared secret in X-LIP-Diagnostics-Secret');
    }
  }
  const answer: unknown = await ADMIN_ENDPOINTS[path](runtime, url);
  if (answer instanceof LipError) return answer;
  sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  return undefined;
}

const GROUPS = ['model', 'backend', 'principal'] as const;

/**
 * `GET /admin/usage?principal=&since=&group_by=`: `since` is an ISO 8601 time or a duration
 * back from now (`24h`, `30m`); `group_by` is model (default), backend or principal.
 */
export function usageQuery(params: URLSearchParams, now: number = Date.now()): UsageQuery | LipError {
  const groupBy = params.get('group_by') ?? 'model';
  if (!(GROUPS as readonly string[]).includes(groupBy)) {
    return new LipError('LIP_ERR_REQUEST_INVALID', `group_by: must be one of ${GROUPS.join(', ')} (got "${groupBy}")`, { param: 'group_by' });
  }
  const principal = params.get('principal') ?? undefined;
  const sinceText = params.get('since');
  let since: number | undefined;
  if (sinceText !== null && sinceText !== '') {
    const back = /^\d/.test(sinceText) && !/^\d{4}-/.test(sinceText) ? parseDuration(sinceText) : undefined;
    since = back !== undefined ? now - back : Date.parse(sinceText);
    if (!Number.isFinite(since)) {
      return new LipError('LIP_ERR_REQUEST_INVALID', `since: expected an ISO 8601 time (2026-12-01T00:00:00Z) or a duration back from now (24h), got "${sinceText}"`, { param: 'since' });
    }
  }
  return { groupBy: groupBy as UsageQuery['groupBy'], ...(principal ? { principal } : {}), ...(since !== undefined ? { since } : {}) };
}
