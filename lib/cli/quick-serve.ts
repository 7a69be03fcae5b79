import { parsePort } from './parse-port.js';
import { parseWorkers } from './parse-workers.js';

/** What `lip serve` was given on its command line, as both parsers hand it on. */
export interface ServeFlags {
  /** `--config` (the last one when repeated: yargs gives an array then); else `LIP_CONFIG` applies. */
  readonly config?: unknown;
  readonly host?: string;
  readonly port?: number;
  readonly workers?: number | 'auto';
  readonly multiUser: boolean;
}

/** Options of `lip serve` that take a value; `--config` / `-c` may also stand before the command. */
const VALUED: ReadonlyMap<string, 'config' | 'host' | 'port' | 'workers'> = new Map([
  ['--config', 'config'], ['-c', 'config'], ['--host', 'host'], ['--port', 'port'], ['--workers', 'workers'],
]);

/**
 * `lip serve` as services and scripts start it, read without yargs: yargs and its helpers stay
 * loaded for the life of the server once imported (about 4 MiB of its idle RSS). Accepted: the
 * word `serve`, and at most once each `--config`/`-c`, `--host`, `--port`, `--workers` (as
 * `--flag value` or `--flag=value`, the value not blank nor starting with `-`) and `--multi-user`, with
 * values that are valid. Anything else (help, other spellings, repeats, invalid values) answers
 * undefined and goes through yargs, which also words the usage errors. The two parsers agree on
 * every command line spec/cli/quick-serve.spec.ts lists.
 */
export function quickServeFlags(argv: readonly string[]): ServeFlags | undefined {
  const values = new Map<string, string>();
  let command = false;
  let multiUser = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === 'serve' && !command) {
      command = true;
      continue;
    }
    if (arg === '--multi-user' && command && !multiUser) {
      multiUser = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const key = VALUED.get(eq > 0 ? arg.slice(0, eq) : arg);
    if (key === undefined || values.has(key) || (key !== 'config' && !command)) return undefined;
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    // An empty or blank value is a usage error, which yargs words (`--config needs a value`).
    if (value === undefined || value.trim() === '' || value.startsWith('-')) return undefined;
    values.set(key, value);
  }
  if (!command) return undefined;
  try {
    const port = parsePort(values.get('port'));
    const workers = parseWorkers(values.get('workers'));
    const host = values.get('host');
    return {
      ...(values.has('config') ? { config: values.get('config') } : {}),
      ...(host !== undefined ? { host } : {}), ...(port !== undefined ? { port } : {}), ...(workers !== undefined ? { workers } : {}),
      multiUser,
    };
  } catch {
    return undefined; // yargs says what is wrong with the value
  }
}
