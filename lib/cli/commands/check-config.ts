import { ConfigError } from '../../config/index.js';
import { configWarnings } from '../../core/config-warnings.js';
import { isLipError } from '../../errors/index.js';
import { otlpTracesUrl } from '../../observability/tracing.js';
import { loadConfig } from '../config-source.js';
import type { Output } from '../output.js';

export interface CheckConfigOptions {
  /** Warnings count as errors (exit 1). */
  readonly strict?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `lip check-config`: 0 and "configuration is valid" (after any warnings, on stderr), or 1 and
 * every problem, one per line (with OTLP tracing on, an `OTEL_EXPORTER_OTLP_*ENDPOINT` that is
 * no http(s) URL is one). With `strict`, warnings fail the check like errors do.
 */
export function checkConfigCommand(path: string | undefined, io: Output, options: CheckConfigOptions = {}): number {
  const env = options.env ?? process.env;
  let warnings: string[];
  try {
    const config = loadConfig(path);
    // The OTLP endpoint variables, when spans go there: `lip serve` refuses at start what this refuses.
    const { tracing } = config.observability;
    if (tracing.enabled && tracing.exporter === 'otlp') otlpTracesUrl(env);
    warnings = configWarnings(config, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.err(`configuration is invalid (${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}):`);
      io.err(err.message);
    } else io.err(`lip: ${isLipError(err) ? err.message : String(err)}`);
    return 1;
  }
  const count = `${warnings.length} warning${warnings.length === 1 ? '' : 's'}`;
  if (warnings.length > 0) io.err(`${count}${options.strict ? ' (errors under --strict)' : ''}:\n${warnings.map((w) => `warning: ${w}`).join('\n')}`);
  if (options.strict && warnings.length > 0) return 1;
  io.out('configuration is valid');
  return 0;
}
