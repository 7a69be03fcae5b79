import { expect } from 'chai';
import type { ApiKeyConfig } from '../../lib/config/index.js';
import type { UsageQuery, UsageSummary } from '../../lib/continuity/index.js';
import { LipError } from '../../lib/errors/index.js';
import { ADMIN_ENDPOINTS } from '../../lib/server/admin.js';
import type { Runtime } from '../../lib/core/runtime.js';
import { KeyBudgets, periodWindow, type BudgetLedger, type PeriodWindow, type Spent } from '../../lib/server/key-budgets.js';
import { refusal } from '../helpers/lip-errors.js';

const key = (budget: ApiKeyConfig['budget'], id = 'team'): ApiKeyConfig => ({ id, key: 'k'.repeat(16), principal: id, ...(budget ? { budget } : {}) });

/** A ledger in memory, shared by the KeyBudgets given it (instances sharing one Redis). */
class SharedLedger implements BudgetLedger {
  readonly totals = new Map<string, { cost: number; tokens: number }>();
  failing = false;
  async add(keyId: string, window: PeriodWindow, spent: Spent): Promise<Spent> {
    if (this.failing) throw new Error('down');
    const k = `${keyId}:${window.start}`;
    const t = this.totals.get(k) ?? { cost: 0, tokens: 0 };
    t.cost += spent.cost;
    t.tokens += spent.tokens;
    this.totals.set(k, t);
    return { ...t };
  }
  async read(entries: readonly { keyId: string; window: PeriodWindow }[]): Promise<(Spent | undefined)[]> {
    if (this.failing) throw new Error('down');
    return entries.map((e) => this.totals.get(`${e.keyId}:${e.window.start}`));
  }
  async close(): Promise<void> {}
}

const settle = () => new Promise((r) => setImmediate(r));

