import { MASK, SECRET_NAME } from '../wire/scrub-credentials.js';
import { parseDuration, parseSize } from './units.js';

/**
 * What the config schema's own keywords (`lipDuration`, `lipSize`, `lipUrl`) call while a
 * config is validated. The validators reach these through the name `KEYWORD_HELPERS_MODULE`,
 * so that a validator compiled at build time (lib/wire/precompiled-validators.ts) calls the same functions as one
 * compiled at run time.
 */
export const KEYWORD_HELPERS = {
  /** Milliseconds, or undefined when the value is not a duration. */
  duration: (value: unknown): number | undefined => (typeof value === 'string' ? parseDuration(value) : undefined),
  /** Bytes, or undefined when the value is not a size. */
  size: (value: unknown): number | undefined => (typeof value === 'string' || typeof value === 'number' ? parseSize(value) : undefined),
  /** Why `value` is not a URL with one of `schemes` and a host (the whole message), or undefined. */
  urlMessage(value: unknown, schemes: readonly string[]): string | undefined {
    const problem = urlProblem(value, schemes);
    if (problem === undefined) return undefined;
    const example = schemes.includes('https') ? 'https://api.example.com/v1' : `${schemes[0]}://127.0.0.1:6379`;
    const got = typeof value === 'string' ? maskedUrl(value) : value;
    return `must be ${schemes[0]!.startsWith('h') ? 'an' : 'a'} ${schemes.map((s) => `${s}://`).join(' or ')} URL such as ${example}: ${problem} (got ${shown(got)})`;
  },
  shown,
};

/**
 * Config keys whose value is a secret, besides the names SECRET_NAME knows (`api_key`, `token`, `password`, ...):
 * `redact_substrings` are the very texts a recording must not show.
 */
const SECRET_KEYS: ReadonlySet<string> = new Set(['key', 'api_keys', 'shared_secret', 'resume_token_key', 'secret_access_key', 'redact_substrings']);

/** Config mappings whose values are all secret, whatever their keys: `backends[].headers`, an `acp` row's `env`. */
const SECRET_MAPS: ReadonlySet<string | number | undefined> = new Set(['headers', 'env']);

/**
 * Whether the config value at `path` is a secret, which no message may show: its key (the last
 * name, list indices aside) is a secret's, or it is a value of a header or environment mapping.
 */
export function secretPath(path: readonly (string | number)[]): boolean {
  if (path.length >= 2 && SECRET_MAPS.has(path[path.length - 2])) return true;
  const name = path.findLast((segment): segment is string => typeof segment === 'string');
  return name !== undefined && (SECRET_KEYS.has(name) || SECRET_NAME.test(name));
}

/**
 * A URL as a message may show it, written or not: everything up to its last `@` (user-info) and
 * every query item masked (`redis://***@host:6379`, `https://host/v1?key=***&***`). Text scans, no
 * parse: the text shown is often the one that is not a URL, so a password holding `/`, `?` or `#`
 * must not end the user-info early, and a text without a scheme may still start with one.
 */
export function maskedUrl(text: string): string {
  let out = text;
  const scheme = out.indexOf('://');
  const start = scheme < 0 ? 0 : scheme + 3;
  const at = out.lastIndexOf('@');
  if (at >= start) out = `${out.slice(0, start)}${MASK}${out.slice(at)}`;
  const q = out.indexOf('?');
  if (q < 0) return out;
  const hash = out.indexOf('#', q);
  const end = hash < 0 ? out.length : hash;
  const query = out.slice(q + 1, end).split('&').map((item) => (item === '' ? item : item.includes('=') ? `${item.slice(0, item.indexOf('=') + 1)}${MASK}` : MASK)).join('&');
  return `${out.slice(0, q + 1)}${query}${out.slice(end)}`;
}

/** Whether the config value at `path` is a URL, shown masked (maskedUrl): its key is `url` or ends in `_url`. */
export function urlPath(path: readonly (string | number)[]): boolean {
  const name = path.findLast((segment): segment is string => typeof segment === 'string');
  return name !== undefined && /(^|_)url$/.test(name);
}

/**
 * A config value as a message names it (`got ...`): a list, a mapping, binary data (`!!binary`),
 * a number YAML read as infinite (`.inf`, `1e400`: JSON would write it as `null`), else its JSON;
 * `secret` (secretPath): a text or a number by its kind only.
 */
export function shown(value: unknown, secret = false): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return 'binary data';
  if (typeof value === 'object') return 'a mapping';
  // A secret is named by its kind only ("Secrets never appear in logs or error messages").
  if (secret && typeof value === 'string') return `text of ${value.length} characters`;
  if (secret && typeof value === 'number') return 'a number';
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? 'NaN (not a number)' : `${value} (a number out of range)`;
  return JSON.stringify(value);
}

/** The module name a validator's code asks for to get `KEYWORD_HELPERS`. */
export const KEYWORD_HELPERS_MODULE = 'lip:config-keywords';

/** Why `value` is not a URL with one of `schemes` and a host, or undefined. */
function urlProblem(value: unknown, schemes: readonly string[]): string | undefined {
  if (typeof value !== 'string') return 'not text';
  if (/\s/.test(value)) return 'it contains white space';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'it is not a valid URL';
  }
  if (!schemes.includes(url.protocol.slice(0, -1))) return `the scheme is ${url.protocol.slice(0, -1)}`;
  if (url.hostname === '') return 'it names no host';
  if (value.includes('#')) return 'it has a fragment (#...), which no request carries';
  return undefined;
}
