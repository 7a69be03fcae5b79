import { expect } from 'chai';
import { PassThrough, Writable } from 'node:stream';
import winston from 'winston';
import { AccessLog } from '../../lib/observability/access-log.js';
import { BatchedStream } from '../../lib/observability/batched-stream.js';
import { createLogger } from '../../lib/observability/logger.js';

function capture(format: 'json' | 'text', level: 'info' | 'warn' = 'info') {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
  return { logger: createLogger({ level, format, stream }), lines };
}

const FIELDS = { request_id: 'r1', method: 'POST', route: '/v1/chat/completions', status: 200, duration_ms: 1.5, backend: 'up:m', stream: true, note: 'two words' };

describe('observability/access-log', () => {
  it('writes the JSON line winston would write, without going through winston', () => {
    const { logger, lines } = capture('json');
    new AccessLog(logger).write(FIELDS);
    logger.info('request', FIELDS);
    expect(lines).to.have.length(2);
    const [fast, slow] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(fast!).sort()).to.deep.equal(Object.keys(slow!).sort());
    expect({ ...fast, timestamp: 'T' }).to.deep.equal({ ...slow, timestamp: 'T' });
    expect(Date.parse(String(fast!.timestamp))).to.be.closeTo(Date.now(), 60_000);
  });

  it('writes the text format as `time LEVEL message k=v` like every other line', () => {
    const { logger, lines } = capture('text');
    new AccessLog(logger).write(FIELDS);
    logger.info('request', FIELDS);
    const strip = (line: string) => line.replace(/^\S+ /, '');
    expect(strip(lines[0]!)).to.equal(strip(lines[1]!));
    expect(strip(lines[0]!)).to.equal('INFO  request request_id=r1 method=POST route=/v1/chat/completions status=200 duration_ms=1.5 backend=up:m stream=true note="two words"');
  });

  it('text format: a client\'s control and format characters are escaped, never written raw (no terminal escapes, no forged lines)', () => {
    const { logger, lines } = capture('text');
    // ESC sequences (clear screen, colour), backspaces over the line, a bell, C1 CSI, a bidi override, DEL.
    const hostile = '\u001b[2J\u001b[31mFAKE\b\b\u0007\u009b31m\u202egnp.exe\u007f';
    new AccessLog(logger).write({ request_id: 'r1', model: hostile });
    logger.warn('unknown model', { model: hostile, plan: { arms: [hostile] } });
    expect(lines).to.have.length(2);
    for (const line of lines) expect(line).to.not.match(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    expect(lines[0]).to.match(/ model="\\u001b\[2J\\u001b\[31mFAKE\\b\\b\\u0007\\u009b31m\\u202egnp\.exe\\u007f"$/);
    // Still JSON string literals: what was sent reads back exactly.
    expect(JSON.parse(/ model=(".*") plan=/.exec(lines[1]!)![1]!)).to.equal(hostile);
    expect(JSON.parse(/ plan=(.*)$/.exec(lines[1]!)![1]!)).to.deep.equal({ arms: [hostile] });
  });

  it('honours the level, and falls back to winston for a logger it did not make', () => {
    const quiet = capture('json', 'warn');
    new AccessLog(quiet.logger).write(FIELDS);
    expect(quiet.lines).to.deep.equal([]);
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString('utf8')));
    const foreign = winston.createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
    new AccessLog(foreign).write({ request_id: 'r2' });
    expect(JSON.parse(lines[0]!)).to.deep.equal({ level: 'info', message: 'request', request_id: 'r2' });
  });

  it('through a BatchedStream: access lines join the batch in order with winston lines, one write per turn', async () => {
    const target = new PassThrough();
    const writes: string[] = [];
    target.on('data', (chunk: Buffer) => writes.push(chunk.toString('utf8')));
    const batched = new BatchedStream(target);
    const logger = createLogger({ level: 'info', format: 'json', stream: batched });
    const access = new AccessLog(logger);
    access.write({ request_id: 'a' });
    logger.warn('between');
    access.write({ request_id: 'b' });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).to.have.length(1);
    const lines = writes[0]!.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.request_id ?? l.message)).to.deep.equal(['a', 'between', 'b']);
  });

  it('a stream shared with other processes (lip serve --workers) is written in whole lines of at most 4096 bytes, which a pipe never interleaves', async () => {
    const writes: Buffer[] = [];
    // One write at a time: the next only once the previous one is written (its callback).
    let outstanding = 0;
    const target = {
      write: (chunk: string | Buffer, done: () => void) => {
        expect(outstanding, 'one write at a time').to.equal(0);
        outstanding++;
        writes.push(Buffer.from(chunk));
        setImmediate(() => { outstanding--; done(); });
        return true;
      },
    } as unknown as NodeJS.WritableStream;
    const batched = new BatchedStream(target, { shared: true });
    const lines = Array.from({ length: 40 }, (_, i) => `{"n":${i},"pad":"${'é'.repeat(100 + i * 7)}"}\n`);
    const long = `{"long":"${'x'.repeat(9000)}"}\n`;
    const all = [...lines.slice(0, 20), long, ...lines.slice(20)].join('');
    for (const line of [...lines.slice(0, 20), long, ...lines.slice(20)]) batched.append(line);
    while (Buffer.concat(writes).length < Buffer.byteLength(all)) await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(writes).toString('utf8')).to.equal(all);
    expect(writes.length).to.be.greaterThan(2);
    for (const w of writes) {
      expect(w.at(-1), 'every write ends a line').to.equal(0x0a);
      if (!w.toString('utf8').includes('"long"')) expect(w.length).to.be.at.most(4096);
    }
    // A line longer than that goes in a write of its own.
    expect(writes.filter((w) => w.toString('utf8').includes('"long"')).map((w) => w.toString('utf8'))).to.deep.equal([long]);
    // Not shared: one write per turn, as before.
    const single: Buffer[] = [];
    const own = new BatchedStream({ write: (chunk: string | Buffer) => { single.push(Buffer.from(chunk)); return true; } } as unknown as NodeJS.WritableStream);
    for (const line of lines) own.append(line);
    await new Promise((resolve) => setImmediate(resolve));
    expect(single).to.have.length(1);
  });

  // Found by probing observability: with a reader of stdout that stopped, every log line waited
  // in the process (143 MB more after 6,000 debug-level requests), without bound.
  for (const shared of [false, true]) {
    it(`a target that stops taking lines is handed at most maxHeldBytes (and one turn's batch); the lines beyond are dropped, counted and reported once it takes lines again${shared ? ' (shared stream)' : ''}`, async () => {
      const received: string[] = [];
      const stalled: (() => void)[] = [];
      let taking = false;
      const target = new Writable({
        highWaterMark: 64,
        write(chunk: Buffer, _encoding, done) {
          received.push(chunk.toString('utf8'));
          if (taking) done();
          else stalled.push(done);
        },
      });
      const batched = new BatchedStream(target, { shared, maxHeldBytes: 2_000, droppedNotice: (dropped) => `dropped ${dropped}\n` });
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      const line = (n: number) => `{"n":${n},"pad":"${'x'.repeat(90)}"}\n`; // 100 bytes
      let n = 0;
      for (let round = 0; round < 20; round++) {
        for (let i = 0; i < 10; i++) batched.append(line(n++));
        await turn();
      }
      // The target takes lines again: what it was handed drains, then the next batch says how many were dropped.
      taking = true;
      for (const done of stalled.splice(0)) done();
      while (target.writableLength > 0) await turn();
      batched.append(line(n++));
      for (let i = 0; i < 5; i++) await turn();
      const lines = received.join('').split('\n').filter(Boolean);
      const noticeAt = lines.findIndex((l) => l.startsWith('dropped '));
      expect(noticeAt, lines.slice(-3).join('|')).to.be.greaterThan(0);
      expect(noticeAt, 'lines handed on while the target was stalled').to.be.at.most(30);
      expect(noticeAt + Number(lines[noticeAt]!.slice('dropped '.length)) + 1).to.equal(n);
      expect(lines.slice(noticeAt + 1)).to.deep.equal([line(n - 1).trim()]);
    });
  }
});
