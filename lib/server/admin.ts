import type { IncomingMessage, ServerResponse } from 'node:http';
import { inventory } from '../core/inventory.js';
import type { Runtime } from '../core/runtime.js';
import { LipError } from '../errors/index.js';
import type { Authenticator } from './auth.js';
import type { ConfigControl } from './config-control.js';
import { guardOperator, type Viewer } from './operator-guard.js';
import { sendJson } from './send.js';

type Endpoint = (runtime: Runtime, url: URL, viewer: Viewer, control?: ConfigControl) => unknown;

/** Without a reload function (a server embedded without `lip serve`), the config endpoints are absent. */
const noControl = (path: string) => new LipError('LIP_ERR_HTTP_NOT_FOUND', `${path} is served by lip serve only`);

/** Whose A-leg it is: a principal-scoped viewer sees its own only (others look unknown). */
async function ownALeg(runtime: Runtime, url: URL, viewer: Viewer, path: string): Promise<string | LipError> {
  const aLegId = url.searchParams.get('a_leg_id');
  if (!aLegId) return new LipError('LIP_ERR_REQUEST_INVALID', `a_leg_id: the query parameter is required (GET ${path}?a_leg_id=...)`, { param: 'a_leg_id' });
  if (viewer.principal !== undefined && !(await runtime.continuity.describeALeg(aLegId, viewer.principal))) {
    return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
  }
  return aLegId;
}

/**
 * Diagnostics endpoints: path (under `/admin`, mounted at `diagnostics.admin_path`) -> what
 * they answer (a LipError answers with its status). `viewer.principal` is set when the caller
 * may see one principal's data only (SCOPED_ADMIN_PATHS); other endpoints are operator-only.
 */
export const ADMIN_ENDPOINTS = {
  '/admin/routes': (runtime: Runtime) => ({ routes: runtime.executor.routes.list() }),
  '/admin/circuits': (runtime: Runtime) => ({ circuits: runtime.breaker.snapshot() }),
  '/admin/inventory': (runtime: Runtime) => inventory(runtime.config, runtime.extensions?.occupancy()),
  '/admin/attempts': async (runtime: Runtime, url: URL, viewer: Viewer) => {
    const aLegId = await ownALeg(runtime, url, viewer, '/admin/attempts');
    if (aLegId instanceof LipError) return aLegId;
    const attempts = await runtime.continuity.attempts(aLegId, viewer.principal);
    if (!attempts) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `no A-leg "${aLegId}" is known`);
    return { a_leg_id: aLegId, attempts };
  },
  '/admin/transcript': async (runtime: Runtime, url: URL, viewer: Viewer) => {
    const aLegId = await ownALeg(runtime, url, viewer, '/admin/transcript');
    if (aLegId instanceof LipError) return aLegId;
    return runtime.extensions?.diagnostics('ref-traffic-transcript', url.searchParams)
      ?? new LipError('LIP_ERR_HTTP_NOT_FOUND', '/admin/transcript needs the ref-traffic-transcript feature');
  },
  '/admin/config/status': (_runtime: Runtime, _url: URL, _viewer: Viewer, control?: ConfigControl) => control?.status() ?? noControl('/admin/config/status'),
  /** Re-reads the file named at start (the body is ignored), exactly as SIGHUP does. */
  '/admin/config/reload': async (_runtime: Runtime, _url: URL, _viewer: Viewer, control?: ConfigControl) => {
    if (!control) return noControl('/admin/config/reload');
    const outcome = await control.reload('api');
    return outcome.status === 'failed'
      ? new LipError('LIP_ERR_ADMIN_RELOAD_FAILED', `reload failed; the running configuration is kept: ${outcome.error ?? 'see the server log'}`)
      : outcome;
  },
} as const satisfies Record<string, Endpoint>;

export type AdminPath = keyof typeof ADMIN_ENDPOINTS;

/** The method of each admin endpoint that is not a GET. */
export const ADMIN_METHODS: Partial<Record<AdminPath, string>> = { '/admin/config/reload': 'POST' };

/** Endpoints that can answer for one principal (a client key in multi_user sees its own data). */
export const SCOPED_ADMIN_PATHS: ReadonlySet<string> = new Set<AdminPath>(['/admin/attempts', '/admin/transcript']);

/**
 * `GET {admin_path}/*`: 404 unless `diagnostics.enabled`; then the operator gate
 * (guardOperator: the diagnostics secret, or scoped client access), then the endpoint.
 */
export async function handleAdmin(path: AdminPath, req: IncomingMessage, res: ServerResponse, url: URL, runtime: Runtime, auth: Authenticator, control?: ConfigControl): Promise<LipError | undefined> {
  if (!runtime.config.diagnostics.enabled) return new LipError('LIP_ERR_HTTP_NOT_FOUND', `${url.pathname} needs diagnostics.enabled: true`);
  const viewer = guardOperator(req, runtime.config, auth, SCOPED_ADMIN_PATHS.has(path));
  if (viewer instanceof LipError) return viewer;
  const answer: unknown = await (ADMIN_ENDPOINTS[path] as Endpoint)(runtime, url, viewer, control);
  if (answer instanceof LipError) return answer;
  sendJson(res, 200, answer, { 'cache-control': 'no-store' });
  return undefined;
}
