import type { Renewal, RenewalResult, Renewed } from '../../backends/credentials/index.js';
import { RENEWAL_ANSWER_MS, type RenewalTurn } from './messages.js';

/** One credential as the primary knows it: its last renewal, and the worker renewing it now with the workers waiting for that. */
interface LoginState {
  latest: Renewed<unknown> | undefined;
  renewing: { readonly worker: number; readonly waiters: ((renewal: Renewal<unknown>) => void)[]; readonly timer: NodeJS.Timeout } | undefined;
}

/** How many credentials the primary keeps track of (one per Codex login: a few). */
const LOGINS_MAX = 64;

/**
 * The primary's side of the workers' SharedRenewals (`lip serve --workers`): one renewal at a
 * time per credential for the whole cluster. The first worker to ask gets the turn and renews
 * with its own backend (its HTTP client and proxy), then says what it got (`done`); the workers
 * that ask meanwhile wait for that outcome. A worker that asks holding an older generation than
 * the last renewal (a worker restarted with auth.json's refresh token, which that renewal
 * rotated away) is handed the renewal instead of the turn, and so is one whose refresh was
 * refused while another worker's renewal came in. Every renewal is announced to every worker
 * (`announce`), so that each sends the new token from then on. The turn is taken back, and those
 * waiting fail with a passing failure (they try again later), when its worker stops (`gone`) or
 * does not report within `waitMs`.
 *
 * ```ts
 * const renewals = new ClusterRenewals((login, renewed) => sendToEveryWorker({ lip: 'renewed', login, ...renewed }));
 * await renewals.turn(1, login, 0);                         // { renewHere: true }: worker 1 refreshes
 * const waiting = renewals.turn(2, login, 0);               // worker 2 waits for it
 * renewals.done(1, login, 0, { value: grant });             // both get { generation: 1, value: grant }
 * ```
 * @see spec/cli/cluster/cluster-renewals.spec.ts
 */
export class ClusterRenewals {
  private readonly logins = new Map<string, LoginState>();

  constructor(private readonly announce: (login: string, renewed: Renewed<unknown>) => void, private readonly waitMs = RENEWAL_ANSWER_MS) {}

  /** `worker`, holding `login` at `generation`, asks to renew it. */
  turn(worker: number, login: string, generation: number): Promise<RenewalTurn> {
    const state = this.stateOf(login);
    if (state.latest !== undefined && state.latest.generation > generation) return Promise.resolve(state.latest);
    const renewing = state.renewing;
    if (renewing) return new Promise((resolve) => renewing.waiters.push(resolve));
    const timer = setTimeout(() => this.settle(state, { failure: 'the worker renewing it did not finish in time', forGood: false }), this.waitMs).unref();
    state.renewing = { worker, waiters: [], timer };
    return Promise.resolve({ renewHere: true });
  }

  /** What renewing `login` (held at `generation`) gave `worker`: the renewal every worker waiting for it gets, and `worker` too. */
  done(worker: number, login: string, generation: number, result: RenewalResult<unknown>): Renewal<unknown> {
    const state = this.stateOf(login);
    let renewal: Renewal<unknown>;
    if ('value' in result) {
      renewal = state.latest = { generation: (state.latest?.generation ?? 0) + 1, value: result.value };
      this.announce(login, renewal);
    } else {
      renewal = state.latest !== undefined && state.latest.generation > generation ? state.latest : result;
    }
    if (state.renewing?.worker === worker) this.settle(state, renewal);
    return renewal;
  }

  /** `worker` stopped: a renewal it had the turn for will not come. */
  gone(worker: number): void {
    for (const state of this.logins.values()) {
      if (state.renewing?.worker === worker) this.settle(state, { failure: 'the worker renewing it stopped', forGood: false });
    }
  }

  private settle(state: LoginState, renewal: Renewal<unknown>): void {
    const renewing = state.renewing;
    if (!renewing) return;
    clearTimeout(renewing.timer);
    state.renewing = undefined;
    for (const resolve of renewing.waiters) resolve(renewal);
  }

  private stateOf(login: string): LoginState {
    const known = this.logins.get(login);
    if (known) return known;
    if (this.logins.size >= LOGINS_MAX) {
      const idle = [...this.logins].find(([, state]) => state.renewing === undefined);
      if (idle) this.logins.delete(idle[0]);
    }
    const state: LoginState = { latest: undefined, renewing: undefined };
    this.logins.set(login, state);
    return state;
  }
}
