import type { Call, CollectedResponse, LipEvent, ToolCaller, ToolCallFields } from '../canonical/index.js';
import { formatPath, type FeatureConfigProblem, type FeatureReference } from '../config/index.js';
import type { FailureMode } from './stages.js';
import type { AuxiliaryClient } from './auxiliary-client.js';
import type { Observation, StreamEnd } from './observation.js';
import type { ScopedState, StateScope } from './state-store.js';

/**
 * The extension SDK: what a feature plugin is made of. A factory validates its own `config`
 * (a JSON Schema) and returns a bundle of typed hook lists; each hook names a stage implicitly
 * by the list it is in. Within a stage hooks run by ascending `order` (the feature row's
 * `order` wins over the hook's own, default 100), then by id.
 * @see docs/extensions.md
 */
export interface HookBase {
  /** Unique within the feature; shown by the inventory and in fail-open logs. */
  readonly id: string;
  readonly order?: number;
  /** Defaults to the stage's own mode (`DEFAULT_FAILURE_MODE`). */
  readonly failureMode?: FailureMode;
  /**
   * Stream-stage hooks only (mutators, tool policies and reactors, gates, stream observers),
   * optional: whether the hook has anything to do for this attempt's call (and candidate). False
   * leaves it out of the attempt entirely; a stage left without hooks is not piped at all. A throw
   * is the hook's failure (fail_open: left out; fail_closed: the attempt fails before its backend opens).
   */
  appliesTo?(call: Call, target?: AttemptTarget): boolean;
}

/** Who the request is, as every hook sees it. */
export interface RequestInfo {
  readonly requestId: string;
  readonly principal: string;
  readonly aLegId?: string;
  readonly sessionId?: string;
  /** True when this request started its A-leg (a new conversation); undefined without continuity. */
  readonly newSession?: boolean;
  readonly frontendId?: string;
  /** The client's `User-Agent` header, when it sent one. */
  readonly userAgent?: string;
  /** 0 for a client's request, 1 and 2 for auxiliary calls nested in it. */
  readonly depth: number;
}

/** A hook's view of its request, with the services of its own feature. */
export interface HookContext extends RequestInfo {
  /** The calling feature's state in one scope (keys are namespaced per feature). */
  state(scope: StateScope): ScopedState;
  /** Nested model calls through the same executor (this feature is disabled inside them). */
  readonly auxiliary: AuxiliaryClient;
}

/** A request hook answers the (possibly changed) call, or a rejection (403 unless `status` is another error status, 400-599). */
export type RequestAnswer = Call | { readonly reject: string; readonly status?: number };

/** `session_open`, `secret_guard`, `submit_request`, `tool_catalog_filter`, `request_wide_shaping`, `pre_request_admission`. */
export interface RequestHook extends HookBase {
  run(call: Call, ctx: HookContext): RequestAnswer | Promise<RequestAnswer>;
}

/** `route_hinting`: preferred candidate keys; the first one the selector contains is tried first. */
export interface RouteHintProvider extends HookBase {
  hint(call: Call, ctx: HookContext): readonly string[] | Promise<readonly string[]>;
}

/** The candidate an attempt is about to open. */
export interface AttemptTarget {
  readonly backendId: string;
  /** The backend's kind (`openai-codex`, `anthropic`, ...). */
  readonly backendKind?: string;
  readonly candidateKey: string;
  readonly model: string;
  /**
   * The reasoning its backend hands back to the provider in later turns: the dialect it labels
   * its own unsigned reasoning text with, the dialects it replays (REASONING_DIALECTS; the rest
   * is left out), and whether it also replays any dialect's plain reasoning text (no signature,
   * no opaque payload: a Chat backend). Absent: it replays none (an agent, the stub).
   */
  readonly reasoning?: { readonly label: string; readonly replays: ReadonlySet<string>; readonly plainText?: boolean };
  /**
   * What the model catalog knows of the candidate's model (`model_catalog`; absent when it is
   * off): `interleaved`, the model wants its reasoning sent back in later turns.
   */
  readonly catalog?: { readonly interleaved?: boolean };
}

/**
 * What a per-attempt hook reads besides the call's content: the response cache keys a request
 * before its attempts are shaped, so these join its key (the call's metadata does not, unless
 * named here).
 */
export interface AttemptInputs {
  /** The client's `User-Agent` (`ctx.userAgent`). */
  readonly userAgent?: boolean;
  /** Keys of the call's `metadata`. */
  readonly metadata?: readonly string[];
}

/** `request_wide_shaping`, per attempt: the attempt's own copy of the call. Synchronous. */
export interface RequestPartHook extends HookBase {
  shape(call: Call, target: AttemptTarget, ctx: HookContext): Call;
  readonly reads?: AttemptInputs;
}

export type AttemptDecision =
  | { readonly action: 'continue'; readonly call?: Call }
  | { readonly action: 'exclude_candidate'; readonly reason: string };

