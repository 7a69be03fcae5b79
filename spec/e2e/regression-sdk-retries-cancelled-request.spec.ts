import Anthropic from '@anthropic-ai/sdk';
import { expect } from 'chai';
import OpenAI from 'openai';
import { testConfig } from '../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../helpers/lip.js';
import { httpRequest } from '../helpers/sse-client.js';

/** An SDK call of one conversation, and what the SDK threw for it. */
interface Sdk {
  readonly name: string;
  /** A first call: its conversation's A-leg id and resume token. */
  open(): Promise<{ aLegId: string; token: string }>;
  /** A call in that conversation (the resume token in its headers), rejected with the SDK's APIError. */
  ask(token: string, stream: boolean): Promise<unknown>;
}

/**
 * Both official SDKs retry every 408, 409, 429 and 5xx answer (twice by default) unless the
 * answer says `x-should-retry: false`. A request cancelled through its conversation's cancel
 * endpoint answered 409 without it, so the SDK sent it again at once and the cancel did nothing:
 * the client saw the 409, then a second HTTP call and a 200. The cancelled request's answer now
 * says `x-should-retry: false`, whether it was to be streamed (cancelled before its first output)
 * or not, and the SDK makes one HTTP call.
 */
describe('e2e regression: the official SDKs do not re-send a cancelled request', function () {
  this.timeout(20_000);
  let upstream: Emulator;
  let lip: RunningLip;
  /** The SDKs with their default retries (2). */
  let openai: OpenAI;
  let anthropic: Anthropic;
  /** HTTP calls the SDKs made (their fetch). */
  let calls: string[] = [];
  const counting: typeof fetch = (input, init) => {
    calls.push(String(input instanceof Request ? input.url : input));
    return fetch(input, init);
  };

  before(async () => {
    upstream = await startOpenAIChatEmulator();
    lip = await startLip(testConfig(`  - { id: up, kind: openai-chat, base_url: "${upstream.url}", api_key: "upstream-key" }`, 'routing: { default_route: "up:m" }'));
    openai = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'k', fetch: counting });
    anthropic = new Anthropic({ baseURL: lip.url, apiKey: 'k', fetch: counting, openTelemetry: false } as never);
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });
  beforeEach(() => {
    upstream.reset();
    upstream.handler = undefined;
    calls = [];
  });

  const chat = { model: 'up:m', messages: [{ role: 'user' as const, content: 'hi' }] };
  const messages = { model: 'up:m', max_tokens: 64, messages: [{ role: 'user' as const, content: 'hi' }] };
  const SDKS: Sdk[] = [
    {
      name: 'openai (Chat Completions)',
      async open() {
        const { response } = await openai.chat.completions.create(chat).withResponse();
        return { aLegId: response.headers.get('x-lip-a-leg-id')!, token: response.headers.get('x-lip-resume-token')! };
      },
      ask: (token, stream) => openai.chat.completions.create({ ...chat, stream }, { headers: { 'x-lip-resume-token': token } }),
    },
    {
      name: 'anthropic (Messages)',
      async open() {
        const { response } = await anthropic.messages.create(messages).withResponse();
        return { aLegId: response.headers.get('x-lip-a-leg-id')!, token: response.headers.get('x-lip-resume-token')! };
      },
      ask: (token, stream) => anthropic.messages.create({ ...messages, stream }, { headers: { 'x-lip-resume-token': token } }),
    },
  ];

  for (const sdk of SDKS) {
    for (const stream of [false, true]) {
      it(`${sdk.name}, ${stream ? 'streamed (cancelled before its first output)' : 'not streamed'}: one HTTP call, 409 LIP_ERR_REQUEST_CANCELLED with x-should-retry: false`, async () => {
        const { aLegId, token } = await sdk.open();
        calls = [];
        // The next generation stalls upstream, and says when it arrived (lip runs it: the cancel finds it);
        // any later one (a retry) would be answered.
        let arrived!: () => void;
        const running = new Promise<void>((resolve) => { arrived = resolve; });
        upstream.handler = () => {
          if (upstream.requests.length === 2) {
            arrived();
            return { text: 'never', fault: { stall: 'before_first_token' } };
          }
          return { text: 'answered again' };
        };
        const asked = sdk.ask(token, stream).then(() => undefined, (e: unknown) => e);
        await running;
        const cancel = await httpRequest(`${lip.url}/lip/v1/a-legs/${aLegId}/cancel`, { body: '', headers: { 'x-lip-resume-token': token } });
        expect(JSON.parse(cancel.body)).to.include({ status: 'cancelled', cancelled_requests: 1 });
        const err = await asked as InstanceType<typeof OpenAI.APIError> | InstanceType<typeof Anthropic.APIError>;
        expect(err, 'the cancelled request should have been refused').to.be.instanceOf(sdk === SDKS[0] ? OpenAI.APIError : Anthropic.APIError);
        expect(err.status).to.equal(409);
        expect(err.headers?.get('x-should-retry')).to.equal('false');
        expect(err.message).to.include('the request was cancelled');
        if (err instanceof OpenAI.APIError) expect(err.code).to.equal('LIP_ERR_REQUEST_CANCELLED');
        expect(calls).to.have.length(1);
        expect(upstream.requests).to.have.length(2);
      });
    }
  }
});
