import { expect } from 'chai';
import { CancelRelay, type RelayedCancel } from '../../lib/server/cancel-relay.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

/** The relay between instances over a real redis-server: questions reach every other instance, answers come back. */
describe('server: the cancel relay (Redis pub/sub)', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  const relays: CancelRelay[] = [];
  before(async function () {
    redis = await requireRedisServer(this);
  });
  after(() => redis?.close());
  afterEach(async () => {
    for (const relay of relays.splice(0)) await relay.close();
  });

  const open = (prefix: string, cancelled: number, seen: RelayedCancel[] = []) => {
    const relay = new CancelRelay(redis.url, prefix, 500, (cancel) => { seen.push(cancel); return { found: false, forbidden: false, cancelled }; });
    relays.push(relay);
    return relay;
  };
  /** Until every relay of the prefix listens (Redis counts its subscribers). */
  const listening = async (asker: CancelRelay, others: number) => {
    for (let i = 0; i < 200; i++) {
      if ((await asker.ask({ principal: 'probe', path: '/probe' })).length === others) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('the relays did not subscribe');
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
