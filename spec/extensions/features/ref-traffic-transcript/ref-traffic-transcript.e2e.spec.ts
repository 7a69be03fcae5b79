import { expect } from 'chai';
import OpenAI from 'openai';
import { chatUpstreamConfig } from '../../../helpers/config.js';
import { startOpenAIChatEmulator, type Emulator } from '../../../helpers/emulators/index.js';
import { startLip, type RunningLip } from '../../../helpers/lip.js';

const SECRET = 'diagnostics-secret-0123';

/**
 * ref-traffic-transcript through the official OpenAI SDK: the upstream and the client see the
 * secret unredacted (live traffic is never changed), the transcript at GET /admin/transcript
 * has the four legs with the secret redacted, the raw capture keeps it, the usage ledger has
 * the backend's usage, and the endpoint wants the diagnostics secret.
 */
describe('e2e: ref-traffic-transcript through the official SDK', function () {
  this.timeout(30_000);
  let upstream: Emulator;
  let lip: RunningLip;
  before(async () => {
    upstream = await startOpenAIChatEmulator();
    upstream.handler = () => ({ text: ['echo REF_SECRET ', 'done'], usage: { input: 7, output: 3 } });
    lip = await startLip(chatUpstreamConfig(upstream.url, [
      `diagnostics: { enabled: true, shared_secret: "${SECRET}" }`,
      'features:',
      '  - { id: ref-traffic-transcript, config: { raw_capture: true } }',
    ]));
  });
  after(async () => {
    await lip?.close();
    await upstream?.close();
  });

  const admin = (query: string, secret = SECRET) => fetch(`${lip.url}/admin/transcript${query}`, { headers: { 'x-lip-diagnostics-secret': secret } });

  it('records the four legs redacted, keeps the raw capture and the usage ledger; live traffic untouched', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'up:chat', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'my REF_SECRET is here' }] }).withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).to.equal('echo REF_SECRET done');
    expect(JSON.stringify(upstream.requests[0]!.body)).to.contain('my REF_SECRET is here');
    const aLegId = stream.response.headers.get('x-lip-a-leg-id')!;
    expect(aLegId).to.be.a('string');
    await new Promise((r) => setTimeout(r, 50)); // observations are handed over on setImmediate
    const transcript = await (await admin(`?a_leg_id=${encodeURIComponent(aLegId)}`)).json() as { rows: { leg: string; kind: string; body: unknown; b_leg_id?: string }[]; usage: { usage: unknown }[] };
    expect([...new Set(transcript.rows.map((r) => `${r.leg}/${r.kind}`))]).to.include.members(['client_to_proxy/raw_body', 'client_to_proxy/call', 'proxy_to_backend/call', 'backend_to_proxy/event', 'proxy_to_client/event']);
    const rows = JSON.stringify(transcript.rows);
    expect(rows).to.not.contain('REF_SECRET');
    expect(rows).to.contain('my [redacted] is here').and.contain('echo [redacted] ');
    expect(transcript.rows.find((r) => r.leg === 'proxy_to_backend')!.b_leg_id).to.be.a('string');
    expect(transcript.usage.map((u) => u.usage)).to.have.length(1);
    expect(transcript.usage[0]!.usage).to.include({ inputTokens: 7, outputTokens: 3 });
    const raw = await (await admin(`?a_leg_id=${encodeURIComponent(aLegId)}&raw=1`)).json() as { raw: unknown[] };
    expect(JSON.stringify(raw.raw)).to.contain('my REF_SECRET is here');
  });

  it('masks credential shapes and fields named as secrets in the transcript; the upstream and the raw capture keep them', async () => {
    const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const KEY = 'sk-proj-0123456789abcdef';
    const res = await client.chat.completions.create({
      model: 'up:chat', messages: [{ role: 'user', content: `deploy with password=hunter2222 and ${KEY}, config {"authorization_token": "tok-9f8e7d6c5b4a"}` }],
    }).withResponse();
    expect(JSON.stringify(upstream.requests.at(-1)!.body)).to.contain(KEY).and.contain('hunter2222').and.contain('tok-9f8e7d6c5b4a');
    const aLegId = res.response.headers.get('x-lip-a-leg-id')!;
    await new Promise((r) => setTimeout(r, 50)); // observations are handed over on setImmediate
    const transcript = await (await admin(`?a_leg_id=${encodeURIComponent(aLegId)}`)).json() as { rows: { leg: string; kind: string }[] };
    const rows = JSON.stringify(transcript.rows);
    expect(transcript.rows.map((r) => r.kind)).to.include.members(['raw_body', 'call']);
    expect(rows).to.not.contain(KEY).and.not.contain('hunter2222').and.not.contain('tok-9f8e7d6c5b4a');
    expect(rows).to.contain('sk-***').and.contain('password=***');
    const raw = await (await admin(`?a_leg_id=${encodeURIComponent(aLegId)}&raw=1`)).json() as { raw: unknown[] };
    expect(JSON.stringify(raw.raw)).to.contain(KEY).and.contain('tok-9f8e7d6c5b4a');
  });

  it('a substring split across six deltas is redacted whole: no piece of it reaches the transcript, on either event leg', async () => {
    const pieces = ['the word is REF', '_S', 'E', 'CR', 'E', 'T, done'];
    upstream.handler = () => ({ text: pieces });
    try {
      const client = new OpenAI({ baseURL: `${lip.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'up:chat', stream: true, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
      let text = '';
      for await (const chunk of stream.data) text += chunk.choices[0]?.delta?.content ?? '';
      expect(text).to.equal('the word is REF_SECRET, done');
      const aLegId = stream.response.headers.get('x-lip-a-leg-id')!;
      type Row = { leg: string; kind: string; body: { type?: string; text?: string } };
      const done = (rows: Row[]) => rows.some((r) => r.leg === 'proxy_to_client' && r.body?.type === 'response_finished');
      let rows: Row[] = [];
      // Observations are handed over off the hot path: wait for the client leg's last event.
      for (let i = 0; i < 500 && !done(rows); i++) {
        const res = await admin(`?a_leg_id=${encodeURIComponent(aLegId)}`);
        if (res.status === 200) rows = ((await res.json()) as { rows: Row[] }).rows;
        if (!done(rows)) await new Promise((r) => setImmediate(r));
      }
      const all = JSON.stringify(rows);
      for (const piece of ['REF_SECRET', 'REF_S', 'F_SE', 'SECRET', 'ECRET', 'CRET']) expect(all).to.not.contain(piece);
      for (const leg of ['backend_to_proxy', 'proxy_to_client']) {
        const deltas = rows.filter((r) => r.leg === leg && r.body?.type === 'text_delta').map((r) => r.body.text);
        expect(deltas.join(''), leg).to.equal('the word is [redacted], done');
        // Each delta keeps its place: the replacement where the substring starts, the deltas wholly inside it dropped.
        expect(deltas, leg).to.deep.equal(['the word is [redacted]', ', done']);
      }
    } finally {
      upstream.handler = () => ({ text: ['echo REF_SECRET ', 'done'], usage: { input: 7, output: 3 } });
    }
  });

  it('needs the diagnostics secret and an a_leg_id', async () => {
    expect((await admin('?a_leg_id=x', 'wrong-secret-000000')).status).to.equal(403);
    expect((await admin('')).status).to.equal(400);
    expect((await admin('?a_leg_id=unknown')).status).to.equal(404);
  });
});
