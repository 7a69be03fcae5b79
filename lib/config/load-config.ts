import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, isPair, visit, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { LipError } from '../errors/index.js';
import { utf8Fault } from '../wire/json-body.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { backendRowSchema, configSchema, GEOIP_SCHEMA, geoipOff } from './schema.js';
import { maskedUrl, secretPath, shown, urlPath } from './keyword-helpers.js';
import { nearest } from './suggest.js';
import type { BackendKindInfo, Config, FeatureKindInfo } from './types.js';
import { checkSemantics } from './check-semantics.js';
import { dropRepeats, duplicateKeys } from './duplicate-keys.js';
import { configValidators } from './schema-validators.js';

export const EMBEDDED_DEFAULT_PATH = fileURLToPath(new URL('../../config/default.yaml', import.meta.url));
export const EMBEDDED_DEFAULT_NAME = '<embedded default>';
/** The largest config file read (a pipe or a device is cut off there too). */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024;

export interface LoadOptions {
  /** Backend kinds the registry knows, with their row schemas. */
  readonly backendKinds: Readonly<Record<string, BackendKindInfo>>;
  /** Frontend (client protocol) ids the registry knows; all are enabled by default. */
  readonly frontendIds: readonly string[];
  /** Feature plugins that may appear under `features`, with their config schemas. */
  readonly featureKinds?: Readonly<Record<string, FeatureKindInfo>>;
  /** Checks a selector (default route, alias replacements, those a feature's config names); returns a message or undefined. */
  readonly checkSelector?: (selector: string, backendIds: ReadonlySet<string>, context?: { readonly defaultRoute?: boolean; readonly aliases?: readonly { pattern: string; replacement: string }[]; readonly alias?: boolean; readonly feature?: boolean }) => string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  /** Paths of the client protocol routes, which operator paths must not overlap. */
  readonly protocolPaths?: readonly string[];
  /** Where the schemas' precompiled validators are (default: the build's; null: compile every schema). */
  readonly precompiledDir?: string | null;
}

type Segment = string | number;
export type Locate = (path: readonly Segment[], key?: string) => { line: number; column: number };

interface Validators {
  top: ValidateFunction;
  /** The row validator of a kind, compiled the first time a config uses that kind. */
  rowValidator(kind: string): ValidateFunction | undefined;
  /** The validator of a feature's `config` schema, compiled on first use. */
  featureValidator(schema: Record<string, unknown>): ValidateFunction;
  /** `access.geoip`'s, compiled the first time a file has the section. */
  geoip(): ValidateFunction;
  kinds: readonly string[];
}
const ajvCache = new WeakMap<object, Map<string, Validators>>();

/** Compiled once per registry (backend kinds + frontend ids). */
function validators(options: LoadOptions): Validators {
  let byFrontends = ajvCache.get(options.backendKinds);
  if (!byFrontends) ajvCache.set(options.backendKinds, (byFrontends = new Map()));
  const key = `${options.frontendIds.join(',')}\n${options.precompiledDir}`;
  let cached = byFrontends.get(key);
  if (!cached) {
    const schemas = configValidators(options.precompiledDir);
    const rows = new Map<string, ValidateFunction>();
    const rowValidator = (kind: string) => {
      const info = Object.prototype.hasOwnProperty.call(options.backendKinds, kind) ? options.backendKinds[kind] : undefined;
      if (!info) return undefined;
      let validate = rows.get(kind);
      if (!validate) rows.set(kind, (validate = schemas.validator(backendRowSchema(info.properties, info.required, info.identity))));
      return validate;
    };
    const features = new WeakMap<object, ValidateFunction>();
    const featureValidator = (schema: Record<string, unknown>) => {
      let validate = features.get(schema);
      if (!validate) features.set(schema, (validate = schemas.validator(schema)));
      return validate;
    };
    cached = { top: schemas.validator(configSchema(options.frontendIds)), rowValidator, featureValidator, geoip: () => featureValidator(GEOIP_SCHEMA), kinds: Object.keys(options.backendKinds) };
    byFrontends.set(key, cached);
  }
  return cached;
}