/** `candidate_attempt_transform`: change this candidate's call, or skip the candidate. Synchronous. */
export interface AttemptTransform extends HookBase {
  transform(call: Call, target: AttemptTarget, ctx: HookContext): AttemptDecision;
  readonly reads?: AttemptInputs;
}

/** What stream hooks know about the attempt whose events they see. */
export interface StreamContext extends HookContext {
  readonly target: AttemptTarget;
  /** The attempt's own call (after request parts and attempt transforms); set by the executor. */
  readonly call?: Call;
  /**
   * True when the events are an answer the response cache gives (a hit: no attempt, no upstream
   * call; only `final_stream_observation` runs): `target` is the candidate that served it then,
   * `call` the request's call after the request stages.
   */
  readonly cached?: boolean;
}

/** `stream_event_mutation`: one event in, one event of the same type (and tool call id) out. */
export interface EventMutator extends HookBase {
  mutate(event: LipEvent, ctx: StreamContext): LipEvent;
}

/** A whole tool call, as the tool stage buffers it (from started to finished). */
export interface FinishedToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments JSON text; a custom tool's raw input when `custom` is set. */
  readonly args: string;
  readonly signature?: string;
  /** The dialect of `signature` (REASONING_DIALECTS). */
  readonly dialect?: string;
  /** A custom (freeform) tool's call: `args` is its raw input, not JSON. */
  readonly custom?: boolean;
  /** Who made the call, as the provider wrote it (Anthropic's `caller`: code execution, for a programmatic call). */
  readonly caller?: ToolCaller;
  /** The namespace of the tool called (a Responses client's namespaced tools: Codex CLI's MCP servers). */
  readonly namespace?: string;
  /** Fields of the provider's own call item besides the arguments (OpenAI's computer_call safety checks). */
  readonly providerFields?: ToolCallFields;
  /** The toolset the called tool is a member of (an Anthropic client's computer or browser toolset). */
  readonly toolset?: string;
}

/**
 * `tool_event_reaction`, first: a finalizer may `pass` a finished tool call or `rewrite` its name
 * or arguments (tool-call repair), before any policy or reactor sees it, so that they decide on
 * the call the client will receive.
 */
export interface ToolFinalizer extends HookBase {
  react(tool: FinishedToolCall, ctx: StreamContext): ToolReaction & { readonly action: 'pass' | 'rewrite' };
}

/** `tool_event_reaction`, after the finalizers: `deny` rejects the attempt (403, not retried). */
export interface ToolPolicy extends HookBase {
  decide(tool: FinishedToolCall, ctx: StreamContext): 'allow' | 'deny';
}

export type ToolReaction =
  | { readonly action: 'pass' }
  | { readonly action: 'rewrite'; readonly name?: string; readonly args?: string }
  | { readonly action: 'swallow' }
  /** Content events (text, reasoning, whole tool calls) instead of the tool call. */
  | { readonly action: 'replace'; readonly events: readonly LipEvent[] };

/** `tool_event_reaction`, then: reactors see each allowed tool call in turn. */
export interface ToolReactor extends HookBase {
  react(tool: FinishedToolCall, ctx: StreamContext): ToolReaction;
}

/** The whole completion of an attempt, held by the gate stage. */
export interface Completion {
  readonly events: readonly LipEvent[];
  readonly response: CollectedResponse;
}

export type GateAnswer =
  | { readonly action: 'pass_original' }
  /** A complete canonical stream (response_started ... response_finished). */
  | { readonly action: 'replace'; readonly events: readonly LipEvent[] }
  | { readonly action: 'reject'; readonly message: string };

/** `completion_gating`: buffers the completion, so it moves the commit point to its end. */
export interface CompletionGate extends HookBase {
  gate(completion: Completion, ctx: StreamContext): GateAnswer | Promise<GateAnswer>;
}

/** `final_stream_observation`: sees what leaves the attempt after every other stream stage. */
export interface StreamObserver extends HookBase {
  event?(event: LipEvent, ctx: StreamContext): void;
  end?(outcome: { readonly outcome: 'success' | 'failure' | 'cancelled'; readonly errorCode?: string }, ctx: StreamContext): void;
}

/**
 * `traffic_observation`: runs on the observation path only; never changes live traffic. It may
 * answer a list instead of one observation (none: held back; several: what it held, then this
 * one), in order, so that a redactor can see text split across stream deltas whole.
 */
export interface TrafficRedactor extends HookBase {
  redact(observation: Observation): Observation | readonly Observation[];
  /**
   * A stream ended: the events of an attempt (`backend_to_proxy`, its `attemptSeq`), or the
   * response to the client (`proxy_to_client`), however it ended (completed, failed, cancelled).
   * Answers what the redactor still holds of it, which goes on in order as if answered by
   * `redact`. Called after that stream's last observation, and only to a redactor that has it.
   */
  end?(stream: StreamEnd): readonly Observation[];
}

