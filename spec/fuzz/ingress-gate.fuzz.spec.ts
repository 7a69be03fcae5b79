import { expect } from 'chai';
import fc from 'fast-check';
import { isIP } from 'node:net';
import type { GeoipConfig } from '../../lib/config/index.js';
import { IngressGate } from '../../lib/core/ingress-gate.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('127.0.0.1', '::1', '10.1.2.3', '::ffff:10.1.2.3'));
const hop = fc.oneof(
  { weight: 4, arbitrary: address },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: address.map((a) => (isIP(a) === 6 ? `"[${a}]:${443}"` : `${a}:80`)) },
  { weight: 1, arbitrary: fc.constantFrom('unknown', '_hidden', '', ' ', '"', '[', '::ffff:') },
);
const xff = fc.array(fc.tuple(fc.array(hop, { maxLength: 40 }), fc.constantFrom(',', ', ', ' , ')).map(([hops, sep]) => hops.join(sep)), { maxLength: 3 });
const forwarded = fc.array(fc.array(fc.tuple(fc.constantFrom('for', 'For', 'by', 'proto', 'host'), hop), { maxLength: 4 })
  .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join(';')), { maxLength: 40 }).map((elements) => [elements.join(',')]);

const config = (source: GeoipConfig['client_ip']['source']): GeoipConfig => ({
  enabled: true, order: 'allow_deny',
  deny: { countries: [], cidrs: ['10.0.0.0/8'] }, allow: { countries: ['DE'], cidrs: ['0.0.0.0/0', '::/0'] },
  client_ip: { source, trusted_proxies: ['127.0.0.1', '::1', '10.0.0.0/8'] }, database: { source: 'local' },
});

/**
 * access.geoip's reading of forwarding headers on any input (they come from the network): it
 * never throws; the address it judges is an IP address that is the peer or one the header named
 * (never made up), or undefined (refused); an untrusted peer's headers are never read.
 */
describe('fuzz: access.geoip reads any forwarding header without throwing or inventing an address', function () {
  this.timeout(fuzzTimeout(5));

  for (const source of ['x_forwarded_for', 'forwarded'] as const) {
    it(`${source}: the client address is the peer, a named address or a refusal`, () => {
      const gate = new IngressGate(config(source), { country: () => 'DE' });
      fc.assert(fc.property(fc.oneof(address, fc.string({ maxLength: 20 })), source === 'forwarded' ? forwarded : xff, (peer, values) => {
        const req = { peer, header: (name: string) => (name === (source === 'forwarded' ? 'forwarded' : 'x-forwarded-for') ? values : undefined) };
        const client = gate.clientAddress(req);
        expect(typeof gate.admits(req)).to.equal('boolean');
        if (client === undefined) return;
        expect(isIP(client), client).to.not.equal(0);
        const named = values.join(',');
        const bare = (a: string) => a.replace(/^::ffff:(?=\d+\.)/i, '');
        expect(bare(peer) === client || named.includes(client), `${client} is the peer or in the header`).to.equal(true);
        if (!['127.0.0.1', '::1'].includes(bare(peer)) && !/^(::ffff:)?10\./i.test(peer)) expect(client, 'an untrusted peer is judged itself').to.equal(bare(peer));
      }), fuzzParameters());
    });
  }
});
