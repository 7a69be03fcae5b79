import { isLoopbackHost } from './loopback.js';

type Segment = string | number;

/** One access problem: where in the settings, and what is wrong. */
export interface AccessProblem {
  readonly path: readonly Segment[];
  readonly key?: string;
  readonly message: string;
}

/** The settings the access rules read (a loaded Config, or the raw tree while loading). */
export interface AccessSettings {
  readonly server: { readonly host: string; readonly port: number };
  readonly access: { readonly mode: 'single_user' | 'multi_user' };
  readonly auth: { readonly api_keys: readonly unknown[] };
  readonly diagnostics: {
    readonly enabled: boolean;
    readonly shared_secret?: string;
    readonly admin_path: string;
    readonly pprof_path?: string;
    readonly listen?: string;
  };
  readonly observability: { readonly metrics: { readonly enabled: boolean; readonly path: string } };
  readonly backends: readonly { readonly id?: unknown; readonly kind?: unknown; readonly enabled?: unknown }[];
}

export interface AccessOptions {
  /** Backend kinds that run local processes or read local credentials (refused in multi_user). */
  readonly localKinds?: ReadonlySet<string>;
  /** Paths of the client protocol routes (templated ones up to their first `{`). */
  readonly protocolPaths?: readonly string[];
}

/** The shortest diagnostics secret accepted, in code points. */
export const MIN_SECRET_CODE_POINTS = 12;

/**
 * The operator surfaces that are switched on, by name (for messages), with the path each is
 * mounted on. Health and readiness are never operator surfaces.
 */
export function operatorSurfaces(s: AccessSettings): { name: string; path: string }[] {
  const out: { name: string; path: string }[] = [];
  if (s.diagnostics.enabled) out.push({ name: `diagnostics (${s.diagnostics.admin_path}/*: attempts, routes, circuits, inventory, transcripts)`, path: s.diagnostics.admin_path });
  if (s.observability.metrics.enabled) out.push({ name: `metrics (${s.observability.metrics.path})`, path: s.observability.metrics.path });
  if (s.diagnostics.pprof_path !== undefined) out.push({ name: `profiling (${s.diagnostics.pprof_path})`, path: s.diagnostics.pprof_path });
  return out;
}

