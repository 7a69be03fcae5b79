import { createHash } from 'node:crypto';
import { conversationKeyOf, emptyCall, type Call } from '../../../canonical/index.js';
import { formatDuration, formatSize } from '../../../config/index.js';
import { refuseConfigProblems, type FeatureConfigProblem, type FeatureFactory, type HookContext, type RequestHook, type StreamObserver } from '../../sdk.js';
import { BranchStore, JobQueue, type BranchState } from './branches.js';
import { capsuleOf, extractorInput, extractorInstructions, nextCapsule, parseExtraction, renderBlock, isEmpty, type Capsule, type Preserve } from './capsule.js';
import { compactedSince, fingerprintOf, markerRule, startRuleOf } from './detect.js';
import { COMPACTION_BOUNDARIES, COMPACTION_CONTINUITY, countBoundary, countEvent } from './outcomes.js';
import { planFromCarriers, transcriptOf } from './source.js';

export type BranchSource = 'session' | 'conversation_key' | 'user' | 'principal';

/** `features: [{ id: compaction-continuity, config: { ... } }]`; durations in ms, sizes in bytes. */
export interface CompactionContinuityConfig {
  readonly preserve: Preserve;
  /** Where a request's conversation is read from, first found wins (always within its principal). */
  readonly branch: readonly BranchSource[];
  readonly detect: { readonly signatures: boolean; readonly heuristic: boolean };
  readonly extractor: {
    readonly enabled: boolean;
    readonly route?: string;
    readonly inherit: boolean;
    readonly timeout: number;
    readonly max_input_tokens: number;
    readonly max_output_tokens: number;
  };
  readonly worker: { readonly max_concurrency: number; readonly queue_capacity: number };
  readonly barrier: { readonly timeout: number };
  readonly capsule: { readonly max_tokens: number; readonly max_bytes: number };
  readonly source: { readonly max_bytes: number; readonly max_total_bytes: number };
  readonly branch_ttl: number;
  readonly max_branch_entries: number;
}

type Groups = 'preserve' | 'detect' | 'extractor' | 'worker' | 'barrier' | 'capsule' | 'source';
export type CompactionContinuityInput = Partial<Omit<CompactionContinuityConfig, Groups>> & { readonly [K in Groups]?: Partial<CompactionContinuityConfig[K]> };

const MINUTE = 60_000;
export const CONTINUITY_DEFAULTS: CompactionContinuityConfig = {
  preserve: { plan: true, user_decisions: true, constraints: true, rationale: true, rejected_alternatives: true, open_questions: true },
  branch: ['session', 'conversation_key', 'user'],
  detect: { signatures: true, heuristic: true },
  extractor: { enabled: true, inherit: false, timeout: 8_000, max_input_tokens: 12_000, max_output_tokens: 2_000 },
  worker: { max_concurrency: 2, queue_capacity: 16 },
  barrier: { timeout: 2_000 },
  capsule: { max_tokens: 2_500, max_bytes: 1_048_576 },
  source: { max_bytes: 4_194_304, max_total_bytes: 67_108_864 },
  branch_ttl: 120 * MINUTE,
  max_branch_entries: 1_024,
};

/** The limits' hard maxima (a larger value is a configuration error). */
const MAXIMA = {
  timeout: 24 * 60 * MINUTE, max_input_tokens: 1_000_000, max_output_tokens: 1_000_000, max_concurrency: 128, queue_capacity: 4_096,
  capsule_tokens: 100_000, capsule_bytes: 64 * 1_048_576, source_bytes: 64 * 1_048_576, total_source_bytes: 1_024 * 1_048_576,
  branch_ttl: 30 * 24 * 60 * MINUTE, max_branch_entries: 65_536,
} as const;

/** The conversations of this process, across reloads (a reload must not lose a capsule); each new bundle sets the limits. */
export const CONTINUITY_BRANCHES = new BranchStore({
  ttlMs: CONTINUITY_DEFAULTS.branch_ttl, maxEntries: CONTINUITY_DEFAULTS.max_branch_entries,
  maxSourceChars: CONTINUITY_DEFAULTS.source.max_bytes, maxTotalSourceChars: CONTINUITY_DEFAULTS.source.max_total_bytes,
});

