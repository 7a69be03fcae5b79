/**
 * The floor a proxy hop costs on this machine: a bare relay (node:http server + one undici Pool,
 * as a minimal hand-written proxy would be) that reads the client's body, forwards it with its
 * path, content type and credentials to one upstream origin, and pipes the answer back (status,
 * content type, each chunk as it comes). No parsing, no translation, no routing, no logging.
 * The real-path benchmark measures it beside lip, interleaved, so "lip's added latency minus the
 * relay's" is what lip's own work costs. Prints `listening PORT`.
 * Run: node --import tsx benchmarks/bare-relay.ts http://127.0.0.1:UPSTREAM_PORT
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const upstream = process.argv[2];
if (!upstream) throw new Error('usage: bare-relay.ts UPSTREAM_ORIGIN');
const pool = new Pool(upstream);
const FORWARDED = ['content-type', 'authorization', 'x-api-key', 'x-goog-api-key', 'anthropic-version'];

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const headers: Record<string, string> = {};
    for (const name of FORWARDED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const method = (req.method ?? 'GET') as 'GET' | 'POST';
    pool.request({ path: req.url ?? '/', method, headers, body: method === 'GET' ? undefined : Buffer.concat(chunks) }).then(
      ({ statusCode, headers: upstreamHeaders, body }) => {
        const type = upstreamHeaders['content-type'];
        res.writeHead(statusCode, typeof type === 'string' ? { 'content-type': type } : {});
        body.on('data', (chunk: Buffer) => res.write(chunk));
        body.on('end', () => res.end());
        body.on('error', () => res.destroy());
        res.on('close', () => body.destroy());
      },
      () => { res.writeHead(502).end(); },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
