import { createRequire } from 'node:module';
import type { Config } from '../config/index.js';
import { nearest } from '../config/suggest.js';
import { commandIndex, commandWord } from './command-word.js';
import { configPath } from './config-path.js';
import { parsePort } from './parse-port.js';
import { parseWorkers } from './parse-workers.js';
import { quickServeFlags, type ServeFlags } from './quick-serve.js';
import { processOutput, type Output } from './output.js';
import type { ServeArgs } from './commands/serve.js';

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

/** The commands, for "did you mean" (yargs' own suggestion never shows under `strict`). */
const COMMANDS = ['serve', 'check-config', 'routes', 'inventory', 'replay'];

/**
 * Runs a config-reading command: 1 with the problems when the config is invalid. The command
 * modules (and the config schema, the backends, the server) are imported only when a command
 * runs, so that `--version` and `--help` start at once.
 */
async function withConfig(path: string | undefined, io: Output, run: (config: Config) => number | Promise<number>): Promise<number> {
  const [{ loadConfig }, { isLipError }] = await Promise.all([import('./config-source.js'), import('../errors/index.js')]);
  let config;
  try {
    config = loadConfig(path);
  } catch (err) {
    io.err(`lip: ${isLipError(err) ? err.message : String(err)}`);
    return 1;
  }
  return run(config);
}

/**
 * A coercion for an option that takes a value: an empty one (`--config ""`, `--config=`, or
 * `--config $UNSET` in a script) is a usage error, not the option left out.
 */
function needsValue<T = string>(flag: string) {
  return (value: T): T => {
    for (const one of Array.isArray(value) ? value : [value]) {
      if (typeof one !== 'string' || one.trim() === '') throw new Error(`${flag} needs a value`);
    }
    return value;
  };
}

/**
 * needsValue for an option that keeps one value: given more than once (yargs hands an array
 * then), the last one wins, as for `--config` and `--port`; each must still be a value.
 */
function lastValue(flag: string) {
  const check = needsValue<string | string[]>(flag);
  return (value: string | string[]): string => {
    const values = ([] as string[]).concat(check(value));
    return values[values.length - 1]!;
  };
}

/** `lip replay --concurrency N`: a whole number from 1 to 256 (the last one when repeated). */
function parseConcurrency(value: unknown): number {
  const text = String(Array.isArray(value) ? value[value.length - 1] : value);
  if (text.trim() === '') throw new Error('--concurrency needs a value');
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= 256)) throw new Error(`--concurrency must be a whole number from 1 to 256 (got "${text}")`);
  return n;
}

/**
 * What a bare `-` among `lip replay`'s files (standard input) is while yargs parses: yargs drops
 * a bare `-` altogether, so `lip replay -` replayed nothing and reported success. No argument a
 * process is given can hold a NUL, so this stands for nothing else.
 */
const STDIN_ARG = '\u0000-';

/** Options of `lip replay` that take the next argument as their value (a `-` after one is that value). */
const REPLAY_VALUED = new Set(['--config', '-c', '--id', '--filter', '--concurrency', '--report']);

/** `argv` with each bare `-` that is one of `lip replay`'s files (not an option's value) as STDIN_ARG. */
function markStdin(argv: readonly string[]): string[] {
  const marked = [...argv];
  const command = commandIndex(argv);
  if (command < 0 || argv[command] !== 'replay') return marked;
  for (let i = command + 1; i < marked.length; i++) {
    if (marked[i] === '--') break;
    if (REPLAY_VALUED.has(marked[i]!)) i++;
    else if (marked[i] === '-') marked[i] = STDIN_ARG;
  }
  return marked;
}

/** The switches (boolean options) of each command. */
const SWITCHES: ReadonlyMap<string, readonly string[]> = new Map([
  ['serve', ['multi-user']], ['check-config', ['strict']], ['routes', ['json']], ['inventory', ['json', 'live']], ['replay', ['json', 'live']],
]);

/**
 * The usage error for a switch of `command` given a value other than `true` or `false`
 * (`--strict=yes`), or undefined: yargs reads any such value as false, so
 * `lip check-config --strict=yes` passed a config with warnings, silently not strict.
 * @see spec/cli/regression-boolean-flag-values.spec.ts
 */
function switchWithValue(argv: readonly string[], command: string | undefined): string | undefined {
  const switches = SWITCHES.get(command ?? '') ?? [];
  for (const arg of argv) {
    if (arg === '--') break;
    const given = /^--(?:no-)?([^=]+)=([^]*)$/.exec(arg);
    if (given === null || given[2] === 'true' || given[2] === 'false') continue;
    // yargs also takes the camel-case spelling (`--multiUser`).
    if (!switches.includes(given[1]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))) continue;
    const flag = arg.slice(0, arg.indexOf('='));
    return `${flag} is a switch: give ${flag} alone, or ${flag}=true / ${flag}=false (got ${JSON.stringify(arg)})`;
  }
  return undefined;
}