/** `host:port` of `diagnostics.listen`, or undefined when it does not parse. */
export function parseListen(listen: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(listen.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  return port <= 65535 ? { host: (m[1] ?? m[2])!, port } : undefined;
}

/**
 * Every access rule over the final settings (file, command-line flags and environment
 * together), so that no path to the listener skips one. The same function runs at load, after
 * `lip serve --host/--port`, and on every reload.
 *
 * * `single_user` binds loopback only (`127.0.0.0/8`, `::1`, `localhost`), whatever the auth.
 * * `multi_user` needs `auth.api_keys`, and refuses backend kinds that spawn processes or read
 *   local credentials.
 * * An operator surface (diagnostics, metrics, profiling) reachable beyond loopback, or in
 *   multi_user mode, needs `diagnostics.shared_secret` (12+ characters); the message names
 *   the surfaces.
 * * Operator paths do not overlap each other, health, or any protocol route.
 */
export function checkAccess(s: AccessSettings, options: AccessOptions = {}): AccessProblem[] {
  const problems: AccessProblem[] = [];
  const host = s.server.host;
  const loopback = isLoopbackHost(host);
  const multi = s.access.mode === 'multi_user';

  if (!multi && !loopback) {
    problems.push({ path: ['server', 'host'], message: `single_user mode binds loopback only (127.0.0.0/8, ::1, localhost), not "${host}"; a server others reach needs access.mode: multi_user with auth.api_keys and lip serve --multi-user` });
  }
  if (multi && s.auth.api_keys.length === 0) problems.push({ path: ['access', 'mode'], message: 'multi_user needs auth.api_keys' });
  if (multi && options.localKinds) {
    s.backends.forEach((row, i) => {
      if (row.enabled === false || !options.localKinds!.has(String(row.kind))) return;
      problems.push({ path: ['backends', i, 'kind'], message: `backend kind "${String(row.kind)}" runs local processes or reads local credentials, which multi_user mode refuses (serve it in single_user mode)` });
    });
  }

  // The listener the operator surfaces are served on.
  let operatorHost = host;
  if (s.diagnostics.listen !== undefined) {
    const listen = parseListen(s.diagnostics.listen);
    if (!listen) problems.push({ path: ['diagnostics', 'listen'], message: `must be host:port, for example 127.0.0.1:9464 (got "${s.diagnostics.listen}")` });
    else {
      operatorHost = listen.host;
      if (!multi && !isLoopbackHost(listen.host)) problems.push({ path: ['diagnostics', 'listen'], message: `single_user mode binds loopback only, not "${listen.host}"` });
      if (listen.host === host && listen.port === s.server.port && listen.port !== 0) problems.push({ path: ['diagnostics', 'listen'], message: 'must differ from server.host:server.port' });
    }
  }
  const surfaces = operatorSurfaces(s);
  const secret = s.diagnostics.shared_secret;
  if (secret !== undefined && [...secret.trim()].length < MIN_SECRET_CODE_POINTS) {
    problems.push({ path: ['diagnostics'], key: 'shared_secret', message: `must have at least ${MIN_SECRET_CODE_POINTS} characters` });
  } else if (secret === undefined && surfaces.length > 0 && multi) {
    problems.push({ path: ['diagnostics'], message: `shared_secret: required (at least ${MIN_SECRET_CODE_POINTS} characters) in multi_user mode when exposing ${surfaces.map((x) => x.name).join(', ')} (a client key alone is never the operator)` });
  } else if (secret === undefined && surfaces.length > 0 && !isLoopbackHost(operatorHost)) {
    problems.push({
      path: ['diagnostics'],
      message: `shared_secret: required (at least ${MIN_SECRET_CODE_POINTS} characters) when exposing ${surfaces.map((x) => x.name).join(', ')} on the non-loopback address "${operatorHost}"`,
    });
  }

  // Operator paths: well-formed, apart from each other, health and the protocol routes.
  const named: { key: readonly Segment[]; path: string }[] = [
    { key: ['diagnostics', 'admin_path'], path: s.diagnostics.admin_path },
    ...(s.observability.metrics.enabled ? [{ key: ['observability', 'metrics', 'path'], path: s.observability.metrics.path }] : []),
    ...(s.diagnostics.pprof_path !== undefined ? [{ key: ['diagnostics', 'pprof_path'], path: s.diagnostics.pprof_path }] : []),
  ];
  const fixed = [...['/healthz', '/readyz'].map((p) => ({ what: 'the health endpoints', path: p })), ...(options.protocolPaths ?? []).map((p) => ({ what: 'a protocol route', path: p }))];
  named.forEach((a, i) => {
    if (a.path.split('/').some((seg) => seg === '..' || seg === '.') || a.path === '/' || a.path.endsWith('/')) {
      problems.push({ path: a.key, message: `must be an absolute path without "..", "." or a trailing "/" (got "${a.path}")` });
      return;
    }
    for (const b of named.slice(0, i)) {
      if (overlaps(a.path, b.path)) problems.push({ path: a.key, message: `"${a.path}" overlaps ${b.key.join('.')} ("${b.path}")` });
    }
    // Only the served operator surfaces are checked against the routes the server mounts.
    const served = i === 0 ? s.diagnostics.enabled : true;
    if (!served) return;
    for (const f of fixed) {
      if (overlaps(a.path, f.path)) {
        problems.push({ path: a.key, message: `"${a.path}" overlaps ${f.what} ("${f.path}")` });
        break;
      }
    }
  });
  return problems;
}

/** Two paths overlap when one equals the other or lies under it (segment-wise). */
function overlaps(a: string, b: string): boolean {
  const prefix = (x: string, y: string) => x === y || y.startsWith(x.endsWith('/') ? x : `${x}/`);
  return prefix(a, b) || prefix(b, a);
}
