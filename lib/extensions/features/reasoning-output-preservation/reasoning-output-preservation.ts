import { assistantMessage, Collector, CollectLimitError, UNLABELED_REASONING_DIALECT, type Message, type ReasoningPart } from '../../../canonical/index.js';
import { refuseConfigProblems, type AttemptDecision, type AttemptTarget, type AttemptTransform, type FeatureFactory, type HookContext, type StreamObserver } from '../../sdk.js';
import { matches, matchTarget, type PreservationRule } from './eligibility.js';
import { countOutcome, REASONING_PRESERVATION } from './outcomes.js';
import { turnShape, withReasoning, type TurnShape } from './turn-anchor.js';
import { TurnStore } from './turn-store.js';

/** `features: [{ id: reasoning-output-preservation, config: { ... } }]` (every key has a default). */
export interface ReasoningPreservationConfig {
  /** `restore`: put missing reasoning back; `observe`: keep and count, change nothing. */
  readonly action: 'observe' | 'restore';
  /** The built-in catalog of model families (eligibility.ts) after the explicit rules. */
  readonly builtin_catalog: boolean;
  /** The model catalog's `interleaved` (with `model_catalog` on) after the rules, before the built-in catalog. */
  readonly model_catalog: boolean;
  readonly rules: readonly PreservationRule[];
  /** A candidate that cannot replay the kept reasoning's dialect: `skip` (sent without), `exclude` (the next candidate). */
  readonly on_unrepresentable: 'skip' | 'exclude';
  /** Whose turns a request may match: its principal's (API key) or only its conversation's (a resumed session). */
  readonly scope: 'principal' | 'session';
  /** How long a released turn's reasoning is kept (ms). */
  readonly ttl: number;
  /** A turn with more reasoning than this (bytes of text and payloads) is not kept. */
  readonly max_reasoning_bytes_per_turn: number;
  /** What all kept turns may take in this process (bytes); the oldest go first. */
  readonly max_bytes: number;
}

export const PRESERVATION_DEFAULTS: ReasoningPreservationConfig = {
  action: 'restore', builtin_catalog: true, model_catalog: true, rules: [], on_unrepresentable: 'skip', scope: 'principal',
  ttl: 24 * 3_600_000, max_reasoning_bytes_per_turn: 262_144, max_bytes: 67_108_864,
};

/**
 * The turns kept in this process, across reloads (a reload must not lose the reasoning of a
 * conversation in the middle of its tool calls); each new bundle sets its limits.
 */
export const PRESERVED_TURNS = new TurnStore({ ttlMs: PRESERVATION_DEFAULTS.ttl, maxBytes: PRESERVATION_DEFAULTS.max_bytes });

const CONTINUE: AttemptDecision = { action: 'continue' };
const NONE: ReadonlySet<string> = new Set();

/**
 * Keeps the reasoning of each answer it serves to an eligible candidate (the final stream, once
 * the attempt succeeded: not a race's loser, not a failed or cancelled attempt) and, when a later
 * request of the same principal (or conversation) sends that turn back without reasoning this
 * candidate replays, puts the kept reasoning back where it was, on the attempt's own copy of the
 * call. Matching is exact (the turn's text and tool calls, ids included); a turn sent back with
 * reasoning the candidate replays is left as it is (and not even looked up); a key two turns
 * share is never restored from. Eligible: the
 * explicit rules, then the built-in catalog (Chat Completions backends of model families that
 * want `reasoning_content` back). On by default; an ineligible candidate costs one lookup.
 * @see docs/features.md#reasoning-output-preservation
 */