/** The extractions in flight and waiting, across reloads (a queued job keeps the route it was submitted with). */
export const CONTINUITY_JOBS = new JobQueue({ concurrency: CONTINUITY_DEFAULTS.worker.max_concurrency, capacity: CONTINUITY_DEFAULTS.worker.queue_capacity });

/** How often a branch's capsule is read again from a shared state store (another instance may have extracted one). */
export const SHARED_RECHECK_MS = 10_000;

/** Compaction requests whose answer has not succeeded yet, by request id (bounded: the oldest go). */
const MAX_OPEN_COMPACTIONS = 256;

interface OpenCompaction {
  readonly branch: string;
  readonly call: Call;
  readonly ctx: HookContext;
}

/**
 * Keeps a conversation's working state (its plan, the user's decisions, constraints, rejected
 * alternatives, open questions) across the compactions a coding agent makes of its history, and
 * puts it back at the end of the system prompt of every later request of that conversation.
 * A compaction is recognised by the request that asks for it (the agents' prompt signatures,
 * a provider's compaction request, lip's own `/responses/compact`), by the summary a compacted
 * conversation starts with, or by the history shrinking while its last turns survive. Once the
 * compaction request has succeeded, one background extraction (an auxiliary call to the
 * `extractor` route, bounded and queued) reads the conversation before it and the state kept
 * so far and answers the new state as JSON; the agent's own planning tool (update_plan,
 * TodoWrite, write_todos) gives the plan without a model. The next request waits up to
 * `barrier.timeout` for a running extraction. Fail-open throughout: nothing here fails or
 * delays a request beyond the barrier. Off by default.
 * @see docs/features.md#compaction-continuity
 */
