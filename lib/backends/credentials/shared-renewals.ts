/** Why renewing a credential failed, and whether it can be tried again later. */
export interface RenewalFailure {
  readonly failure: string;
  /** The credential cannot be renewed with what this process holds (a refresh token refused as spent or revoked). */
  readonly forGood: boolean;
}

/** What renewing a credential in this process gave: the new one (plain JSON: it may travel to other processes), or why not. */
export type RenewalResult<T> = { readonly value: T } | RenewalFailure;

/** A renewed credential and its generation: 1 for the first renewal of the credential as configured, and so on. */
export interface Renewed<T> {
  readonly generation: number;
  readonly value: T;
}

/** What a holder of a credential adopts: the renewed credential, or why there is none. */
export type Renewal<T> = Renewed<T> | RenewalFailure;

/**
 * Where the processes that hold one renewable credential renew it once for all of them (`lip serve
 * --workers`: every worker reads the same Codex login). A provider that rotates refresh tokens
 * honours each one once: two processes refreshing with the same one leave all but the first with
 * a refused grant. A credential is named by its `login` (a fingerprint, never the credential);
 * each holder says which generation it holds.
 *
 * ```ts
 * const renewal = await renewals.renew(login, held, () => refresh()); // the newer one, or refresh() here
 * const stop = renewals.follow(login, (renewed) => adopt(renewed));   // renewals made elsewhere
 * ```
 * @see spec/cli/cluster/cluster-renewals.spec.ts, spec/backends/openai-codex/token-refresh.spec.ts
 */
export interface SharedRenewals {
  /**
   * Renews `login`, held here at `generation` (0: as configured): a newer renewal another
   * process made, or the outcome of the one another process is making; else runs `renew` here
   * and shares its outcome. Never rejects.
   */
  renew<T>(login: string, generation: number, renew: () => Promise<RenewalResult<T>>): Promise<Renewal<T>>;
  /** Calls `apply` with each renewal of `login` another process makes, until the returned function is called. */
  follow<T>(login: string, apply: (renewed: Renewed<T>) => void): () => void;
}

/** A process alone (no `--workers`): it renews what it holds itself, and nobody else does. */
export const LOCAL_RENEWALS: SharedRenewals = {
  async renew<T>(_login: string, generation: number, renew: () => Promise<RenewalResult<T>>): Promise<Renewal<T>> {
    const result = await renew();
    return 'value' in result ? { generation: generation + 1, value: result.value } : result;
  },
  follow: () => () => undefined,
};
