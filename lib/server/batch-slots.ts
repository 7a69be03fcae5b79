import { LipError } from '../errors/index.js';

/** The caps a batch create meets: `server.max_running_batches` and `server.max_running_batches_per_principal`. */
export interface BatchSlotLimits {
  readonly max: number;
  readonly perPrincipal: number;
}

/**
 * The running-batch slots of this process, in all and per principal. A create takes its slot
 * before it writes the batch's records (so creates running side by side cannot pass a cap
 * together) and gives it back if it fails; a batch that runs holds it until it has ended.
 * A principal at its share gets a 429 naming `max_running_batches_per_principal`, so that one
 * key (or every key of one principal) can never hold every slot while others wait.
 *
 * ```ts
 * const release = slots.take('bob', { max: 64, perPrincipal: 32 }); // or throws the 429
 * release(); // once: further calls do nothing
 * ```
 * @see spec/server/batch-slots.spec.ts
 */
export class BatchSlots {
  private total = 0;
  private readonly held = new Map<string, number>();

  /** Slots taken in all. */
  get size(): number {
    return this.total;
  }

  /** Slots `principal` holds. */
  heldBy(principal: string): number {
    return this.held.get(principal) ?? 0;
  }

  /** A slot for `principal`, or `LIP_ERR_SERVER_OVERLOADED` (429, Retry-After 5) naming the cap reached. */
  take(principal: string, limits: BatchSlotLimits): () => void {
    const mine = this.heldBy(principal);
    if (mine >= limits.perPrincipal) {
      throw new LipError('LIP_ERR_SERVER_OVERLOADED', `this principal has ${mine} batches running, its limit (server.max_running_batches_per_principal: ${limits.perPrincipal}); retry once one has ended`, { retryAfter: 5 });
    }
    if (this.total >= limits.max) {
      throw new LipError('LIP_ERR_SERVER_OVERLOADED', `the server is at its limit of ${limits.max} batches running at once (server.max_running_batches)`, { retryAfter: 5 });
    }
    this.total++;
    this.held.set(principal, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = this.heldBy(principal) - 1;
      if (left > 0) this.held.set(principal, left);
      else this.held.delete(principal);
    };
  }
}
