import type { Call } from '../../../canonical/index.js';
import { LipError } from '../../../errors/index.js';
import type { EventMutator, FeatureFactory, StreamObserver, ToolFinalizer } from '../../sdk.js';
import { repairArguments } from './repair-arguments.js';
import { countRepair, type RepairReason } from './repair-reasons.js';
import { ValidatorCache, type SchemaConfig } from './validator-cache.js';

/** `features: [{ id: tool-call-repair, config: { ... } }]` (every key has a default). */
export interface ToolCallRepairConfig {
  readonly mode: 'conservative';
  readonly max_args_bytes: number;
  readonly on_unrepairable: 'pass_through' | 'error';
  readonly order: number;
  readonly schema: SchemaConfig;
}

const DEFAULTS: ToolCallRepairConfig = {
  mode: 'conservative', max_args_bytes: 65_536, on_unrepairable: 'pass_through', order: 100,
  schema: { max_schema_bytes: 262_144, max_nesting_depth: 32, max_nodes: 4096, max_properties: 1024, max_local_ref_depth: 32, max_cache_entries: 64, max_cache_bytes: 4_194_304 },
};

const int = (def: number, minimum = 1) => ({ type: 'integer', minimum, default: def });

/** Reasons after which the call leaves as it came, but is not a failure of the model's output. */
const NOT_THE_MODELS_FAULT = new Set<RepairReason>(['schema_invalid', 'schema_unsupported', 'args_too_large']);

/**
 * Validates each finished native tool call against the schema its tool declared (the
 * attempt's own call, after every request hook) and conservatively repairs what a model
 * commonly gets wrong: truncated JSON, a dangling comma, a misspelt tool or property name
 * (unique ASCII-normalised match), a missing property with one possible value, an unknown
 * property under `additionalProperties: false`. Valid calls leave exactly as they came; a
 * repair leaves as started + one args delta + finished. Enabled by default; a request that
 * declared no tools does not even get the stage. `on_unrepairable: error` fails the attempt
 * (retryable before output). Logs and metrics carry reason codes only.
 * @see docs/features.md
 */
export const toolCallRepair: FeatureFactory<Partial<ToolCallRepairConfig>> = {
  id: 'tool-call-repair',
  description: 'Validates native tool-call arguments against the declared JSON Schema and conservatively repairs them (on by default).',
  enabledByDefault: true,
  configSchema: {
    type: 'object', additionalProperties: false,
    properties: {
      mode: { enum: ['conservative'], default: 'conservative' },
      max_args_bytes: int(DEFAULTS.max_args_bytes),
      on_unrepairable: { enum: ['pass_through', 'error'], default: 'pass_through' },
      order: int(DEFAULTS.order, 0),
      schema: {
        type: 'object', additionalProperties: false, default: {},
        properties: Object.fromEntries(Object.entries(DEFAULTS.schema).map(([k, v]) => [k, int(v)])),
      },
    },
  },
  create(partial, services) {
    const config: ToolCallRepairConfig = { ...DEFAULTS, ...partial, schema: { ...DEFAULTS.schema, ...partial.schema } };
    const cache = new ValidatorCache(config.schema);
    // A finalizer: it runs before every tool policy and reactor, so that they decide on the repaired call.
    const finalizer: ToolFinalizer = {
      id: 'repair',
      order: config.order,
      failureMode: config.on_unrepairable === 'error' ? 'fail_closed' : 'fail_open',
      appliesTo: (call: Call) => call.tools.length > 0,
      react(tool, ctx) {
        const tools = ctx.call?.tools ?? [];
        let reasons: readonly RepairReason[];
        let reaction: ReturnType<ToolFinalizer['react']> = { action: 'pass' };
        let unrepaired = false;
        if (tool.custom === true) return reaction; // a custom tool's raw input: no JSON, no schema to hold it to
        if (Buffer.byteLength(tool.args) > config.max_args_bytes) {
          reasons = ['args_too_large'];
        } else {
          try {
            const outcome = repairArguments(tool.name, tool.args, tools, cache);
            reasons = outcome.reasons;
            unrepaired = outcome.unrepaired === true && !reasons.some((r) => NOT_THE_MODELS_FAULT.has(r));
            if (outcome.name !== undefined || outcome.args !== undefined) {
              reaction = { action: 'rewrite', ...(outcome.name !== undefined ? { name: outcome.name } : {}), ...(outcome.args !== undefined ? { args: outcome.args } : {}) };
            }
          } catch (err) {
            // A bug here must never cost the call: the originals pass (and the reason says so).
            services.logger.warn('tool-call repair failed; the call passes as it came', { error: (err as Error)?.name ?? 'error' });
            reasons = ['unrepairable'];
          }
        }
        countRepair(reasons);
        if (reasons[0] !== 'valid_pass_through') services.logger.info('tool-call repair', { request_id: ctx.requestId, reasons: reasons.join(',') });
        if (unrepaired && config.on_unrepairable === 'error') {
          throw new LipError('LIP_ERR_EXTENSION_FAILED', `tool call arguments do not match the declared schema and could not be repaired (${reasons.join(', ')})`, { retryable: true });
        }
        return reaction;
      },
    };
    // `canceled`: tool calls still open (held by the tool stage) when the attempt is cancelled or fails.
    const open = new WeakMap<object, Set<string>>();
    const hasTools = (call: Call) => call.tools.length > 0;
    const tracker: EventMutator = {
      id: 'track-open', order: 0, appliesTo: hasTools,
      mutate(event, ctx) {
        if (event.type === 'tool_call_started') {
          let ids = open.get(ctx);
          if (!ids) open.set(ctx, (ids = new Set()));
          ids.add(event.id);
        } else if (event.type === 'tool_call_finished') {
          open.get(ctx)?.delete(event.id);
        }
        return event;
      },
    };
    const ended: StreamObserver = {
      id: 'count-canceled', appliesTo: hasTools,
      end(outcome, ctx) {
        const ids = open.get(ctx);
        open.delete(ctx);
        if (outcome.outcome !== 'success' && ids && ids.size > 0) countRepair(Array.from(ids, () => 'canceled' as const));
      },
    };
    return { toolFinalizers: [finalizer], eventMutators: [tracker], streamObservers: [ended] };
  },
};
