import { KINDS, type KindCase } from '../backends/kinds.js';
import { testConfig } from './config.js';
import type { Emulator } from './emulators/index.js';
import { startLip, type RunningLip } from './lip.js';

export interface StateCheckingKinds {
  /** The lip in front of them (set once `before` has run). */
  lip(): RunningLip;
  /** The emulators by kind. */
  readonly emulators: ReadonlyMap<string, Emulator>;
}

/**
 * For a describe block: one emulator per backend kind and a lip with a backend of each (its id
 * `idOf(kind)`, `extraYaml` added to the config). Before each test every emulator is reset and
 * checks provider state: it refuses, as the real provider does, a follow-up whose tokens it issued
 * (signatures, encrypted reasoning) are missing or altered.
 */
export function useStateCheckingKinds(idOf: (k: KindCase) => string, extraYaml = ''): StateCheckingKinds {
  let lip: RunningLip | undefined;
  const emulators = new Map<string, Emulator>();
  before(async () => {
    for (const k of KINDS) emulators.set(k.kind, await k.start());
    lip = await startLip(testConfig(KINDS.map((k) => k.row(idOf(k), emulators.get(k.kind)!)).join('\n'), extraYaml));
  });
  after(async () => {
    await lip?.close();
    await Promise.all([...emulators.values()].map((e) => e.close()));
  });
  beforeEach(() => {
    for (const e of emulators.values()) {
      e.reset();
      e.handler = undefined;
      e.checkState = true;
    }
  });
  return { lip: () => lip!, emulators };
}
