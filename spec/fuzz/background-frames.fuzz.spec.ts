import { expect } from 'chai';
import fc from 'fast-check';
import { LipError } from '../../lib/errors/index.js';
import { ResponsesStreamEncoder, decodeResponsesRequest } from '../../lib/frontends/openai-responses/index.js';
import { BackgroundRun } from '../../lib/server/background-runs.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';
import { cut, decodeStream, recordedStreams, STREAM_KINDS } from './stream-harness.js';

const decoded = decodeResponsesRequest({
  model: 'm', input: 'hi', background: true, stream: true, include: ['web_search_call.action.sources'],
  tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }, { type: 'custom', name: 'apply_patch' }, { type: 'web_search' }],
});

/**
 * A background response's stream is resumed by sequence number (`starting_after`), which the
 * run finds by frame index: whatever an upstream of any kind streams (its recorded streams, cut
 * anywhere and truncated anywhere), the Responses stream a run keeps must be frames that each
 * carry their own index as `sequence_number`, and that join up to exactly what was encoded.
 */
describe('fuzz: a background response\'s kept frames are its sequence numbers', function () {
  this.timeout(fuzzTimeout(60));

  for (const kind of Object.keys(STREAM_KINDS)) {
    const streams = recordedStreams(kind);
    it(`every ${kind} upstream stream, cut and truncated anywhere, is kept frame by frame at its sequence numbers`, async () => {
      await fc.assert(fc.asyncProperty(
        fc.constantFrom(...streams), fc.array(fc.nat(), { maxLength: 8 }), fc.nat(), fc.boolean(),
        async (stream, offsets, end, failing) => {
          const bytes = Buffer.from(stream.text, 'utf8');
          const truncated = bytes.subarray(0, end % (bytes.length + 1));
          const { events, error } = await decodeStream(kind, cut(truncated, offsets), { hangMs: 5_000 });
          const encoder = new ResponsesStreamEncoder({ call: decoded.call, model: undefined, hints: decoded.hints!, requestId: 'r', created: 1_700_000_000, responseId: 'resp_fuzz', continuation: decoded.continuation! });
          const run = new BackgroundRun('resp_fuzz', 'alice', { requestId: 'r', startedAt: 0, routeGroup: '' }, true, () => undefined);
          let text = '';
          const push = (t: string) => {
            text += t;
            run.push(t);
          };
          try {
            for (const event of events) push(encoder.event(event));
          } catch (err) {
            // A response too large for the encoder's bounds fails as it would on a socket.
            expect(err).to.be.instanceOf(LipError);
            push(encoder.error(err as LipError));
          }
          push(error !== undefined || failing ? encoder.error(error ?? new LipError('LIP_ERR_REQUEST_CANCELLED', 'cancelled')) : encoder.end());
          expect(run.frames!.join('')).to.equal(text);
          run.frames!.forEach((frame, i) => {
            expect(frame).to.match(/^event: [a-z_.]+\ndata: \{[^\n]*\}\n\n$/);
            expect(JSON.parse(frame.slice(frame.indexOf('data: ') + 6)).sequence_number, frame.slice(0, 200)).to.equal(i);
          });
          // Resumed after any of them: exactly the frames after it.
          const after = run.frames!.length === 0 ? -1 : end % run.frames!.length;
          const resumed: string[] = [];
          run.follow(after, (frame) => { if (frame !== undefined) resumed.push(frame); });
          expect(resumed).to.deep.equal(run.frames!.slice(after + 1));
        },
      ), fuzzParameters(0.5));
    });
  }
});
