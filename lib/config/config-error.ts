import { LipError } from '../errors/index.js';

/** One problem in a config file, located as precisely as the YAML allows. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Dotted path with indexes: `backends[1].chunk_delay`; empty for syntax errors. */
  readonly path: string;
  readonly message: string;
}

export function formatIssue(issue: ConfigIssue): string {
  return `${issue.file}:${issue.line}:${issue.column}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** Every problem of a config file at once; `message` holds one formatted line per issue. */
export class ConfigError extends LipError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('LIP_ERR_CONFIG_INVALID', issues.map(formatIssue).join('\n'));
    this.issues = issues;
  }
}