/**
 * Every schema a config may be validated with under `options`: the top level, each backend
 * kind's row, each feature's config and `access.geoip` (what the build precompiles).
 */
export function configSchemas(options: LoadOptions): object[] {
  return [
    configSchema(options.frontendIds),
    ...Object.values(options.backendKinds).map((info) => backendRowSchema(info.properties, info.required, info.identity)),
    ...Object.values(options.featureKinds ?? {}).map((info) => info.configSchema),
    GEOIP_SCHEMA,
  ];
}

/**
 * Reads and validates a config file; throws ConfigError with every problem found. `reload`: the
 * path must be a regular file (see readConfigText).
 */
export function loadConfigFile(path: string, options: LoadOptions, reload = false): Config {
  return parseConfig(readConfigText(path, reload), path, options);
}

/**
 * The text of a config file (at most MAX_CONFIG_BYTES) without a byte order mark (so that columns
 * count from the first character); LIP_ERR_CONFIG_UNREADABLE when it cannot be read, a
 * ConfigError naming the first byte that is not UTF-8 when it is not (decoding it anyway would
 * put U+FFFD where a Latin-1 `é` of a system prompt was).
 */
export function readConfigText(path: string, reload = false): string {
  let bytes: Buffer;
  try {
    // A pipe (`--config <(envsubst < lip.yaml)`) or a device is read at start only: a reload
    // would block the serving thread until something writes to it (or, from /dev/zero, fill
    // memory). Every read stops past the size limit, whatever stat said the size was.
    if (reload && !statSync(path).isFile()) throw new Error('it is not a regular file (a pipe or a device is read only at start)');
    bytes = readAtMost(path, MAX_CONFIG_BYTES);
  } catch (err) {
    throw unreadable(path, err);
  }
  return configText(path, bytes);
}

/** LIP_ERR_CONFIG_UNREADABLE: why the config file at `path` could not be read. */
export function unreadable(path: string, err: unknown): LipError {
  return new LipError('LIP_ERR_CONFIG_UNREADABLE', `cannot read config file ${path}: ${(err as Error).message}`, { cause: err });
}

