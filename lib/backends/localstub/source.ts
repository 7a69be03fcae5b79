import { channel } from 'node:diagnostics_channel';
import { Observable } from 'rxjs/internal/Observable';
import { asyncScheduler } from 'rxjs/internal/scheduler/async';
import type { SchedulerLike } from 'rxjs';
import type { Call, EmbeddingRequest, EmbeddingResult, LipEvent } from '../../canonical/index.js';
import { isOutputEvent } from '../../canonical/index.js';
import { LipError, isRetryableStatus } from '../../errors/index.js';
import type { Backend, BackendDeps, BackendRow, Target } from '../backend.js';
import { customCallsFromFunctions } from '../custom-tools.js';
import { localstubOptions, type LocalstubFailure, type LocalstubOptions } from './options.js';
import { buildScript, splitText, type Step } from './script.js';
import { stubVector } from './stub-vector.js';
import { refuseHostedTools } from '../hosted-tools.js';
import { relayableStatus } from '../http/upstream-status-error.js';

/** The length of a localstub vector when the request asks for none. */
const STUB_DIMENSIONS = 16;
/** The most values one localstub embedding answer holds (inputs x dimensions): it makes them all in memory. */
const MAX_STUB_VALUES = 1_048_576;

/**
 * `lip:localstub` reports each stream's life: `{ backend, phase: 'subscribe' | 'complete' |
 * 'error' | 'unsubscribe' }`. Tests use it to prove that a client abort, a race loss or a TTFT
 * expiry reached the source as an unsubscribe.
 */
export const localstubChannel = channel('lip:localstub');

export interface LocalstubLifecycle {
  readonly backend: string;
  readonly phase: 'subscribe' | 'complete' | 'error' | 'unsubscribe';
}

/**
 * The localstub backend: replies from its row's knobs, on the given scheduler. With no delays
 * the whole reply is emitted synchronously on subscribe (the benchmark fast path); with delays,
 * each step is one scheduled action, cancelled by unsubscribing.
 */
export class LocalstubBackend implements Backend {
  readonly kind = 'localstub';
  readonly id: string;
  readonly models: readonly string[];
  private readonly options: LocalstubOptions;
  private readonly scheduler: SchedulerLike;
  /** The configured text, split once (echo replies are split per request). */
  private readonly textChunks: readonly string[] | undefined;
  private sequence = 0;

  constructor(row: BackendRow, deps: BackendDeps = {}) {
    this.id = row.id;
    this.models = row.models.length > 0 ? row.models : ['stub-default'];
    this.options = localstubOptions(row);
    this.scheduler = deps.scheduler ?? asyncScheduler;
    this.textChunks = this.options.echo ? undefined : this.options.text ? splitText(this.options.text, this.options.chunks) : [];
  }

  stream(call: Call, _target: Target): Observable<LipEvent> {
    return new Observable<LipEvent>((subscriber) => {
      const o = this.options;
      refuseHostedTools(call, `localstub ${this.id}`);
      const steps = buildScript(call, o, `call_${this.id}_${++this.sequence}_`, this.textChunks);
      const report = (phase: LocalstubLifecycle['phase']) => {
        if (localstubChannel.hasSubscribers) localstubChannel.publish({ backend: this.id, phase } satisfies LocalstubLifecycle);
      };
      let ended = false;
      report('subscribe');

      const failure = o.fail;
      const fail = (): void => {
        ended = true;
        report('error');
        subscriber.error(this.failure(failure));
      };
      // How much of the script runs: nothing before a before_output failure, up to the first
      // output for a stall, through the first output for an after_output failure.
      const firstOutput = steps.findIndex((s) => isOutputEvent(s.event));
      const stopAt = failure === undefined ? steps.length
        : failure.mode === 'before_output' ? 0
        : failure.mode === 'stall' ? firstOutput
        : firstOutput + 1;
      const endDelay = failure?.mode === 'before_output' ? o.firstTokenDelayMs : 0;
      const end = (): void => {
        if (failure?.mode === 'stall') return; // never completes; only unsubscribing ends it
        if (failure) return fail();
        ended = true;
        report('complete');
        subscriber.complete();
      };

      let index = 0;
      let waited = false;
      let pending: { unsubscribe(): void } | undefined;
      const wait = (ms: number): void => {
        pending = this.scheduler.schedule(() => {
          pending = undefined;
          waited = true;
          run();
        }, ms);
      };
      const run = (): void => {
        while (!subscriber.closed) {
          const delay = index < stopAt ? (steps[index] as Step).delayMs : endDelay;
          if (delay > 0 && !waited) return wait(delay);
          waited = false;
          if (index === stopAt) return end();
          subscriber.next((steps[index++] as Step).event);
        }
      };
      run();

      return () => {
        pending?.unsubscribe();
        if (!ended) report('unsubscribe');
      };
    }).pipe(customCallsFromFunctions(call)); // a scripted call of a custom tool: its `{"input": ...}` is the input
  }

  /**
   * Deterministic vectors (stub-vector.ts), `dimensions` long (16 when not asked). The row's
   * `fail` applies as to a stream: `before_output:STATUS` fails with that status, `after_output`
   * with a connection reset, and `stall` answers only the abort of `signal`.
   */
  embed(request: EmbeddingRequest, _model: string, signal: AbortSignal): Promise<EmbeddingResult> {
    const failure = this.options.fail;
    if (failure?.mode === 'stall') {
      return new Promise((_resolve, reject) => {
        const stop = () => reject(new LipError('LIP_ERR_UPSTREAM_RESET', `localstub ${this.id}: the stalled embedding was aborted`));
        if (signal.aborted) stop();
        else signal.addEventListener('abort', stop, { once: true });
      });
    }
    if (failure) return Promise.reject(this.failure(failure));
    const dimensions = request.dimensions ?? STUB_DIMENSIONS;
    if (request.inputs.length * dimensions > MAX_STUB_VALUES) {
      return Promise.reject(new LipError('LIP_ERR_REQUEST_LIMIT_EXCEEDED', `localstub ${this.id} makes at most ${MAX_STUB_VALUES} vector values per request (${request.inputs.length} inputs of ${dimensions} asked)`));
    }
    return Promise.resolve({ vectors: request.inputs.map((text) => stubVector(text, dimensions)) });
  }

  /**
   * The error a `fail` row simulates: the upstream status (`before_output`), else a reset after
   * output. A status that is not an error status is a retryable 502, as from an HTTP upstream
   * (upstreamStatusError): relayed, a 1xx would leave the client waiting, a 3xx point it nowhere.
   */
  private failure(failure: LocalstubFailure | undefined): LipError {
    if (failure?.mode !== 'before_output') return new LipError('LIP_ERR_UPSTREAM_RESET', `localstub ${this.id}: simulated connection reset after output`, { detail: { backend: this.id } });
    const relayed = relayableStatus(failure.status);
    return new LipError('LIP_ERR_UPSTREAM_STATUS', `localstub ${this.id}: simulated upstream status ${failure.status}${relayed ? '' : ' (not an error status)'}`, {
      status: relayed ? failure.status : 502, retryable: !relayed || isRetryableStatus(failure.status), detail: { backend: this.id, upstream_status: failure.status },
    });
  }
}

export function createLocalstub(row: BackendRow, deps: BackendDeps): Backend {
  return new LocalstubBackend(row, deps);
}
