import { expect } from 'chai';
import { emptyCall } from '../../../lib/canonical/index.js';
import type { Runtime } from '../../../lib/core/runtime.js';
import { backendOf, drain, runtimeFor, type Emulator } from '../../helpers/emulators/index.js';
import { anthropicErrorBody } from '../../helpers/emulators/anthropic-emulator.js';
import { geminiErrorBody } from '../../helpers/emulators/gemini-emulator.js';
import { openaiErrorBody } from '../../helpers/emulators/openai-chat-emulator.js';
import { KINDS } from '../kinds.js';

/**
 * Found by probing odd upstream replies. (1) A streamed request answered 200 with the provider's
 * error as one JSON body (compatible servers and gateways report errors so) failed as
 * LIP_ERR_UPSTREAM_MALFORMED "answered application/json instead of an event stream": the
 * provider's message was lost, and a transient error (a server error, an overload) was not
 * retried on the next candidate, where the same body answering a non-streamed request was. It is
 * now the error the kind's whole-answer decoder reads from it, retryable by its type.
 * (The byte order mark before a whole answer, found by the same probe: read-whole-response.spec.ts.)
 */
describe('regression: a 200 JSON error body answering a streamed request', function () {
  this.timeout(30_000);
  const call = (stream: boolean) => emptyCall({ model: 'm', stream, messages: [{ role: 'user', parts: [{ type: 'text', text: 'hi' }] }] });
  /** The provider's error body with a transient type, as its API writes it. */
  const transient: Record<string, (message: string) => unknown> = {
    'openai-chat': (message) => openaiErrorBody(500, { message, type: 'server_error' }),
    'openai-responses': (message) => openaiErrorBody(500, { message, type: 'server_error' }),
    anthropic: (message) => anthropicErrorBody(529, { message, type: 'overloaded_error' }),
    gemini: (message) => geminiErrorBody(503, { message, type: 'UNAVAILABLE' }),
  };
  const fatal: Record<string, (message: string) => unknown> = {
    'openai-chat': (message) => openaiErrorBody(404, { message, type: 'invalid_request_error', code: 'model_not_found' }),
    'openai-responses': (message) => openaiErrorBody(404, { message, type: 'invalid_request_error', code: 'model_not_found' }),
    anthropic: (message) => anthropicErrorBody(404, { message, type: 'not_found_error' }),
    gemini: (message) => geminiErrorBody(404, { message, type: 'NOT_FOUND' }),
  };

  // Found by the same probe: a 200 HTML page (a login portal, a gateway) answering a streamed
  // request was read as frames: an SSE kind reported "the stream ended before any output", and
  // Bedrock's binary framer read `<htm` as a frame of 1,013,478,509 bytes (LIMIT_EXCEEDED).
  for (const k of KINDS) {
    it(`${k.kind}: a 200 HTML page answering a streamed request is named, and retryable`, async () => {
      const emu = await k.start();
      const runtime = runtimeFor(k.row('b', emu));
      try {
        emu.handler = () => ({ headers: { 'content-type': 'text/html; charset=utf-8' }, rawFrames: ['<html><body>Please sign in</body></html>'] });
        const { events, error } = await drain(backendOf(runtime, 'b').stream(call(true), { model: 'm', candidateKey: 'b:m' }));
        expect(events).to.deep.equal([]);
        expect(error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED', retryable: true });
        expect(error!.message).to.equal('backend "b": malformed upstream stream: the upstream answered an HTML page (text/html; charset=utf-8) instead of an event stream');
      } finally {
        await runtime.close();
        await emu.close();
      }
    });
  }

  for (const k of KINDS.filter((kind) => transient[kind.kind] !== undefined)) {
    describe(k.kind, () => {
      let emu: Emulator;
      let runtime: Runtime;
      before(async () => {
        emu = await k.start();
        runtime = runtimeFor(k.row('b', emu));
      });
      afterEach(() => emu.reset());
      after(async () => {
        await runtime.close();
        await emu.close();
      });
      const run = (stream: boolean) => drain(backendOf(runtime, 'b').stream(call(stream), { model: 'm', candidateKey: 'b:m', ...(stream ? {} : { whole: true }) }));
      const answer = (body: unknown) => emu.enqueue({ headers: { 'content-type': 'application/json' }, rawFrames: [JSON.stringify(body)] });

      it('a streamed request answered 200 with an error body fails with the provider\'s message, retryable as the error is', async () => {
        for (const [errors, retryable] of [[transient, true], [fatal, false]] as const) {
          answer(errors[k.kind]!('the model is having a moment'));
          const { events, error } = await run(true);
          expect(events).to.deep.equal([]);
          expect(error, `retryable ${retryable}`).to.include({ code: 'LIP_ERR_UPSTREAM_STREAM_ERROR', retryable });
          expect(error!.message).to.contain('the model is having a moment');
        }
        // A JSON answer that is no error is still refused as no event stream.
        answer({ hello: 'world' });
        const other = await run(true);
        expect(other.error).to.include({ code: 'LIP_ERR_UPSTREAM_MALFORMED' });
        expect(other.error!.message).to.contain('instead of an event stream');
      });
    });
  }
});