describe('server/key-budgets', () => {
  describe('periodWindow (UTC calendar periods)', () => {
    it('hour, day, ISO week (from Monday) and calendar month, leap February included', () => {
      const t = Date.UTC(2026, 11, 3, 17, 45, 12); // Thursday 3 December 2026
      expect(periodWindow('hour', t)).to.deep.equal({ start: Date.UTC(2026, 11, 3, 17), end: Date.UTC(2026, 11, 3, 18) });
      expect(periodWindow('day', t)).to.deep.equal({ start: Date.UTC(2026, 11, 3), end: Date.UTC(2026, 11, 4) });
      expect(periodWindow('week', t)).to.deep.equal({ start: Date.UTC(2026, 10, 30), end: Date.UTC(2026, 11, 7) });
      expect(periodWindow('week', Date.UTC(2026, 10, 30))).to.deep.equal({ start: Date.UTC(2026, 10, 30), end: Date.UTC(2026, 11, 7) });
      expect(periodWindow('week', Date.UTC(2026, 11, 6, 23, 59))).to.deep.equal({ start: Date.UTC(2026, 10, 30), end: Date.UTC(2026, 11, 7) });
      expect(periodWindow('month', t)).to.deep.equal({ start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) });
      expect(periodWindow('month', Date.UTC(2028, 1, 29, 12))).to.deep.equal({ start: Date.UTC(2028, 1, 1), end: Date.UTC(2028, 2, 1) });
    });
  });

  describe('admission and charges (virtual time)', () => {
    it('admits until the period has spent max_cost; the refusal says how much, and Retry-After is the period\'s end', async () => {
      let now = Date.UTC(2026, 11, 3, 22, 0, 0);
      const budgets = new KeyBudgets(() => now);
      const k = key({ max_cost: 1, period: 'day' });
      expect(budgets.check(k)).to.deep.equal({ cost: 1, renewsAt: Date.UTC(2026, 11, 4) });
      budgets.charge(k, 0.6, 100);
      expect(budgets.check(k)).to.deep.equal({ cost: 0.4, renewsAt: Date.UTC(2026, 11, 4) });
      budgets.charge(k, 0.5, 100); // the request that crosses the limit was admitted; it finishes
      const err = await refusal(() => budgets.check(k));
      expect([err.code, err.status, err.retryAfter]).to.deep.equal(['LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED', 429, 7_200]);
      expect(err.message).to.equal('API key "team" has spent 1.1 of its 1 cost for this day (renewed at 2026-12-04T00:00:00.000Z)');
      now = Date.UTC(2026, 11, 4, 0, 0, 0);
      budgets.check(k);
      expect(budgets.spent('team', 'day')).to.deep.equal({ cost: 0, tokens: 0, start: Date.UTC(2026, 11, 4), end: Date.UTC(2026, 11, 5) });
    });

    it('max_tokens counts input plus output tokens; each limit binds on its own', async () => {
      const now = Date.UTC(2026, 11, 3, 10, 30);
      const budgets = new KeyBudgets(() => now);
      const k = key({ max_tokens: 1_000, max_cost: 100, period: 'hour' });
      budgets.charge(k, undefined, 999);
      expect(budgets.check(k)).to.deep.equal({ cost: 100, tokens: 1, renewsAt: Date.UTC(2026, 11, 3, 11) });
      budgets.charge(k, 0, 1);
      const err = await refusal(() => budgets.check(k));
      expect([err.message, err.retryAfter]).to.deep.equal(['API key "team" has spent 1000 of its 1000 tokens for this hour (renewed at 2026-12-03T11:00:00.000Z)', 1_800]);
    });

    it('keys are counted apart; a key without a budget keeps no state; a changed period starts afresh', () => {
      const now = Date.UTC(2026, 11, 3, 10);
      const budgets = new KeyBudgets(() => now);
      const a = key({ max_tokens: 10, period: 'day' }, 'a');
      const b = key({ max_tokens: 10, period: 'day' }, 'b');
      budgets.charge(a, undefined, 10);
      expect(() => budgets.check(a)).to.throw(LipError);
      budgets.check(b);
      budgets.charge(key(undefined, 'free'), 5, 5);
      expect(budgets.check(key(undefined, 'free'))).to.equal(undefined);
      expect(budgets.spent('free', 'day')).to.equal(undefined);
      budgets.check(key({ max_tokens: 10, period: 'week' }, 'a'));
    });
  });

  describe('requests in flight (reservations)', () => {
    it('a lone request is admitted under the limits whatever its estimate; beside others in flight, one whose estimate would pass a limit is refused', async () => {
      const now = Date.UTC(2026, 11, 3, 10);
      const budgets = new KeyBudgets(() => now);
      const k = key({ max_cost: 0.01, max_tokens: 5_000, period: 'day' });
      budgets.charge(k, 0.003, 1_100);
      // Alone: admitted even though its estimate crosses the limit (the request that crosses a limit finishes whole).
      const lone = budgets.reserve(k, { cost: 0.02, tokens: 1_100 });
      const err = await refusal(() => budgets.check(k));
      expect([err.code, err.status, err.retryAfter]).to.deep.equal(['LIP_ERR_AUTH_KEY_BUDGET_RESERVED', 429, 1]);
      expect(err.message).to.equal('API key "team" has spent 0.003 (and 0.02 reserved by 1 in flight) of its 0.01 cost for this day (renewed at 2026-12-04T00:00:00.000Z)');
      lone();
      lone(); // released once
      budgets.check(k);
      // Spent 0.003/1100, each request about 0.003/1100: two more fit beside each other (0.009/3300), a third would pass max_cost.
      const first = budgets.reserve(k, { cost: 0.003, tokens: 1_100 });
      const second = budgets.reserve(k, { cost: 0.003, tokens: 1_100 });
      budgets.check(k);
      const third = await refusal(() => budgets.reserve(k, { cost: 0.003, tokens: 1_100 }));
      expect([third.code, third.retryAfter]).to.deep.equal(['LIP_ERR_AUTH_KEY_BUDGET_RESERVED', 1]);
      expect(third.message).to.equal('API key "team" has spent 0.003 of its 0.01 cost, 0.006 reserved by 2 in flight and about 0.003 for this one for this day (renewed at 2026-12-04T00:00:00.000Z)');
      // A cheap one still fits by cost, not by tokens.
      expect((await refusal(() => budgets.reserve(k, { cost: 0, tokens: 1_800 }))).message).to.match(/1100 of its 5000 tokens, 2200 reserved by 2 in flight and about 1800/);
      // The first ends, charged what it spent: its reservation gives way to the charge.
      first();
      budgets.charge(k, 0.003, 1_100);
      expect(() => budgets.reserve(k, { cost: 0.003, tokens: 1_100 })).to.throw(LipError);
      second();
      budgets.charge(k, 0.003, 1_100);
      // Nothing in flight, 0.009 spent: the next is admitted alone, and crosses the limit whole; after it, refused until the period ends.
      budgets.check(k);
      budgets.reserve(k, { cost: 0.003, tokens: 1_100 })();
      budgets.charge(k, 0.003, 1_100);
      expect((await refusal(() => budgets.check(k))).retryAfter).to.equal(14 * 3600);
      // A key without a budget reserves nothing.
      budgets.reserve(key(undefined, 'free'), { cost: 1, tokens: 1 })();
      expect(budgets.spent('free', 'day')).to.equal(undefined);
    });
  });

  describe('a ledger shared by instances', () => {
    it('a charge on one instance reaches the other by its next refresh; the added total is taken back at once', async () => {
      const now = Date.UTC(2026, 11, 3, 10);
      const ledger = new SharedLedger();
      const [one, two] = [new KeyBudgets(() => now), new KeyBudgets(() => now)];
      one.useLedger(ledger);
      two.useLedger(ledger);
      const k = key({ max_cost: 1, period: 'month' });
      two.check(k);
      two.charge(k, 0.25, 10); // two now counts the key (and refreshes it)
      one.charge(k, 0.8, 10);
      await settle();
      expect(() => one.check(k)).to.throw(LipError, /spent 1.05 of its 1 cost/);
      two.check(k); // not read yet
      await two.refresh();
      expect(() => two.check(k)).to.throw(LipError, /spent 1.05 of its 1 cost/);
      await Promise.all([one.close(), two.close()]);
    });

    it('the admin view reads the shared totals first, also of keys this instance never counted', async () => {
      const now = Date.UTC(2026, 11, 3, 10);
      const ledger = new SharedLedger();
      const [one, two] = [new KeyBudgets(() => now), new KeyBudgets(() => now)];
      one.useLedger(ledger);
      two.useLedger(ledger);
      const k = key({ max_tokens: 100, period: 'week' });
      one.charge(k, undefined, 120);
      await settle();
      expect(await two.view([k, key(undefined, 'free')])).to.deep.equal([{
        key_id: 'team', principal: 'team', period: 'week', period_start: '2026-11-30T00:00:00.000Z', period_end: '2026-12-07T00:00:00.000Z',
        max_cost: null, max_tokens: 100, spent_cost: 0, spent_tokens: 120, exceeded: true,
      }]);
      expect(() => two.check(k)).to.throw(LipError);
      await Promise.all([one.close(), two.close()]);
    });

    it('a ledger that fails leaves each instance counting its own, and says so once per outage, and when it answers again', async () => {
      const now = Date.UTC(2026, 11, 3, 10);
      const ledger = new SharedLedger();
      ledger.failing = true;
      const warnings: string[] = [];
      const budgets = new KeyBudgets(() => now, undefined, (m) => warnings.push(m));
      budgets.useLedger(ledger);
      const k = key({ max_tokens: 5, period: 'day' });
      budgets.charge(k, undefined, 3);
      budgets.charge(k, undefined, 3);
      await budgets.refresh();
      await settle();
      expect(() => budgets.check(k)).to.throw(LipError);
      expect(warnings).to.deep.equal(['budgets: Redis cannot be reached; each instance counts its own meanwhile (and adds what it charged once Redis answers)']);
      // Regression (multi-instance probe): it said so once per process ever, and never that Redis was back.
      ledger.failing = false;
      await budgets.refresh();
      budgets.charge(k, undefined, 1);
      await settle();
      expect(warnings.slice(1)).to.deep.equal(['budgets: Redis answers again; the instances share the totals again']);
      ledger.failing = true;
      await budgets.refresh();
      budgets.charge(k, undefined, 1);
      await settle();
      expect(warnings).to.have.length(3);
      expect(warnings[2]).to.include('cannot be reached');
      await budgets.close();
    });
  });

  it('GET /admin/budgets lists the keys with a budget; a principal-scoped viewer sees its own principal\'s only', async () => {
    const now = Date.UTC(2026, 11, 3, 10);
    const budgets = new KeyBudgets(() => now);
    const keys = [key({ max_tokens: 10, period: 'day' }, 'a'), { ...key({ max_cost: 1, period: 'day' }, 'b'), principal: 'team-b' }, key(undefined, 'free')];
    const runtime = { config: { auth: { api_keys: keys } } } as unknown as Runtime;
    const endpoint = ADMIN_ENDPOINTS['/admin/budgets'];
    const url = new URL('http://x/admin/budgets');
    const ids = async (principal?: string) => ((await endpoint(runtime, url, principal === undefined ? {} : { principal }, undefined, { budgets, limits: async () => ({}) })) as { budgets: { key_id: string }[] }).budgets.map((b) => b.key_id);
    expect(await ids()).to.deep.equal(['a', 'b']);
    expect(await ids('team-b')).to.deep.equal(['b']);
    expect(await ids('nobody')).to.deep.equal([]);
  });

  it('GET /admin/limits asks for every key of the viewer (a principal-scoped viewer: its own principal\'s)', async () => {
    const keys = [key(undefined, 'a'), { ...key(undefined, 'b'), principal: 'team-b' }];
    const runtime = { config: { auth: { api_keys: keys, limits_store: 'memory' } } } as unknown as Runtime;
    const endpoint = ADMIN_ENDPOINTS['/admin/limits'];
    const url = new URL('http://x/admin/limits');
    const asked = async (principal?: string) => (await endpoint(runtime, url, principal === undefined ? {} : { principal }, undefined, {
      budgets: new KeyBudgets(), limits: async (ks) => ks.map((k) => k.id),
    })) as string[];
    expect(await asked()).to.deep.equal(['a', 'b']);
    expect(await asked('team-b')).to.deep.equal(['b']);
    expect(await endpoint(runtime, url, {}, undefined, undefined)).to.deep.equal({ store: 'memory', limits: [] });
  });

  it('seed starts each key\'s current period from the store\'s usage by key since the period began', async () => {
    const now = Date.UTC(2026, 11, 3, 10);
    const asked: UsageQuery[] = [];
    const store = {
      usage: async (q: UsageQuery): Promise<UsageSummary> => {
        asked.push(q);
        return { groups: [{ group: 'daily', attempts: 2, input_tokens: 30, output_tokens: 12, cache_read_tokens: 0, cache_write_tokens: 0, reasoning_tokens: 0, cost: 0.4 }], other: null };
      },
    };
    const budgets = new KeyBudgets(() => now);
    const daily = key({ max_cost: 0.4, period: 'day' }, 'daily');
    const monthly = key({ max_tokens: 100, period: 'month' }, 'monthly');
    await budgets.seed([daily, monthly, key(undefined, 'free')], store);
    expect(asked.map((q) => [q.groupBy, q.since])).to.deep.equal([['key', Date.UTC(2026, 11, 3)], ['key', Date.UTC(2026, 11, 1)]]);
    expect(() => budgets.check(daily)).to.throw(LipError, /spent 0.4 of its 0.4 cost/);
    budgets.check(monthly);
    expect(budgets.spent('daily', 'day')).to.include({ cost: 0.4, tokens: 42 });
    expect(budgets.spent('daily', 'month')).to.equal(undefined);
  });
});
