import { expect } from 'chai';
import { request } from 'node:http';
import { CLIENT_DRIVERS } from '../helpers/clients/index.js';
import { expectEnvelope, okText, WIRE_PROTOCOLS, type WireProtocol } from '../helpers/hostile-protocols.js';
import { BODY_LIMIT, startHostileRig, STUB_TEXT, type HostileRig } from '../helpers/hostile-rig.js';
import { rawExchange, type RawAnswer } from '../helpers/raw-http.js';

/** A header value lip may write: no CR, LF or other control character (what node:http accepts). */
const LEGAL_HEADER = /^[\t\x20-\x7e\x80-\xff]*$/;
const MODES = [false, true] as const;
const mode = (stream: boolean) => (stream ? 'streamed' : 'not streamed');

/** The request line and headers of a POST of this protocol (no blank line; see rawExchange). */
function head(p: WireProtocol, model: string, stream: boolean, headers = ''): Buffer {
  return Buffer.from(`POST ${p.path(model, stream)} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json${headers ? `\r\n${headers}` : ''}`, 'utf8');
}
const bodyOf = (p: WireProtocol, model: string, stream: boolean, text?: string) => JSON.stringify(p.body(model, stream, text));
/** The code an envelope names, or for Anthropic (whose envelope has none) the one we expected. */
const codeOf = (p: WireProtocol, res: RawAnswer, status: number, expected: string) => expectEnvelope(p.id, res, status) ?? expected;
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepSchema = (depth: number) => `${'{"type":"array","items":'.repeat(depth)}{"type":"string"}${'}'.repeat(depth)}`;

/**
 * Hostile client input on all four protocols, streamed and not, against a spawned `lip serve`
 * (the process must survive: an in-process server cannot prove that). After every case the
 * process is alive and each protocol answers a normal request with the right text.
 */
