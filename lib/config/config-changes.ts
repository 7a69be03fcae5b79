import type { Config } from './types.js';

/**
 * Fields a reload cannot apply to a running server: the listeners, the access mode and the
 * decode admission caps (a reload that changes one of these is refused whole, `reloadProblems`),
 * and the logger and the metrics/tracing set-up, made once at start (a reload keeps their
 * running values and applies the rest). Either way they are reported as needing a restart.
 */
export const RESTART_ONLY_FIELDS = [
  'server.host',
  'server.port',
  'access.mode',
  'diagnostics.listen',
  'server.max_concurrent_decodes',
  'server.max_inflight_decode_bytes',
  'logging.level',
  'logging.format',
  'observability.metrics.enabled',
  'observability.tracing',
] as const;

/** At most this many paths are listed (a rewritten file should not produce a huge answer). */
const MAX_PATHS = 64;

type Value = unknown;
const isObject = (v: Value): v is Record<string, Value> => typeof v === 'object' && v !== null && !Array.isArray(v);
const rowId = (v: Value): string | undefined => (isObject(v) && typeof v.id === 'string' ? v.id : undefined);

/** Leaf paths where `a` and `b` differ; rows of an array keyed by `id` are named `list[id]`. */
function diff(a: Value, b: Value, path: string, out: string[]): void {
  if (out.length >= MAX_PATHS) return;
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[key], b[key], path ? `${path}.${key}` : key, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && [...a, ...b].every((row) => rowId(row) !== undefined)) {
    const byId = (rows: Value[]) => new Map(rows.map((row) => [rowId(row)!, row]));
    const [left, right] = [byId(a), byId(b)];
    const rows = [...new Set([...left.keys(), ...right.keys()])].filter((id) => JSON.stringify(left.get(id)) !== JSON.stringify(right.get(id)));
    out.push(...rows.map((id) => `${path}[${id}]`));
    // The same rows in another order still change something (first match wins, preference).
    if (rows.length === 0 && JSON.stringify([...left.keys()]) !== JSON.stringify([...right.keys()])) out.push(path);
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

/**
 * What a reload from `running` to `next` changes, as field paths (never values: they may be
 * secrets), split into the ones it applies and the ones that need a restart.
 */
export function configChanges(running: Config, next: Config): { changed: string[]; restartRequired: string[] } {
  const paths: string[] = [];
  const { source: _a, ...left } = running;
  const { source: _b, ...right } = next;
  diff(left, right, '', paths);
  const restartOnly = (path: string) => RESTART_ONLY_FIELDS.some((field) => path === field || path.startsWith(`${field}.`));
  return { changed: paths.filter((p) => !restartOnly(p)), restartRequired: paths.filter(restartOnly) };
}

/** `next` with the restart-only fields set back to their running values (what a reload applies). */
export function withRestartFieldsKept(next: Config, running: Config): Config {
  let result: Record<string, Value> = { ...next };
  for (const field of RESTART_ONLY_FIELDS) result = setPath(result, field.split('.'), getPath(running, field.split('.')));
  return result as unknown as Config;
}

function getPath(value: Value, keys: readonly string[]): Value {
  return keys.reduce<Value>((v, key) => (isObject(v) ? v[key] : undefined), value);
}

function setPath(target: Record<string, Value>, keys: readonly string[], value: Value): Record<string, Value> {
  const [key, ...rest] = keys;
  if (key === undefined) return target;
  const inner = isObject(target[key]) ? target[key] : {};
  return { ...target, [key]: rest.length === 0 ? value : setPath(inner, rest, value) };
}