export const compactionContinuity: FeatureFactory<CompactionContinuityInput> = {
  id: 'compaction-continuity',
  description: 'Keeps a conversation\'s plan, decisions and constraints across an agent\'s compactions (extracted by a side model) and puts them back into later requests.',
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      preserve: group({
        plan: { type: 'boolean' }, user_decisions: { type: 'boolean' }, constraints: { type: 'boolean' }, rationale: { type: 'boolean' },
        rejected_alternatives: { type: 'boolean' }, open_questions: { type: 'boolean' },
      }),
      branch: { type: 'array', minItems: 1, maxItems: 4, uniqueItems: true, items: { enum: ['session', 'conversation_key', 'user', 'principal'] } },
      detect: group({ signatures: { type: 'boolean' }, heuristic: { type: 'boolean' } }),
      extractor: group({
        enabled: { type: 'boolean' }, route: { type: 'string', minLength: 1, maxLength: 1_024 }, inherit: { type: 'boolean' },
        timeout: { lipDuration: true }, max_input_tokens: { type: 'integer', minimum: 1 }, max_output_tokens: { type: 'integer', minimum: 1 },
      }),
      worker: group({ max_concurrency: { type: 'integer', minimum: 1 }, queue_capacity: { type: 'integer', minimum: 1 } }),
      barrier: group({ timeout: { lipDuration: true } }),
      capsule: group({ max_tokens: { type: 'integer', minimum: 1 }, max_bytes: { lipSize: true } }),
      source: group({ max_bytes: { lipSize: true }, max_total_bytes: { lipSize: true } }),
      branch_ttl: { lipDuration: true },
      max_branch_entries: { type: 'integer', minimum: 1 },
    },
  },
  check: (input) => configProblems(withDefaults(input ?? {})),
  references(input) {
    const { extractor } = withDefaults(input ?? {});
    return extractor.enabled && extractor.route !== undefined ? [{ path: ['extractor', 'route'], selector: extractor.route }] : [];
  },
  create(input, services) {
    const config = withDefaults(input ?? {});
    refuseConfigProblems(configProblems(config));
    const { extractor } = config;
    const extracting = extractor.enabled;
    const capsuleBytes = Math.min(config.capsule.max_bytes, config.capsule.max_tokens * 4);
    const branches = CONTINUITY_BRANCHES;
    const jobs = CONTINUITY_JOBS;
    branches.configure({ ttlMs: config.branch_ttl, maxEntries: config.max_branch_entries, maxSourceChars: config.source.max_bytes, maxTotalSourceChars: config.source.max_total_bytes });
    jobs.configure({ concurrency: config.worker.max_concurrency, capacity: config.worker.queue_capacity });
    const open = new Map<string, OpenCompaction>();
    /** Each capsule's block, rendered once (a capsule is never changed: a new revision is a new object). */
    const blocks = new WeakMap<Capsule, string | null>();
    const blockOf = (capsule: Capsule): string | undefined => {
      let block = blocks.get(capsule);
      if (block === undefined) blocks.set(capsule, (block = isEmpty(capsule) ? null : renderBlock(capsule, capsuleBytes) ?? null));
      return block ?? undefined;
    };

    const branchOf = (call: Call, ctx: HookContext): string | undefined => {
      for (const source of config.branch) {
        const id = source === 'session' ? (ctx.newSession === false ? ctx.aLegId : undefined)
          : source === 'conversation_key' ? conversationKeyOf(call)
            : source === 'user' ? (call.user !== undefined && call.user !== '' ? call.user : undefined)
              : '';
        if (id !== undefined) return `${ctx.principal}\u0000${source}\u0000${id}`;
      }
      return undefined;
    };

    // With a shared state store (Redis), capsules are written through and read back, so that every
    // lip process serves a conversation with its state (the key is a hash: no branch name is stored).
    const shared = services.stateShared === true;
    const storeKey = (branch: string) => `capsule:${createHash('sha256').update(branch).digest('base64url')}`;
    let storeWarned = false;
    const storeFailed = (err: unknown) => {
      countEvent('store_failed');
      if (storeWarned) return;
      storeWarned = true;
      services.logger.warn('compaction-continuity: the shared state store failed; this process goes on with its own state (logged once)', { error: (err as Error)?.message ?? String(err) });
    };
    const keep = (branch: string, state: BranchState, capsule: Capsule) => {
      state.capsule = capsule;
      if (shared) services.state.put(storeKey(branch), capsule, { ttlMs: config.branch_ttl }).catch(storeFailed);
    };
    /** The shared store's capsule for the branch when it is newer than this process's (read at most every SHARED_RECHECK_MS). */
    const adopt = async (branch: string, state: BranchState, now: number) => {
      if (state.checkedAt !== undefined && now - state.checkedAt < SHARED_RECHECK_MS) return;
      state.checkedAt = now;
      try {
        const stored = capsuleOf(await services.state.get(storeKey(branch)));
        if (stored !== undefined && stored.revision > (state.capsule?.revision ?? 0)) {
          state.capsule = stored;
          countEvent('adopted');
        }
      } catch (err) {
        storeFailed(err);
      }
    };

    /** One extraction of `source` for the branch: the agent's plan at once, the model's state in the background. */
    const extract = (branch: string, state: BranchState, source: Call, dropLast: boolean, ctx: HookContext, model: string) => {
      const structured = config.preserve.plan ? planFromCarriers(source) : undefined;
      if (structured !== undefined) countEvent('structured_plan');
      const settle = (extracted: Omit<Capsule, 'revision'> | undefined) => {
        if (extracted === undefined && structured === undefined) return;
        keep(branch, state, nextCapsule(state.capsule, extracted, structured));
      };
      if (!extracting) {
        settle(undefined);
        return;
      }
      const previous = state.capsule;
      const transcript = transcriptOf(source, extractor.max_input_tokens * 4, dropLast);
      const call = emptyCall({
        model: extractor.route ?? model,
        system: [{ type: 'text', text: extractorInstructions(config.preserve) }],
        messages: [{ role: 'user', parts: [{ type: 'text', text: extractorInput(previous, structured, transcript) }] }],
        options: { maxOutputTokens: extractor.max_output_tokens },
      });
      const job = jobs.submit(async () => {
        let text: string;
        try {
          const result = await ctx.auxiliary.collect({ role: 'compaction_continuity', call, timeoutMs: extractor.timeout, detached: true });
          text = result.response.text;
        } catch (err) {
          countEvent('extraction_failed');
          services.logger.warn('compaction-continuity: the extraction failed; the conversation goes on with the state it had', { request_id: ctx.requestId, error: (err as { code?: string })?.code ?? 'error' });
          settle(undefined);
          return;
        }
        const parsed = parseExtraction(text, config.preserve);
        if (typeof parsed === 'string') {
          countEvent('extraction_invalid');
          services.logger.warn('compaction-continuity: the extractor\'s answer is not the state asked for; it is left out', { request_id: ctx.requestId, reason: parsed });
          settle(undefined);
          return;
        }
        countEvent('extracted');
        settle(parsed);
      });
      if (job === undefined) {
        countEvent('queue_full');
        settle(undefined);
        return;
      }
      const pending = job.finally(() => {
        if (state.pending === pending) state.pending = undefined;
      });
      state.pending = pending;
    };

    const continuity: RequestHook = {
      id: 'keep-and-restore',
      async run(call, ctx) {
        if (ctx.depth > 0) return call;
        const key = branchOf(call, ctx);
        if (key === undefined) {
          countEvent('no_branch');
          return call;
        }
        const now = Date.now();
        const evicted = branches.evicted;
        const state = branches.open(key, now);
        if (branches.evicted > evicted) countEvent('evicted', branches.evicted - evicted);
        if (shared) await adopt(key, state, now);
        const start = startRuleOf(call, config.detect.signatures);
        if (start !== undefined) {
          countBoundary(start);
          state.compacting = true;
          state.fingerprint = undefined;
          if (open.size >= MAX_OPEN_COMPACTIONS) open.delete(open.keys().next().value as string);
          open.set(ctx.requestId, { branch: key, call, ctx });
          return call;
        }
        const { fingerprint, keys } = fingerprintOf(call, config.detect.signatures);
        const previous = state.fingerprint;
        if (!state.compacting && previous !== undefined && state.source !== undefined) {
          const boundary = fingerprint.post !== undefined && fingerprint.post !== previous.post ? markerRule(fingerprint.post)
            : config.detect.heuristic && compactedSince(previous, fingerprint, keys) ? 'heuristic.history-shrank.v1' : undefined;
          if (boundary !== undefined) {
            countBoundary(boundary);
            extract(key, state, state.source.call, false, ctx, call.model);
          }
        }
        state.compacting = false;
        state.fingerprint = fingerprint;
        branches.retain(state, call, fingerprint.tokens * 4);
        if (state.pending !== undefined && !(await settledWithin(state.pending, config.barrier.timeout))) countEvent('barrier_timeout');
        const block = state.capsule !== undefined ? blockOf(state.capsule) : undefined;
        if (block === undefined) return call;
        countEvent('injected');
        return { ...call, system: [...call.system, { type: 'text', text: block }] };
      },
    };

    /** A compaction request's answer succeeded: its conversation is extracted. */
    const commit: StreamObserver = {
      id: 'commit-compaction',
      appliesTo: () => open.size > 0,
      end(outcome, ctx) {
        if (outcome.outcome !== 'success') return;
        const compaction = open.get(ctx.requestId);
        if (compaction === undefined) return;
        open.delete(ctx.requestId);
        const state = branches.open(compaction.branch, Date.now());
        extract(compaction.branch, state, compaction.call, true, compaction.ctx, compaction.call.model);
      },
    };

    return {
      requestTransforms: [continuity],
      streamObservers: [commit],
      diagnostics: () => ({
        branch: config.branch, detect: config.detect, extractor: { enabled: extractor.enabled, route: extractor.route ?? null, inherit: extractor.inherit },
        shared_state: shared, branches: branches.size, capsules: branches.capsules, kept_source_bytes: branches.keptSourceChars, open_compactions: open.size,
        jobs: { running: jobs.active, queued: jobs.queued, max_concurrency: config.worker.max_concurrency, queue_capacity: config.worker.queue_capacity },
        events: Object.fromEntries(COMPACTION_CONTINUITY), boundaries: Object.fromEntries(COMPACTION_BOUNDARIES),
      }),
    };
  },
};

