import { expect } from 'chai';
import { SSE_KEEPALIVE, SseParser, sseComment, sseFrame, sseJson } from '../../lib/wire/sse.js';

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
});
