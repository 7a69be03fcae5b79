import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { emptyCall } from '../../../lib/canonical/index.js';
import { errorMessageOf } from '../../../lib/backends/http/error-message-of.js';
import { MAX_ERROR_BODY_BYTES, parseJsonOrUndefined } from '../../../lib/backends/http/read-body-text.js';
import { backendOf, drain, runtimeFor } from '../../helpers/emulators/index.js';

/**
 * Found by probing large upstream error bodies: lip reads at most 64 KiB of one (right), but a
 * JSON body cut there no longer parses, and the client got the first 1,000 characters of raw
 * JSON instead of the provider's message. Bodies that large are ordinary: FastAPI/pydantic
 * servers (vLLM, many routers) echo the whole request in `detail[].input`, gateways quote the
 * prompt. The first complete `message` (or `msg`) member of the cut text is now the message.
 */
describe('regression: an upstream error body cut at 64 KiB keeps the provider message', function () {
  this.timeout(30_000);
  const pad = 'x'.repeat(2 * MAX_ERROR_BODY_BYTES);
  const cut = (value: unknown) => JSON.stringify(value).slice(0, MAX_ERROR_BODY_BYTES);

  it('reads the first complete message member of JSON text that does not parse', () => {
    const openai = cut({ error: { message: "Invalid 'messages[0].content': \"quoted\" \\ text", type: 'invalid_request_error' }, echo: pad });
    expect(parseJsonOrUndefined(openai)).to.equal(undefined);
    expect(errorMessageOf(undefined, openai).message).to.equal("Invalid 'messages[0].content': \"quoted\" \\ text");
    const pydantic = cut({ detail: [{ type: 'missing', loc: ['body', 'model'], msg: 'Field required', input: { messages: [{ role: 'user', content: pad }] } }] });
    expect(errorMessageOf(undefined, pydantic).message).to.equal('Field required');
    const bedrock = cut({ Message: 'Input is too long for requested model.', pad });
    expect(errorMessageOf(undefined, bedrock).message).to.equal('Input is too long for requested model.');
  });

  it('keeps the text when no message member is complete, and names an HTML page as before', () => {
    const late = cut({ error: { pad, message: 'too late' } });
    expect(errorMessageOf(undefined, late).message).to.equal(late);
    expect(errorMessageOf(undefined, '{"message": "unterminated').message).to.equal('{"message": "unterminated');
    expect(errorMessageOf(undefined, '<!DOCTYPE html><p>Bad gateway</p>').message).to.equal('the upstream answered with an HTML page');
    expect(errorMessageOf(undefined, 'plain text').message).to.equal('plain text');
  });

  it('an attempt answered 400 with a 200 KB body fails with the provider message', async () => {
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'This model does not support tools.', type: 'invalid_request_error' }, request: { pad } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`);
    try {
      const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      const { error } = await drain(backendOf(runtime, 'b').stream(call, { model: 'm', candidateKey: 'b:m' }));
      expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
      expect(error!.message).to.equal('backend "b": upstream status 400: This model does not support tools.');
    } finally {
      await runtime.close();
      server.closeAllConnections();
      server.close();
    }
  });

  // Found by probing odd upstream replies: an error status whose body stalled (until body_timeout)
  // or broke off failed the attempt as LIP_ERR_UPSTREAM_BODY_TIMEOUT / RESET, retryable: a 400 was
  // retried on the next candidate, a 429 lost its Retry-After and cooled no key down.
  it('an error status whose body stalls or breaks off keeps its status, and what of its body came', async () => {
    let ending: 'stall' | 'reset' = 'stall';
    let status = 400;
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '7' } : {}) });
        res.write('{"error":{"message":"That model is not here.","type":"invalid_request_error"},"request":{"pad":"');
        if (ending === 'reset') setTimeout(() => res.socket?.resetAndDestroy(), 20);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const runtime = runtimeFor(`  - { id: b, kind: openai-chat, base_url: "http://127.0.0.1:${(server.address() as AddressInfo).port}/v1", api_key: k-0123456789 }`, {}, 'http_client: { body_timeout: 300ms }');
    try {
      const call = emptyCall({ model: 'm', stream: true, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
      for (const [end, code] of [['stall', 400], ['reset', 400], ['stall', 429]] as const) {
        ending = end;
        status = code;
        const { error } = await drain(backendOf(runtime, 'b').stream(call, { model: 'm', candidateKey: 'b:m' }));
        if (code === 400) {
          expect(error, end).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 400, retryable: false });
          expect(error!.message).to.equal('backend "b": upstream status 400: That model is not here.');
        } else {
          // One key, cooled down by the 429's Retry-After: the client is told when it recovers.
          expect(error, end).to.include({ status: 429 });
          expect(error!.retryAfter).to.be.within(6, 7);
        }
      }
    } finally {
      await runtime.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
