import { expect } from 'chai';
import { StringDecoder } from 'node:string_decoder';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_MAX_LINE_BYTES, SSE_KEEPALIVE, SseParser, sseComment, sseFrame, sseJson } from '../../lib/wire/sse.js';
import { LipError } from '../../lib/errors/index.js';

describe('wire/sse', () => {
  it('frames data, named events, JSON and comments', () => {
    expect(sseFrame('x')).to.equal('data: x\n\n');
    expect(sseFrame('x', 'message_start')).to.equal('event: message_start\ndata: x\n\n');
    expect(sseFrame('a\nb')).to.equal('data: a\ndata: b\n\n');
    expect(sseJson({ a: 'line\nbreak' }, 'e')).to.equal('event: e\ndata: {"a":"line\\nbreak"}\n\n');
    expect(sseComment('keepalive')).to.equal(': keepalive\n\n');
    expect(SSE_KEEPALIVE).to.equal(': keepalive\n\n');
  });

  it('parses what it frames', () => {
    const parser = new SseParser();
    const text = sseFrame('{"x":1}', 'ev') + SSE_KEEPALIVE + sseFrame('two\nlines') + 'data: [DONE]\n\n';
    expect(parser.push(text)).to.deep.equal([
      { event: 'ev', data: '{"x":1}' },
      { event: 'message', data: 'two\nlines' },
      { event: 'message', data: '[DONE]' },
    ]);
  });

  it('gives the same messages however the bytes are split, for \\n, \\r\\n and \\r line ends', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = `event: a${eol}data: 1${eol}${eol}: comment${eol}data:2${eol}id: 7${eol}${eol}`;
      const whole = new SseParser().push(text);
      expect(whole).to.deep.equal([{ event: 'a', data: '1' }, { event: 'message', data: '2', id: '7' }]);
      for (let cut = 1; cut < text.length; cut++) {
        const parser = new SseParser();
        const got = [...parser.push(text.slice(0, cut)), ...parser.push(text.slice(cut))];
        expect(got, `${JSON.stringify(eol)} cut at ${cut}`).to.deep.equal(whole);
      }
    }
  });

  it('flushes a final message without a blank line at the end', () => {
    const parser = new SseParser();
    expect(parser.push('data: last')).to.deep.equal([]);
    expect(parser.end()).to.deep.equal([{ event: 'message', data: 'last' }]);
  });

  it('ignores events without data and unknown fields', () => {
    expect(new SseParser().push('event: ping\n\nretry: 10\nfoo: bar\ndata: x\n\n')).to.deep.equal([{ event: 'message', data: 'x' }]);
  });

  describe('line cap (http_client.max_line_bytes)', () => {
    const codeOf = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(LipError);
        return `${(err as LipError).code} ${(err as LipError).status} ${(err as LipError).retryable} ${(err as LipError).message}`;
      }
      return 'no error';
    };

    it('defaults to 16 MiB when constructed without options', () => {
      expect(DEFAULT_MAX_LINE_BYTES).to.equal(16 * 1024 * 1024);
      const parser = new SseParser();
      expect(parser.push(`data: ${'x'.repeat(1024 * 1024)}`)).to.deep.equal([]);
      expect(parser.push('\n\n')[0]!.data).to.have.length(1024 * 1024);
    });

    it('throws LIP_ERR_UPSTREAM_LIMIT_EXCEEDED as soon as an unfinished line grows past the cap', () => {
      const parser = new SseParser({ maxLineBytes: 100 });
      expect(parser.push('data: ' + 'x'.repeat(60))).to.deep.equal([]);
      expect(codeOf(() => parser.push('y'.repeat(60)))).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED 502 true an upstream line exceeded http_client.max_line_bytes (100 bytes)');
    });

    it('accepts a line of exactly the cap and refuses one more character, whole or in pieces', () => {
      const line = `data: ${'x'.repeat(94)}`; // 100 characters
      expect(new SseParser({ maxLineBytes: 100 }).push(`${line}\n\n`)).to.have.length(1);
      expect(codeOf(() => new SseParser({ maxLineBytes: 100 }).push(`${line}x\n\n`))).to.match(/^LIP_ERR_UPSTREAM_LIMIT_EXCEEDED/);
      const pieces = new SseParser({ maxLineBytes: 100 });
      for (const ch of line) pieces.push(ch);
      expect(pieces.push('\n\n')).to.deep.equal([{ event: 'message', data: 'x'.repeat(94) }]);
      const over = new SseParser({ maxLineBytes: 100 });
      for (const ch of line) over.push(ch);
      expect(codeOf(() => over.push('x'))).to.match(/^LIP_ERR_UPSTREAM_LIMIT_EXCEEDED/);
    });

    it('caps the data one message accumulates over many data: lines', () => {
      const parser = new SseParser({ maxLineBytes: 1000 });
      expect(codeOf(() => { for (let i = 0; i < 200; i++) parser.push('data: 0123456789\n'); })).to.match(/message's data exceeded http_client.max_line_bytes \(1000 bytes\)/);
      const fine = new SseParser({ maxLineBytes: 1000 });
      for (let i = 0; i < 200; i++) expect(fine.push('data: 0123456789\n\n')).to.have.length(1);
    });

    it('refuses a 10 MB line without a newline under a 1 MiB cap, in 64 KiB pieces, after reading little more than the cap', () => {
      const parser = new SseParser({ maxLineBytes: 1024 * 1024 });
      const piece = 'x'.repeat(64 * 1024);
      let fed = 0;
      const message = codeOf(() => { for (; fed < 10_000_000; fed += piece.length) parser.push(piece); });
      expect(message).to.equal('LIP_ERR_UPSTREAM_LIMIT_EXCEEDED 502 true an upstream line exceeded http_client.max_line_bytes (1048576 bytes)');
      expect(fed).to.be.lessThan(1024 * 1024 + piece.length);
    });

    it('takes a 10 MB line in 1 KiB pieces in linear time (each piece is scanned once)', function () {
      this.timeout(20_000); // linear: well under a second; the old re-scan took minutes
      const parser = new SseParser({ maxLineBytes: 11_000_000 });
      const piece = 'x'.repeat(1024);
      parser.push('data: ');
      for (let i = 0; i < 10_000; i++) parser.push(piece);
      const [message] = parser.push('\n\n');
      expect(message!.data).to.have.length(10_240_000);
    });

    it('holds a line that arrives in tiny pieces in about its own size, not a string per piece', () => {
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      const settle = () => { for (let i = 0; i < 4; i++) gc(); return process.memoryUsage().heapUsed; };
      const line = 4 * 1024 * 1024;
      const utf8 = new StringDecoder('utf8');
      const piece = Buffer.from('xx');
      const before = settle();
      const parser = new SseParser();
      parser.push('data: ');
      // Each piece its own string, as the body's decoder makes them from a 2-byte chunk.
      for (let fed = 0; fed < line; fed += piece.length) parser.push(utf8.write(piece));
      const held = settle() - before;
      expect(held, `${held} bytes of heap for a ${line}-byte line`).to.be.at.most(line * 1.5);
      expect(parser.push('\n\n')[0]!.data).to.have.length(line);
    });

    it('keeps \\r\\n split across pieces working with a line assembled from pieces', () => {
      const parser = new SseParser({ maxLineBytes: 50 });
      expect([...parser.push('data: a'), ...parser.push('b\r'), ...parser.push('\n\r'), ...parser.push('\n')]).to.deep.equal([{ event: 'message', data: 'ab' }]);
    });
  });
});