export const reasoningOutputPreservation: FeatureFactory<Partial<ReasoningPreservationConfig>> = {
  id: 'reasoning-output-preservation',
  description: 'Keeps the reasoning of served answers and puts it back when a client sends the turn without it (on by default for the built-in catalog).',
  enabledByDefault: true,
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      action: { enum: ['observe', 'restore'] },
      builtin_catalog: { type: 'boolean' },
      model_catalog: { type: 'boolean' },
      rules: {
        type: 'array', maxItems: 256,
        items: {
          type: 'object', additionalProperties: false, required: ['backend', 'enabled'],
          properties: {
            backend: { type: 'string', minLength: 1, maxLength: 128 },
            models: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 128 } },
            enabled: { type: 'boolean' },
          },
        },
      },
      on_unrepresentable: { enum: ['skip', 'exclude'] },
      scope: { enum: ['principal', 'session'] },
      ttl: { lipDuration: true },
      max_reasoning_bytes_per_turn: { lipSize: true },
      max_bytes: { lipSize: true },
    },
  },
  check(partial) {
    const config: ReasoningPreservationConfig = { ...PRESERVATION_DEFAULTS, ...partial };
    return [
      ...(config.ttl <= 0 ? [{ path: ['ttl'], message: 'must be longer than 0' }] : []),
      ...(['max_reasoning_bytes_per_turn', 'max_bytes'] as const).filter((key) => config[key] <= 0).map((key) => ({ path: [key], message: 'must be at least 1 byte' })),
    ];
  },
  // A rule for a backend that is not configured would never match.
  references: (partial) => (partial.rules ?? []).map((rule, i) => ({ path: ['rules', i, 'backend'], backend: rule.backend })),
  create(partial, services) {
    const config: ReasoningPreservationConfig = { ...PRESERVATION_DEFAULTS, ...partial };
    refuseConfigProblems(reasoningOutputPreservation.check!(partial));
    const store = PRESERVED_TURNS;
    store.configure({ ttlMs: config.ttl, maxBytes: config.max_bytes });
    const eligibility = new Map<string, boolean>();
    const eligible = (target: AttemptTarget): boolean => {
      const key = `${target.backendId}\u0000${target.model}\u0000${String(target.catalog?.interleaved)}`;
      let yes = eligibility.get(key);
      if (yes === undefined) {
        if (eligibility.size >= 4096) eligibility.clear();
        eligibility.set(key, (yes = matches(matchTarget(target, config.rules, config.builtin_catalog, config.model_catalog))));
      }
      return yes;
    };
    const scopeOf = (ctx: HookContext): string | undefined => (config.scope === 'principal' ? `p:${ctx.principal}` : ctx.aLegId === undefined ? undefined : `s:${ctx.aLegId}`);
    const warned = new Set<string>();
    const unrepresentable = (target: AttemptTarget) => {
      if (warned.has(target.backendId)) return;
      warned.add(target.backendId);
      services.logger.warn('reasoning-output-preservation: a turn\'s kept reasoning is in a dialect this backend does not replay; it goes without (logged once per backend)', {
        backend: target.backendId, replays: [...(target.reasoning?.replays ?? NONE)].join(',') || 'none',
        hint: target.reasoning?.label !== undefined && target.reasoning.replays.size === 0 ? 'set reasoning_field on the backend row' : undefined,
      });
    };

    const capture = new WeakMap<object, Collector | null>();
    const observer: StreamObserver = {
      id: 'keep-released-turn',
      appliesTo: (_call, target) => target !== undefined && eligible(target),
      event(event, ctx) {
        let collector = capture.get(ctx);
        if (collector === null) return; // over the bounds: not kept
        if (collector === undefined) capture.set(ctx, (collector = new Collector()));
        try {
          collector.push(event);
        } catch (err) {
          if (!(err instanceof CollectLimitError)) throw err;
          capture.set(ctx, null);
          countOutcome('oversize');
        }
      },
      end(outcome, ctx) {
        const collector = capture.get(ctx);
        capture.delete(ctx);
        if (!collector || outcome.outcome !== 'success') return;
        const scope = scopeOf(ctx);
        const message = scope === undefined ? undefined : assistantMessage(collector.response, ctx.target.reasoning?.label ?? UNLABELED_REASONING_DIALECT);
        if (scope === undefined || message === undefined) return;
        const shape = turnShape(message);
        if (shape.reasoning.length === 0 || shape.anchor === '') return;
        const bytes = shape.reasoning.reduce((n, p) => n + (p.part.text?.length ?? 0) + (p.part.signature?.length ?? 0) + (p.part.opaque?.length ?? 0), 0);
        if (bytes > config.max_reasoning_bytes_per_turn) {
          countOutcome('oversize');
          return;
        }
        const evicted = store.evicted;
        const kept = store.put(scope, shape.anchor, shape.reasoning, ctx.principal);
        countOutcome(kept === 'conflicted' ? 'ambiguous' : kept === 'too_large' ? 'oversize' : 'observed');
        if (store.evicted > evicted) countOutcome('evicted', store.evicted - evicted);
      },
    };

    const restore: AttemptTransform = {
      id: 'restore-missing',
      transform(call, target, ctx): AttemptDecision {
        if (store.size === 0 || !eligible(target)) return CONTINUE;
        const scope = scopeOf(ctx);
        if (scope === undefined || !store.holds(scope)) return CONTINUE;
        const replayable = replayableBy(target);
        // A message that holds reasoning this candidate replays is left as the client sent it, and
        // costs a scan of its parts: only the others are anchored and looked up.
        const shapes: (TurnShape | undefined)[] = new Array(call.messages.length);
        let messages: Message[] | undefined;
        let anchors: Map<string, number> | undefined;
        for (let i = 0; i < call.messages.length; i++) {
          const message = call.messages[i]!;
          if (message.role !== 'assistant' || message.parts.some((p) => p.type === 'reasoning' && replayable(p))) continue;
          const shape = (shapes[i] = turnShape(message));
          if (shape.anchor === '') continue;
          const kept = store.get(scope, shape.anchor);
          if (kept === undefined) {
            countOutcome('unmatched');
            continue;
          }
          anchors ??= anchorCounts(call.messages, shapes);
          if (kept.conflicted || anchors.get(shape.anchor)! > 1) {
            countOutcome('ambiguous');
            continue;
          }
          if (!kept.reasoning.every((p) => replayable(p.part))) {
            countOutcome('unrepresentable');
            unrepresentable(target);
            if (config.on_unrepresentable === 'exclude') return { action: 'exclude_candidate', reason: 'it cannot replay the reasoning of an earlier turn' };
            continue;
          }
          if (config.action === 'observe') {
            countOutcome('missing');
            continue;
          }
          messages ??= [...call.messages];
          messages[i] = withReasoning(message, shape, kept.reasoning);
          countOutcome('restored');
        }
        return messages === undefined ? CONTINUE : { action: 'continue', call: { ...call, messages } };
      },
    };

    return {
      attemptTransforms: [restore],
      streamObservers: [observer],
      diagnostics: () => ({
        action: config.action, scope: config.scope, builtin_catalog: config.builtin_catalog, model_catalog: config.model_catalog, rules: config.rules.length,
        turns: store.size, bytes: store.bytes, max_bytes: config.max_bytes, outcomes: Object.fromEntries(REASONING_PRESERVATION),
      }),
    };
  },
};

/** Which reasoning parts the candidate sends back to its provider (the rest its encoder leaves out). */
function replayableBy(target: AttemptTarget): (part: ReasoningPart) => boolean {
  const replays = target.reasoning?.replays ?? NONE;
  const plain = target.reasoning?.plainText === true;
  return (part) => replays.has(part.dialect) || (plain && isPlain(part));
}

/** Reasoning text alone: no signature, no opaque payload (any dialect's, as a client handed it back). */
function isPlain(part: ReasoningPart): boolean {
  return part.signature === undefined && part.opaque === undefined;
}

/** How many assistant messages of the call have each anchor (the shapes not computed yet are, once). */
function anchorCounts(messages: readonly Message[], shapes: (TurnShape | undefined)[]): Map<string, number> {
  const counts = new Map<string, number>();
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const { anchor } = (shapes[i] ??= turnShape(m));
    if (anchor !== '') counts.set(anchor, (counts.get(anchor) ?? 0) + 1);
  });
  return counts;
}
