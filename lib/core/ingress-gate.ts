import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { BlockList, isIP } from 'node:net';
import type { GeoipConfig } from '../config/index.js';
import { LipError } from '../errors/index.js';

/** Forwarding headers longer than this, or with more hops, are refused (fail-closed). */
export const MAX_FORWARDED_CHARS = 16_384;
export const MAX_FORWARDED_HOPS = 32;

/** Requests refused by the gate since the process started (`lip_ingress_denied_total`). */
export const INGRESS_DENIED = new Map<'policy' | 'forwarding', number>();

/** A country database: the ISO code of an address, or undefined when it has none. */
export interface CountryLookup {
  country(address: string): string | undefined;
}

/** What the gate reads of a request: the connection's peer and the forwarding headers. */
export interface IngressRequest {
  readonly peer: string | undefined;
  /** Every value of the header, in order (repeated fields included). */
  header(name: 'x-forwarded-for' | 'forwarded'): readonly string[] | undefined;
}

/**
 * `access.geoip`: the data plane's gate by client address and country, before anything else
 * runs. The client address is the connection's peer (`direct`), or, when that peer is one of
 * `trusted_proxies`, the first untrusted address of the forwarding header read right to left.
 * `deny_allow`: allowed unless a deny rule matches and no allow rule does; `allow_deny`: denied
 * unless an allow rule matches and no deny rule does. A rule matches by prefix (`cidrs`) or by
 * the country the database gives the address. An address the database does not know matches
 * no country rule. A forwarding header that cannot be read (malformed, obfuscated, too long) is
 * refused, whatever the order.
 * @see spec/core/ingress-gate.spec.ts
 */
export class IngressGate {
  private readonly deny: Rules;
  private readonly allow: Rules;
  private readonly trusted: BlockList;
  private readonly order: 'deny_allow' | 'allow_deny';
  private readonly source: GeoipConfig['client_ip']['source'];

  constructor(config: GeoipConfig, private readonly countries: CountryLookup | undefined) {
    this.order = config.order ?? 'deny_allow';
    this.source = config.client_ip.source;
    this.deny = rules(config.deny);
    this.allow = rules(config.allow);
    this.trusted = blockList(config.client_ip.trusted_proxies);
  }

  /** Whether the request may go on. */
  admits(req: IngressRequest): boolean {
    const address = this.clientAddress(req);
    if (address === undefined) {
      count('forwarding');
      return false;
    }
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    let looked = false;
    let country: string | undefined;
    const inCountries = (r: Rules): boolean => {
      if (r.countries.size === 0) return false;
      if (!looked) {
        looked = true;
        country = this.countries?.country(address);
      }
      return country !== undefined && r.countries.has(country);
    };
    const matches = (r: Rules) => (r.cidrs !== undefined && r.cidrs.check(address, family)) || inCountries(r);
    const admitted = this.order === 'deny_allow' ? matches(this.allow) || !matches(this.deny) : !matches(this.deny) && matches(this.allow);
    if (!admitted) count('policy');
    return admitted;
  }

  /** The address the rules judge, or undefined when a forwarding header cannot be read. */
  clientAddress(req: IngressRequest): string | undefined {
    const peer = normalise(req.peer ?? '');
    if (peer === undefined) return undefined;
    if (this.source === 'direct' || !this.isTrusted(peer)) return peer;
    const values = req.header(this.source === 'forwarded' ? 'forwarded' : 'x-forwarded-for');
    if (values === undefined || values.length === 0) return peer;
    const joined = values.join(',');
    if (joined.length > MAX_FORWARDED_CHARS) return undefined;
    const hops = this.source === 'forwarded' ? forwardedHops(joined) : joined.split(',').map((h) => normalise(h.trim()));
    if (hops === undefined || hops.length > MAX_FORWARDED_HOPS || hops.some((h) => h === undefined)) return undefined;
    for (let i = hops.length - 1; i >= 0; i--) {
      if (!this.isTrusted(hops[i]!)) return hops[i];
    }
    return hops[0] ?? peer;
  }