/** Stand-ins for commands, for tests of the argument parsing (nothing is served). */
export interface CliHooks {
  /** Receives what `lip serve` would run with, instead of serving. */
  readonly serve?: (args: ServeArgs) => Promise<number>;
  /** Parse `lip serve` with yargs even where the quick reading applies (to compare the two). */
  readonly alwaysYargs?: boolean;
}

/** `lip serve` with its flags resolved (`--config`, else `LIP_CONFIG`). */
function runServe(flags: ServeFlags, io: Output, env: NodeJS.ProcessEnv, hooks: CliHooks): Promise<number> {
  const args: ServeArgs = {
    configPath: configPath(flags.config, env),
    ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.port !== undefined ? { port: flags.port } : {}),
    multiUser: flags.multiUser,
  };
  if (hooks.serve) return hooks.serve(args);
  return import('./commands/serve.js').then(({ serveCommand }) => serveCommand(args, io));
}

/**
 * The `lip` command line. Resolves with the exit code: 0 success, 1 failure (bad config, port
 * in use, ...), 2 usage errors. `--config` may stand before or after the subcommand; given
 * twice, the later one wins; `LIP_CONFIG` is the fallback.
 */
export async function main(argv: readonly string[], io: Output = processOutput, env: NodeJS.ProcessEnv = process.env, hooks: CliHooks = {}): Promise<number> {
  try {
    return await dispatch(argv, io, env, hooks);
  } catch (err) {
    // A refusal of the command (a database that cannot be opened, a store that is not there) is
    // a message, not a stack; anything else is a bug and keeps its stack (bin/lip.js prints it).
    const { isLipError } = await import('../errors/index.js');
    if (!isLipError(err) || err.code === 'LIP_ERR_SERVER_INTERNAL') throw err;
    io.err(`lip: ${err.message}`);
    return 1;
  }
}