function group(properties: Record<string, unknown>): Record<string, unknown> {
  return { type: 'object', additionalProperties: false, properties };
}

export function withDefaults(input: CompactionContinuityInput): CompactionContinuityConfig {
  const d = CONTINUITY_DEFAULTS;
  return {
    ...d, ...input,
    preserve: { ...d.preserve, ...input.preserve },
    detect: { ...d.detect, ...input.detect },
    extractor: { ...d.extractor, ...input.extractor },
    worker: { ...d.worker, ...input.worker },
    barrier: { ...d.barrier, ...input.barrier },
    capsule: { ...d.capsule, ...input.capsule },
    source: { ...d.source, ...input.source },
  };
}

/** What the schema cannot say: the extractor's route or inheritance, each limit within its maximum (named in units), something preserved. */
function configProblems(c: CompactionContinuityConfig): FeatureConfigProblem[] {
  const problems: FeatureConfigProblem[] = [];
  const { extractor } = c;
  if (extractor.enabled && extractor.route !== undefined && extractor.inherit) problems.push({ path: ['extractor'], message: 'route and inherit: true exclude each other; name one' });
  if (extractor.enabled && extractor.route === undefined && !extractor.inherit) problems.push({ path: ['extractor'], message: 'name the route the extraction is sent to (extractor.route), or set extractor.inherit: true to send it where the request went, or extractor.enabled: false' });
  const ms = formatDuration;
  const bytes = formatSize;
  const count = (n: number) => String(n);
  const bounds: [string, string, number, number, (n: number) => string][] = [
    ['extractor', 'timeout', extractor.timeout, MAXIMA.timeout, ms], ['extractor', 'max_input_tokens', extractor.max_input_tokens, MAXIMA.max_input_tokens, count],
    ['extractor', 'max_output_tokens', extractor.max_output_tokens, MAXIMA.max_output_tokens, count], ['worker', 'max_concurrency', c.worker.max_concurrency, MAXIMA.max_concurrency, count],
    ['worker', 'queue_capacity', c.worker.queue_capacity, MAXIMA.queue_capacity, count], ['barrier', 'timeout', c.barrier.timeout, MAXIMA.timeout, ms],
    ['capsule', 'max_tokens', c.capsule.max_tokens, MAXIMA.capsule_tokens, count], ['capsule', 'max_bytes', c.capsule.max_bytes, MAXIMA.capsule_bytes, bytes],
    ['source', 'max_bytes', c.source.max_bytes, MAXIMA.source_bytes, bytes], ['source', 'max_total_bytes', c.source.max_total_bytes, MAXIMA.total_source_bytes, bytes],
    ['', 'branch_ttl', c.branch_ttl, MAXIMA.branch_ttl, ms], ['', 'max_branch_entries', c.max_branch_entries, MAXIMA.max_branch_entries, count],
  ];
  for (const [group, key, value, max, unit] of bounds) {
    const path = group ? [group, key] : [key];
    if (!(value > 0)) problems.push({ path, message: 'must be more than 0' });
    else if (value > max) problems.push({ path, message: `must be at most ${unit(max)} (got ${unit(value)})` });
  }
  if (c.source.max_total_bytes < c.source.max_bytes) problems.push({ path: ['source', 'max_total_bytes'], message: `must be at least source.max_bytes (${formatSize(c.source.max_bytes)})` });
  if (!Object.values(c.preserve).some((on) => on)) problems.push({ path: ['preserve'], message: 'keep at least one thing (every key is false)' });
  return problems;
}

/** Whether the promise settled within `ms` (it never rejects). */
function settledWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
