import type { Config } from '../../config/index.js';
import { compileAliases } from '../../routing/selector/aliases.js';
import { leavesOf } from '../../routing/selector/candidate-key.js';
import { explainSelector } from '../../routing/selector/explain-selector.js';
import { renderExplanation } from '../../routing/selector/render-explain.js';
import { defaultBackendFor } from '../../routing/selector/resolve-model-only.js';
import type { Output } from '../output.js';

export function routesReport(config: Config) {
  return {
    default_route: config.routing.default_route,
    max_attempts: config.routing.max_attempts,
    backends: config.backends.map((b) => ({ id: b.id, kind: b.kind, enabled: b.enabled })),
    model_aliases: config.model_aliases.map((a) => ({ pattern: a.pattern, replacement: a.replacement })),
  };
}

/**
 * `lip routes`: the effective default route, the backends and the aliases; with
 * `--explain SELECTOR`, the plan of that selector instead (aliases applied, model-only leaves
 * given the default route's first backend), or its parse error with the column (exit 1).
 */
export function routesCommand(config: Config, json: boolean, io: Output, explain?: string | readonly string[]): number {
  // Given twice, the later one wins (as for --config).
  const selector = typeof explain === 'string' || explain === undefined ? explain : explain[explain.length - 1];
  if (selector !== undefined) return explainCommand(config, String(selector), json, io);
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

/** `lip routes --explain SELECTOR [--json]`. */
function explainCommand(config: Config, selector: string, json: boolean, io: Output): number {
  const aliases = compileAliases(config.model_aliases);
  const explanation = explainSelector(selector, { aliases, defaultBackend: defaultBackendFor(config.routing.default_route, aliases) });
  if (json) {
    io.out(JSON.stringify(explanation.json, null, 2));
    return explanation.ok ? 0 : 1;
  }
  if (!explanation.ok) {
    io.err(renderExplanation(explanation));
    return 1;
  }
  io.out(renderExplanation(explanation, config.routing.max_attempts));
  const enabled = new Set(config.backends.filter((b) => b.enabled).map((b) => b.id));
  const unknown = [...new Set(explanation.plan.arms.flatMap(leavesOf).map((leaf) => leaf.backend!).filter((id) => !enabled.has(id)))];
  for (const id of unknown) io.err(`warning: no enabled backend "${id}" is configured; requests routed to it fail with LIP_ERR_ROUTE_UNKNOWN_BACKEND`);
  return 0;
}
