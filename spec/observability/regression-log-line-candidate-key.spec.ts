import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { createRuntime } from '../../lib/core/runtime.js';
import { createLogger } from '../../lib/observability/logger.js';
import { LipServer } from '../../lib/server/lip-server.js';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { until } from '../helpers/hostile-rig.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

/**
 * Regression (found by probing): the candidate key is client text (the selector's model part),
 * and it went into log lines uncut: `candidate_key` and `reason` of an attempt line (a leaf
 * ttft_timeout's message repeats the key) and `backend` of the access line. A 4 KiB selector of
 * zero-width spaces (6 bytes each once escaped in the text format) made a 49,013-byte attempt
 * line and a 31,035-byte access line, past the 16 KiB at which log shippers split lines. The
 * attempt span's status message (the same error message) was uncut too, where every attribute
 * is cut to 1,024 characters.
 */
describe('regression: log lines built from a long selector stay below 16 KiB', function () {
  this.timeout(30_000);
  const ZW = '\u200b';
  const LINE_LIMIT = 16 * 1024;
  /** Runs of zero-width spaces (raw or escaped) counted, so that a failure reads. */
  const shown = (text: string) => text.replace(/(?:\u200b|\\u200b)+/g, (run) => `<ZW×${run.split(/\u200b|\\u200b/).length - 1}>`);

  for (const format of ['json', 'text'] as const) {
    describe(`logging.format: ${format}`, () => {
      let upstream: Emulator;
      let receiver: OtlpReceiver;
      let server: LipServer;
      const lines: string[] = [];
      before(async () => {
        upstream = await startOpenAIChatEmulator();
        receiver = await startOtlpReceiver();
        const config = testConfig(`  - { id: b0, kind: openai-chat, base_url: "${upstream.url}", api_key: "k-0123456789" }`,
          `logging: { access_log: true, format: ${format} }\nobservability: { tracing: { enabled: true } }\nrouting: { default_route: "b0:m" }`);
        const stream = new PassThrough();
        stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
        const logger = createLogger({ level: 'info', format, stream });
        server = new LipServer(createRuntime(config, { logger }), logger, { tracing: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url } } });
        await server.listen('127.0.0.1', 0);
      });
      after(async () => {
        await server?.shutdown(1_000);
        await upstream?.close();
        await receiver?.close();
      });

      const chat = async (requestId: string, model: string) => {
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': requestId },
          body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
        });
        await res.text();
        return res.status;
      };
      const linesOf = (requestId: string) => lines.filter((l) => l.includes(requestId));
      const accessLine = (requestId: string) => linesOf(requestId).find((l) => (format === 'json' ? l.includes('"message":"request"') : / INFO {2}request /.test(l)));

      it('an attempt that failed its leaf ttft_timeout: the attempt line, the access line and the span status message are cut', async () => {
        upstream.enqueue({ fault: { stall: 'before_first_token' } });
        expect(await chat(`ttft-${format}`, `[ttft_timeout=100ms]b0:${ZW.repeat(4_060)}`)).to.be.within(500, 599);
        await until(() => accessLine(`ttft-${format}`) !== undefined, 'the access line');
        const mine = linesOf(`ttft-${format}`);
        const attempt = mine.find((l) => l.includes('attempt failed'));
        expect(attempt, 'the attempt line').to.be.a('string');
        for (const line of mine) expect(Buffer.byteLength(line), shown(line).slice(0, 200)).to.be.lessThan(LINE_LIMIT);
        if (format === 'json') {
          const fields = JSON.parse(attempt!) as Record<string, string>;
          expect(shown(fields.candidate_key!)).to.equal('b0:<ZW×1021>…(+3039 chars)');
          expect(shown(fields.reason!)).to.equal('LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT: b0:<ZW×988>…(+3117 chars)');
        } else {
          expect(shown(attempt!)).to.include(' candidate_key="b0:<ZW×1021>…(+3039 chars)" ');
        }
        await server.flushTraces();
        await until(() => receiver.spans.some((s) => s.attributes['error.type'] === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT'), 'the attempt span');
        const span = receiver.spans.find((s) => s.attributes['error.type'] === 'LIP_ERR_ROUTE_LEAF_TTFT_TIMEOUT')!;
        expect(span.status?.code).to.equal(2); // ERROR
        expect(span.status?.message).to.have.length.within(1, 1024);
      });

      it('an answered request: the access line\'s backend is cut like its model', async () => {
        expect(await chat(`served-${format}`, `b0:${ZW.repeat(4_090)}`)).to.equal(200);
        await until(() => accessLine(`served-${format}`) !== undefined, 'the access line');
        const line = accessLine(`served-${format}`)!;
        expect(Buffer.byteLength(line)).to.be.lessThan(LINE_LIMIT);
        if (format === 'json') expect(shown((JSON.parse(line) as Record<string, string>).backend!)).to.equal('b0:<ZW×1021>…(+3069 chars)');
        else expect(shown(line)).to.include(' backend="b0:<ZW×1021>…(+3069 chars)" ');
      });
    });
  }
});
