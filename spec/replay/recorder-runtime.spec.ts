import { expect } from 'chai';
import { runtimeWith } from '../../lib/core/runtime.js';
import { testConfig } from '../helpers/config.js';

const ROW = '  - { id: up, kind: localstub }';

describe('recording in the runtime', () => {
  it('registers nothing when recording is off: no recorder, no traffic observer', async () => {
    const runtime = runtimeWith(testConfig(ROW, 'features: []'), new Map());
    expect(runtime.recorder).to.equal(undefined);
    // No host at all, or (with features lip enables by default) a host whose traffic plane is inactive.
    expect(runtime.extensions?.traffic.active ?? false).to.equal(false);
    await runtime.close();
  });

  it('with recording on, the recorder is a capture of the host traffic plane (the inventory shows it)', async () => {
    const runtime = runtimeWith(testConfig(ROW, 'recording: { enabled: true, path: "/nonexistent-dir-for-lip-test/x.jsonl" }\nfeatures: []'), new Map());
    expect(runtime.recorder).to.not.equal(undefined);
    expect(runtime.extensions?.traffic.active).to.equal(true);
    expect(runtime.extensions?.occupancy().traffic_observation.map((e) => `${e.feature}/${e.hook}`)).to.deep.equal(['recording/recorder']);
    await runtime.close();
  });
});