/** The text of a config file's bytes, without a byte order mark; a ConfigError when they are not UTF-8 (see readConfigText). */
export function configText(path: string, bytes: Buffer): string {
  if (!isUtf8(bytes)) {
    const fault = utf8Fault(bytes);
    throw new ConfigError([{ file: path, line: fault.line ?? 1, column: fault.column ?? 1, path: '', message: `the file is not UTF-8: ${fault.what}; save it as UTF-8` }]);
  }
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** The bytes of a file, refused once past `limit` (read in pieces: a pipe or a device has no size to check first). */
function readAtMost(path: string, limit: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const pieces: Buffer[] = [];
    let total = 0;
    const piece = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = readSync(fd, piece, 0, piece.length, null);
      if (n === 0) return Buffer.concat(pieces, total);
      total += n;
      if (total > limit) throw new Error(`larger than ${limit} bytes`);
      pieces.push(Buffer.from(piece.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
}

/** The embedded default: all four frontends, one localstub backend `stub`, loopback, no auth. */
export function loadDefaultConfig(options: LoadOptions): Config {
  return parseConfig(readFileSync(EMBEDDED_DEFAULT_PATH, 'utf8'), EMBEDDED_DEFAULT_NAME, options);
}

/** Validates config text. `file` is used in messages (`file:line:col: path: message`). */
export function parseConfig(text: string, file: string, options: LoadOptions): Config {
  const lineCounter = new LineCounter();
  // `merge`: the YAML 1.1 merge key (`- <<: *base`), which operators write to share a backend's
  // settings; the merged keys count against the same alias limit as any alias (toJS below).
  // `uniqueKeys: false`: the library's check of repeated keys is quadratic in the keys of a
  // mapping (10,000 keys took 11 s); duplicateKeys below finds them in one pass.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false, merge: true });
  const issues: ConfigIssue[] = [];
  const pos = (offset: number) => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  // A repeated key is named with its path and where it was first given; the first value is read
  // on, so the file's other problems are reported with it. Any other YAML error ends here.
  const repeats = duplicateKeys(doc);
  dropRepeats(repeats);
  for (const repeat of repeats) {
    const first = pos(repeat.first);
    issues.push({ file, ...pos(repeat.at), path: formatPath(repeat.path), message: `duplicate key "${repeat.key}" (first at ${first.line}:${first.column})` });
  }
  for (const err of [...doc.errors, ...doc.warnings.filter((w) => w.code !== 'TAG_RESOLVE_FAILED')]) {
    const message = err.message.split('\n')[0]!;
    // The yaml library reads nested collections recursively and reports running out of stack as
    // the error it is; say what about the file caused it.
    issues.push({ file, ...pos(err.pos[0]), path: '', message: /Maximum call stack/.test(message) ? 'the YAML nests too deeply to be read (a lip configuration needs a few levels)' : message });
  }
  if (doc.errors.length > 0) throw new ConfigError(issues.sort(byPosition));
  // Every key of a lip config is a name: a mapping or a list used as a key (`? [a]: 1`) would
  // become a made-up string key (and a warning of the yaml library on stderr).
  // An alias inside the node it names (`ttl: &a [*a]`) would expand into a value that contains
  // itself, which no setting is.
  let refused = 0;
  // A merge key takes mappings only (the yaml library throws, unlocated, when it expands one).
  visit(doc, {
    Pair(_, pair, ancestors) {
      if (isMergeKey(pair.key) && !mergeable(pair.value, doc)) {
        refused++;
        const at = (pair.value as YamlNode | null)?.range?.[0] ?? (pair.key as YamlNode).range?.[0] ?? 0;
        issues.push({ file, ...pos(at), path: formatPath(pathOf(ancestors, pair)), message: 'a merge key (<<) takes a mapping, an alias of one (*name) or a list of those' });
      }
      if (pair.key === null || isScalar(pair.key)) return;
      const key = pair.key as YamlNode;
      refused++;
      issues.push({ file, ...pos(key.range?.[0] ?? 0), path: '', message: `a key must be a name, not a ${isMap(key) ? 'mapping' : 'list'}` });
    },
    Alias(_, alias) {
      const target = alias.resolve(doc);
      const [from, to] = [target?.range?.[0], target?.range?.[2] ?? target?.range?.[1]];
      const at = alias.range?.[0];
      if (from === undefined || to === undefined || at === undefined || at < from || at >= to) return;
      refused++;
      issues.push({ file, ...pos(at), path: '', message: `the alias *${alias.source} is inside the node &${alias.source} it names: its value would contain itself` });
    },
  });
  if (refused > 0) throw new ConfigError(issues);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // The yaml library refuses alias bombs ("billion laughs") with a ReferenceError.
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: `the YAML cannot be expanded: ${(err as Error).message}` }]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError([{ file, line: 1, column: 1, path: '', message: 'the configuration must be a mapping of sections (server, backends, ...)' }]);
  }
  const locate: Locate = nodeLocator(doc, pos);
  const report = (path: readonly Segment[], message: string, key?: string) => {
    issues.push({ file, ...locate(path, key), path: formatPath(key === undefined ? path : [...path, key]), message });
  };

  const { top, rowValidator, featureValidator, geoip, kinds } = validators(options);
  const given = data as Record<string, unknown>;
  const redisUrlSet = given.redis !== null && typeof given.redis === 'object' && (given.redis as Record<string, unknown>).url !== undefined;
  if (!top(data)) for (const e of top.errors ?? []) reportAjvError(e, [], report);
  const access = (data as Record<string, unknown>).access as Record<string, unknown> | undefined;
  if (access !== null && typeof access === 'object') {
    if (access.geoip === undefined) access.geoip = geoipOff();
    else if (access.geoip !== null && typeof access.geoip === 'object') {
      const validate = geoip();
      if (!validate(access.geoip)) for (const e of validate.errors ?? []) reportAjvError(e, ['access', 'geoip'], report);
    }
  }

  const root = data as Record<string, unknown>;
  const backends = Array.isArray(root.backends) ? (root.backends as Record<string, unknown>[]) : [];
  backends.forEach((row, i) => {
    if (row === null || typeof row !== 'object') return;
    const kind = row.kind;
    if (typeof kind !== 'string') return; // reported by the top-level schema
    const validate = rowValidator(kind);
    if (!validate) {
      const hint = nearest(kind, kinds);
      report(['backends', i, 'kind'], `unknown backend kind "${kind}"${hint ? ` (did you mean "${hint}"?)` : ''}; known kinds: ${kinds.join(', ')}`);
      return;
    }
    if (!validate(row)) for (const e of validate.errors ?? []) reportAjvError(e, ['backends', i], report);
  });

  // Feature rows: a known id, and a config its plugin's own schema accepts.
  const featureKinds = options.featureKinds ?? {};
  const featureIds = Object.keys(featureKinds).sort();
  (Array.isArray(root.features) ? (root.features as Record<string, unknown>[]) : []).forEach((row, i) => {
    if (row === null || typeof row !== 'object' || typeof row.id !== 'string') return; // reported by the top-level schema
    const info = Object.prototype.hasOwnProperty.call(featureKinds, row.id) ? featureKinds[row.id] : undefined;
    if (!info) {
      const hint = nearest(row.id, featureIds);
      report(['features', i, 'id'], `unknown feature "${row.id}"${hint ? ` (did you mean "${hint}"?)` : ''}; ${featureIds.length ? `known features: ${featureIds.join(', ')}` : 'this build bundles no feature plugins'}`);
      return;
    }
    const validate = featureValidator(info.configSchema);
    const config = row.config ?? {};
    if (!validate(config)) {
      for (const e of validate.errors ?? []) reportAjvError(e, ['features', i, 'config'], report);
      return;
    }
    // The plugin's own rules (bounds, patterns that must compile), on the config its create()
    // gets: check-config and a reload report what the feature would refuse to be built from.
    // A disabled row is never built (`{ id: x, enabled: false }` says no more than that).
    if (row.enabled === false) return;
    for (const problem of info.check?.(config as never) ?? []) report(['features', i, 'config', ...problem.path], problem.message);
  });
  if (root.redis !== null && typeof root.redis === 'object') (root.redis as Record<string, unknown>).url_set = redisUrlSet;

  if (issues.length === 0) checkSemantics(root, { ...options, env: options.env ?? process.env }, report);
  if (issues.length > 0) throw new ConfigError(issues.sort(byPosition));
  return { source: file, ...(root as Omit<Config, 'source'>) };
}

