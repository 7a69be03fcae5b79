import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeoipConfig } from '../../lib/config/index.js';
import { INGRESS_DENIED, IngressGate, ingressGate, MAX_FORWARDED_HOPS, readCountryDatabase, type CountryLookup, type IngressRequest } from '../../lib/core/ingress-gate.js';
import { LipError } from '../../lib/errors/index.js';
import { configIssues } from '../helpers/config.js';
import { buildMmdb } from '../helpers/mmdb.js';

const COUNTRIES: Record<string, string> = { '203.0.113.7': 'RU', '203.0.113.99': 'RU', '198.51.100.9': 'DE', '2001:db8::5': 'RU' };
const lookup: CountryLookup = { country: (a) => COUNTRIES[a] };
const config = (over: Partial<GeoipConfig> = {}): GeoipConfig => ({
  enabled: true, order: 'deny_allow',
  deny: { countries: [], cidrs: [] }, allow: { countries: [], cidrs: [] },
  client_ip: { source: 'direct', trusted_proxies: [] }, database: { source: 'local' },
  ...over,
});
const from = (peer: string, headers: Record<string, string[]> = {}): IngressRequest => ({ peer, header: (name) => headers[name] });

describe('ingress gate (access.geoip)', () => {
  describe('the order of the rules', () => {
    it('deny_allow: allowed unless denied, and an allow match wins over a deny match', () => {
      const gate = new IngressGate(config({ order: 'deny_allow', deny: { countries: ['RU'], cidrs: [] }, allow: { countries: [], cidrs: ['203.0.113.0/28'] } }), lookup);
      expect(gate.admits(from('198.51.100.9')), 'DE').to.equal(true);
      expect(gate.admits(from('10.0.0.1')), 'no country').to.equal(true);
      expect(gate.admits(from('2001:db8::5')), 'RU over IPv6').to.equal(false);
      expect(gate.admits(from('203.0.113.7')), 'RU, but in the allowed prefix').to.equal(true);
      expect(gate.admits(from('203.0.113.99')), 'RU outside it').to.equal(false);
    });

    it('allow_deny: denied unless allowed, and a deny match wins over an allow match', () => {
      const gate = new IngressGate(config({ order: 'allow_deny', allow: { countries: ['DE', 'RU'], cidrs: [] }, deny: { countries: [], cidrs: ['203.0.113.7'] } }), lookup);
      expect(gate.admits(from('198.51.100.9'))).to.equal(true);
      expect(gate.admits(from('203.0.113.7')), 'RU is allowed, but this address is denied').to.equal(false);
      expect(gate.admits(from('10.0.0.1')), 'an address without a country is not allowed').to.equal(false);
      expect(gate.admits(from('::ffff:198.51.100.9')), 'IPv4-mapped').to.equal(true);
    });

    it('counts what it refuses, by reason', () => {
      const before = { policy: INGRESS_DENIED.get('policy') ?? 0, forwarding: INGRESS_DENIED.get('forwarding') ?? 0 };
      const gate = new IngressGate(config({ order: 'allow_deny', client_ip: { source: 'x_forwarded_for', trusted_proxies: ['127.0.0.1'] } }), lookup);
      gate.admits(from('10.0.0.1'));
      gate.admits(from('127.0.0.1', { 'x-forwarded-for': ['not-an-address'] }));
      expect(INGRESS_DENIED.get('policy')).to.equal(before.policy + 1);
      expect(INGRESS_DENIED.get('forwarding')).to.equal(before.forwarding + 1);
    });
  });

  describe('the client address', () => {
    const xff = new IngressGate(config({ client_ip: { source: 'x_forwarded_for', trusted_proxies: ['127.0.0.1/32', '10.0.0.0/8'] } }), lookup);
    const fwd = new IngressGate(config({ client_ip: { source: 'forwarded', trusted_proxies: ['127.0.0.1', '2001:db8:ffff::/48'] } }), lookup);

    it('direct: the connection\'s peer, forwarding headers ignored', () => {
      const gate = new IngressGate(config(), lookup);
      expect(gate.clientAddress(from('198.51.100.9', { 'x-forwarded-for': ['203.0.113.7'] }))).to.equal('198.51.100.9');
    });

    it('X-Forwarded-For from a trusted peer: right to left, trusted hops skipped, repeated fields joined', () => {
      expect(xff.clientAddress(from('127.0.0.1', { 'x-forwarded-for': ['203.0.113.7, 10.1.2.3'] }))).to.equal('203.0.113.7');
      expect(xff.clientAddress(from('127.0.0.1', { 'x-forwarded-for': ['198.51.100.9', '203.0.113.7, 10.1.2.3'] })), 'a spoofed left part is not believed').to.equal('203.0.113.7');
      expect(xff.clientAddress(from('127.0.0.1', { 'x-forwarded-for': ['10.9.9.9'] })), 'every hop trusted: the leftmost').to.equal('10.9.9.9');
      expect(xff.clientAddress(from('127.0.0.1')), 'no header: the peer').to.equal('127.0.0.1');
    });

    it('X-Forwarded-For from an untrusted peer is not believed', () => {
      expect(xff.clientAddress(from('198.51.100.9', { 'x-forwarded-for': ['10.1.2.3'] }))).to.equal('198.51.100.9');
    });

    it('fail-closed on a header it cannot read: garbage, a port, too many hops, too long', () => {
      for (const value of ['garbage', '203.0.113.7:4711', ',', Array.from({ length: MAX_FORWARDED_HOPS + 1 }, () => '203.0.113.7').join(','), `203.0.113.7${' '.repeat(17_000)}`]) {
        expect(xff.clientAddress(from('127.0.0.1', { 'x-forwarded-for': [value] })), value.slice(0, 40)).to.equal(undefined);
        expect(xff.admits(from('127.0.0.1', { 'x-forwarded-for': [value] }))).to.equal(false);
      }
    });

    it('Forwarded (RFC 7239): for= of each element, quoted IPv6 with ports, right to left', () => {
      expect(fwd.clientAddress(from('127.0.0.1', { forwarded: ['for=203.0.113.7;proto=https, for="[2001:db8:ffff::1]:4711"'] }))).to.equal('203.0.113.7');
      expect(fwd.clientAddress(from('127.0.0.1', { forwarded: ['For="[2001:db8::5]"'] }))).to.equal('2001:db8::5');
      expect(fwd.clientAddress(from('127.0.0.1', { forwarded: ['for="198.51.100.9:80"'] }))).to.equal('198.51.100.9');
      for (const value of ['for=unknown', 'for=_hidden', 'proto=https', 'for="[2001:db8::5"']) {
        expect(fwd.clientAddress(from('127.0.0.1', { forwarded: [value] })), value).to.equal(undefined);
      }
    });
  });

  describe('the country database (an MMDB file)', () => {
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), 'lip-geoip-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('reads countries; an address it does not know (or an IPv6 one in an IPv4 database) has none', () => {
      const path = join(dir, 'countries.mmdb');
      writeFileSync(path, buildMmdb([['203.0.113.0/24', { country: { iso_code: 'RU' } }], ['198.51.100.0/24', { country: { iso_code: 'de' } }], ['100.64.0.0/10', { continent: { code: 'EU' } }]]));
      const db = readCountryDatabase(path);
      expect(['203.0.113.200', '198.51.100.1', '100.64.3.4', '8.8.8.8', '2001:db8::1'].map((a) => db.country(a))).to.deep.equal(['RU', 'DE', undefined, undefined, undefined]);
      const gate = ingressGate(config({ deny: { countries: ['RU'], cidrs: [] }, database: { source: 'local', local_path: path } }))!;
      expect(gate.admits(from('203.0.113.5'))).to.equal(false);
      expect(gate.admits(from('198.51.100.5'))).to.equal(true);
    });

    it('a missing or broken file is a configuration error naming the key and the file', () => {
      const broken = join(dir, 'broken.mmdb');
      writeFileSync(broken, 'not a database');
      for (const path of [join(dir, 'missing.mmdb'), broken]) {
        expect(() => readCountryDatabase(path)).to.throw(LipError, /access\.geoip\.database\.local_path: cannot read the country database .*\.mmdb/);
      }
    });

    it('no database is opened when no rule names a country, nor when the gate is off', () => {
      let reads = 0;
      const read = () => { reads++; return lookup; };
      expect(ingressGate(config({ deny: { countries: [], cidrs: ['10.0.0.0/8'] }, database: { source: 'local', local_path: '/nowhere' } }), read)).to.be.instanceOf(IngressGate);
      expect(ingressGate(config({ enabled: false, deny: { countries: ['RU'], cidrs: [] }, database: { source: 'local', local_path: '/nowhere' } }), read)).to.equal(undefined);
      expect(reads).to.equal(0);
    });
  });

  describe('configuration', () => {
    const yaml = (geoip: string) => `server: { host: 127.0.0.1, port: 0 }\naccess:\n  geoip: ${geoip}\nbackends:\n  - { id: s, kind: localstub }\n`;

    it('a valid policy loads', () => {
      expect(configIssues(yaml('{ enabled: true, order: allow_deny, allow: { countries: [DE], cidrs: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"] }, database: { local_path: /var/lib/lip/countries.mmdb } }'))).to.deep.equal([]);
    });

    it('each mistake is reported at its place', () => {
      expect(configIssues(yaml('{ enabled: true, order: deny_allow, deny: { countries: [de, RU] } }'))).to.deep.equal([
        'access.geoip.deny.countries[0]: must be an ISO 3166-1 alpha-2 country code in capitals, such as DE (got "de")',
      ]);
      expect(configIssues(yaml('{ enabled: true, deny: { cidrs: ["10.0.0.0/33", "example.com", "10.0.0.0/8"] }, client_ip: { source: x_forwarded_for } }'))).to.deep.equal([
        'access.geoip.enabled: order is required when geoip is enabled: deny_allow (allowed unless denied; an allow match wins) or allow_deny (denied unless allowed; a deny match wins)',
        'access.geoip.deny.cidrs[0]: "10.0.0.0/33": the prefix length must be 0 to 32',
        'access.geoip.deny.cidrs[1]: "example.com" is not an IP address or CIDR prefix (hostnames are not accepted)',
        'access.geoip.client_ip.source: source x_forwarded_for needs trusted_proxies: the proxies whose forwarding header is believed (without them, anyone could name any address)',
      ]);
      expect(configIssues(yaml('{ enabled: true, order: deny_allow, deny: { countries: [RU] } }'))).to.deep.equal([
        'access.geoip.database: countries need a country database: set database.local_path to an MMDB file (DB-IP Lite Country or MaxMind GeoLite2 Country)',
      ]);
      expect(configIssues(yaml('{ enabled: true, order: deny_allow, database: { source: remote } }'))).to.deep.equal(['access.geoip.database.source: must be one of local, managed (got "remote")']);
    });
  });
});