  private isTrusted(address: string): boolean {
    return this.trusted.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  }
}

interface Rules {
  /** Undefined when there is no prefix rule (nothing to ask). */
  readonly cidrs: BlockList | undefined;
  readonly countries: ReadonlySet<string>;
}

function rules(config: { readonly countries: readonly string[]; readonly cidrs: readonly string[] }): Rules {
  return { cidrs: config.cidrs.length > 0 ? blockList(config.cidrs) : undefined, countries: new Set(config.countries) };
}

function blockList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** An address as the rules compare it (an IPv4-mapped IPv6 address as IPv4), or undefined when it is none. */
function normalise(address: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const plain = mapped ? mapped[1]! : address;
  return isIP(plain) === 0 ? undefined : plain;
}

/**
 * The `for=` addresses of a `Forwarded` header (RFC 7239), in order; undefined when an element
 * has none, or one that is not an address (`unknown`, an obfuscated `_name`, garbage).
 */
function forwardedHops(value: string): (string | undefined)[] | undefined {
  const hops: (string | undefined)[] = [];
  for (const element of value.split(',')) {
    let found: string | undefined | null = null;
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      let node = pair.slice(eq + 1).trim();
      if (node.startsWith('"')) node = node.endsWith('"') && node.length >= 2 ? node.slice(1, -1) : '';
      const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d+)?$/.exec(node);
      const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::\d+)?$/.exec(node);
      found = normalise(v6?.[1] ?? v4?.[1] ?? '');
    }
    if (found === null) return undefined;
    hops.push(found);
  }
  return hops;
}

function count(reason: 'policy' | 'forwarding'): void {
  INGRESS_DENIED.set(reason, (INGRESS_DENIED.get(reason) ?? 0) + 1);
}

interface MmdbReader {
  get(address: string): { readonly country?: { readonly iso_code?: unknown } } | null;
  readonly metadata: { readonly ipVersion: number; readonly databaseType: string };
}

/**
 * An MMDB country database (DB-IP Lite Country, MaxMind GeoLite2/GeoIP2 Country), read whole
 * into memory once (`mmdb-lib`, loaded with the first gate that needs countries). Lookups do no
 * I/O. A file that cannot be read or is no MMDB is a configuration error.
 */
export function readCountryDatabase(path: string): CountryLookup {
  try {
    return countryLookupOf(readFileSync(path));
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new LipError('LIP_ERR_CONFIG_INVALID', `access.geoip.database.local_path: cannot read the country database ${path}: ${reason}`);
  }
}

/** Lookups over the bytes of an MMDB database; throws when they are not one. */
export function countryLookupOf(bytes: Buffer): CountryLookup {
  const { Reader } = createRequire(import.meta.url)('mmdb-lib') as { Reader: new (db: Buffer) => MmdbReader };
  const reader = new Reader(bytes);
  reader.get('192.0.2.1'); // a database whose tree cannot be walked fails here, not on a request
  const v4Only = reader.metadata.ipVersion === 4;
  return {
    country(address) {
      if (v4Only && isIP(address) === 6) return undefined;
      try {
        const code = reader.get(address)?.country?.iso_code;
        return typeof code === 'string' ? code.toUpperCase() : undefined;
      } catch {
        return undefined; // an address the database cannot look up matches no country
      }
    },
  };
}

/**
 * The gate a config asks for (undefined when `access.geoip` is off). `countries` opens its
 * country database, asked only when a rule names a country.
 */
export function ingressGate(config: GeoipConfig | undefined, countries: (database: GeoipConfig['database']) => CountryLookup = (d) => readCountryDatabase(d.local_path!)): IngressGate | undefined {
  if (config?.enabled !== true) return undefined;
  const needsCountries = config.deny.countries.length + config.allow.countries.length > 0;
  return new IngressGate(config, needsCountries && config.database.local_path !== undefined ? countries(config.database) : undefined);
}
