import { BACKEND_KINDS } from '../../backends/registry.js';
import type { Config } from '../../config/index.js';
import type { Output } from '../output.js';

export function inventoryReport(config: Config) {
  return {
    backends: config.backends.map((b) => {
      const fallback = BACKEND_KINDS[b.kind]?.defaultModel;
      const models = b.models.length > 0 ? b.models : fallback ? [fallback] : [];
      return { id: b.id, kind: b.kind, enabled: b.enabled, models: models.map((m) => ({ id: m, selector: `${b.id}:${m}` })) };
    }),
  };
}

/** `lip inventory`: the configured models of every backend, as selectors. */
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
  io.out(lines.join('\n'));
  return 0;
}