/** `traffic_observation`: receives batches off the hot path. */
export interface TrafficObserver extends HookBase {
  observe(batch: readonly Observation[]): void;
}

/** What a feature contributes. Every list is optional. */
export interface FeatureBundle {
  readonly sessionOpeners?: readonly RequestHook[];
  readonly secretGuards?: readonly RequestHook[];
  readonly submitHooks?: readonly RequestHook[];
  readonly toolCatalogFilters?: readonly RequestHook[];
  readonly requestTransforms?: readonly RequestHook[];
  readonly requestParts?: readonly RequestPartHook[];
  readonly preRequest?: readonly RequestHook[];
  readonly routeHints?: readonly RouteHintProvider[];
  readonly attemptTransforms?: readonly AttemptTransform[];
  readonly eventMutators?: readonly EventMutator[];
  readonly toolFinalizers?: readonly ToolFinalizer[];
  readonly toolPolicies?: readonly ToolPolicy[];
  readonly toolReactors?: readonly ToolReactor[];
  readonly completionGates?: readonly CompletionGate[];
  readonly streamObservers?: readonly StreamObserver[];
  readonly trafficRedactors?: readonly TrafficRedactor[];
  readonly trafficObservers?: readonly TrafficObserver[];
  /**
   * Optional diagnostics of this feature, answered behind the diagnostics secret by the admin
   * endpoint that names the feature (e.g. `GET /admin/transcript` for ref-traffic-transcript).
   * A `LipError` answer is sent as the error it is.
   */
  diagnostics?(query: URLSearchParams): unknown;
  /**
   * Runs when the runtime starts (and on a reload, for the new bundle); lip serves the runtime
   * only once it has finished, waiting at most FEATURE_START_TIMEOUT_MS (10 s).
   */
  start?(): void | Promise<void>;
  /** Runs when the runtime closes (and for the old bundle on reload). */
  stop?(): void | Promise<void>;
}

/** Given to a factory: its id, the global state of its feature, where to log. */
export interface FeatureServices {
  readonly featureId: string;
  /** `global` scope state of this feature (for lifecycles; hooks use `ctx.state`). */
  readonly state: ScopedState;
  /** Whether that state is shared by every lip process (Redis, with `redis.url`) or this process's own (memory). */
  readonly stateShared?: boolean;
  readonly logger: ExtensionLogger;
  /**
   * The feature runs recorded exchanges again (`lip replay`): the client's text is what the
   * recording kept, with every traffic redactor's replacement where it found a match.
   */
  readonly replaying?: boolean;
}

/** Logger-shaped sink (a winston logger fits). */
export interface ExtensionLogger {
  warn(message: string, meta?: Record<string, unknown>): unknown;
  info(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export type { FeatureConfigProblem, FeatureReference };

/** One plugin kind, selected by `features[].id`. */
export interface FeatureFactory<C = Record<string, unknown>> {
  readonly id: string;
  readonly description: string;
  /** JSON Schema of the row's `config` (ajv, with defaults applied). */
  readonly configSchema: Record<string, unknown>;
  /**
   * The rules of `config` its schema cannot say (bounds, keys that go together, patterns that
   * must compile): every problem, each with its path inside `config`. The config loader runs it
   * on every row the schema accepted, so `lip check-config` and a reload report the problems
   * located (`features[0].config.extractor.timeout: must be at most 24h`); create() runs it too
   * (refuseConfigProblems) for a config that did not come through the loader.
   */
  readonly check?: (config: C) => readonly FeatureConfigProblem[];
  /**
   * The selectors `config` names that the feature sends calls to (a judge's route) and the
   * backend ids it names (a rule's backend), each with its path inside `config`. The config
   * loader checks each on every enabled row: a selector as it checks `routing.default_route` (it
   * parses; every backend it names is configured and enabled; its first leaf names one, after
   * `model_aliases`), a backend id as a pricing row's (a configured backend), so that a typo is
   * refused located (`features[0].config.handlers[0].model_routing_string: names the backend
   * "opnai", …`) instead of failing, going to the default route or matching nothing at every
   * request.
   */
  readonly references?: (config: C) => readonly FeatureReference[];
  /** Runs with its default config when the file has no row for it (an `enabled: false` row opts out). */
  readonly enabledByDefault?: boolean;
  create(config: C, services: FeatureServices): FeatureBundle;
}

/** Throws the problems a factory's `check` found, as `path: message` joined by `; ` (nothing when there are none). */
export function refuseConfigProblems(problems: readonly FeatureConfigProblem[]): void {
  if (problems.length > 0) throw new Error(problems.map((p) => (p.path.length > 0 ? `${formatPath(p.path)}: ${p.message}` : p.message)).join('; '));
}
