import { existsSync } from 'node:fs';
import { BACKEND_KIND_INFO } from '../backends/registry.js';
import { readEnvPool, settingsSet, type BackendKindInfo, type Config } from '../config/index.js';
import { applyAliases, attemptReach, compileAliases, leavesOf, parseSelector, type Leaf, type RaceArm } from '../routing/selector/index.js';

/**
 * What is legal but probably not what the operator meant, found by reading a loaded config:
 * one message per finding, each naming the config key. `lip check-config` prints them (exit 0,
 * or an error with `--strict`) and `lip serve` logs them at start, so both say the same.
 *
 * * a backend whose key variable (`api_key_env`, or the kind's default such as
 *   `OPENAI_API_KEY`) is unset: its requests fail until it is set; or, for a kind with several
 *   credential sources (openai-codex), that has no usable credential in any of them;
 * * a backend with `auth: none` that names a key: it is never sent;
 * * an arm of the default route or of an alias replacement that `routing.max_attempts` can
 *   never reach (the arms before it use every backend open when they fail), and a race leg it
 *   never lets start (the legs that start before it use the opens that are left);
 * * an alias pattern without `^…$` anchors: it also rewrites any selector that merely contains
 *   a match (`fast` turns `b:fast-model` into `b:a:m-model`);
 * * a default route derived past a disabled first backend (a default route that names a
 *   disabled backend is an error of the loader already);
 * * `routing.resume_after_output` on without a backend that takes a prefill;
 * * `model_catalog` on over a file that does not exist, with no source to fetch it from;
 * * the settings of a section that is switched off (`model_catalog`, `cache`, `recording`,
 *   `observability.tracing`, `routing.circuit_breaker`, …): none of them takes effect (the
 *   catalog's prices price nothing, so a `max_cost` budget needs pricing rows); and a
 *   `continuity.sqlite_path` without `continuity.store: sqlite`.
 *
 * @see spec/core/config-warnings.spec.ts
 */
export function configWarnings(config: Config, env: NodeJS.ProcessEnv = process.env, kinds: Readonly<Record<string, BackendKindInfo>> = BACKEND_KIND_INFO): string[] {
  const warnings: string[] = [];
  config.backends.forEach((row, i) => {
    if (!row.enabled) return;
    const keyEnv = unsetKeyEnv(row, kinds[row.kind], env);
    if (keyEnv) warnings.push(`backends[${i}] "${row.id}": the environment variable ${keyEnv} is not set; its requests fail until it is (or give api_key / api_keys)`);
    if (row.auth === 'none' && (row.api_key !== undefined || row.api_keys !== undefined || row.api_key_env !== undefined)) {
      warnings.push(`backends[${i}] "${row.id}": auth: none never sends a key, so its api_key / api_keys / api_key_env is unused; remove auth: none to send it (Bearer), or remove the key`);
    }
    const problem = kinds[row.kind]?.credentialProblem?.(row, env, (name) => readEnvPool(name, env));
    if (problem) warnings.push(`backends[${i}] "${row.id}": ${problem}; its requests fail until it is fixed`);
  });
  const selectors: [string, string][] = [['routing.default_route', config.routing.default_route]];
  config.model_aliases.forEach((a, i) => selectors.push([`model_aliases[${i}].replacement`, a.replacement.replace(/\$(\d+|<[^>]+>|\{\d+\})/g, 'x')]));
  for (const [key, text] of selectors) {
    let selected = text;
    if (key === 'routing.default_route') {
      try {
        selected = applyAliases(text, compileAliases(config.model_aliases)).selector;
      } catch {
        // a broken pattern is the loader's error
      }
    }
    warnings.push(...unreachable(key, selected, config.routing.max_attempts));
  }
  config.model_aliases.forEach((a, i) => {
    if (a.pattern.startsWith('^') && a.pattern.endsWith('$')) return;
    const example = unanchoredExample(a.pattern, a.replacement, config);
    warnings.push(`model_aliases[${i}].pattern "${a.pattern}" has no ^…$ anchors: it also rewrites any selector that merely contains a match${example ? ` (${example})` : ''}; write "^${a.pattern.replace(/^\^|\$$/g, '')}$" to match whole selectors only`);
  });
  const takesPrefill = (row: Config['backends'][number]) => kinds[row.kind]?.prefill === true || (typeof row.prefill === 'string' && row.prefill !== 'none');
  if (config.routing.resume_after_output.enabled && !config.backends.some((row) => row.enabled && takesPrefill(row))) {
    const prefillKinds = Object.entries(kinds).filter(([, info]) => info.prefill === true).map(([kind]) => kind).sort();
    warnings.push(`routing.resume_after_output is on, but no enabled backend takes a prefill (kinds ${prefillKinds.join(', ')}, or a Chat Completions row with prefill: partial or prefix): no broken answer can be resumed`);
  }
  const catalog = config.model_catalog;
  if (catalog.enabled && catalog.path !== undefined && catalog.source_url === undefined && !existsSync(catalog.path)) {
    warnings.push(`model_catalog.path "${catalog.path}" does not exist and no source_url is set: the catalog decides nothing until the file is there (curl -o ${catalog.path} https://models.dev/api.json)`);
  }
  const switchedOff: [string, { readonly enabled: boolean }][] = [
    ['server.pre_request_keepalive', config.server.pre_request_keepalive], ['observability.metrics', config.observability.metrics],
    ['observability.tracing', config.observability.tracing], ['routing.resume_after_output', config.routing.resume_after_output],
    ['routing.circuit_breaker', config.routing.circuit_breaker], ['recording', config.recording], ['cache', config.cache], ['model_catalog', catalog],
  ];
  for (const [name, section] of switchedOff) {
    if (section.enabled) continue;
    // The breaker's store also keeps the API key cool-downs, which work with the breaker off.
    const set = settingsSet(name.split('.'), section).filter((key) => key !== 'enabled' && !(name === 'routing.circuit_breaker' && key === 'store'));
    if (set.length > 0) warnings.push(`${name} is not enabled, so its ${set.length === 1 ? set[0] : `${set.slice(0, -1).join(', ')} and ${set.at(-1)}`} take${set.length === 1 ? 's' : ''} no effect; set ${name}.enabled: true to use ${set.length === 1 ? 'it' : 'them'}`);
  }
  if (config.continuity.store !== 'sqlite' && settingsSet(['continuity'], config.continuity).includes('sqlite_path')) {
    warnings.push(`continuity.sqlite_path takes no effect with continuity.store: ${config.continuity.store}; set continuity.store: sqlite to keep conversations in that file`);
  }
  const first = config.backends[0];
  if (config.routing.default_route_derived && first && !first.enabled) {
    warnings.push(`routing.default_route is not set: it goes to "${config.routing.default_route}" because the first backend, "${first.id}", is disabled; set routing.default_route to say which`);
  }
  return warnings;
}

