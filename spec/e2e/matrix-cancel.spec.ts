import { expect } from 'chai';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { FRONTENDS } from '../../lib/frontends/registry.js';
import { KINDS } from '../backends/kinds.js';
import type { Emulator } from '../helpers/emulators/index.js';
import { testConfig } from '../helpers/config.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/** The smallest streaming request of each client protocol, for a model (path and body). */
const REQUESTS: Record<string, (model: string) => { path: string; body: unknown }> = {
  'openai-chat': (model) => ({ path: '/v1/chat/completions', body: { model, stream: true, messages: [{ role: 'user', content: 'hi' }] } }),
  'openai-responses': (model) => ({ path: '/v1/responses', body: { model, stream: true, input: 'hi' } }),
  anthropic: (model) => ({ path: '/v1/messages', body: { model, stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] } }),
  gemini: (model) => ({ path: `/v1beta/models/${model}:streamGenerateContent?alt=sse`, body: { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] } }),
};

/**
 * Cancellation is sacred: a client that disconnects mid-stream, through any frontend, to any
 * backend kind, makes the upstream (the emulator) see its connection close within 100 ms.
 */
describe('e2e: a client disconnect closes the upstream connection within 100 ms', function () {
  let lip: RunningLip;
  const emulators = new Map<string, Emulator>();
  before(async () => {
    for (const k of KINDS) emulators.set(k.kind, await k.start());
    lip = await startLip(testConfig(KINDS.map((k) => k.row(`b-${k.kind}`, emulators.get(k.kind)!)).join('\n')));
    // Warm every path once (JIT, connection pools), so that the timings measure lip, not startup.
    for (const frontend of Object.keys(REQUESTS)) {
      for (const k of KINDS) {
        const { path, body } = REQUESTS[frontend]!(`b-${k.kind}:model-x`);
        await httpRequest(`${lip.url}${path}`, { body: JSON.stringify(body), headers: { authorization: 'Bearer k' } });
      }
    }
  });
  after(async () => {
    await lip?.close();
    await Promise.all([...emulators.values()].map((e) => e.close()));
  });

  for (const frontend of Object.keys(FRONTENDS)) {
    for (const k of KINDS) {
      it(`${frontend} -> ${k.kind}`, async () => {
        const make = REQUESTS[frontend];
        if (!make) throw new Error(`no minimal request for the frontend "${frontend}"`);
        const emu = emulators.get(k.kind)!;
        emu.reset();
        emu.enqueue({ text: Array.from({ length: 40 }, (_, i) => `tok${i} `), dripMs: 25 });
        const closed = emu.nextClose();
        const { path, body } = make(`b-${k.kind}:model-x`);
        const disconnectedAt = await new Promise<number>((resolve, reject) => {
          const req = request(`${lip.url}${path}`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json', authorization: 'Bearer k' } }, (res) => {
            let seen = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              seen += chunk;
              if (!seen.includes('tok1')) return;
              const at = performance.now();
              req.destroy();
              resolve(at);
            });
            res.on('end', () => reject(new Error(`the stream ended before output: ${res.statusCode} ${seen}`)));
          });
          req.on('error', () => undefined);
          req.end(JSON.stringify(body));
        });
        const close = await closed;
        // Recorded only for a close before the response ended: the disconnect cut it short.
        expect(close.at).to.be.at.least(disconnectedAt);
        expect(emu.requests).to.have.length(1);
      });
    }
  }
});