function reportAjvError(e: ErrorObject, prefix: readonly Segment[], report: (path: readonly Segment[], message: string, key?: string) => void): void {
  const path = [...prefix, ...parsePointer(e.instancePath)];
  const parent = e.parentSchema as Record<string, unknown> | undefined;
  const secret = secretPath(path);
  // A URL checked by a plain keyword (`pattern`: access.geoip.database.url) may hold a key too.
  const data = typeof e.data === 'string' && urlPath(path) ? maskedUrl(e.data) : e.data;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(e.params.additionalProperty);
      const known = Object.keys((parent?.properties as object | undefined) ?? {});
      const hint = nearest(key, known);
      report(path, `unknown key "${key}"${hint ? ` (did you mean "${hint}"?)` : known.length ? `; allowed keys: ${known.join(', ')}` : ''}`, key);
      return;
    }
    case 'required':
      report(path, `missing required key "${String(e.params.missingProperty)}"`);
      return;
    case 'type': {
      const expected = String(e.params.type).replace('object', 'a mapping').replace('array', 'a list').replace(',', ' or ');
      report(path, `must be ${/^(a |an )/.test(expected) ? expected : `${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`} (got ${shown(data, secret)})`);
      return;
    }
    case 'enum': {
      const allowed = (e.params.allowedValues as unknown[]).map(String);
      const hint = typeof e.data === 'string' ? nearest(e.data, allowed) : undefined;
      report(path, `must be one of ${allowed.join(', ')} (got ${shown(data, secret)})${hint ? `; did you mean "${hint}"?` : ''}`);
      return;
    }
    case 'pattern':
      report(path, `${(parent?.lipHint as string | undefined) ?? `must match ${String(e.params.pattern)}`} (got ${shown(data, secret)})`);
      return;
    default:
      report(path, `${e.message ?? 'is invalid'}${e.keyword.startsWith('lip') ? '' : ` (got ${shown(data, secret)})`}`);
  }
}

