import type { RouteParams } from '../params/route-params.js';

/**
 * The parsed route selector (CONTRACT section 5): what the plan compiler turns into operators.
 * Every value is already validated and in operator units (milliseconds, tokens); nothing here
 * needs re-parsing at request time. Produced by `parseSelector`, immutable by convention.
 *
 * ```
 * {ttft_timeout=10s}[weight=3]a:m1^b:m2?temperature=0.2 | [handicap=300ms]c:m!d:m
 * └── global ──────┘└──────── arm 1: weighted ─────────┘   └──── arm 2: race ─────┘
 * ```
 * @see spec/routing/selector/parse-selector.spec.ts
 */
export interface Selector {
  /** The text that was parsed (after aliases; not trimmed). */
  readonly text: string;
  readonly global: GlobalOptions;
  /** Failover order: arm 0 first, the next arm only after a retryable failure before output. */
  readonly arms: readonly Arm[];
}

/** `affinity=session` sticks within an A-leg, `affinity=client` across a principal's sessions. */
export type Affinity = 'session' | 'client';

/** The leading `{...}` block. */
export interface GlobalOptions {
  /** Budget from the request's start to its first output event; expiry ends the request (504). */
  readonly ttftTimeoutMs?: number;
  readonly affinity?: Affinity;
}

export type Arm = SingleArm | WeightedArm | RaceArm;
export type ArmType = Arm['type'];

/** One leaf, no operator. */
export interface SingleArm {
  readonly type: 'single';
  readonly leg: Leaf;
}

/** `^`: one branch picked per attempt by weight; a failed branch is excluded and the rest re-rolled. */
export interface WeightedArm {
  readonly type: 'weighted';
  /** At least one; at most one has `first`. */
  readonly branches: readonly WeightedBranch[];
}

export interface WeightedBranch {
  readonly leaf: Leaf;
  /** Relative weight, a positive integer (default 1). */
  readonly weight: number;
  /** `[first]`: the branch used for an A-leg's first request. */
  readonly first: boolean;
}

/** `!`: every leg starts (each after its handicap); the first to emit non-whitespace output wins. */
export interface RaceArm {
  readonly type: 'race';
  /** 2 to 16 legs, in selector order. */
  readonly legs: readonly RaceLeg[];
}

export interface RaceLeg {
  readonly leaf: Leaf;
  /** Start delay of this leg in milliseconds (`[handicap=D]`; 0 when absent). */
  readonly handicapMs: number;
}

/** `[annotations]backend:model?query`: one candidate. */
export interface Leaf {
  /** Backend id; absent for a model-only leaf until `resolveModelOnly` fills it in. */
  readonly backend?: string;
  /** Model as written after the first `:` (may itself contain `:` and `/`). */
  readonly model: string;
  /** Validated generation overrides from the query (see lib/routing/params). */
  readonly params: RouteParams;
  /** The query as written, without the `?`; empty when the leaf has none. */
  readonly rawQuery: string;
  /** The decoded query pairs, unknown keys included. */
  readonly query: Readonly<Record<string, string>>;
  /** The query re-encoded canonically (keys sorted, percent-encoded); empty when none. */
  readonly canonicalQuery: string;
  /** Budget from this leaf's start to its first output event; expiry is a retryable failure. */
  readonly ttftTimeoutMs?: number;
  /** Eligible only when the request's estimated tokens are at most this. */
  readonly maxContext?: number;
  /** Eligible only when the request's estimated tokens are above this. */
  readonly minContext?: number;
  /** 1-based column of the leaf's first character (its backend, or its model) in `Selector.text`. */
  readonly column: number;
}
