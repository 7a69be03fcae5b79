import { expect } from 'chai';
import { TranscriptStore } from '../../../../lib/extensions/features/ref-traffic-transcript/index.js';
import type { Observation } from '../../../../lib/extensions/observation.js';

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

  it('a raw body observed before the A-leg is known joins its conversation, first', () => {
    const store = new TranscriptStore(100);
    store.add({ requestId: 'r1', leg: 'client_to_proxy', kind: 'raw_body', body: { hi: 1 }, at: 1 });
    store.add({ ...event('a'), requestId: 'r1' });
    expect(store.get('a')!.rows.map((r) => r.kind)).to.deep.equal(['raw_body', 'event']);
    expect(store.get('request:r1')).to.equal(undefined);
  });
});
