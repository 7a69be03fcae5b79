import type { Config } from '../../config/index.js';
import { inventory } from '../../core/inventory.js';
import { createRuntime, withoutIngress } from '../../core/runtime.js';
import { toLipError } from '../../errors/index.js';
import { deadline } from '../../wire/deadline.js';
import type { Output } from '../output.js';

export function inventoryReport(config: Config) {
  return inventory(config);
}

/** `lip inventory`: the configured models of every backend, as selectors; frontends, features and extension stages. */
export function inventoryCommand(config: Config, json: boolean, io: Output): number {
  const report = inventoryReport(config);
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const lines: string[] = [];
  for (const b of report.backends) {
    lines.push(`${b.id} (${b.kind}${b.enabled ? '' : ', disabled'})`);
    for (const m of b.models) lines.push(`  ${m.selector}`);
    if (b.models.length === 0) lines.push('  (no configured models)');
  }
  lines.push(`frontends: ${report.frontends.filter((f) => f.enabled).map((f) => f.id).join(', ') || '(none enabled)'}`);
  lines.push(`features: ${report.features.map((f) => `${f.id}${f.enabled ? '' : ' (disabled)'}`).join(', ') || '(none)'}`);
  for (const stage of report.stages) {
    if (Array.isArray(stage.hooks) && stage.hooks.length > 0) lines.push(`  ${stage.id}: ${stage.hooks.map((h) => `${h.feature}/${h.hook}`).join(', ')}`);
  }
  io.out(lines.join('\n'));
  return 0;
}

/** What one enabled upstream answered to `lip inventory --live`. */
export type LiveInventory =
  | { readonly models: { id: string; selector: string }[] }
  | { readonly error: { code: string; message: string } };

/** Per upstream, how long `--live` waits for a model list at least (longer when `http_client.headers_timeout` is). */
const LIVE_TIMEOUT_MS = 15_000;

/**
 * Asks every enabled backend for its model list, all at once (the backends' own HTTP clients,
 * keys and proxy settings). Backends that cannot list models (localstub) report their
 * configured inventory.
 */
export async function liveInventoryReport(config: Config, env: NodeJS.ProcessEnv = process.env) {
  const base = inventoryReport(config);
  const runtime = createRuntime(withoutIngress(config), { env });
  try {
    const live = await Promise.all(base.backends.map(async (b): Promise<LiveInventory | undefined> => {
      const backend = runtime.backends.get(b.id);
      if (!backend) return undefined;
      if (!backend.listModels) return { models: b.models };
      const bound = deadline(Math.max(LIVE_TIMEOUT_MS, config.http_client.headers_timeout));
      try {
        const ids = await backend.listModels(bound.signal);
        return { models: ids.map((id) => ({ id, selector: `${b.id}:${id}` })) };
      } catch (err) {
        const e = toLipError(err);
        return { error: { code: e.code, message: e.message } };
      } finally {
        bound.clear();
      }
    }));
    return { ...base, backends: base.backends.map((b, i) => ({ ...b, ...(live[i] ? { live: live[i] } : {}) })) };
  } finally {
    await runtime.close();
  }
}

/** `lip inventory --live`: exit 1 when an enabled upstream could not list its models. */
export async function liveInventoryCommand(config: Config, json: boolean, io: Output, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const report = await liveInventoryReport(config, env);
  const failed = report.backends.some((b) => b.live !== undefined && 'error' in b.live);
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return failed ? 1 : 0;
  }
  const lines: string[] = [];
  for (const b of report.backends) {
    lines.push(`${b.id} (${b.kind}${b.enabled ? '' : ', disabled'})`);
    if (!b.live) lines.push('  (disabled: not asked)');
    else if ('error' in b.live) lines.push(`  error: ${b.live.error.message}`);
    else if (b.live.models.length === 0) lines.push('  (the upstream lists no models)');
    else for (const m of b.live.models) lines.push(`  ${m.selector}`);
  }
  io.out(lines.join('\n'));
  return failed ? 1 : 0;
}
