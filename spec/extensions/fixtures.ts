import { Observable } from 'rxjs';
import { emptyCall, type Call, type LipEvent } from '../../lib/canonical/index.js';
import { HookFailures } from '../../lib/extensions/hook-failures.js';
import { HookSet, type BuiltFeature } from '../../lib/extensions/hook-set.js';
import type { AttemptTarget, FeatureBundle, HookContext, StreamContext } from '../../lib/extensions/sdk.js';
import { MemoryStateStore, scopedState } from '../../lib/extensions/state-store.js';

/** A valid call with one user message. */
export function userCall(text = 'hi', overrides: Partial<Call> = {}): Call {
  return emptyCall({ model: 'm', messages: [{ role: 'user', parts: [{ type: 'text', text }] }], ...overrides });
}

/** A logger that keeps what it was told. */
export function memoryLogger() {
  const lines: { level: string; message: string; meta?: Record<string, unknown> }[] = [];
  const log = (level: string) => (message: string, meta?: Record<string, unknown>) => { lines.push({ level, message, ...(meta ? { meta } : {}) }); };
  return { lines, warn: log('warn'), info: log('info'), error: log('error') };
}

/** Hooks of in-test features, sorted as the runtime sorts them. */
export function hookSet(...features: (FeatureBundle | BuiltFeature)[]): HookSet {
  return new HookSet(features.map((f, i) => ('bundle' in f ? f : { id: `f${i}`, bundle: f })));
}

export const target: AttemptTarget = { backendId: 'b', candidateKey: 'b:m', model: 'm' };

/** A hook context over a memory store (no auxiliary client). */
export function hookContext(feature = 'f0'): StreamContext {
  const store = new MemoryStateStore();
  const ctx: HookContext = {
    requestId: 'req-1', principal: 'local', depth: 0,
    state: (scope) => scopedState(store, feature, scope, scope === 'global' ? '' : 'req-1'),
    get auxiliary(): never { throw new Error('no auxiliary client in this test'); },
  };
  return Object.assign(Object.create(ctx) as HookContext, { target });
}

/** Failures with a logger and a clock the test controls. */
export function failures(now = { t: 0 }) {
  const logger = memoryLogger();
  return { failures: new HookFailures(logger, () => now.t), logger, now };
}

/**
 * A synchronous upstream that never ends its answer: `first`, then `repeat` until its subscriber
 * is closed (or `max` repeats, so that a stage that holds without bound lets the test end).
 * `probe.repeated` says how many it sent, `probe.tornDown` whether its teardown ran.
 */
export function endlessSource(first: readonly LipEvent[], repeat: LipEvent, max: number) {
  const probe = { repeated: 0, tornDown: false };
  const source = new Observable<LipEvent>((subscriber) => {
    for (const e of first) subscriber.next(e);
    while (!subscriber.closed && probe.repeated < max) {
      probe.repeated++;
      subscriber.next(repeat);
    }
    if (!subscriber.closed) subscriber.complete();
    return () => { probe.tornDown = true; };
  });
  return { source, probe };
}
