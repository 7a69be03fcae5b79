import { expect } from 'chai';
import { CancelRelay, type RelayedCancel } from '../../lib/server/cancel-relay.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** A real redis-server for the suite, and the relays a test opens (closed after it). */
function useRelays(): { redis: () => RedisServer; relays: CancelRelay[] } {
  let redis: RedisServer | undefined;
  const relays: CancelRelay[] = [];
  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.close();
  });
  return { redis: () => redis!, relays };
}

/** Until every relay of the prefix listens (Redis counts its subscribers). */
async function listening(asker: CancelRelay, others: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await asker.ask({ principal: 'probe', path: '/probe' })).length === others) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the relays did not subscribe');
}

/** The relay between instances over a real redis-server: questions reach every other instance, answers come back. */
describe('server: the cancel relay (Redis pub/sub)', function () {
  this.timeout(30_000);
  const { redis, relays } = useRelays();

  const open = (prefix: string, cancelled: number, seen: RelayedCancel[] = []) => {
    const relay = new CancelRelay(redis().url, prefix, 500, (cancel) => { seen.push(cancel); return { found: false, forbidden: false, cancelled }; });
    relays.push(relay);
    return relay;
  };

  it('asks every other instance of its prefix, not itself and not another prefix, and gathers their answers', async () => {
    const seenByB: RelayedCancel[] = [];
    const a = open('lip-relay-1:', 1);
    open('lip-relay-1:', 2, seenByB);
    open('lip-relay-1:', 3);
    open('lip-relay-2:', 100);
    await listening(a, 2);
    const cancel = { principal: 'alice', aLegId: 'a_1', path: '/lip/v1/a-legs/a_1/cancel' };
    const answers = await a.ask(cancel);
    expect(answers.map((x) => x.cancelled).sort()).to.deep.equal([2, 3]);
    expect(seenByB.at(-1)).to.deep.equal(cancel);
  });

  it('answers nothing when no other instance listens any more, and nothing once closed', async () => {
    const a = open('lip-relay-3:', 1);
    const b = open('lip-relay-3:', 1);
    await listening(a, 1);
    await b.close();
    expect(await a.ask({ principal: 'alice', aLegId: 'a_1', path: '/x' })).to.deep.equal([]);
    await a.close();
    expect(await a.ask({ principal: 'alice', aLegId: 'a_1', path: '/x' })).to.deep.equal([]);
  });
});

