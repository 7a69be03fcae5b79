import type { Config } from '../../config/index.js';
import type { Output } from '../output.js';

export function routesReport(config: Config) {
  return {
    default_route: config.routing.default_route,
    max_attempts: config.routing.max_attempts,
    backends: config.backends.map((b) => ({ id: b.id, kind: b.kind, enabled: b.enabled })),
    model_aliases: config.model_aliases.map((a) => ({ pattern: a.pattern, replacement: a.replacement })),
  };
}

/** `lip routes`: the effective default route, the backends and the aliases. */
export function routesCommand(config: Config, json: boolean, io: Output): number {
  const report = routesReport(config);
  if (json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const lines = [
    `default route: ${report.default_route}`,
    `max attempts:  ${report.max_attempts}`,
    'backends:',
    ...report.backends.map((b) => `  ${b.id.padEnd(20)} ${b.kind.padEnd(18)} ${b.enabled ? 'enabled' : 'disabled'}`),
    `aliases:${report.model_aliases.length === 0 ? ' none' : ''}`,
    ...report.model_aliases.map((a) => `  ${a.pattern} -> ${a.replacement}`),
  ];
  io.out(lines.join('\n'));
  return 0;
}
