import { expect } from 'chai';
import fc from 'fast-check';
import { setTimeout as sleep } from 'node:timers/promises';
import { KINDS, type KindCase } from '../backends/kinds.js';
import type { Emulator, FaultScript, Script } from '../helpers/emulators/index.js';
import { startLipOverKinds, type LipOverKinds, type RunningLip } from '../helpers/lip.js';
import { fuzzParameters, fuzzTimeout } from './fuzz-parameters.js';

/**
 * Hostile traffic over real sockets: requests of the four client protocols, streamed or not,
 * routed through failover or races (with or without leaf budgets; answers broken after output
 * resumed where a kind takes a prefill) over the six HTTP backend kinds, whose wire-exact emulators answer with any fault (a reset before the first byte, after
 * it or after output, a stall before the headers, before the first token or after output, a
 * malformed frame, a stream that never ends, a line that never ends, a 400, 500 or 503; not a 401 or 429, which retire or cool down the backend's
 * only key for the rest of the run) or none, while the client leaves at any moment. Each
 * answer must be its protocol's own (a JSON body or an error envelope with a 4xx/5xx status, or
 * an event stream whose every data line is JSON), and once the clients are gone every upstream
 * call must be over: no emulator keeps a response open. Up to four such requests run at once
 * (each upstream finds its script by the request id lip forwards). lip keeps serving throughout.
 */

/** The HTTP kinds: SSE (four of them) and the binary event stream (Bedrock); the Codex endpoint is SSE like Responses. */
const USED = KINDS;
const idOf = (k: KindCase) => `h-${k.kind}`;

const fault: fc.Arbitrary<Pick<Script, 'fault' | 'status' | 'error'>> = fc.oneof(
  { weight: 3, arbitrary: fc.constant({}) },
  { weight: 4, arbitrary: fc.constantFrom<FaultScript>(
    { reset: 'before_first_byte' }, { reset: 'after_first_byte' }, { reset: 'after_output' },
    { stall: 'before_headers' }, { stall: 'before_first_token' }, { stall: 'after_output' },
    { malformedAt: 1 }, { endless: true }, { hugeLine: { bytes: 3_000_000, terminated: false } },
  ).map((f) => ({ fault: f })) },
  { weight: 2, arbitrary: fc.constantFrom(400, 500, 503).map((status) => ({ status, error: { message: `scripted ${status}` } })) },
);

interface Case {
  readonly frontend: 'openai-chat' | 'openai-responses' | 'anthropic' | 'gemini';
  readonly stream: boolean;
  readonly kinds: readonly number[];
  readonly race: boolean;
  readonly budgets: readonly (number | undefined)[];
  readonly faults: readonly Pick<Script, 'fault' | 'status' | 'error'>[];
  /** When the client gives up, in milliseconds (it always does, so that no stall waits for lip's own timeouts). */
  readonly leaveAfterMs: number;
}

const hostileCase: fc.Arbitrary<Case> = fc.record({
  frontend: fc.constantFrom('openai-chat' as const, 'openai-responses' as const, 'anthropic' as const, 'gemini' as const),
  stream: fc.boolean(),
  kinds: fc.uniqueArray(fc.nat(USED.length - 1), { minLength: 1, maxLength: 3 }),
  race: fc.boolean(),
  budgets: fc.array(fc.option(fc.constantFrom(20, 80, 200), { nil: undefined }), { minLength: 3, maxLength: 3 }),
  faults: fc.array(fault, { minLength: 3, maxLength: 3 }),
  leaveAfterMs: fc.integer({ min: 0, max: 400 }),
});

/** The request of `frontend` for `route`, as its clients write it. */
function requestOf(c: Case, base: string): { url: string; body: unknown; headers: Record<string, string> } {
  const text = 'Say hello.';
  switch (c.frontend) {
    case 'openai-chat': return { url: `${base}/v1/chat/completions`, body: { model: 'm', stream: c.stream, messages: [{ role: 'user', content: text }] }, headers: {} };
    case 'openai-responses': return { url: `${base}/v1/responses`, body: { model: 'm', stream: c.stream, input: text }, headers: {} };
    case 'anthropic': return { url: `${base}/v1/messages`, body: { model: 'm', stream: c.stream, max_tokens: 64, messages: [{ role: 'user', content: text }] }, headers: { 'anthropic-version': '2023-06-01' } };
    case 'gemini': return { url: `${base}/v1beta/models/m:${c.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`, body: { contents: [{ role: 'user', parts: [{ text }] }] }, headers: {} };
  }
}

