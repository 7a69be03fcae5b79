/**
 * Backpressure between a client socket and the upstream bodies feeding it. RxJS has no
 * backpressure of its own, so the server and the backend sources share this gate: the server
 * closes it when `res.write()` returns false and opens it on `'drain'`; a source checks
 * `closed` after handing a chunk's events on and, when it is, pauses its upstream body until
 * `onOpen` calls back. One gate per client response; race legs and failover candidates share it.
 */
export class FlowGate {
  private waiting: (() => void)[] = [];
  private shut = false;

  /** True while the client cannot take more bytes. */
  get closed(): boolean {
    return this.shut;
  }

  close(): void {
    this.shut = true;
  }

  open(): void {
    if (!this.shut) return;
    this.shut = false;
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }

  /**
   * Calls `resume` once when the gate opens (at once when it is open). Returns a function that
   * cancels the wait (for a source that is torn down while paused).
   */
  onOpen(resume: () => void): () => void {
    if (!this.shut) {
      resume();
      return () => undefined;
    }
    this.waiting.push(resume);
    return () => {
      const i = this.waiting.indexOf(resume);
      if (i >= 0) this.waiting.splice(i, 1);
    };
  }
}