describe('e2e: hostile client input against a spawned lip serve', function () {
  this.timeout(120_000);
  let rig: HostileRig;
  before(async () => { rig = await startHostileRig(); });
  after(() => rig?.close());
  beforeEach(() => rig.ensureRunning());

  describe('odd model names through the official SDKs', () => {
    const ODD = ['stub:😀', 'stub:日本語のモデル', 'stub:😀日本語🚀', `stub:${'é'.repeat(300)}`, 'stub:a\u2028b\u00a0c\ufeff', '😀 no backend named'];
    for (const p of WIRE_PROTOCOLS) {
      for (const stream of MODES) {
        it(`${p.id}, ${mode(stream)}: non-ASCII models are served, and X-LIP-Backend stays a legal header`, async () => {
          for (const model of ODD) {
            const result = await CLIENT_DRIVERS[p.id]!.run(rig.url, { model, stream, messages: [{ role: 'user', text: 'hi' }] });
            expect(result.error, `${JSON.stringify(model)}: ${JSON.stringify(result.error)}`).to.equal(undefined);
            expect(result.text, JSON.stringify(model)).to.equal(STUB_TEXT);
            const raw = await rawExchange(rig.url, head(p, model, stream), bodyOf(p, model, stream));
            expect(raw.status, raw.body).to.equal(200);
            expect(raw.headers['x-lip-backend']).to.match(/^stub:/).and.to.match(LEGAL_HEADER);
          }
          await rig.alive();
        });

        it(`${p.id}, ${mode(stream)}: control characters and CRLF in the model are a 400 naming the column`, async () => {
          // A lone surrogate cannot travel in a URL path (it becomes U+FFFD), so Gemini skips it.
          for (const model of ['stub:a\r\nX-Injected: yes', 'stub:😀日本\r\nX-Injected: yes', 'stub:\u0000', 'stub:a\u001b[31mb', ...(p.id === 'gemini' ? [] : ['stub:\ud800'])]) {
            const result = await CLIENT_DRIVERS[p.id]!.run(rig.url, { model, stream, messages: [{ role: 'user', text: 'hi' }] });
            expect(result.error?.status, JSON.stringify(model)).to.equal(400);
            const raw = await rawExchange(rig.url, head(p, model, stream), bodyOf(p, model, stream));
            expect(codeOf(p, raw, 400, 'LIP_ERR_ROUTE_INVALID_SELECTOR')).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
            expect(raw.body).to.match(/column \d+/);
            expect(raw.headerNames).not.to.include('x-injected');
          }
          await rig.alive();
        });
      }
    }
  });

  describe('hostile header values (raw bytes on the socket)', () => {
    for (const p of WIRE_PROTOCOLS) {
      for (const stream of MODES) {
        it(`${p.id}, ${mode(stream)}: UTF-8 in X-LIP-Route and X-Request-Id is served; a bad X-LIP-Session-Id is a 400`, async () => {
          const body = bodyOf(p, 'm', stream);
          for (const route of ['stub:😀', 'stub:日本|stub:m', `[ttft_timeout=5s]stub:${'ü'.repeat(100)}`]) {
            const res = await rawExchange(rig.url, head(p, 'm', stream, `X-LIP-Route: ${route}`), body);
            expect(okText(p, res, stream), route).to.equal(STUB_TEXT);
            expect(res.headers['x-lip-backend']).to.match(/^stub:/).and.to.match(LEGAL_HEADER);
          }
          const id = await rawExchange(rig.url, head(p, 'm', stream, 'X-Request-Id: 日本😀\x80\xff'), body);
          expect(okText(p, id, stream)).to.equal(STUB_TEXT);
          expect(id.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
          for (const session of ['日本😀', 'a b', 'x'.repeat(10_000)]) {
            const res = await rawExchange(rig.url, head(p, 'm', stream, `X-LIP-Session-Id: ${session}`), body);
            // Past the session id's length, a length bound may answer first.
            const allowed = session.length > 128 ? ['LIP_ERR_REQUEST_INVALID', 'LIP_ERR_REQUEST_LIMIT_EXCEEDED'] : ['LIP_ERR_REQUEST_INVALID'];
            expect(codeOf(p, res, 400, 'LIP_ERR_REQUEST_INVALID'), session.slice(0, 20)).to.be.oneOf(allowed);
            expect(res.headers['x-lip-session-id'] ?? '').not.to.include(session.slice(0, 20));
          }
          await rig.alive();
        });

        it(`${p.id}, ${mode(stream)}: selector text with a tab, a doubled operator or 17 legs is a 400 naming the column`, async () => {
          const body = bodyOf(p, 'm', stream);
          for (const route of ['stub:a\tb', 'stub:m!!stub:m', 'stub:m||', Array(17).fill('stub:m').join('!')]) {
            const res = await rawExchange(rig.url, head(p, 'm', stream, `X-LIP-Route: ${route}`), body);
            expect(codeOf(p, res, 400, 'LIP_ERR_ROUTE_INVALID_SELECTOR'), route.slice(0, 40)).to.equal('LIP_ERR_ROUTE_INVALID_SELECTOR');
            expect(res.body).to.match(/column \d+/);
          }
          // 1,200 legs (8,400 characters): refused by length before it is parsed or cached.
          const long = await rawExchange(rig.url, head(p, 'm', stream, `X-LIP-Route: ${Array(1200).fill('stub:m').join('!')}`), body);
          expect(codeOf(p, long, 400, 'LIP_ERR_REQUEST_LIMIT_EXCEEDED')).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
          await rig.alive();
        });
      }
    }

    it('control characters, a bare CR or LF and obs-fold in a header are refused with 400 and the connection closes', async () => {
      const p = WIRE_PROTOCOLS[0]!;
      for (const bad of ['X-LIP-Route: stub:a\x01b', 'X-LIP-Route: stub:a\rb', 'X-LIP-Route: stub:a\nX-Evil: 1', 'X-LIP-Route: stub:a\r\n b', 'X-LIP-Session-Id: s\x00', 'X-Request-Id: r\x7f']) {
        const res = await rawExchange(rig.url, head(p, 'm', false, bad), bodyOf(p, 'm', false));
        expect(res.status, JSON.stringify(bad)).to.equal(400);
      }
      await rig.alive();
    });

    it('a header the HTTP parser refuses still gets a JSON error envelope', async () => {
      const p = WIRE_PROTOCOLS[0]!;
      const res = await rawExchange(rig.url, head(p, 'm', false, 'X-LIP-Route: stub:a\x01b'), bodyOf(p, 'm', false));
      expect(expectEnvelope('plain', res, 400)).to.equal('LIP_ERR_REQUEST_INVALID');
      await rig.alive();
    });
  });

  describe('structure and size of the body', () => {
    for (const p of WIRE_PROTOCOLS) {
      for (const stream of MODES) {
        it(`${p.id}, ${mode(stream)}: 100,000-level nesting anywhere in the body is a 400 (limit), not a stack overflow`, async () => {
          const base = p.body('stub:m', stream) as Record<string, unknown>;
          const bodies = [
            { ...base, x: '§' },
            p.id === 'gemini' ? { ...base, contents: '§' } : p.id === 'openai-responses' ? { ...base, input: '§' } : { ...base, messages: [{ role: 'user', content: '§' }] },
            p.id === 'gemini' ? { ...base, tools: [{ functionDeclarations: [{ name: 'f', parameters: '§' }] }] }
              : p.id === 'anthropic' ? { ...base, tools: [{ name: 'f', input_schema: '§' }] }
              : p.id === 'openai-responses' ? { ...base, tools: [{ type: 'function', name: 'f', parameters: '§' }] }
              : { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: '§' } }] },
          ];
          for (const [i, shape] of bodies.entries()) {
            const text = JSON.stringify(shape).replace('"§"', i === 2 ? `{"type":"object","properties":{"a":${deepSchema(5_000)}}}` : nested(100_000));
            const res = await rawExchange(rig.url, head(p, 'stub:m', stream), text);
            expect(codeOf(p, res, 400, 'LIP_ERR_REQUEST_LIMIT_EXCEEDED'), `shape ${i}`).to.equal('LIP_ERR_REQUEST_LIMIT_EXCEEDED');
            expect(res.body).to.match(/nest|depth/i);
          }
          await rig.alive();
        });

        it(`${p.id}, ${mode(stream)}: a body of exactly max_request_body_bytes is served, one byte more is a 413`, async () => {
          const empty = bodyOf(p, 'stub:m', stream, '');
          const exact = bodyOf(p, 'stub:m', stream, 'a'.repeat(BODY_LIMIT - Buffer.byteLength(empty)));
          expect(Buffer.byteLength(exact)).to.equal(BODY_LIMIT);
          expect(okText(p, await rawExchange(rig.url, head(p, 'stub:m', stream), exact), stream)).to.equal(STUB_TEXT);
          const over = bodyOf(p, 'stub:m', stream, 'a'.repeat(BODY_LIMIT + 1 - Buffer.byteLength(empty)));
          expect(codeOf(p, await rawExchange(rig.url, head(p, 'stub:m', stream), over), 413, 'LIP_ERR_REQUEST_TOO_LARGE')).to.equal('LIP_ERR_REQUEST_TOO_LARGE');
          const chunked = await chunkedPost(`${rig.url}${p.path('stub:m', stream)}`, [over.slice(0, 1000), over.slice(1000)]);
          expect(codeOf(p, chunked, 413, 'LIP_ERR_REQUEST_TOO_LARGE')).to.equal('LIP_ERR_REQUEST_TOO_LARGE');
          await rig.alive();
        });

        it(`${p.id}, ${mode(stream)}: invalid UTF-8 in a string, outside one or in the model is a 400 naming the byte by line and column (nothing replaced)`, async () => {
          const [before, after] = bodyOf(p, 'stub:m', stream, '§').split('§') as [string, string];
          const inText = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe6, 0x97]), Buffer.from(after)]);
          const inTextRes = await rawExchange(rig.url, head(p, 'stub:m', stream), inText);
          expect(codeOf(p, inTextRes, 400, 'LIP_ERR_REQUEST_INVALID_JSON')).to.equal('LIP_ERR_REQUEST_INVALID_JSON');
          expect(inTextRes.body).to.contain(`not UTF-8: byte 0xFF at line 1, column ${before.length + 1} (byte ${before.length})`);
          const outside = Buffer.concat([Buffer.from('{'), Buffer.from([0xff]), Buffer.from(before.slice(1)), Buffer.from(after)]);
          const res = await rawExchange(rig.url, head(p, 'stub:m', stream), outside);
          expect(codeOf(p, res, 400, 'LIP_ERR_REQUEST_INVALID_JSON')).to.equal('LIP_ERR_REQUEST_INVALID_JSON');
          expect(res.body).to.match(/line 1, column 2/);
          if (p.id !== 'gemini') {
            const [mb, ma] = bodyOf(p, '§', stream).split('§') as [string, string];
            const badModel = await rawExchange(rig.url, head(p, 'x', stream), Buffer.concat([Buffer.from(`${mb}stub:`), Buffer.from([0xf0, 0x9f]), Buffer.from(ma)]));
            expect(codeOf(p, badModel, 400, 'LIP_ERR_REQUEST_INVALID_JSON')).to.equal('LIP_ERR_REQUEST_INVALID_JSON');
            expect(badModel.body).to.contain(`not UTF-8: byte 0xF0 at line 1, column ${mb.length + 6}`);
          } else {
            const badPath = await rawExchange(rig.url, Buffer.from(`POST /v1beta/models/stub%3A%FF%F0%9F:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'} HTTP/1.1\r\nHost: localhost`), bodyOf(p, 'x', stream));
            expect(badPath.status, badPath.body).to.be.oneOf([200, 400]);
            if (badPath.status === 400) expectEnvelope('gemini', badPath, 400);
          }
          await rig.alive();
        });
      }
    }
  });

  describe('unknown paths and methods', () => {
    it('answer 404 / 405 in the envelope of the protocol the path belongs to (plain elsewhere), whatever the path holds', async () => {
      const cases: [string, number, string | undefined, 'plain' | 'anthropic' | 'gemini'][] = [
        ['GET /nope', 404, 'LIP_ERR_HTTP_NOT_FOUND', 'plain'],
        ['POST /v1/chat/completions/../../etc/passwd', 404, 'LIP_ERR_HTTP_NOT_FOUND', 'plain'],
        ['GET /v1/%00%0d%0aX-Evil:%201', 404, 'LIP_ERR_HTTP_NOT_FOUND', 'plain'],
        ['GET /v1beta/models/%ZZ:generateContent', 405, 'LIP_ERR_HTTP_METHOD_NOT_ALLOWED', 'gemini'],
        ['DELETE /v1/messages', 405, undefined, 'anthropic'],
        ['PUT /v1/responses', 405, 'LIP_ERR_HTTP_METHOD_NOT_ALLOWED', 'plain'],
        ['OPTIONS /v1/chat/completions', 405, 'LIP_ERR_HTTP_METHOD_NOT_ALLOWED', 'plain'],
        [`GET /${'%F0%9F%98%80'.repeat(500)}`, 404, 'LIP_ERR_HTTP_NOT_FOUND', 'plain'],
      ];
      for (const [line, status, code, protocol] of cases) {
        const res = await rawExchange(rig.url, `${line} HTTP/1.1\r\nHost: localhost`, '{}');
        expect(expectEnvelope(protocol, res, status), line).to.equal(code);
        expect(res.headerNames).not.to.include('x-evil');
      }
      await rig.alive();
    });

    it('a request target is a path even when it begins with //, an absolute URL keeps its own path, and anything else is a 400', async () => {
      const plain = (line: string, body = '{}') => rawExchange(rig.url, `${line} HTTP/1.1\r\nHost: localhost`, body);
      // `//v1/models` is the path //v1/models (not the host v1 and the path /models).
      const doubled = await plain('GET //v1/models');
      expect(expectEnvelope('plain', doubled, 404)).to.equal('LIP_ERR_HTTP_NOT_FOUND');
      expect(doubled.body).to.contain('no route for GET //v1/models');
      const hostLike = await plain('GET //evil.example/v1/models');
      expect(expectEnvelope('plain', hostLike, 404)).to.equal('LIP_ERR_HTTP_NOT_FOUND');
      expect(hostLike.body).to.contain('//evil.example/v1/models');
      // The absolute form (a client that takes lip for a forward proxy) is served by its path.
      expect((await plain(`GET ${rig.url}/v1/models`)).status).to.equal(200);
      // An absolute target that is no URL was an internal error (500); it is the client's 400.
      for (const line of ['GET http://[', 'GET http://[::1/v1/models', 'OPTIONS *']) {
        const res = await plain(line);
        expect(expectEnvelope('plain', res, 400), line).to.equal('LIP_ERR_REQUEST_INVALID');
        expect(res.body, line).to.contain('is not a path (/...) or an absolute URL');
      }
      await rig.alive();
    });

    it('an HTTP/1.1 request without Host is a 400 in the envelope of its path; HTTP/1.0 needs none', async () => {
      const noHost = await rawExchange(rig.url, 'POST /v1/chat/completions HTTP/1.1', '{}');
      expect(expectEnvelope('plain', noHost, 400)).to.equal('LIP_ERR_REQUEST_INVALID');
      expect(noHost.body).to.contain('an HTTP/1.1 request needs a Host header');
      const anthropic = await rawExchange(rig.url, 'POST /v1/messages HTTP/1.1', '{}');
      expectEnvelope('anthropic', anthropic, 400);
      const old = await rawExchange(rig.url, 'GET /v1/models HTTP/1.0');
      expect(old.status).to.equal(200);
      await rig.alive();
    });

    it('a method or path the HTTP parser refuses is a 4xx and the connection closes', async () => {
      const cases: [Buffer, number][] = [
        [Buffer.from('BREW /coffee HTTP/1.1\r\nHost: localhost'), 400],
        [Buffer.from('GET /v1/😀 HTTP/1.1\r\nHost: localhost'), 400],
        [Buffer.from(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: localhost`), 431],
      ];
      for (const [line, status] of cases) expect((await rawExchange(rig.url, line)).status, line.toString().slice(0, 30)).to.equal(status);
      await rig.alive();
    });
  });
});

/** POSTs `parts` with Transfer-Encoding: chunked (no Content-Length) and reads the answer. */
function chunkedPost(url: string, parts: readonly string[]): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, headerNames: Object.keys(res.headers), body }));
    });
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}
