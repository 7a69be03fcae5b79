import { expect } from 'chai';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import { LipError } from '../../lib/errors/index.js';
import { BudgetNotSent, KeyBudgets, periodWindow, type BudgetLedger, type PeriodWindow, type Spent } from '../../lib/server/key-budgets.js';
import { RedisBudgetLedger } from '../../lib/server/key-budgets-redis.js';
import { requireRedisServer, type RedisServer } from '../helpers/redis-server.js';

const NOW = Date.UTC(2026, 11, 3, 10);
const team = (max_tokens: number): ApiKeyConfig => ({ id: 'team', key: 'k'.repeat(16), principal: 'team', budget: { max_tokens, period: 'day' } });

/**
 * A ledger in memory shared by instances, with Redis's two ways of failing an add: `refusing`
 * (not connected: nothing is sent, BudgetNotSent) and `timingOut` (the add is applied, but its
 * answer comes too late: an error that says nothing about whether it was).
 */
class FlakyLedger implements BudgetLedger {
  readonly totals = new Map<string, Spent>();
  refusing = false;
  timingOut = false;
  adds = 0;
  async add(keyId: string, window: PeriodWindow, spent: Spent): Promise<Spent> {
    if (this.refusing) throw new BudgetNotSent('Redis is not connected');
    this.adds++;
    const k = `${keyId}:${window.start}`;
    const t = this.totals.get(k) ?? { cost: 0, tokens: 0 };
    const total = { cost: t.cost + spent.cost, tokens: t.tokens + spent.tokens };
    this.totals.set(k, total);
    if (this.timingOut) throw new Error('Command timed out');
    return total;
  }
  async read(entries: readonly { keyId: string; window: PeriodWindow }[]): Promise<(Spent | undefined)[]> {
    if (this.refusing || this.timingOut) throw new Error('Redis cannot be reached');
    return entries.map((e) => this.totals.get(`${e.keyId}:${e.window.start}`));
  }
  tokens(): number {
    return [...this.totals.values()].reduce((sum, t) => sum + t.tokens, 0);
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

/**
 * Spending charged while Redis could not be reached was counted by the instance that charged it
 * and never reached the shared total: once Redis was back, the other instances admitted a whole
 * budget more (the multi-instance probe: a key capped at 300 tokens spent 480). Now each
 * instance keeps what it could not send per key and period and adds it with its next add that
 * goes through, or its next refresh; an add that may have been applied (it timed out) is never
 * sent again.
 */
describe('server/key-budgets: spending charged during a Redis outage reaches the shared total', () => {
  it('what was refused unsent is added by the next refresh: another instance then refuses the key', async () => {
    const ledger = new FlakyLedger();
    const [a, b] = [new KeyBudgets(() => NOW), new KeyBudgets(() => NOW)];
    a.useLedger(ledger);
    b.useLedger(ledger);
    const k = team(300);
    ledger.refusing = true;
    for (let i = 0; i < 5; i++) a.charge(k, undefined, 30);
    await settle();
    expect(ledger.tokens()).to.equal(0);
    ledger.refusing = false;
    await a.refresh();
    expect(ledger.tokens()).to.equal(150);
    let admitted = 0;
    for (; admitted < 20; admitted++) {
      try {
        b.check(k);
      } catch (err) {
        expect((err as LipError).code).to.equal('LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED');
        break;
      }
      b.charge(k, undefined, 30);
      await settle();
    }
    expect([admitted, ledger.tokens()]).to.deep.equal([5, 300]);
    await Promise.all([a.close(), b.close()]);
  });

  it('... or by the next charge that goes through, with it', async () => {
    const ledger = new FlakyLedger();
    const a = new KeyBudgets(() => NOW);
    a.useLedger(ledger);
    const k = team(1_000);
    ledger.refusing = true;
    a.charge(k, undefined, 30);
    a.charge(k, undefined, 30);
    await settle();
    ledger.refusing = false;
    a.charge(k, undefined, 10);
    await settle();
    expect([ledger.adds, ledger.tokens()]).to.deep.equal([1, 70]);
    await a.refresh(); // nothing left to send: a read
    expect([ledger.adds, ledger.tokens()]).to.deep.equal([1, 70]);
    await a.close();
  });

  it('an add that timed out (it may have been applied) is never sent again', async () => {
    const ledger = new FlakyLedger();
    const a = new KeyBudgets(() => NOW);
    a.useLedger(ledger);
    const k = team(1_000);
    ledger.timingOut = true;
    a.charge(k, undefined, 30);
    await settle();
    ledger.timingOut = false;
    await a.refresh();
    a.charge(k, undefined, 10);
    await settle();
    expect([ledger.adds, ledger.tokens()]).to.deep.equal([2, 40]);
    await a.close();
  });

  describe('RedisBudgetLedger against a real redis-server', function () {
    this.timeout(20_000);
    let redis: RedisServer;
    let ledger: RedisBudgetLedger | undefined;
    const window = periodWindow('day', Date.now()); // Redis expires the total a day after the period
    before(async function () {
      redis = await requireRedisServer(this);
    });
    afterEach(async () => {
      redis.resume();
      if (!redis.running) await redis.start();
      await ledger?.close();
    });
    after(() => redis?.close());

    it('says BudgetNotSent when Redis is not connected, and not when an add timed out (a frozen Redis runs it later)', async () => {
      ledger = new RedisBudgetLedger(redis.url, `lipspec:budget:${process.pid}:${Math.random().toString(36).slice(2)}:`, 200);
      expect(await ledger.add('team', window, { cost: 0, tokens: 5 })).to.deep.equal({ cost: 0, tokens: 5 });
      redis.pause();
      const late = await ledger.add('team', window, { cost: 0, tokens: 7 }).catch((err: unknown) => err);
      expect(late).to.be.instanceOf(Error).and.not.be.instanceOf(BudgetNotSent);
      redis.resume();
      const read = async () => (await ledger!.read([{ keyId: 'team', window }]))[0];
      expect(await read()).to.deep.equal({ cost: 0, tokens: 12 }); // applied after all
      await redis.stop('SIGKILL');
      let refused: unknown;
      for (let i = 0; i < 200 && !(refused instanceof BudgetNotSent); i++) {
        refused = await ledger.add('team', window, { cost: 0, tokens: 1 }).then(() => undefined, (err: unknown) => err);
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(refused).to.be.instanceOf(BudgetNotSent);
    });
  });
});