/** An error body in the protocol's envelope. */
function checkError(frontend: Case['frontend'], body: unknown): void {
  const b = body as Record<string, any>;
  if (frontend === 'anthropic') {
    expect(b.type, 'anthropic error envelope').to.equal('error');
    expect(b.error?.message, 'anthropic error message').to.be.a('string');
  } else if (frontend === 'gemini') {
    expect(b.error?.code, 'gemini error code').to.be.a('number');
    expect(b.error?.status, 'gemini error status').to.be.a('string');
  } else {
    expect(b.error?.message, 'openai error message').to.be.a('string');
  }
}

describe('fuzz: hostile upstreams and clients that leave, over real sockets (no upstream call outlives its client)', function () {
  this.timeout(fuzzTimeout(6_000));
  let lip: RunningLip;
  let emulators: readonly Emulator[] = [];
  let running: LipOverKinds | undefined;
  before(async () => {
    // resume_after_output on: an answer broken after output is continued on a kind that takes a prefill (Anthropic, Bedrock).
    running = await startLipOverKinds(USED, idOf, 'max_attempts: 6, resume_after_output: { enabled: true }');
    ({ lip, emulators } = running);
  });
  after(() => running?.close());

  /** Sends one case (its upstreams find their scripts under `id`) and checks what came back; resolves once its client is gone. */
  const send = async (c: Case, id: string): Promise<void> => {
    const leaves = c.kinds.map((k, i) => `${c.budgets[i] !== undefined ? `[ttft_timeout=${c.budgets[i]}ms]` : ''}${idOf(USED[k]!)}:model-x`);
    const { url, body, headers } = requestOf(c, lip.url);
    const abort = new AbortController();
    const leave = setTimeout(() => abort.abort(), c.leaveAfterMs);
    try {
      const res = await fetch(url, {
        method: 'POST', signal: abort.signal, body: JSON.stringify(body),
        headers: { 'content-type': 'application/json', 'x-request-id': id, 'x-lip-route': leaves.join(c.race ? ' ! ' : ' | '), ...headers },
      });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      if (type.includes('text/event-stream')) {
        expect(res.status).to.equal(200);
        for (const line of text.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data !== '[DONE]') expect(() => JSON.parse(data), `an SSE data line: ${data.slice(0, 80)}`).not.to.throw();
        }
      } else {
        const parsed = JSON.parse(text) as unknown;
        if (res.status >= 400) checkError(c.frontend, parsed);
        else expect(res.status).to.equal(200);
      }
    } catch (err) {
      // The client left (or its socket was closed under it mid-stream): nothing to check of the answer.
      if (!abort.signal.aborted) expect((err as Error).name, String(err)).to.be.oneOf(['TypeError', 'AbortError']);
    } finally {
      clearTimeout(leave);
      abort.abort();
    }
  };

  it('every answer is its protocol\'s own, and every upstream response is closed once the clients are gone', async () => {
    let run = 0;
    await fc.assert(fc.asyncProperty(fc.array(hostileCase, { minLength: 1, maxLength: 4 }), async (cases) => {
      run++;
      const scripts = new Map<string, Script>();
      cases.forEach((c, n) => c.kinds.forEach((k, i) => scripts.set(`${USED[k]!.kind}/h${run}-${n}`, { text: ['Hello', ' there', '!'], usage: { input: 3, output: 3 }, ...c.faults[i] })));
      emulators.forEach((e, k) => {
        e.reset();
        e.handler = (request) => scripts.get(`${USED[k]!.kind}/${String(request.headers['x-request-id'])}`) ?? e.defaultScript;
      });
      await Promise.all(cases.map((c, n) => send(c, `h${run}-${n}`)));
      // Every upstream response ends (or is closed by lip) once the clients are gone.
      const deadline = Date.now() + 10_000;
      while (emulators.some((e) => e.openResponses > 0) && Date.now() < deadline) await sleep(5);
      expect(emulators.map((e) => e.openResponses), 'upstream responses still open').to.deep.equal(emulators.map(() => 0));
    }), fuzzParameters(0.1));
    // And lip still answers.
    for (const e of emulators) {
      e.reset();
      e.handler = undefined;
    }
    const res = await fetch(`${lip.url}/v1/chat/completions`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-lip-route': `${idOf(USED[0]!)}:model-x` },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).to.equal(200);
  });
});
