import { expect } from 'chai';
import { base64Text, utf8Text, WorkSlices } from '../../lib/wire/work-slices.js';

describe('wire/work-slices', () => {
  it('ends a slice after maxSteps steps, and a pause begins the next with the step it was due at', async () => {
    const slices = new WorkSlices(3, 60_000);
    expect([slices.due(), slices.due(), slices.due(), slices.due()]).to.deep.equal([false, false, false, true]);
    await slices.pause();
    expect(slices.pauses).to.equal(1);
    // The step that was due is the new slice's first.
    expect([slices.due(), slices.due(), slices.due()]).to.deep.equal([false, false, true]);
  });

  it('ends a slice after maxMs milliseconds, however few its steps', async () => {
    const slices = new WorkSlices(1_000_000, 0);
    expect(slices.due()).to.equal(true);
  });

  it('pauses for a turn of the event loop: an immediate queued before the pause runs first', async () => {
    const slices = new WorkSlices(1);
    const order: string[] = [];
    setImmediate(() => order.push('other'));
    await slices.pause();
    order.push('resumed');
    expect(order).to.deep.equal(['other', 'resumed']);
  });

  it('decodes UTF-8 a mebibyte at a time: a character across a slice end whole, a byte order mark kept, other bytes a TypeError', async () => {
    for (const pad of [0, 1, 2, 3]) {
      const text = `\uFEFF${'a'.repeat((1 << 20) - 3 - pad)}\u{1F600}é${'b'.repeat(1 << 20)}`;
      expect(await utf8Text(Buffer.from(text)) === text, `pad ${pad}`).to.equal(true);
    }
    const bad = Buffer.from('a'.repeat(3 << 20));
    bad[(2 << 20) + 5] = 0xff;
    let thrown: unknown;
    await utf8Text(bad).catch((err: unknown) => { thrown = err; });
    expect(thrown).to.be.instanceOf(TypeError);
    expect(await utf8Text(new Uint8Array(0))).to.equal('');
  });

  it('encodes base64 in slices that join', async () => {
    const bytes = Buffer.from(Array.from({ length: (1 << 20) * 2 + 7 }, (_, i) => (i * 7) % 256));
    expect(await base64Text(bytes)).to.equal(bytes.toString('base64'));
  });
});
