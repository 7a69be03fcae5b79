/**
 * In-process cost of `access.geoip`'s decision per request (compiled dist/), medians of
 * interleaved rounds: prefix rules only, the client from a three-hop X-Forwarded-For behind a
 * trusted proxy, and country rules over an MMDB of 2,000 networks (built by spec/helpers/mmdb.ts).
 *
 * ```sh
 * npm run build && node --import tsx benchmarks/ingress-gate.ts [--quick]
 * ```
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMmdb } from '../spec/helpers/mmdb.js';
import { interleaved } from './interleaved.js';

const gate = await import('../dist/core/ingress-gate.js' as string) as typeof import('../lib/core/ingress-gate.js');
type GeoipConfig = import('../lib/config/index.js').GeoipConfig;

export async function ingressGateCost(rounds: number): Promise<{ name: string; us: number }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'lip-bench-geoip-'));
  try {
    const path = join(dir, 'countries.mmdb');
    const networks = Array.from({ length: 2_000 }, (_, i) => [`${10 + Math.floor(i / 250)}.${i % 250}.0.0/16`, { country: { iso_code: i % 7 === 0 ? 'RU' : 'DE' } }] as const);
    writeFileSync(path, buildMmdb(networks));
    const base: GeoipConfig = {
      enabled: true, order: 'deny_allow', deny: { countries: [], cidrs: ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/32'] }, allow: { countries: [], cidrs: [] },
      client_ip: { source: 'direct', trusted_proxies: [] }, database: { source: 'local' },
    };
    const direct = gate.ingressGate(base)!;
    const forwarded = gate.ingressGate({ ...base, client_ip: { source: 'x_forwarded_for', trusted_proxies: ['127.0.0.1', '172.16.0.0/12'] } })!;
    const countries = gate.ingressGate({ ...base, deny: { countries: ['RU'], cidrs: base.deny.cidrs }, database: { source: 'local', local_path: path } })!;
    const peer = { peer: '11.42.7.9', header: () => undefined };
    const behind = { peer: '127.0.0.1', header: () => ['11.42.7.9, 172.16.4.4, 172.16.9.1'] };
    const runners = [
      { name: 'prefix rules, the peer', once: () => direct.admits(peer) },
      { name: 'prefix rules, X-Forwarded-For of three hops from a trusted proxy', once: () => forwarded.admits(behind) },
      { name: 'country and prefix rules (an MMDB of 2,000 networks), the peer', once: () => countries.admits(peer) },
    ].map((r) => ({ ...r, samples: [] as number[] }));
    return await interleaved(runners, rounds, 2_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await ingressGateCost(process.argv.includes('--quick') ? 10 : 40);
  for (const r of rows) process.stdout.write(`${r.us.toFixed(3).padStart(8)} us  ${r.name}\n`);
}
