import { RedisOutageNotice } from '../circuit/redis/redis-client.js';
import type { ApiKeyConfig, KeyBudgetConfig } from '../config/index.js';
import type { ContinuityStore } from '../continuity/index.js';
import { LipError } from '../errors/index.js';

/** What a key spent in one period. */
export interface Spent {
  readonly cost: number;
  readonly tokens: number;
}

/** A calendar period in UTC: `[start, end)` in milliseconds since the epoch. */
export interface PeriodWindow {
  readonly start: number;
  readonly end: number;
}

const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** How often totals kept with other instances are read again (Redis). */
export const BUDGET_REFRESH_MS = 5_000;

/**
 * The period of `period` that holds `t` (UTC): the hour, the day (from midnight), the week (from
 * Monday midnight, ISO 8601) or the calendar month.
 *
 * ```ts
 * periodWindow('month', Date.UTC(2026, 1, 14)) // { start: Date.UTC(2026, 1, 1), end: Date.UTC(2026, 2, 1) }
 * ```
 */
export function periodWindow(period: KeyBudgetConfig['period'], t: number): PeriodWindow {
  if (period === 'hour') {
    const start = t - (t % HOUR_MS);
    return { start, end: start + HOUR_MS };
  }
  const day = t - (t % DAY_MS);
  if (period === 'day') return { start: day, end: day + DAY_MS };
  if (period === 'week') {
    // 1970-01-01 was a Thursday: three days after a Monday.
    const sinceMonday = (Math.floor(day / DAY_MS) + 3) % 7;
    const start = day - sinceMonday * DAY_MS;
    return { start, end: start + 7 * DAY_MS };
  }
  const d = new Date(t);
  return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/**
 * A ledger's refusal of an add it never sent (Redis not connected): nothing was added, so the
 * amount may be sent again. Any other failure of an add may have been applied (a command that
 * timed out still runs when a frozen Redis thaws) and is never sent again.
 */
export class BudgetNotSent extends Error {
  readonly code = 'LIP_BUDGET_NOT_SENT';
  override readonly name = 'BudgetNotSent';
}

/**
 * Where budgets are kept beyond this process: the instances sharing a Redis add to one total
 * per key and period, and read each other's.
 */
export interface BudgetLedger {
  /**
   * Adds to the key's total of the period starting at `window.start`; resolves the total of every
   * instance. Rejects with BudgetNotSent when nothing was sent.
   */
  add(keyId: string, window: PeriodWindow, spent: Spent): Promise<Spent>;
  /** The totals of these keys' periods (undefined for one nothing was added to). */
  read(entries: readonly { readonly keyId: string; readonly window: PeriodWindow }[]): Promise<(Spent | undefined)[]>;
  close(): Promise<void>;
}

/** What is left of a key's budget in its period when a request is admitted (its response headers). */
export interface BudgetLeft {
  readonly cost?: number;
  readonly tokens?: number;
  /** When the period ends (ms since the epoch). */
  readonly renewsAt: number;
}

/** One key's row of `GET /admin/budgets`. */
export interface BudgetView {
  readonly key_id: string;
  readonly principal: string;
  readonly period: KeyBudgetConfig['period'];
  readonly period_start: string;
  readonly period_end: string;
  readonly max_cost: number | null;
  readonly max_tokens: number | null;
  readonly spent_cost: number;
  readonly spent_tokens: number;
  /** The key's next generation request would be refused. */
  readonly exceeded: boolean;
}

/** What the requests of a key in flight have reserved (their estimates), and how many they are. */
interface Reserved {
  cost: number;
  tokens: number;
  count: number;
}

interface KeyState extends PeriodWindow {
  readonly period: KeyBudgetConfig['period'];
  cost: number;
  tokens: number;
  /** Charged here but not yet added to the ledger's total (its adds were refused unsent). */
  unsent: Spent;
}

/**
 * Per-key budgets of `auth.api_keys[].budget`: what a key may spend per calendar period (UTC),
 * in money (`max_cost`, by the pricing table) and in tokens (`max_tokens`, input plus output).
 * A request is admitted while the key's period has not reached either limit; what it spent (every
 * attempt of it, a race loser's too) counts when it ends, so the request that crosses a limit
 * finishes and the next one is refused: 429 `LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED`, with
 * `Retry-After` until the period ends. State is kept by key id, so a reload that keeps a key
 * keeps what it spent; a key without a budget costs one property check.
 *
 * Requests in flight count too: each one admitted reserves an estimate of what it will spend
 * (`reserve`, once its call is decoded), released when it is charged what it did spend. A request
 * is refused when what was spent plus what is reserved reaches a limit, and a request whose own
 * estimate would carry spent plus reserved past a limit is refused while others of the key are
 * in flight (the same 429, `Retry-After: 1`: they may end under their estimates); a request when
 * none is in flight is admitted while spent is under the limits, and finishes whole. So concurrent
 * requests overrun a limit by at most what the one crossing it spends beyond its estimate.
 * Reservations are this instance's own (a ledger shares only what was charged).
 *
 *
 * Kept in the process, and with a ledger (Redis, while `continuity.store` is `redis`) also there:
 * each charge adds to the shared total and takes back the total of every instance, and the
 * totals of the keys this instance serves are read again every 5 s. A Redis that cannot be
 * reached leaves each instance counting on its own meanwhile (said once in the log, and once
 * when Redis answers again: RedisOutageNotice); what an instance charged and could
 * not send (BudgetNotSent) it keeps per key and period and adds with its next add that goes
 * through, or at its next refresh, so the shared total has it once Redis is back (an add that
 * failed otherwise may have been applied: it is not sent again). `seed` starts the current periods
 * from what a persistent continuity store recorded (SQLite), so a restart forgets nothing.
 * `now` is injected for tests on virtual time.
 * @see spec/server/key-budgets.spec.ts
 */
export class KeyBudgets {
  private readonly state = new Map<string, KeyState>();
  private readonly reserved = new Map<string, Reserved>();
  private timer: NodeJS.Timeout | undefined;
  /** Says once when the shared totals cannot be reached, and once when they can again. */
  private readonly notice: RedisOutageNotice;

  constructor(
    private readonly now: () => number = Date.now,
    private ledger?: BudgetLedger,
    warn: (message: string, meta: Record<string, unknown>) => void = () => undefined,
  ) {
    this.notice = new RedisOutageNotice('budgets', 'each instance counts its own meanwhile (and adds what it charged once Redis answers)', 'the instances share the totals again', warn);
  }

  /**
   * Throws the 429 when `key`'s current period has reached a limit of its budget; otherwise
   * answers what is left of it (undefined for a key without a budget).
   */
  check(key: ApiKeyConfig | undefined): BudgetLeft | undefined {
    const budget = key?.budget;
    if (budget === undefined) return undefined;
    const s = this.current(key!.id, budget.period);
    const r = this.reserved.get(key!.id);
    const cost = s.cost + (r?.cost ?? 0);
    const tokens = s.tokens + (r?.tokens ?? 0);
    const over = budget.max_cost !== undefined && cost >= budget.max_cost
      ? `${round(s.cost)}${r !== undefined ? ` (and ${round(r.cost)} reserved by ${r.count} in flight)` : ''} of its ${budget.max_cost} cost`
      : budget.max_tokens !== undefined && tokens >= budget.max_tokens
        ? `${s.tokens}${r !== undefined ? ` (and ${r.tokens} reserved by ${r.count} in flight)` : ''} of its ${budget.max_tokens} tokens` : undefined;
    if (over === undefined) {
      return {
        ...(budget.max_cost !== undefined ? { cost: round(budget.max_cost - s.cost) } : {}),
        ...(budget.max_tokens !== undefined ? { tokens: budget.max_tokens - s.tokens } : {}),
        renewsAt: s.end,
      };
    }
    // Spent alone reached a limit: refused until the period ends; with what is in flight, until some of it ends.
    const spentOut = (budget.max_cost !== undefined && s.cost >= budget.max_cost) || (budget.max_tokens !== undefined && s.tokens >= budget.max_tokens);
    const wait = spentOut ? Math.max(1, Math.ceil((s.end - this.now()) / 1000)) : 1;
    throw new LipError(spentOut ? 'LIP_ERR_AUTH_KEY_BUDGET_EXCEEDED' : 'LIP_ERR_AUTH_KEY_BUDGET_RESERVED', `API key "${key!.id}" has spent ${over} for this ${budget.period} (renewed at ${new Date(s.end).toISOString()})`, { retryAfter: wait });
  }

  /**
   * Reserves `estimate` for a request of `key` now in flight; answers the release (call it when
   * the request is charged; a second call does nothing). Throws the 429 when other requests of the
   * key are in flight and spent plus their reservations plus `estimate` would pass a limit (a
   * request alone is never refused here: check() admitted it under the limits).
   */
  reserve(key: ApiKeyConfig | undefined, estimate: Spent): () => void {
    const budget = key?.budget;
    if (budget === undefined) return NOTHING;
    const id = key!.id;
    const r = this.reserved.get(id);
    if (r !== undefined) {
      const s = this.current(id, budget.period);
      const cost = s.cost + r.cost + estimate.cost;
      const tokens = s.tokens + r.tokens + estimate.tokens;
      const over = budget.max_cost !== undefined && cost > budget.max_cost
        ? `${round(s.cost)} of its ${budget.max_cost} cost, ${round(r.cost)} reserved by ${r.count} in flight and about ${round(estimate.cost)} for this one`
        : budget.max_tokens !== undefined && tokens > budget.max_tokens
          ? `${s.tokens} of its ${budget.max_tokens} tokens, ${r.tokens} reserved by ${r.count} in flight and about ${estimate.tokens} for this one` : undefined;
      if (over !== undefined) {
        throw new LipError('LIP_ERR_AUTH_KEY_BUDGET_RESERVED', `API key "${id}" has spent ${over} for this ${budget.period} (renewed at ${new Date(s.end).toISOString()})`, { retryAfter: 1 });
      }
    }
    const held = r ?? { cost: 0, tokens: 0, count: 0 };
    held.cost += estimate.cost;
    held.tokens += estimate.tokens;
    held.count++;
    if (r === undefined) this.reserved.set(id, held);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      held.count--;
      if (held.count <= 0) {
        if (this.reserved.get(id) === held) this.reserved.delete(id);
        return;
      }
      held.cost = Math.max(0, held.cost - estimate.cost);
      held.tokens = Math.max(0, held.tokens - estimate.tokens);
    };
  }

  /** Counts what a request of `key` spent (its cost, when priced, and its input plus output tokens). */
  charge(key: ApiKeyConfig | undefined, cost: number | undefined, tokens: number): void {
    const budget = key?.budget;
    if (budget === undefined) return;
    const spent = { cost: cost !== undefined && cost > 0 ? cost : 0, tokens: tokens > 0 ? tokens : 0 };
    if (spent.cost === 0 && spent.tokens === 0) return;
    const s = this.current(key!.id, budget.period);
    s.cost += spent.cost;
    s.tokens += spent.tokens;
    if (this.ledger === undefined) return;
    s.unsent = { cost: s.unsent.cost + spent.cost, tokens: s.unsent.tokens + spent.tokens };
    void this.send(key!.id, s);
  }

  /** What `keyId` spent in its current period of `period`, as this instance knows it (nothing yet: undefined). */
  spent(keyId: string, period: KeyBudgetConfig['period']): (Spent & PeriodWindow) | undefined {
    const s = this.state.get(keyId);
    const t = this.now();
    return s === undefined || s.period !== period || t >= s.end || t < s.start ? undefined : { cost: s.cost, tokens: s.tokens, start: s.start, end: s.end };
  }

  /**
   * `GET /admin/budgets`: each key's budget and what it spent in its current period, the shared
   * totals read first when there is a ledger (this instance's own count while it cannot be read).
   */
  async view(keys: readonly ApiKeyConfig[]): Promise<BudgetView[]> {
    const budgeted = keys.filter((k) => k.budget !== undefined);
    const ledger = this.ledger;
    if (ledger !== undefined && budgeted.length > 0) {
      const states = budgeted.map((k) => this.current(k.id, k.budget!.period));
      try {
        const totals = await ledger.read(budgeted.map((k, i) => ({ keyId: k.id, window: states[i]! })));
        this.notice.succeeded();
        budgeted.forEach((k, i) => {
          const total = totals[i];
          if (total !== undefined) this.merge(k.id, states[i]!, total);
        });
      } catch (err) {
        this.notice.failed(err);
      }
    }
    return budgeted.map((k) => {
      const b = k.budget!;
      const s = this.spent(k.id, b.period) ?? { cost: 0, tokens: 0, ...periodWindow(b.period, this.now()) };
      const exceeded = (b.max_cost !== undefined && s.cost >= b.max_cost) || (b.max_tokens !== undefined && s.tokens >= b.max_tokens);
      return {
        key_id: k.id, principal: k.principal, period: b.period, period_start: new Date(s.start).toISOString(), period_end: new Date(s.end).toISOString(),
        max_cost: b.max_cost ?? null, max_tokens: b.max_tokens ?? null, spent_cost: round(s.cost), spent_tokens: s.tokens, exceeded,
      };
    });
  }

  /**
   * Starts the current periods of `keys` from the attempt rows a persistent store kept (their
   * cost and tokens by key id since each period began): run once at start.
   */
  async seed(keys: readonly ApiKeyConfig[], continuity: Pick<ContinuityStore, 'usage'>): Promise<void> {
    const budgeted = keys.filter((k) => k.budget !== undefined);
    const starts = new Map<number, ApiKeyConfig[]>();
    for (const key of budgeted) {
      const { start } = periodWindow(key.budget!.period, this.now());
      starts.set(start, [...(starts.get(start) ?? []), key]);
    }
    for (const [since, group] of starts) {
      const { groups: rows } = await continuity.usage({ groupBy: 'key', since });
      for (const key of group) {
        const row = rows.find((r) => r.group === key.id);
        if (row === undefined) continue;
        const s = this.current(key.id, key.budget!.period);
        this.merge(key.id, s, { cost: row.cost ?? 0, tokens: row.input_tokens + row.output_tokens });
      }
    }
  }

  /** Uses `ledger` from now on (undefined: this process alone); reads the shared totals every 5 s while one is set. */
  useLedger(ledger: BudgetLedger | undefined): void {
    if (ledger === this.ledger) return;
    void this.ledger?.close();
    this.ledger = ledger;
    clearInterval(this.timer);
    this.timer = undefined;
    if (ledger === undefined) return;
    this.timer = setInterval(() => void this.refresh(), BUDGET_REFRESH_MS);
    this.timer.unref();
  }

  /** Reads the shared totals of the keys this instance has counted in their current periods. */
  async refresh(): Promise<void> {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    const now = this.now();
    const live = [...this.state.entries()].filter(([, s]) => now < s.end);
    // What could not be sent goes now (its add answers the total); the other keys are read.
    const unsent = live.filter(([, s]) => s.unsent.cost > 0 || s.unsent.tokens > 0);
    await Promise.all(unsent.map(([keyId, s]) => this.send(keyId, s)));
    const read = live.filter((entry) => !unsent.includes(entry));
    if (read.length === 0) return;
    try {
      const totals = await ledger.read(read.map(([keyId, window]) => ({ keyId, window })));
      this.notice.succeeded();
      read.forEach(([keyId, s], i) => {
        const total = totals[i];
        if (total !== undefined) this.merge(keyId, s, total);
      });
    } catch (err) {
      this.notice.failed(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ledger?.close();
    this.ledger = undefined;
  }

  /** The key's state for the period holding now (a new period, or a changed one, starts from nothing). */
  private current(keyId: string, period: KeyBudgetConfig['period']): KeyState {
    const t = this.now();
    let s = this.state.get(keyId);
    if (s === undefined || s.period !== period || t >= s.end || t < s.start) {
      s = { ...periodWindow(period, t), period, cost: 0, tokens: 0, unsent: { cost: 0, tokens: 0 } };
      this.state.set(keyId, s);
    }
    return s;
  }

  /**
   * Adds what `s` holds unsent to the ledger's total and takes the total back. Refused unsent, the
   * amount is kept for the next add (with what is charged meanwhile); failed otherwise, it may
   * have been added, and is dropped from what is kept. Never rejects.
   */
  private async send(keyId: string, s: KeyState): Promise<void> {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    const amount = s.unsent;
    s.unsent = { cost: 0, tokens: 0 };
    try {
      const total = await ledger.add(keyId, s, amount);
      this.notice.succeeded();
      this.merge(keyId, s, total);
    } catch (err) {
      if (err instanceof BudgetNotSent) s.unsent = { cost: s.unsent.cost + amount.cost, tokens: s.unsent.tokens + amount.tokens };
      this.notice.failed(err);
    }
  }

  /** Takes a total that includes other instances' spending; never below what this one counted. */
  private merge(keyId: string, s: KeyState, total: Spent): void {
    if (this.state.get(keyId) !== s) return;
    s.cost = Math.max(s.cost, total.cost);
    s.tokens = Math.max(s.tokens, total.tokens);
  }
}

const round = (n: number) => Math.round(n * 1e6) / 1e6;
const NOTHING = () => undefined;