/** The key variable a row relies on when it is unset, else undefined. */
function unsetKeyEnv(row: Config['backends'][number], kind: BackendKindInfo | undefined, env: NodeJS.ProcessEnv): string | undefined {
  // A row with `auth: none` (a local server) sends no key: it relies on none (a key it names has its own warning).
  if (row.auth === 'none') return undefined;
  if (typeof row.api_key_env === 'string') return readEnvPool(row.api_key_env, env).length === 0 ? row.api_key_env : undefined;
  if (row.api_key !== undefined || row.api_keys !== undefined || !kind?.keyEnv) return undefined;
  return readEnvPool(kind.keyEnv, env).length === 0 ? kind.keyEnv : undefined;
}

/**
 * The race legs that never start and the first arm never tried, when every attempt before them
 * fails: the opens of the legs that start earlier and of the earlier arms spend max_attempts.
 */
function unreachable(key: string, selector: string, maxAttempts: number): string[] {
  let parsed;
  try {
    parsed = parseSelector(selector);
  } catch {
    return []; // the loader reports selectors that do not parse
  }
  const reach = attemptReach(parsed, maxAttempts);
  const found: string[] = [];
  reach.forEach((arm, i) => {
    if (arm.neverStarted.length === 0) return;
    const legs = parsed.arms[i]!.type === 'race' ? (parsed.arms[i] as RaceArm).legs : [];
    const names = arm.neverStarted.map((j) => `"${leafText(legs[j]!.leaf)}"`).join(', ');
    const one = arm.neverStarted.length === 1;
    const started = maxAttempts - arm.usedBefore;
    const earlier = `the ${started} leg${started === 1 ? '' : 's'} that start${started === 1 ? 's' : ''} before ${one ? 'it' : 'them'}`;
    const spent = arm.usedBefore > 0
      ? `the arms before use ${arm.usedBefore} backend open${arm.usedBefore === 1 ? '' : 's'} when they fail, ${earlier} the rest`
      : `${earlier} use${started === 1 ? 's' : ''} them all`;
    found.push(`${key}: arm ${i + 1}, race leg${one ? '' : 's'} ${arm.neverStarted.map((j) => j + 1).join(', ')} (${names}) can never start: routing.max_attempts is ${maxAttempts}; ${spent}`);
  });
  const first = reach.findIndex((arm) => !arm.reachable);
  if (first >= 0) {
    found.push(`${key}: arm ${first + 1} ("${leavesOf(parsed.arms[first]!).map(leafText).join(', ')}") can never be tried: the arms before it use ${reach[first]!.usedBefore} backend opens when they fail, and routing.max_attempts is ${maxAttempts}`);
  }
  return found;
}

function leafText(leaf: Leaf): string {
  return `${leaf.backend ?? ''}:${leaf.model}`.replace(/^:/, '');
}

/** A configured selector the pattern rewrites in part, as `"before" → "after"`, if there is one. */
function unanchoredExample(pattern: string, replacement: string, config: Config): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch {
    return undefined;
  }
  const known = new Set<string>();
  for (const row of config.backends) for (const model of row.models) known.add(`${row.id}:${model}`);
  for (const selector of known) {
    const m = re.exec(selector);
    if (m && m[0] !== selector) return `"${selector}" → "${selector.replace(new RegExp(pattern, 'g'), replacement.replace(/\$\{(\d+)\}/g, '$$$1'))}"`;
  }
  return undefined;
}
