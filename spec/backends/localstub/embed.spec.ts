import { expect } from 'chai';
import type { BackendRow } from '../../../lib/backends/backend.js';
import { LocalstubBackend } from '../../../lib/backends/localstub/index.js';
import { stubVector } from '../../../lib/backends/localstub/stub-vector.js';
import { vectorFromFloat32Base64, float32Base64 } from '../../../lib/wire/index.js';

const row = (knobs: Record<string, unknown> = {}): BackendRow => ({ id: 's', kind: 'localstub', models: [], ...knobs });
const signal = () => new AbortController().signal;

describe('backends/localstub embed', () => {
  it('gives equal texts equal unit vectors, other texts other ones, 16 values unless asked', async () => {
    const result = await new LocalstubBackend(row()).embed({ model: 'm', inputs: ['same', 'same', 'other', ''] }, 'stub-default', signal());
    const [a, b, c, empty] = result.vectors;
    expect(a).to.have.length(16);
    expect(a).to.deep.equal(b);
    expect(a).to.not.deep.equal(c);
    for (const v of [a!, c!, empty!]) expect(Math.hypot(...v)).to.be.closeTo(1, 1e-6);
    expect(stubVector('same', 16)).to.deep.equal(a);
  });

  it('honours dimensions, with float32 values that survive base64 exactly', async () => {
    const { vectors } = await new LocalstubBackend(row()).embed({ model: 'm', inputs: ['x'], dimensions: 3 }, 'm', signal());
    expect(vectors[0]).to.have.length(3);
    expect(vectorFromFloat32Base64(float32Base64(vectors[0]!))).to.deep.equal(vectors[0]);
  });

  it('applies the row\'s fail knob as its streams do, and refuses more values than it makes', async () => {
    const status = await new LocalstubBackend(row({ fail: 'before_output:503' })).embed({ model: 'm', inputs: ['x'] }, 'm', signal()).catch((e: unknown) => e);
    expect(status).to.include({ code: 'LIP_ERR_UPSTREAM_STATUS', status: 503, retryable: true });
    const reset = await new LocalstubBackend(row({ fail: 'after_output' })).embed({ model: 'm', inputs: ['x'] }, 'm', signal()).catch((e: unknown) => e);
    expect(reset).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    const abort = new AbortController();
    const stalled = new LocalstubBackend(row({ fail: 'stall' })).embed({ model: 'm', inputs: ['x'] }, 'm', abort.signal).catch((e: unknown) => e);
    abort.abort();
    expect(await stalled).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    const aborted = await new LocalstubBackend(row({ fail: 'stall' })).embed({ model: 'm', inputs: ['x'] }, 'm', abort.signal).catch((e: unknown) => e);
    expect(aborted).to.include({ code: 'LIP_ERR_UPSTREAM_RESET' });
    const big = await new LocalstubBackend(row()).embed({ model: 'm', inputs: Array(2048).fill('x'), dimensions: 1024 }, 'm', signal()).catch((e: unknown) => e);
    expect(big).to.include({ code: 'LIP_ERR_REQUEST_LIMIT_EXCEEDED', status: 400 });
  });
});
