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

/** The problems `message` lists; a file of more (150,000 keys fit in the 2 MiB limit) says how many more. */
export const LISTED_ISSUES = 100;

/**
 * Every problem of a config file at once; `message` holds one formatted line per issue, for the
 * first LISTED_ISSUES of them, then `… and N more problems`.
 */
export class ConfigError extends LipError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    const listed = issues.slice(0, LISTED_ISSUES).map(formatIssue);
    if (issues.length > LISTED_ISSUES) listed.push(`… and ${issues.length - LISTED_ISSUES} more problems`);
    super('LIP_ERR_CONFIG_INVALID', listed.join('\n'));
    this.issues = issues;
  }
}
