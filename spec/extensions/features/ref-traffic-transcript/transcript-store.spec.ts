import { expect } from 'chai';
import { refTrafficTranscript, TranscriptStore } from '../../../../lib/extensions/features/ref-traffic-transcript/index.js';
import type { Observation } from '../../../../lib/extensions/observation.js';
import { memoryLogger } from '../../fixtures.js';

const event = (aLegId: string, text = 'x'): Observation => ({ requestId: `r-${aLegId}`, aLegId, leg: 'proxy_to_client', kind: 'event', event: { type: 'text_delta', text }, at: 1 });

describe('ref-traffic-transcript: the transcript store', () => {
  it('keeps rows per A-leg and drops whole conversations, oldest first, over max_rows', () => {
    const store = new TranscriptStore(3);
    store.add(event('a'));
    store.add(event('a'));
    store.add(event('b'));
    expect(store.get('a')!.rows).to.have.length(2);
    store.add(event('c'));
    expect(store.get('a')).to.equal(undefined);
    expect(store.get('b')!.rows).to.have.length(1);
    expect(store.get('c')!.rows).to.have.length(1);
  });

  // Found by probing: one conversation was never bounded (the drop needed two), and the raw copies were not counted at all.
  it('one conversation over max_rows loses its oldest entries, raw copies counted too; `dropped` says how many', () => {
    const store = new TranscriptStore(10);
    for (let i = 0; i < 1000; i++) {
      const o = event('a', `t${i}`);
      store.raw(o);
      store.add(o);
    }
    const a = store.get('a')!;
    expect(a.rows.length + a.raw.length).to.be.at.most(10);
    expect(a.rows.length).to.be.greaterThan(0);
    // The newest are kept, in order.
    expect((a.rows[a.rows.length - 1]!.body as { text: string }).text).to.equal('t999');
    expect(((a.raw[a.raw.length - 1] as { event?: { text: string } }).event)?.text).to.equal('t999');
    expect(a.dropped + a.rows.length + a.raw.length).to.equal(2000);
  });

  it('a raw body observed before the A-leg is known joins its conversation, first', () => {
    const store = new TranscriptStore(100);
    store.add({ requestId: 'r1', leg: 'client_to_proxy', kind: 'raw_body', body: { hi: 1 }, at: 1 });
    store.add({ ...event('a'), requestId: 'r1' });
    expect(store.get('a')!.rows.map((r) => r.kind)).to.deep.equal(['raw_body', 'event']);
    expect(store.get('request:r1')).to.equal(undefined);
  });
});

describe('ref-traffic-transcript: the redactor', () => {
  const redactor = refTrafficTranscript.create({ order: 30, redact_substrings: ['NIGHTJAR'], raw_capture: false, max_rows: 10 }, { featureId: 'ref-traffic-transcript', logger: memoryLogger(), state: undefined as never }).trafficRedactors![0]!;

  it('masks configured substrings, credential shapes and string fields named as secrets; objects under such names keep their shape', () => {
    const body = {
      model: 'an:claude', mcp_servers: [{ type: 'url', name: 'docs', url: 'https://mcp.example.com', authorization_token: 'tok-9f8e7d6c5b4a' }],
      messages: [{ role: 'user', content: 'NIGHTJAR uses sk-proj-0123456789abcdef' }],
      tools: [{ name: 'login', input_schema: { type: 'object', properties: { password: { type: 'string' } } } }],
    };
    const redacted = redactor.redact({ requestId: 'r1', leg: 'client_to_proxy', kind: 'raw_body', body, at: 1 }) as { body: typeof body };
    expect(redacted.body.mcp_servers[0]).to.deep.equal({ type: 'url', name: 'docs', url: 'https://mcp.example.com', authorization_token: '***' });
    expect(redacted.body.messages[0]!.content).to.equal('[redacted] uses sk-***');
    expect(redacted.body.tools).to.deep.equal(body.tools);
    expect(body.mcp_servers[0]!.authorization_token, 'the live body is not changed').to.equal('tok-9f8e7d6c5b4a');
  });
});
