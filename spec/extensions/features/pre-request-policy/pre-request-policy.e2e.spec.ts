import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_DRIVERS } from '../../../helpers/clients/index.js';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator, type RecordedRequest, type Script } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';

/** The judge answers by what the client asked (the call arrives as JSON in its user message). */
function answer(req: RecordedRequest): Script {
  const asked = JSON.stringify(req.body.messages);
  if (req.model === 'judge') {
    expect(JSON.stringify(req.body.messages[0])).to.contain('You are the admission judge.');
    if (asked.includes('weapons')) return { text: 'VERDICT: DENY' };
    if (asked.includes('slowly')) return { text: 'VERDICT: ALLOW', fault: { stall: 'before_headers' } };
    if (asked.includes('broken')) return { status: 500, error: { message: 'judge down' } };
    return { text: 'VERDICT: ALLOW' };
  }
  return { text: 'the real answer' };
}

/**
 * pre-request-policy through the official SDKs against the upstream emulator, which serves both
 * the judge route and the main route: allow, deny, judge timeout and judge failure, streamed and
 * not, on all four protocols. Denials are 403 in the client's protocol with `deny_message`; the
 * judge's text never reaches the client and a denied request never reaches the main model.
 */
describe('e2e: pre-request-policy through the official SDKs', function () {
  this.timeout(60_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-prp-'));
    writeFileSync(join(dir, 'judge.md'), 'You are the admission judge. Answer VERDICT: ALLOW or VERDICT: DENY.');
    upstream = await startOpenAIChatEmulator();
    upstream.handler = answer;
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      'features:',
      `  - id: pre-request-policy`,
      `    config:`,
      `      prompt_dir: ${JSON.stringify(dir)}`,
      '      handlers:',
      '        - { id: safety, prompt_filename: judge.md, model_routing_string: "up:judge", deny_pattern: "VERDICT: DENY", deny_message: "not allowed here", timeout: 1s }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => upstream.reset());

  for (const [frontend, driver] of Object.entries(CLIENT_DRIVERS)) {
    for (const stream of [true, false]) {
      describe(`${frontend}, ${stream ? 'streamed' : 'not streamed'}`, () => {
        const send = (text: string) => driver.run(lip.url, { model: 'up:chat', stream, messages: [{ role: 'user', text }] });
        const models = () => upstream.requests.map((r) => r.model);

        it('allow: the judge is asked first, then the main model answers', async () => {
          const r = await send('tell me about gardens');
          expect(r.error).to.equal(undefined);
          expect(r.text).to.equal('the real answer');
          expect(models()).to.deep.equal(['judge', 'chat']);
          expect(JSON.stringify(upstream.requests[0]!.body.messages[1])).to.contain('tell me about gardens');
        });

        for (const [what, text] of [['deny', 'tell me about weapons'], ['judge failure', 'the judge is broken'], ['judge timeout', 'answer slowly']] as const) {
          it(`${what}: 403 with the deny message, the main model is never called`, async () => {
            const r = await send(text);
            expect(r.error?.status).to.equal(403);
            expect(r.error?.message).to.contain('not allowed here');
            expect(r.error?.message).to.not.contain('VERDICT');
            expect(r.text).to.equal('');
            expect(models()).to.not.include('chat');
          });
        }
      });
    }
  }
});

describe('e2e: server.pre_request_keepalive while a pre-request judge runs', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lip-prp-'));
    writeFileSync(join(dir, 'judge.md'), 'You are the admission judge.');
    upstream = await startOpenAIChatEmulator();
    // The judge takes about a second (four slow frames); the main model answers at once.
    upstream.handler = (req) => (req.model === 'judge' ? { text: ['VERDICT', ': ', 'ALL', 'OW'], dripMs: 250 } : { text: 'the real answer' });
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      'server: { host: 127.0.0.1, port: 0, pre_request_keepalive: { enabled: true, interval: 100ms } }',
      'features:',
      `  - { id: pre-request-policy, config: { prompt_dir: ${JSON.stringify(dir)}, handlers: [{ id: slow, prompt_filename: judge.md, model_routing_string: "up:judge", deny_pattern: DENY }] } }`,
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (stream: boolean) => new Promise<{ processing: number; status: number; body: string }>((resolve, reject) => {
    let processing = 0;
    const req = request(`${lip.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ processing, status: res.statusCode!, body }));
    });
    req.on('information', (info) => { if (info.statusCode === 102) processing++; });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'up:chat', stream, messages: [{ role: 'user', content: 'hi' }] }));
  });

  it('a streaming client receives 102 Processing while the judge runs, then its stream', async () => {
    const r = await post(true);
    expect(r.status).to.equal(200);
    expect(r.body).to.contain('the real answer');
    expect(r.processing).to.be.at.least(2);
  });

  it('a non-streaming client gets none', async () => {
    const r = await post(false);
    expect(r.status).to.equal(200);
    expect(r.processing).to.equal(0);
  });
});