async function dispatch(given: readonly string[], io: Output, env: NodeJS.ProcessEnv, hooks: CliHooks): Promise<number> {
  const argv = markStdin(given);
  let result: number | Promise<number> | undefined;
  let usageError: string | undefined;
  // `lip --version` answers before even the argument parser is loaded.
  if (argv.length === 1 && argv[0] === '--version') {
    io.out(version);
    return 0;
  }
  const word = commandWord(argv);
  if (word !== undefined && !COMMANDS.includes(word)) {
    const guess = nearest(word, COMMANDS);
    io.err(`lip: unknown command "${word}"${guess ? `; did you mean "${guess}"?` : ` (commands: ${COMMANDS.join(', ')})`} (see lip --help)`);
    return 2;
  }
  const switchError = switchWithValue(argv, word);
  if (switchError !== undefined) {
    io.err(`lip: ${switchError} (see lip --help)`);
    return 2;
  }
  // The usual `lip serve` starts without loading yargs (see quick-serve.ts).
  const quick = hooks.alwaysYargs ? undefined : quickServeFlags(argv);
  if (quick !== undefined) return runServe(quick, io, env, hooks);
  const { default: yargs } = await import('yargs');
  /**
   * Whether the command line has arguments after `--` (which end the options): a usage error for
   * the commands that take no arguments, which would otherwise run without them
   * (`lip serve -- --port 1` served on the config's port).
   */
  const refusesRest = (command: string, args: object): boolean => {
    const rest = afterDashes(args);
    if (rest.length > 0) usageError = `lip ${command} takes no arguments, got ${rest.map((a) => JSON.stringify(a)).join(' ')} after --`;
    return rest.length > 0;
  };
  const parser = yargs([...argv])
    // `--` ends the options: what follows is kept apart, as given (no number parsing), for the
    // commands to take or refuse (yargs would otherwise take it as unknown words, or drop it).
    .parserConfiguration({ 'populate--': true, 'parse-positional-numbers': false })
    .scriptName('lip')
    .usage('lip <command> [options]\n\nA streaming-first LLM proxy.')
    .option('config', { alias: 'c', type: 'string', global: true, requiresArg: true, coerce: needsValue('--config'), describe: 'configuration file (default: $LIP_CONFIG, else the embedded default)' })
    .command('serve', 'run the proxy', (y) => y
      .option('host', { type: 'string', requiresArg: true, coerce: lastValue('--host'), describe: 'listen address (overrides server.host)' })
      .option('port', { type: 'string', coerce: parsePort, describe: 'listen port, 0 to 65535 (overrides server.port; 0 = any free port)' })
      .option('multi-user', { type: 'boolean', default: false, describe: 'serve a config with access.mode: multi_user (required for it, refused without it)' })
      .option('workers', { type: 'string', describe: 'worker processes sharing the listener: a number, or auto (one per core); default 1', coerce: parseWorkers }),
    (args) => {
      if (refusesRest('serve', args)) return;
      result = runServe({
        config: args.config,
        ...(args.workers !== undefined ? { workers: args.workers } : {}),
        ...(typeof args.host === 'string' ? { host: args.host } : {}),
        ...(typeof args.port === 'number' ? { port: args.port } : {}),
        multiUser: args['multi-user'] === true,
      }, io, env, hooks);
    })
    .command('check-config', 'validate a configuration without serving (warnings too)', (y) => y
      .option('strict', { type: 'boolean', default: false, describe: 'treat warnings as errors (exit 1)' }),
    (args) => {
      if (refusesRest('check-config', args)) return;
      result = import('./commands/check-config.js').then(({ checkConfigCommand }) => checkConfigCommand(configPath(args.config, env), io, { strict: args.strict, env }));
    })
    .command('routes', 'show the default route, the backends and the model aliases', (y) => y
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('explain', { type: 'string', requiresArg: true, coerce: lastValue('--explain'), describe: 'print the plan of a selector (aliases applied), or its parse error with the column (exit 1)' }),
    (args) => {
      if (refusesRest('routes', args)) return;
      result = withConfig(configPath(args.config, env), io, async (config) => (await import('./commands/routes.js')).routesCommand(config, args.json, io, args.explain));
    })
    .command('inventory', 'list the models of every backend', (y) => y
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('live', { type: 'boolean', default: false, describe: 'ask every enabled upstream for its model list (exit 1 when one fails)' }),
    (args) => {
      if (refusesRest('inventory', args)) return;
      result = withConfig(configPath(args.config, env), io, async (config) => {
        const { inventoryCommand, liveInventoryCommand } = await import('./commands/inventory.js');
        return args.live ? liveInventoryCommand(config, args.json, io, env) : inventoryCommand(config, args.json, io);
      });
    })
    // `[files..]`, not `<files..>`: yargs counts only the words before `--`, and the files may all
    // come after it (`lip replay -c lip.yaml -- FILE`); replayCommand refuses an empty list.
    .command('replay [files..]', 'feed recorded traffic through the pipeline and compare (offline, virtual time)', (y) => y
      .positional('files', { type: 'string', array: true, describe: 'recording files (JSON Lines; - reads standard input)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON' })
      // Not `array: true`, which would take the file names after `--id X` as ids too: a repeated option is an array already.
      .option('id', { type: 'string', requiresArg: true, default: [], coerce: (value: string | string[]) => needsValue<string[]>('--id')(([] as string[]).concat(value)), describe: 'replay only this exchange (record id or request id); repeatable' })
      .option('filter', { type: 'string', requiresArg: true, default: [], coerce: (value: string | string[]) => needsValue<string[]>('--filter')(([] as string[]).concat(value)), describe: 'replay only the exchanges that match: FIELD=GLOB, FIELD!=GLOB, status>=N (also >, <=, <); repeatable, all must match' })
      .option('concurrency', { type: 'string', requiresArg: true, default: '4', coerce: parseConcurrency, describe: 'exchanges replayed at once, 1 to 256' })
      .option('report', { type: 'string', requiresArg: true, coerce: lastValue('--report'), describe: 'also write the JSON report to this file' })
      .option('live', { type: 'boolean', default: false, describe: 'send each request to the configured backends and compare (wall clock, needs their keys)' }),
    (args) => {
      result = import('./commands/replay.js').then(({ replayCommand }) => replayCommand({
        ...(io === processOutput && process.stderr.isTTY ? { progress: process.stderr, terminal: process.stdout.isTTY === true } : {}),
        // Files after `--` are files whatever they look like (`lip replay -- -odd-name.jsonl`).
        files: [...(args.files ?? []).map((f) => (f === STDIN_ARG ? '-' : String(f))), ...afterDashes(args)], json: args.json, ids: (args.id ?? []).map(String), filters: (args.filter ?? []).map(String), concurrency: args.concurrency, live: args.live,
        ...(typeof args.report === 'string' ? { report: args.report } : {}),
        ...(configPath(args.config, env) !== undefined ? { configPath: configPath(args.config, env)! } : {}),
      }, io, env));
    })
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .strict()
    .version(version)
    .help()
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((message, err) => {
      usageError = message ?? err?.message ?? 'invalid usage';
      // yargs' wording for an option left without its value, said the way needsValue says it
      // (by the option's long name, as for a blank value: `-c` is `--config`).
      const option = /^Not enough arguments following: (\S+)$/.exec(usageError)?.[1];
      if (option !== undefined) usageError = `${option === 'c' ? '--config' : option.length === 1 ? `-${option}` : `--${option}`} needs a value`;
    });

  let output = '';
  await parser.parse([...argv], {}, (_err, _args, text) => {
    output = text;
  });
  if (usageError !== undefined) {
    io.err(`${output ? `${output}\n\n` : ''}lip: ${usageError} (see lip --help)`);
    return 2;
  }
  if (output) io.out(output);
  if (result === undefined && !output) {
    // Nothing ran and nothing was printed (`lip -- serve`: the command word after `--` is no command).
    io.err('lip: name a command (see lip --help)');
    return 2;
  }
  return result === undefined ? 0 : await result;
}

/** The arguments after `--` (yargs' `populate--`), as given. */
function afterDashes(args: object): string[] {
  const rest = (args as { '--'?: unknown[] })['--'];
  return Array.isArray(rest) ? rest.map(String) : [];
}