function parsePointer(pointer: string): Segment[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((raw) => {
    const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(s) ? Number(s) : s;
  });
}

export function formatPath(path: readonly Segment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** Issues in the order of the file (a stable sort: those at one place keep their order). */
function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return a.line - b.line || a.column - b.column;
}

/**
 * Locates the node at a path (or `key` inside it), falling back to the nearest parent. Each
 * mapping's keys are indexed the first time a path goes through it: a linear search per
 * problem (yaml's getIn, items.find) was quadratic in a mapping of many unknown keys.
 */
function nodeLocator(doc: Document, pos: (offset: number) => { line: number; column: number }): Locate {
  const indexes = new WeakMap<YAMLMap, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let index = indexes.get(map);
    if (index === undefined) {
      index = new Map();
      for (const pair of map.items) {
        if (!isPair(pair) || !isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (!index.has(name)) index.set(name, pair);
      }
      indexes.set(map, index);
    }
    return index.get(key);
  };
  const child = (node: unknown, segment: Segment): unknown => {
    if (isMap(node)) return pairOf(node, String(segment))?.value ?? undefined;
    if (isSeq(node)) return typeof segment === 'number' ? node.items[segment] : undefined;
    return undefined;
  };
  return (path, key) => {
    // The nodes along `path`, as far as it goes.
    const nodes: unknown[] = [doc.contents];
    for (const segment of path) {
      const next = child(nodes[nodes.length - 1], segment);
      if (next === undefined || next === null) break;
      nodes.push(next);
    }
    for (let n = nodes.length - 1; n >= 0; n--) {
      const node = nodes[n] as YamlNode | null | undefined;
      if (!node) continue;
      if (n === path.length && key !== undefined && isMap(node)) {
        const keyNode = pairOf(node, key)?.key as YamlNode | undefined;
        if (keyNode?.range) return pos(keyNode.range[0]);
      }
      if (node.range) return pos(node.range[0]);
    }
    return { line: 1, column: 1 };
  };
}

/** A YAML 1.1 merge key: a plain `<<`, which the yaml library reads as a symbol (`"<<"` quoted is an ordinary key). */
function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol' && key.value.description === '<<';
}

/** What a merge key may take: a mapping, an alias of one, or a list (or an alias of a list) of those. */
function mergeable(value: unknown, doc: Document): boolean {
  const resolved = isAlias(value) ? value.resolve(doc) : value;
  const isSource = (item: unknown) => isMap(isAlias(item) ? item.resolve(doc) : item);
  return isSeq(resolved) ? resolved.items.every(isSource) : isMap(resolved);
}

/** The config path of a pair from `visit`'s ancestors (keys of the pairs, indexes in the lists, then the pair's key). */
function pathOf(ancestors: readonly unknown[], pair: { key: unknown }): Segment[] {
  const path: Segment[] = [];
  const chain = [...ancestors, pair];
  chain.forEach((node, i) => {
    if (isPair(node) && isScalar(node.key)) path.push(isMergeKey(node.key) ? '<<' : String(node.key.value));
    else if (isSeq(node)) path.push(node.items.indexOf(chain[i + 1] as never));
  });
  return path;
}