/** A background response's stream followed on the instance running it, through the relay. */
describe('server: streams followed through the relay', function () {
  this.timeout(30_000);
  const { redis, relays } = useRelays();

  /** A relay whose instance runs `runs` (response id -> its frames so far and its followers). */
  const open = (prefix: string, runs: Map<string, { frames: string[]; followers: Set<(frame: string | undefined) => void>; ended: boolean }> = new Map()) => {
    const relay = new CancelRelay(redis().url, prefix, 500, () => ({ found: false, forbidden: false, cancelled: 0 }), (follow, sink) => {
      const run = runs.get(follow.responseId);
      if (run === undefined || follow.principal !== 'alice') return undefined;
      sink.frames(run.frames.slice(follow.after + 1));
      if (run.ended) {
        sink.end();
        return () => undefined;
      }
      const follower = (frame: string | undefined) => (frame === undefined ? sink.end() : sink.frames([frame]));
      run.followers.add(follower);
      return () => { run.followers.delete(follower); };
    });
    relays.push(relay);
    return relay;
  };
  const sink = () => {
    const got: string[] = [];
    let ended!: () => void;
    const end = new Promise<void>((resolve) => { ended = resolve; });
    let lost = false;
    return { got, end, isLost: () => lost, sink: { frames: (f: readonly string[]) => got.push(...f), end: () => ended(), lost: () => { lost = true; ended(); } } };
  };

  it('the frames after the cursor, then each new one in order, then the end; unknown ids and other principals are not followed', async () => {
    const run = { frames: ['f0', 'f1', 'f2'], followers: new Set<(frame: string | undefined) => void>(), ended: false };
    const runner = open('lip-follow-1:', new Map([['resp_1', run]]));
    const asker = open('lip-follow-1:');
    open('lip-follow-1:');
    await listening(asker, 2);
    expect(await asker.follow({ principal: 'alice', responseId: 'resp_x', after: -1 }, sink().sink)).to.equal(undefined);
    expect(await asker.follow({ principal: 'bob', responseId: 'resp_1', after: -1 }, sink().sink)).to.equal(undefined);
    const s = sink();
    const stop = await asker.follow({ principal: 'alice', responseId: 'resp_1', after: 0 }, s.sink);
    expect(stop).to.be.a('function');
    for (let i = 3; i < 50; i++) for (const f of run.followers) f(`f${i}`);
    for (const f of [...run.followers]) f(undefined);
    await s.end;
    expect(s.got).to.deep.equal(Array.from({ length: 49 }, (_, i) => `f${i + 1}`));
    expect(s.isLost()).to.equal(false);
    void runner;
  });

  it('unfollowing stops the sending instance\'s follower; a large backlog arrives whole, in several messages', async () => {
    const big = 'x'.repeat(100 * 1024);
    const run = { frames: Array.from({ length: 12 }, (_, i) => `${i}:${big}`), followers: new Set<(frame: string | undefined) => void>(), ended: false };
    open('lip-follow-2:', new Map([['resp_1', run]]));
    const asker = open('lip-follow-2:');
    await listening(asker, 1);
    const s = sink();
    const stop = await asker.follow({ principal: 'alice', responseId: 'resp_1', after: -1 }, s.sink);
    for (let i = 0; i < 200 && s.got.length < 12; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(s.got).to.deep.equal(run.frames);
    expect(run.followers.size).to.equal(1);
    stop!();
    for (let i = 0; i < 200 && run.followers.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(run.followers.size).to.equal(0);
  });

  it('an ended run answers its frames and end at once; a closed asker tells its followers they are lost, and the sender stops', async () => {
    const ended = { frames: ['a', 'b'], followers: new Set<(frame: string | undefined) => void>(), ended: true };
    const running = { frames: ['c'], followers: new Set<(frame: string | undefined) => void>(), ended: false };
    open('lip-follow-3:', new Map([['resp_e', ended], ['resp_r', running]]));
    const asker = open('lip-follow-3:');
    await listening(asker, 1);
    const done = sink();
    expect(await asker.follow({ principal: 'alice', responseId: 'resp_e', after: -1 }, done.sink)).to.be.a('function');
    await done.end;
    expect(done.got).to.deep.equal(['a', 'b']);
    const cut = sink();
    await asker.follow({ principal: 'alice', responseId: 'resp_r', after: -1 }, cut.sink);
    await asker.close();
    await cut.end;
    expect(cut.isLost()).to.equal(true);
    // The closing asker unfollowed: the sending side stops.
    for (let i = 0; i < 200 && running.followers.size > 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(running.followers.size).to.equal(0);
  });

  it('the sender stops on its next frame once nobody receives the asker\'s channel (an asker gone without unfollowing)', async () => {
    const running = { frames: ['c'], followers: new Set<(frame: string | undefined) => void>(), ended: false };
    open('lip-follow-4:', new Map([['resp_r', running]]));
    const asker = open('lip-follow-4:');
    await listening(asker, 1);
    await asker.follow({ principal: 'alice', responseId: 'resp_r', after: -1 }, sink().sink);
    // Its subscriber goes without a word (a crashed process).
    (asker as unknown as { subscriber: { disconnect(): void } }).subscriber.disconnect();
    for (let i = 0; i < 300 && running.followers.size > 0; i++) {
      for (const f of [...running.followers]) f('more');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(running.followers.size).to.equal(0);
  });
});
