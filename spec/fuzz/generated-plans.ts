import fc from 'fast-check';
import { KINDS } from '../backends/kinds.js';
import type { Script } from '../helpers/emulators/index.js';
import type { Generated } from './generated-scripts.js';

/**
 * Routing plans over one emulator per backend kind (KINDS), for a generated answer: the selector
 * a client sends and what each upstream is told to do. Shared by the recording round trip and
 * the observability agreement.
 */
export interface Plan {
  readonly selector: string;
  /** Scripts per kind index (in the order that kind's emulator will be asked). */
  readonly scripts: ReadonlyMap<number, Script>;
  readonly label: string;
}

export const kindIndex = fc.integer({ min: 0, max: KINDS.length - 1 });
const twoKinds = fc.uniqueArray(kindIndex, { minLength: 2, maxLength: 2 });

/** An upstream failure before any output: one of `statuses`, or a reset before the first byte. */
const failure = (statuses: readonly number[]): fc.Arbitrary<Script> => fc.oneof(
  fc.constantFrom(...statuses).map((status): Script => ({ status, error: { message: `upstream says ${status}` } })),
  fc.constant<Script>({ text: ['never'], fault: { reset: 'before_first_byte' } }),
);

/**
 * The plans: a single leaf; a failover past a failure (`statuses`, or a reset); a race of two or
 * three kinds (drips of 0-60 ms, a handicap on the first leg or none); a leaf whose TTFT budget
 * expires on a stalled upstream, then another; a leaf that breaks with an in-band error after
 * output. `leaf(i)` is the candidate of kind `i`.
 */
export function routePlans(answer: Generated, leaf: (kind: number) => string, statuses: readonly number[]): fc.Arbitrary<Plan>[] {
  return [
    kindIndex.map((a): Plan => ({ selector: leaf(a), scripts: new Map([[a, answer.script]]), label: 'one' })),
    fc.tuple(twoKinds, failure(statuses)).map(([[a, b], fail]): Plan => ({
      selector: `${leaf(a!)}|${leaf(b!)}`, scripts: new Map([[a!, fail], [b!, answer.script]]), label: 'failover',
    })),
    fc.tuple(fc.uniqueArray(kindIndex, { minLength: 2, maxLength: 3 }), fc.array(fc.constantFrom(0, 0, 5, 20, 60), { minLength: 3, maxLength: 3 }), fc.option(fc.constantFrom(10, 40), { nil: undefined }))
      .map(([legs, drips, handicap]): Plan => ({
        selector: legs.map((k, i) => `${i === 0 && handicap ? `[handicap=${handicap}ms]` : ''}${leaf(k)}`).join('!'),
        scripts: new Map(legs.map((k, i) => [k, { ...answer.script, ...(drips[i] ? { dripMs: drips[i] } : {}) }])),
        label: 'race',
      })),
    twoKinds.map(([a, b]): Plan => ({
      selector: `[ttft_timeout=150ms]${leaf(a!)}|${leaf(b!)}`, scripts: new Map([[a!, { text: ['late'], fault: { stall: 'before_first_token' } }], [b!, answer.script]]), label: 'ttft',
    })),
    kindIndex.map((a): Plan => ({
      selector: leaf(a), scripts: new Map([[a, { ...answer.script, text: answer.script.text?.length ? answer.script.text : ['x'], toolCalls: undefined, streamError: { message: 'overloaded mid-answer' } }]]), label: 'in-band error',
    })),
  ];
}

const ANTHROPIC = KINDS.findIndex((k) => k.kind === 'anthropic');

/**
 * An answer that breaks after output (a reset) on any other kind, with Anthropic (which takes a
 * prefill) next in the route: with `routing.resume_after_output` on, the answer is resumed there.
 */
export function resumePlan(answer: Generated, leaf: (kind: number) => string): fc.Arbitrary<Plan> {
  return kindIndex.filter((a) => a !== ANTHROPIC).map((a): Plan => ({
    selector: `${leaf(a)}|${leaf(ANTHROPIC)}`,
    scripts: new Map([[a, { text: ['Once upon ', 'a time'], fault: { reset: 'after_output' } }], [ANTHROPIC, { text: [' there was', ' a proxy.'], usage: answer.usage }]]),
    label: 'resume',
  }));
}
