/**
 * The "direct upstream" baseline: a bare node:http server that answers Chat Completions with
 * canned bytes equivalent to what lip + localstub answers (same text, same chunk count). The
 * difference between the two is what lip adds. Run: node --import tsx benchmarks/direct-upstream.ts PORT
 */
import { createServer } from 'node:http';
import { BENCH_TEXT, BENCH_CHUNKS, cannedCompletion, cannedStream } from './canned.js';

const port = Number(process.argv[2] ?? 0);
const body = JSON.stringify(cannedCompletion(BENCH_TEXT));
const stream = cannedStream(BENCH_TEXT, BENCH_CHUNKS);

const server = createServer((req, res) => {
  let size = 0;
  let wantsStream = false;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (!wantsStream && c.includes('"stream":true')) wantsStream = true;
  });
  req.on('end', () => {
    if (wantsStream) {
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(stream);
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
    void size;
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : port}\n`);
});
